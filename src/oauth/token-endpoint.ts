/**
 * @module Ramp's token and revocation endpoints as request/process pairs (the oauth4webapi split): each
 * `…Request()` builds a `Request`, `sendOAuthRequest()` sends it, and `process…Response()` is a pure
 * reading of the `Response`, unit-tested on recorded Ramp bodies including the `error_v2` envelope.
 *
 * Ramp facts (docs/ramp-behaviour.md#token-endpoint): `POST {api}/developer/v1/token` and `…/token/revoke`,
 * HTTP Basic client auth, form-encoded body; grants authorization_code, refresh_token (rotating) and
 * client_credentials (`scope` required, no refresh token).
 */
import { basicAuthorization } from './client-auth.ts';
import { parseRetryAfter } from '../support/backoff.ts';
import { isPermanent, scrub, type OAuthFailure, type OAuthFailureCode } from './oauth-errors.ts';

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface TokenSet {
  readonly accessToken: string;
  /** Absent for client credentials, and when the server chose not to rotate. */
  readonly refreshToken: string | undefined;
  readonly expiresInS: number;
  /** Space-separated scopes granted, when the server said. */
  readonly scope: string | undefined;
}

export type TokenResult = { readonly ok: true; readonly tokens: TokenSet } | { readonly ok: false; readonly failure: OAuthFailure };
export type RevocationResult = { readonly ok: true } | { readonly ok: false; readonly failure: OAuthFailure };

