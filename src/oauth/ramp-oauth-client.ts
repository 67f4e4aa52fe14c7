/**
 * @module The Ramp OAuth client: each grant and revocation as one call returning a result
 * (`{ok:true,…} | {ok:false, failure}`); transport and protocol failures are results, not throws.
 * Fetch and timeout are injectable so tests and the emulator stay on loopback.
 */
import { performance } from 'node:perf_hooks';
import { sleep } from '../support/backoff.ts';
import {
  authorizationCodeRequest,
  clientCredentialsRequest,
  processRevocationResponse,
  processTokenResponse,
  refreshTokenRequest,
  revocationRequest,
  sendOAuthRequest,
  TOKEN_REQUEST_TIMEOUT_MS,
  type ClientCredentials,
  type RevocationResult,
  type SendOptions,
  type TokenResult,
} from './token-endpoint.ts';

export interface CallOptions {
  readonly timeoutMs?: number;
}

export interface RevokeOptions {
  /** Wall-clock time the attempts together may take, pauses included (a disconnect waits on them). */
  readonly budgetMs?: number;
}

export class RampOAuthClient {
  readonly #options: SendOptions;

  constructor(options: SendOptions = {}) {
    this.#options = options;
  }

  async exchangeCode(apiBaseUrl: string, client: ClientCredentials, input: { code: string; redirectUri: string; codeVerifier: string }): Promise<TokenResult> {
    return this.#token(authorizationCodeRequest(apiBaseUrl, client, input));
  }

  /** `call.timeoutMs` can only shorten the client's own timeout (a refresh fits it to its lease). */
  async refresh(apiBaseUrl: string, client: ClientCredentials, refreshToken: string, call: CallOptions = {}): Promise<TokenResult> {
    return this.#token(refreshTokenRequest(apiBaseUrl, client, refreshToken), call);
  }

  async clientCredentials(apiBaseUrl: string, client: ClientCredentials, scopes: readonly string[], call: CallOptions = {}): Promise<TokenResult> {
    return this.#token(clientCredentialsRequest(apiBaseUrl, client, scopes), call);
  }

  /**
   * Revokes one token. RFC 7009 §2.2.1: on 503 the client "may retry"; we retry transient failures
   * twice, waiting Retry-After (capped at 2 s) or a short backoff, all within `call.budgetMs`.
   */
  async revoke(apiBaseUrl: string, client: ClientCredentials, token: string, hint: 'access_token' | 'refresh_token', call: RevokeOptions = {}): Promise<RevocationResult> {
    const endsAt = performance.now() + (call.budgetMs ?? Infinity);
    let last: RevocationResult = { ok: false, failure: { code: 'timeout', permanent: false, status: 0, description: 'not attempted: no time was left' } };
    for (let attempt = 0; attempt < 3; attempt++) {
      const left = endsAt - performance.now();
      if (left < 1) break;
      const timeoutMs = Math.min(this.#options.timeoutMs ?? TOKEN_REQUEST_TIMEOUT_MS, Math.floor(left));
      const response = await sendOAuthRequest(revocationRequest(apiBaseUrl, client, token, hint), { ...this.#options, timeoutMs });
      last = response instanceof Response ? await processRevocationResponse(response) : { ok: false, failure: response };
      if (last.ok || last.failure.permanent) return last;
      const pause = Math.min(2000, last.failure.retryAfterMs ?? 200 * 2 ** attempt);
      if (pause >= endsAt - performance.now()) break;
      await sleep(pause);
    }
    return last;
  }

  async #token(request: Request, call: CallOptions = {}): Promise<TokenResult> {
    const timeoutMs = Math.min(this.#options.timeoutMs ?? TOKEN_REQUEST_TIMEOUT_MS, call.timeoutMs ?? Infinity);
    const response = await sendOAuthRequest(request, { ...this.#options, timeoutMs });
    return response instanceof Response ? processTokenResponse(response) : { ok: false, failure: response };
  }
}
