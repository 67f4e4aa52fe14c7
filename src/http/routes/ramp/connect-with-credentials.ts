/**
 * @module `POST /api/v1/ramp/connect-with-credentials` (seed 000): connect with the customer's own Ramp
 * app through the Client Credentials grant. Ramp's refusal becomes a 400 that says what to fix in the
 * Ramp app; Ramp being down becomes a 502 and nothing is stored.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { auditRequest } from '../../audit-hook.ts';
import type { ConnectServices } from '../../../connections/connect-services.ts';
import { ConnectionView, toConnectionView } from '../../../connections/connection-view.ts';
import type { OAuthFailure } from '../../../oauth/oauth-errors.ts';
import { authOf } from '../../auth.ts';
import { ApiError, type ErrorCode } from '../../../core/errors.ts';
import { BusinessHeaders, errorResponses } from '../../../core/schemas.ts';

/** The product's suggested read scopes (ramp-and-dayzero-api.md A2). */
export const SUGGESTED_CLIENT_CREDENTIALS_SCOPES = ['transactions:read', 'business:read', 'cards:read', 'users:read', 'departments:read'];

const Scope = Type.String({ pattern: '^[a-z_]+:[a-z_]+$', maxLength: 64 });

const Body = Type.Object(
  {
    client_id: Type.String({ minLength: 1, maxLength: 512, description: 'Ramp Developer App Client ID' }),
    client_secret: Type.String({ minLength: 1, maxLength: 512, description: 'Ramp Developer App Client Secret' }),
    scopes: Type.Optional(Type.Array(Scope, { minItems: 1, maxItems: 64 })),
    environment: Type.Optional(Type.Union([Type.Literal('sandbox'), Type.Literal('production')])),
  },
  { $id: 'RampApiCredentialsRequest' },
);

/** Ramp's refusal → our stable code, whose detail tells the user what to change in their Ramp app. */
export function credentialFailureCode(failure: OAuthFailure): ErrorCode {
  switch (failure.code) {
    case 'invalid_client':
      return 'ramp_invalid_client';
    case 'unauthorized_client':
    case 'unsupported_grant_type':
      return 'ramp_unauthorized_client';
    case 'invalid_scope':
      return 'ramp_invalid_scope';
    case 'invalid_grant':
    case 'invalid_request':
    case 'access_denied':
      return 'ramp_invalid_client';
    default:
      return 'ramp_unavailable';
  }
}

export function connectWithCredentialsRoute(app: FastifyInstance, s: ConnectServices): void {
  app.post<{ Body: Static<typeof Body> }>(
    '/api/v1/ramp/connect-with-credentials',
    {
      config: { auth: { kind: 'business', minRole: 'admin' }, auditAction: 'connect.client_credentials' },
      schema: {
        tags: ['ramp'],
        summary: 'Connect Ramp with your own API credentials',
        description:
          "Connect Ramp using your own Client ID and Client Secret from a Ramp Developer App (Client Credentials grant). Create your app at: Ramp Dashboard → Company → Developer, and enable the Client Credentials grant type.",
        operationId: 'connect_with_credentials_api_v1_ramp_connect_with_credentials_post',
        headers: BusinessHeaders,
        body: Body,
        response: { 201: ConnectionView, ...errorResponses(400, 401, 403, 409, 422, 502) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const { ctx, store, oauth } = s;
      const environment = request.body.environment ?? ctx.config.defaultEnvironment;
      const scopes = request.body.scopes ?? SUGGESTED_CLIENT_CREDENTIALS_SCOPES;
      const record = (outcome: 'success' | 'failure', detail: string) => auditRequest(ctx.db.kysely, request, { outcome, detail }, ctx.now());

      // Cheap pre-check: don't spend a Ramp token request when a live connection already exists.
      const existing = await store.find(auth.businessId);
      if (existing?.status === 'connected') {
        await record('failure', 'conflict: a live connection exists');
        throw new ApiError('resource_exists', 'This business already has a live Ramp connection; disconnect it first', { existingId: existing.id });
      }

      const client = { clientId: request.body.client_id, clientSecret: request.body.client_secret };
      const apiBaseUrl = ctx.config.rampHosts[environment].apiBaseUrl;
      const result = await oauth.clientCredentials(apiBaseUrl, client, scopes);
      if (!result.ok) {
        const code = credentialFailureCode(result.failure);
        await record('failure', `ramp refused: ${result.failure.code}`);
        throw new ApiError(code);
      }

      const created = await store.create({
        businessId: auth.businessId,
        environment,
        authMethod: 'client_credentials',
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        requestedScopes: scopes,
        tokens: result.tokens,
        createdByTokenId: auth.tokenId,
        replaceConnected: false,
      });
      if ('conflict' in created) {
        // Lost a race with a concurrent connect: give back the token we just obtained.
        void oauth.revoke(apiBaseUrl, client, result.tokens.accessToken, 'access_token');
        await record('failure', 'conflict: a live connection exists');
        throw new ApiError('resource_exists', 'This business already has a live Ramp connection; disconnect it first', { existingId: created.conflict.id });
      }
      await record('success', `connected (${environment})`);
      await s.events.emit(auth.businessId, 'connection.created', { connection_id: created.created.id, auth_method: 'client_credentials', environment });
      return reply.code(201).send(toConnectionView(created.created, await s.summary(auth.businessId)));
    },
  );
}
