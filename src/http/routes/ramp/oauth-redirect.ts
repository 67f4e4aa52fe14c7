/**
 * @module The redirect (authorization code) flow: `GET /api/v1/ramp/connect-url` starts it,
 * `GET /api/v1/ramp/callback` finishes it. Rules (security-reliability.md O1–O8, RFC 6749 §4.1, RFC 7636):
 * redirect_uri comes from PUBLIC_URL only; state is single use and bound to business, user and
 * environment; a bad state never reaches Ramp's token endpoint; the code is exchanged at most once;
 * responses are `no-store` and `no-referrer`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import { audit } from '../../../audit/audit-log.ts';
import type { ConnectServices } from '../../../connections/connect-services.ts';
import { consumePendingAuthorization, createPendingAuthorization } from '../../../connections/oauth-state.ts';
import { isAllowedReturnTo, withOutcome } from '../../../connections/return-to.ts';
import { CredentialsCorruptError } from '../../../vault/vault.ts';
import { authOf } from '../../auth.ts';
import { ApiError } from '../../../core/errors.ts';
import { BusinessHeaders, errorResponses } from '../../../core/schemas.ts';

const ConnectUrlQuery = Type.Object({
  return_to: Type.Optional(Type.String({ maxLength: 2048, description: 'Where to send the browser afterwards; must be on the allowlist' })),
});

const ConnectUrl = Type.Object({ connect_url: Type.String(), expires_at: Type.String({ format: 'date-time' }) }, { $id: 'RampConnectUrl' });

const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 2048 })),
  state: Type.Optional(Type.String({ maxLength: 256 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 2048 })),
  iss: Type.Optional(Type.String({ maxLength: 2048 })),
});

/** Readable reasons for the page we return to; never Ramp's raw text. */
const REASONS: Record<string, string> = {
  access_denied: 'access_denied',
  invalid_scope: 'invalid_scope',
  invalid_grant: 'authorization_expired',
  invalid_client: 'app_misconfigured',
  unauthorized_client: 'app_misconfigured',
};

export function redirectUri(publicUrl: string): string {
  return `${publicUrl}/api/v1/ramp/callback`;
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').header('referrer-policy', 'no-referrer');
}

export function oauthRedirectRoutes(app: FastifyInstance, s: ConnectServices): void {
  const { ctx } = s;

  app.get<{ Querystring: Static<typeof ConnectUrlQuery> }>(
    '/api/v1/ramp/connect-url',
    {
      config: { auth: { kind: 'business', minRole: 'admin' } },
      schema: {
        tags: ['ramp'],
        summary: 'Start connecting Ramp with OAuth (returns the URL to send the browser to)',
        headers: BusinessHeaders,
        querystring: ConnectUrlQuery,
        response: { 200: ConnectUrl, ...errorResponses(400, 401, 403, 422, 503) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      if (!s.oauthApp) throw new ApiError('oauth_not_configured');
      const returnTo = request.query.return_to ?? `${ctx.config.publicUrl}/`;
      if (!isAllowedReturnTo(returnTo, ctx.config.returnToAllowlist)) throw new ApiError('return_to_not_allowed');
      const environment = ctx.config.defaultEnvironment;
      const scopes = ctx.config.rampScopes;
      const pending = await createPendingAuthorization(ctx.db, s.store.vault, {
        businessId: auth.businessId,
        userId: auth.userId,
        tokenId: auth.tokenId,
        environment,
        returnTo,
        scopes,
        now: ctx.now(),
      });
      const url = new URL(`${ctx.config.rampHosts[environment].appBaseUrl}/v1/authorize`);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', s.oauthApp.clientId);
      url.searchParams.set('redirect_uri', redirectUri(ctx.config.publicUrl));
      url.searchParams.set('scope', scopes.join(' '));
      url.searchParams.set('state', pending.state);
      url.searchParams.set('code_challenge', pending.codeChallenge);
      url.searchParams.set('code_challenge_method', 'S256');
      return noStore(reply).send({ connect_url: url.toString(), expires_at: new Date(pending.expiresAt).toISOString() });
    },
  );

  app.get<{ Querystring: Static<typeof CallbackQuery> }>(
    '/api/v1/ramp/callback',
    {
      schema: {
        tags: ['ramp'],
        summary: "Ramp's OAuth redirect target (browser)",
        security: [],
        querystring: CallbackQuery,
        response: { 302: Type.Null(), ...errorResponses(400, 422) },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const { code, state, error, iss } = request.query;
      if (!state) throw new ApiError('invalid_state');
      let pending;
      try {
        pending = await consumePendingAuthorization(ctx.db, s.store.vault, state, ctx.now());
      } catch (e) {
        if (e instanceof CredentialsCorruptError) throw new ApiError('invalid_state');
        throw e;
      }
      if (!pending) throw new ApiError('invalid_state');
      const { row } = pending;
      const record = (outcome: 'success' | 'failure', detail: string) =>
        audit(ctx.db.kysely, { businessId: row.business_id, actorTokenId: row.token_id, action: 'connect.oauth', outcome, requestId: request.id, detail }, ctx.now());
      const back = (params: Record<string, string>) => reply.redirect(withOutcome(row.return_to ?? `${ctx.config.publicUrl}/`, params), 302);

      // RFC 9207 mix-up defence: when the authorization server names itself, it must be the one this
      // flow started with (security-reliability.md O6).
      const hosts = ctx.config.rampHosts[row.environment];
      if (iss !== undefined && iss !== hosts.appBaseUrl && iss !== hosts.apiBaseUrl) {
        await record('failure', 'issuer mismatch');
        throw new ApiError('invalid_state', 'The authorization response came from a different Ramp environment; start again');
      }
      if (error !== undefined) {
        await record('failure', `ramp: ${REASONS[error] ?? 'authorization_failed'}`);
        return back({ ramp: 'error', reason: REASONS[error] ?? 'authorization_failed' });
      }
      if (!code) {
        await record('failure', 'no code');
        return back({ ramp: 'error', reason: 'authorization_failed' });
      }
      if (!s.oauthApp) throw new ApiError('oauth_not_configured');

      const result = await s.oauth.exchangeCode(hosts.apiBaseUrl, s.oauthApp, {
        code,
        redirectUri: redirectUri(ctx.config.publicUrl),
        codeVerifier: pending.codeVerifier,
      });
      if (!result.ok) {
        await record('failure', `exchange failed: ${result.failure.code}`);
        return back({ ramp: 'error', reason: REASONS[result.failure.code] ?? 'ramp_unavailable' });
      }
      const created = await s.store.create({
        businessId: row.business_id,
        environment: row.environment,
        authMethod: 'oauth',
        clientId: s.oauthApp.clientId,
        requestedScopes: row.scopes.split(' ').filter(Boolean),
        tokens: result.tokens,
        createdByTokenId: row.token_id,
        replaceConnected: true,
      });
      if ('conflict' in created) {
        await record('failure', 'conflict');
        return back({ ramp: 'error', reason: 'already_connected' });
      }
      await record('success', `connected (${row.environment})`);
      await s.events.emit(row.business_id, 'connection.created', { connection_id: created.created.id, auth_method: 'oauth', environment: row.environment });
      return back({ ramp: 'connected' });
    },
  );
}