function formRequest(url: string, client: ClientCredentials, params: Record<string, string>): Request {
  return new Request(url, {
    method: 'POST',
    headers: {
      authorization: basicAuthorization(client.clientId, client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(params).toString(),
    redirect: 'manual',
  });
}

/** RFC 6749 §4.1.3; PKCE verifier per RFC 7636 §4.5. */
export function authorizationCodeRequest(apiBaseUrl: string, client: ClientCredentials, input: { code: string; redirectUri: string; codeVerifier: string }): Request {
  return formRequest(`${apiBaseUrl}/developer/v1/token`, client, {
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri,
    code_verifier: input.codeVerifier,
  });
}

/** RFC 6749 §6. */
export function refreshTokenRequest(apiBaseUrl: string, client: ClientCredentials, refreshToken: string): Request {
  return formRequest(`${apiBaseUrl}/developer/v1/token`, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/** RFC 6749 §4.4; Ramp requires `scope` (space-separated). */
export function clientCredentialsRequest(apiBaseUrl: string, client: ClientCredentials, scopes: readonly string[]): Request {
  return formRequest(`${apiBaseUrl}/developer/v1/token`, client, { grant_type: 'client_credentials', scope: scopes.join(' ') });
}

/** RFC 7009 §2.1. */
export function revocationRequest(apiBaseUrl: string, client: ClientCredentials, token: string, hint: 'access_token' | 'refresh_token'): Request {
  return formRequest(`${apiBaseUrl}/developer/v1/token/revoke`, client, { token, token_type_hint: hint });
}

export interface SendOptions {
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

/**
 * How long one call to Ramp's token or revocation endpoint may take, answer included. A refresh
 * lease must outlast it plus the write (README, `REFRESH_LEASE_MS`); the token manager shortens it
 * further to fit the lease it holds.
 */
export const TOKEN_REQUEST_TIMEOUT_MS = 10_000;

/** Sends without following redirects; a transport failure becomes a transient `OAuthFailure`. */
export async function sendOAuthRequest(request: Request, options: SendOptions = {}): Promise<Response | OAuthFailure> {
  try {
    return await (options.fetch ?? fetch)(request, { signal: AbortSignal.timeout(options.timeoutMs ?? TOKEN_REQUEST_TIMEOUT_MS) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { code: timedOut ? 'timeout' : 'network_error', permanent: false, status: 0, description: timedOut ? 'Ramp did not answer in time' : 'Ramp could not be reached' };
  }
}

const RFC_CODES: ReadonlySet<string> = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_scope', 'invalid_request', 'unsupported_grant_type', 'access_denied']);

/** Reads a token endpoint answer: a `TokenSet`, or a classified failure. */
export async function processTokenResponse(response: Response): Promise<TokenResult> {
  const body = await readJson(response);
  if (response.status === 200) {
    const data = body as Record<string, unknown> | undefined;
    const accessToken = data?.access_token;
    const tokenType = data?.token_type;
    const expiresIn = data?.expires_in;
    if (typeof accessToken !== 'string' || accessToken.length === 0 || (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer'))) {
      return { ok: false, failure: failure('invalid_response', response, 'Ramp returned a token response without a bearer access_token') };
    }
    if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0)) {
      return { ok: false, failure: failure('invalid_response', response, 'Ramp returned an invalid expires_in') };
    }
    const refreshToken = typeof data?.refresh_token === 'string' && data.refresh_token.length > 0 ? data.refresh_token : undefined;
    return {
      ok: true,
      tokens: {
        accessToken,
        refreshToken,
        // Without expires_in, assume Ramp's documented default for this grant's tokens (1 hour) and refresh early.
        expiresInS: typeof expiresIn === 'number' ? expiresIn : 3600,
        scope: typeof data?.scope === 'string' ? data.scope : undefined,
      },
    };
  }
  return { ok: false, failure: classifyErrorResponse(response, body) };
}

/** RFC 7009 §2.2: 200 means revoked (or never existed); 503 means "assume it still exists and retry". */
export async function processRevocationResponse(response: Response): Promise<RevocationResult> {
  if (response.status === 200) {
    await response.body?.cancel();
    return { ok: true };
  }
  return { ok: false, failure: classifyErrorResponse(response, await readJson(response)) };
}

async function readJson(response: Response): Promise<unknown> {
  try {
    const text = await response.text();
    return text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function failure(code: OAuthFailureCode, response: Response, description: string, rampErrorCode?: string): OAuthFailure {
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
  return {
    code,
    permanent: isPermanent(code),
    status: response.status,
    description: scrub(description),
    ...(rampErrorCode ? { rampErrorCode } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/**
 * RFC 6749 §5.2 bodies (`{"error","error_description"}`) and Ramp's envelope
 * (`{"error_v2":{"error_code","message"},"error":{"message"}}`). Ramp answers an unknown or rotated
 * refresh token with 401 DEVELOPER_7002 "Refresh token … not found": that is `invalid_grant`, not a
 * bad client (the official ramp-cli classifies it the same way).
 */
export function classifyErrorResponse(response: Response, body: unknown): OAuthFailure {
  if (response.status === 429) return failure('rate_limited', response, 'Ramp rate limit reached');
  if (response.status >= 500) return failure('server_error', response, `Ramp answered ${response.status}`);
  const data = (typeof body === 'object' && body !== null ? body : {}) as Record<string, any>;
  const v2 = typeof data.error_v2 === 'object' && data.error_v2 !== null ? (data.error_v2 as Record<string, unknown>) : undefined;
  const rampCode = typeof v2?.error_code === 'string' ? v2.error_code : undefined;
  const message =
    (typeof v2?.message === 'string' && v2.message) ||
    (typeof data.error_description === 'string' && data.error_description) ||
    (typeof data.error?.message === 'string' && data.error.message) ||
    (typeof data.error === 'string' ? data.error : `Ramp answered ${response.status}`);
  if (typeof data.error === 'string' && RFC_CODES.has(data.error)) return failure(data.error as OAuthFailureCode, response, message, rampCode);
  if (rampCode === 'DEVELOPER_7002' || /refresh[ _]token/i.test(message)) return failure('invalid_grant', response, message, rampCode);
  if (rampCode === 'DEVELOPER_7100') return failure('invalid_scope', response, message, rampCode);
  if (rampCode === 'CUSTOMER_7004') return failure('access_denied', response, message, rampCode);
  if (response.status === 401) return failure('invalid_client', response, message, rampCode);
  if (response.status === 400 || response.status === 403) return failure('invalid_request', response, message, rampCode);
  return failure('invalid_response', response, message, rampCode);
}
