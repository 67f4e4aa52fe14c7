/**
 * @module `POST /developer/v1/token` and `POST /developer/v1/token/revoke`.
 *
 * Token endpoint: RFC 6749 §3.2 / §5 as Ramp documents it (B3). Successful answers carry
 * `Cache-Control: no-store` and `Pragma: no-cache` (§5.1). Revocation: RFC 7009 (B4) — 200 even for
 * unknown tokens (§2.2), and revoking a refresh token also revokes the access tokens of its family
 * (§2.1 "SHOULD also invalidate all access tokens based on the same authorization grant").
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GrantType } from '../apps.ts';
import { OAuthError, sendOAuthError } from '../errors.ts';
import type { EnvironmentRouteContext } from '../route-context.ts';
import type { IssuedTokens } from '../tokens.ts';
import { grantAuthorizationCode, grantClientCredentials, grantRefreshToken, type GrantContext } from './grants.ts';
import { authenticateClient, readTokenParams, requireParam } from './token-request.ts';

const GRANT_HANDLERS: Record<GrantType, (context: GrantContext) => IssuedTokens> = {
  authorization_code: grantAuthorizationCode,
  refresh_token: grantRefreshToken,
  client_credentials: grantClientCredentials,
};

function isGrantType(value: string): value is GrantType {
  return Object.hasOwn(GRANT_HANDLERS, value);
}

export function tokenResponseBody(issued: IssuedTokens, includeScope: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn };
  if (issued.refreshToken !== null) body.refresh_token = issued.refreshToken;
  if (includeScope) body.scope = issued.scopes.join(' ');
  return body;
}

export function registerTokenRoutes(app: FastifyInstance, context: EnvironmentRouteContext): void {
  const { state, environment } = context;
  const lookup = (id: string, secret: string) => state.apps.authenticate(id, secret, environment);

  const fail = (reply: FastifyReply, error: unknown): FastifyReply => {
    if (!(error instanceof OAuthError)) throw error;
    state.stats.countTokenError(error.code);
    return sendOAuthError(reply, error, state.faults.refresh_error_style);
  };

  app.post('/developer/v1/token', async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const faults = state.faults;
      const params = readTokenParams(request, faults);
      const client = authenticateClient(request, params, environment, lookup, faults);
      const grantType = requireParam(params, 'grant_type');
      if (!isGrantType(grantType)) throw new OAuthError('unsupported_grant_type', `Unsupported grant_type: ${grantType}`);
      if (!client.grantTypes.includes(grantType)) throw new OAuthError('unauthorized_client', `Grant type ${grantType} is not enabled for this client`);
      const issued = GRANT_HANDLERS[grantType]({
        client,
        environment,
        params,
        tokens: state.tokens,
        faults,
        stats: state.stats,
        now: state.clock.now(),
        accessTokenTtlS: client.accessTokenTtlS ?? state.options.accessTokenTtlS,
        clientCredentialsTtlS: state.options.clientCredentialsTtlS,
      });
      state.stats.countGrant(grantType);
      return reply
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .type('application/json; charset=utf-8')
        .send(tokenResponseBody(issued, faults.include_scope));
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.post('/developer/v1/token/revoke', async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const faults = state.faults;
      const params = readTokenParams(request, faults);
      const client = authenticateClient(request, params, environment, lookup, faults);
      const token = requireParam(params, 'token');
      // token_type_hint is only a hint (RFC 7009 §2.1): both stores are searched regardless.
      const accessToken = state.tokens.findAccessToken(token);
      if (accessToken && accessToken.clientId === client.clientId && accessToken.environment === environment) {
        state.tokens.revokeAccessToken(token);
      }
      const refresh = state.tokens.findRefreshToken(token);
      // A token of another client is left alone, silently: answering differently would leak that it exists.
      if (refresh && refresh.family.clientId === client.clientId && refresh.family.environment === environment) {
        state.tokens.revokeFamily(refresh.family.id, 'revoked by client (RFC 7009)');
      }
      state.stats.count('revocations');
      return reply.code(200).header('cache-control', 'no-store').send();
    } catch (error) {
      return fail(reply, error);
    }
  });
}
