/**
 * @module Control plane: OAuth apps (`/__emulator/apps`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ENVIRONMENTS, GRANT_TYPES, describeApp, environmentPrefix, type GrantType, type RampApp } from '../apps.ts';
import { ControlError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { RAMP_SCOPES } from '../scopes.ts';
import type { EmulatorState } from '../state.ts';
import { ControlBody } from './body.ts';

/** Where a client should send its requests for this app (built from the request's Host). */
function appEndpoints(request: FastifyRequest, app: RampApp): Record<string, string> {
  const base = `http://${request.headers.host ?? request.host}${environmentPrefix(app.environment)}`;
  return {
    authorize_url: `${base}/v1/authorize`,
    token_url: `${base}/developer/v1/token`,
    revoke_url: `${base}/developer/v1/token/revoke`,
    api_base_url: `${base}/developer/v1`,
  };
}

export function registerAppControlRoutes(app: FastifyInstance, state: EmulatorState): void {
  app.post('/apps', async (request, reply) => {
    const body = new ControlBody(request.body);
    const grantTypes = body.stringArray('grant_types', (item) => GRANT_TYPES.includes(item as GrantType), `grant types (${GRANT_TYPES.join(', ')})`) as GrantType[] | undefined;
    const allowedScopes = body.stringArray('allowed_scopes', (item) => /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(item), 'scope strings');
    const redirectUris = body.stringArray('redirect_uris', (item) => URL.canParse(item) && !item.includes('#'), 'absolute URLs without a fragment');
    const environment = body.oneOf('environment', ENVIRONMENTS) ?? 'sandbox';
    const businessId = body.string('business_id') ?? state.demoBusinessId;
    if (!isUuid(businessId)) throw new ControlError(400, 'business_id must be a UUID');
    const clientId = body.string('client_id', { nonEmpty: true });
    const clientSecret = body.string('client_secret', { nonEmpty: true });
    const name = body.string('name', { nonEmpty: true });
    const accessTokenTtlS = body.integer('access_token_ttl_s', 1, 10 * 365 * 86_400);
    body.rejectUnknown();
    state.ensureBusiness(businessId.toLowerCase());
    const created = state.apps.create(
      {
        clientId,
        clientSecret,
        name,
        grantTypes: grantTypes ?? GRANT_TYPES,
        allowedScopes: allowedScopes ?? RAMP_SCOPES,
        redirectUris: redirectUris ?? state.options.defaultRedirectUris,
        environment,
        businessId: businessId.toLowerCase(),
        accessTokenTtlS,
      },
      state.clock.now(),
    );
    // The secret is shown once, here, as a real developer console would.
    return reply.code(201).send({ ...describeApp(created), client_secret: created.clientSecret, ...appEndpoints(request, created) });
  });

  app.get('/apps', async () => state.apps.list().map(describeApp));

  app.post<{ Params: { client_id: string } }>('/apps/:client_id/rotate-secret', async (request) => {
    const body = new ControlBody(request.body);
    const secret = body.string('client_secret', { nonEmpty: true });
    body.rejectUnknown();
    const rotated = state.apps.rotateSecret(request.params.client_id, secret);
    // "Rotating the client secret invalidates current access and refresh tokens" (docs/ramp-behaviour.md#token-errors).
    state.tokens.revokeWhere({ clientId: rotated.clientId }, 'client secret rotated');
    return { client_id: rotated.clientId, client_secret: rotated.clientSecret };
  });
}
