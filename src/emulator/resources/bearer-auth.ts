/**
 * @module Access control for the resource API.
 *
 * Order of checks: token (401), rate limit (429), scope (403).
 * - 401: missing/unknown/revoked token → `DEVELOPER_7002`; expired → `DEVELOPER_7028` (B5). A token
 *   from the other environment is unknown here ("tokens work only in the environment where they
 *   were issued", B1). `WWW-Authenticate: Bearer` per RFC 6750 §3.
 * - 429: Ramp's 200 per 10 s rolling window (see `rate-limit.ts`), keyed by the token's client.
 * - 403: `DEVELOPER_7100` "These scopes are not allowed for this token: <scope>" (B5).
 */
import type { FastifyRequest } from 'fastify';
import type { Environment } from '../apps.ts';
import { RAMP_ERROR_CODES, RampApiError } from '../errors.ts';
import type { EmulatorState } from '../state.ts';
import type { AccessTokenRecord } from '../tokens.ts';

function unauthorized(code: string, message: string, error: 'invalid_token' | 'invalid_request' = 'invalid_token'): RampApiError {
  return new RampApiError(401, code, message, undefined, { 'www-authenticate': `Bearer realm="Ramp", error="${error}"` });
}

/** `requiredScope` null: any valid token (routes whose scope depends on the body, like webhooks). */
export function authorizeResourceRequest(request: FastifyRequest, state: EmulatorState, environment: Environment, requiredScope: string | null): AccessTokenRecord {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!match) throw unauthorized(RAMP_ERROR_CODES.invalidToken, 'Missing access token', 'invalid_request');
  const record = state.tokens.findAccessToken(match[1]!);
  if (!record || record.environment !== environment || !state.apps.get(record.clientId)) {
    throw unauthorized(RAMP_ERROR_CODES.invalidToken, 'Access token is invalid');
  }
  if (record.revoked) throw unauthorized(RAMP_ERROR_CODES.invalidToken, 'Access token has been revoked');
  if (state.clock.now() >= record.expiresAt) throw unauthorized(RAMP_ERROR_CODES.expiredToken, 'Access token expired');

  const rateLimit = state.faults.rate_limit;
  if (rateLimit !== false) {
    const decision = state.rateLimiter.check(record.clientId, rateLimit);
    if (!decision.allowed) {
      state.stats.count('rate_limited');
      throw new RampApiError(429, RAMP_ERROR_CODES.rateLimited, 'Too many requests. Rate limit is 200 requests per 10 seconds.', undefined, {
        'retry-after': String(decision.retryAfterS),
      });
    }
  }
  if (requiredScope !== null && !record.scopes.includes(requiredScope)) {
    throw new RampApiError(403, RAMP_ERROR_CODES.missingScope, `These scopes are not allowed for this token: ${requiredScope}`);
  }
  return record;
}
