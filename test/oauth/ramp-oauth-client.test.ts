/**
 * RampOAuthClient: each grant sends its own request; revocation retries transient failures twice
 * (three calls in all) and stops at once on success or a permanent failure; waits honour Retry-After,
 * capped at 2 s, else 200 ms · 2^attempt. The clock (sleep) is the only thing replaced: the waits are
 * recorded instead of spent.
 */
import { describe, expect, it, vi } from 'vitest';

const waits: number[] = [];
vi.mock('../../src/support/backoff.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/support/backoff.ts')>()),
  sleep: async (ms: number) => {
    waits.push(ms);
  },
}));

const { RampOAuthClient } = await import('../../src/oauth/ramp-oauth-client.ts');

const CLIENT = { clientId: 'id', clientSecret: 'secret' };
const API = 'http://127.0.0.1:9';

/** A fetch answering from a script, recording each request's form body. */
function scripted(...answers: (() => Response)[]) {
  const bodies: Record<string, string>[] = [];
  const fetch = async (input: RequestInfo | URL) => {
    const request = input as Request;
    bodies.push({ url: request.url, ...Object.fromEntries(new URLSearchParams(await request.text())) });
    const next = answers[Math.min(bodies.length - 1, answers.length - 1)]!;
    return next();
  };
  return { fetch: fetch as typeof globalThis.fetch, bodies };
}
const ok = () => new Response(JSON.stringify({ access_token: 'at', refresh_token: 'rt', expires_in: 60 }), { status: 200 });
const unavailable = (retryAfter?: string) => () => new Response(null, { status: 503, headers: retryAfter ? { 'retry-after': retryAfter } : {} });

describe('RampOAuthClient grants', () => {
  it('exchangeCode, refresh and clientCredentials each send their grant and read the answer', async () => {
    const { fetch, bodies } = scripted(ok);
    const client = new RampOAuthClient({ fetch });
    const expected = { ok: true, tokens: { accessToken: 'at', refreshToken: 'rt', expiresInS: 60, scope: undefined } };
    expect(await client.exchangeCode(API, CLIENT, { code: 'c', redirectUri: 'https://x/cb', codeVerifier: 'v' })).toEqual(expected);
    expect(await client.refresh(API, CLIENT, 'r1')).toEqual(expected);
    expect(await client.clientCredentials(API, CLIENT, ['a', 'b'])).toEqual(expected);
    expect(bodies).toEqual([
      { url: `${API}/developer/v1/token`, grant_type: 'authorization_code', code: 'c', redirect_uri: 'https://x/cb', code_verifier: 'v' },
      { url: `${API}/developer/v1/token`, grant_type: 'refresh_token', refresh_token: 'r1' },
      { url: `${API}/developer/v1/token`, grant_type: 'client_credentials', scope: 'a b' },
    ]);
  });

  it('a transport failure is a result, not a throw', async () => {
    const client = new RampOAuthClient({ fetch: async () => Promise.reject(new TypeError('fetch failed')) });
    expect(await client.refresh(API, CLIENT, 'r')).toEqual({ ok: false, failure: { code: 'network_error', permanent: false, status: 0, description: 'Ramp could not be reached' } });
  });
});

describe('RampOAuthClient.revoke', () => {
  it('one call when Ramp revokes at once', async () => {
    waits.length = 0;
    const { fetch, bodies } = scripted(() => new Response(null, { status: 200 }));
    expect(await new RampOAuthClient({ fetch }).revoke(API, CLIENT, 'tok', 'access_token')).toEqual({ ok: true });
    expect(bodies).toEqual([{ url: `${API}/developer/v1/token/revoke`, token: 'tok', token_type_hint: 'access_token' }]);
    expect(waits).toEqual([]);
  });

  it('a permanent failure is not retried', async () => {
    waits.length = 0;
    const { fetch, bodies } = scripted(() => new Response(JSON.stringify({ error: 'invalid_client' }), { status: 401 }));
    expect(await new RampOAuthClient({ fetch }).revoke(API, CLIENT, 'tok', 'refresh_token')).toMatchObject({ ok: false, failure: { code: 'invalid_client' } });
    expect(bodies).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('transient failures: three calls in all, backoff 200 then 400 ms, the last failure returned', async () => {
    waits.length = 0;
    const { fetch, bodies } = scripted(unavailable(), unavailable(), () => new Response(null, { status: 502 }));
    expect(await new RampOAuthClient({ fetch }).revoke(API, CLIENT, 'tok', 'refresh_token')).toEqual({
      ok: false,
      failure: { code: 'server_error', permanent: false, status: 502, description: 'Ramp answered 502' },
    });
    expect(bodies).toHaveLength(3);
    expect(waits.slice(0, 2)).toEqual([200, 400]);
  });

  it('Retry-After is honoured up to 2 s; success after a retry stops', async () => {
    waits.length = 0;
    const { fetch, bodies } = scripted(unavailable('1'), unavailable('30'), () => new Response(null, { status: 200 }));
    expect(await new RampOAuthClient({ fetch }).revoke(API, CLIENT, 'tok', 'refresh_token')).toEqual({ ok: true });
    expect(bodies).toHaveLength(3);
    expect(waits).toEqual([1000, 2000]);
  });

  it('a network failure during revocation is retried like a 503', async () => {
    waits.length = 0;
    let calls = 0;
    const client = new RampOAuthClient({
      fetch: async () => {
        calls++;
        if (calls === 1) throw new TypeError('fetch failed');
        return new Response(null, { status: 200 });
      },
    });
    expect(await client.revoke(API, CLIENT, 'tok', 'access_token')).toEqual({ ok: true });
    expect(calls).toBe(2);
    expect(waits).toEqual([200]);
  });
});
