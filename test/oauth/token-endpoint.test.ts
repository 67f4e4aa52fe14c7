/**
 * The token/revocation endpoint pairs read exactly as Ramp and RFC 6749/7009 say, branch by branch:
 * what each request carries, how each answer is classified (permanent or not), what the stored
 * description says, and that transport failures (refused, timed out) are transient results. Written to
 * kill the mutants `npm run mutate -- oauth` found alive (reports/mutation/summary.md).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthorization, formUrlEncode } from '../../src/oauth/client-auth.ts';
import { isPermanent, scrub, type OAuthFailureCode } from '../../src/oauth/oauth-errors.ts';
import {
  authorizationCodeRequest,
  classifyErrorResponse,
  clientCredentialsRequest,
  processRevocationResponse,
  processTokenResponse,
  refreshTokenRequest,
  revocationRequest,
  sendOAuthRequest,
} from '../../src/oauth/token-endpoint.ts';

const CLIENT = { clientId: 'ramp_id_a b:c', clientSecret: 'sec+ret%/=' };
const API = 'http://127.0.0.1:9/api';
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('client authentication (RFC 6749 §2.3.1)', () => {
  it('form-encodes each part before joining with ":"', () => {
    expect(formUrlEncode('a b+c:d%e/f')).toBe('a+b%2Bc%3Ad%25e%2Ff');
    expect(formUrlEncode('two  spaces')).toBe('two++spaces');
    const header = basicAuthorization('id:1 2', 'p w');
    expect(header.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8')).toBe('id%3A1+2:p+w');
  });
});

describe('token and revocation requests', () => {
  async function expectForm(request: Request, url: string, params: Record<string, string>) {
    expect(request.method).toBe('POST');
    expect(request.url).toBe(url);
    expect(request.redirect).toBe('manual');
    expect(request.headers.get('authorization')).toBe(basicAuthorization(CLIENT.clientId, CLIENT.clientSecret));
    expect(request.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(request.headers.get('accept')).toBe('application/json');
    expect(Object.fromEntries(new URLSearchParams(await request.text()))).toEqual(params);
  }

  it('authorization_code carries code, redirect_uri and the PKCE verifier', async () => {
    await expectForm(authorizationCodeRequest(API, CLIENT, { code: 'c1', redirectUri: 'https://x/cb', codeVerifier: 'v1' }), `${API}/developer/v1/token`, {
      grant_type: 'authorization_code',
      code: 'c1',
      redirect_uri: 'https://x/cb',
      code_verifier: 'v1',
    });
  });

  it('refresh_token carries the refresh token', async () => {
    await expectForm(refreshTokenRequest(API, CLIENT, 'r1'), `${API}/developer/v1/token`, { grant_type: 'refresh_token', refresh_token: 'r1' });
  });

  it('client_credentials carries the scopes space-separated', async () => {
    await expectForm(clientCredentialsRequest(API, CLIENT, ['a:read', 'b:write']), `${API}/developer/v1/token`, { grant_type: 'client_credentials', scope: 'a:read b:write' });
  });

  it('revocation carries the token and its type hint', async () => {
    await expectForm(revocationRequest(API, CLIENT, 't1', 'refresh_token'), `${API}/developer/v1/token/revoke`, { token: 't1', token_type_hint: 'refresh_token' });
  });
});

describe('sendOAuthRequest', () => {
  let silent: Server;
  let silentUrl: string;
  beforeAll(async () => {
    // Accepts the request and never answers: only the client's own timeout can end the call.
    silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('uses the injected fetch and returns its response', async () => {
    const seen: string[] = [];
    const result = await sendOAuthRequest(refreshTokenRequest(API, CLIENT, 'r'), {
      fetch: async (input) => {
        seen.push((input as Request).url);
        return new Response('{}', { status: 200 });
      },
    });
    expect(seen).toEqual([`${API}/developer/v1/token`]);
    expect(result).toBeInstanceOf(Response);
  });

  it('a refused connection is a transient network_error with no response status', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await sendOAuthRequest(refreshTokenRequest(`http://127.0.0.1:${port}`, CLIENT, 'r'))).toEqual({
      code: 'network_error',
      permanent: false,
      status: 0,
      description: 'Ramp could not be reached',
    });
  });

  it('no answer within timeoutMs is a transient timeout', async () => {
    expect(await sendOAuthRequest(refreshTokenRequest(silentUrl, CLIENT, 'r'), { timeoutMs: 100 })).toEqual({
      code: 'timeout',
      permanent: false,
      status: 0,
      description: 'Ramp did not answer in time',
    });
  });

  it('an abort (AbortError) counts as a timeout too', async () => {
    const abortError = Object.assign(new Error('aborted'), { name: 'AbortError' });
    const result = await sendOAuthRequest(refreshTokenRequest(API, CLIENT, 'r'), { fetch: async () => Promise.reject(abortError) });
    expect(result).toMatchObject({ code: 'timeout' });
    const other = await sendOAuthRequest(refreshTokenRequest(API, CLIENT, 'r'), { fetch: async () => Promise.reject('not an Error') });
    expect(other).toMatchObject({ code: 'network_error' });
  });
});

describe('processTokenResponse', () => {
  it('reads a full 200 answer', async () => {
    expect(await processTokenResponse(json(200, { access_token: 'at', refresh_token: 'rt', token_type: 'Bearer', expires_in: 120, scope: 'a b' }))).toEqual({
      ok: true,
      tokens: { accessToken: 'at', refreshToken: 'rt', expiresInS: 120, scope: 'a b' },
    });
  });

  it('defaults: no expires_in → 3600 s; no or empty or non-string refresh_token and scope → undefined; token_type is optional', async () => {
    for (const extra of [{}, { refresh_token: '' }, { refresh_token: 7, scope: 7 }]) {
      expect(await processTokenResponse(json(200, { access_token: 'at', ...extra }))).toEqual({
        ok: true,
        tokens: { accessToken: 'at', refreshToken: undefined, expiresInS: 3600, scope: undefined },
      });
    }
    expect(await processTokenResponse(json(200, { access_token: 'at', token_type: 'bearer' }))).toMatchObject({ ok: true });
  });

  it('no usable bearer access_token → invalid_response (transient), whatever else is there', async () => {
    for (const body of [{ access_token: '' }, { access_token: 5 }, {}, { access_token: 'at', token_type: 'mac' }, { access_token: 'at', token_type: 5 }, 'not json', '']) {
      const result = await processTokenResponse(json(200, body));
      expect(result).toEqual({
        ok: false,
        failure: { code: 'invalid_response', permanent: false, status: 200, description: 'Ramp returned a token response without a bearer access_token' },
      });
    }
  });

  it('expires_in must be a positive finite number', async () => {
    for (const raw of ['0', '-5', '"60"', '1e999', 'null']) {
      const result = await processTokenResponse(json(200, `{"access_token":"at","expires_in":${raw}}`));
      expect(result, raw).toEqual({ ok: false, failure: { code: 'invalid_response', permanent: false, status: 200, description: 'Ramp returned an invalid expires_in' } });
    }
    expect(await processTokenResponse(json(200, { access_token: 'at', expires_in: 0.5 }))).toMatchObject({ ok: true, tokens: { expiresInS: 0.5 } });
  });

  it('a token-shaped body on a non-200 status is a failure, not tokens', async () => {
    const result = await processTokenResponse(json(201, { access_token: 'at', expires_in: 60 }));
    expect(result).toMatchObject({ ok: false, failure: { code: 'invalid_response', status: 201 } });
  });
});

describe('processRevocationResponse (RFC 7009 §2.2)', () => {
  it('200 is revoked; anything else is a classified failure', async () => {
    expect(await processRevocationResponse(new Response('ignored', { status: 200 }))).toEqual({ ok: true });
    expect(await processRevocationResponse(new Response(null, { status: 200 }))).toEqual({ ok: true });
    expect(await processRevocationResponse(json(503, {}, { 'retry-after': '2' }))).toEqual({
      ok: false,
      failure: { code: 'server_error', permanent: false, status: 503, description: 'Ramp answered 503', retryAfterMs: 2000 },
    });
    expect(await processRevocationResponse(json(400, { error: 'invalid_client' }))).toMatchObject({ ok: false, failure: { code: 'invalid_client', permanent: true } });
  });
});

describe('classifyErrorResponse', () => {
  const classify = (status: number, body: unknown, headers: Record<string, string> = {}) => classifyErrorResponse(new Response(null, { status, headers }), body);

  it('429 is rate_limited and keeps Retry-After; without one there is no retryAfterMs', () => {
    expect(classify(429, { error: 'invalid_grant' }, { 'retry-after': '7' })).toEqual({ code: 'rate_limited', permanent: false, status: 429, description: 'Ramp rate limit reached', retryAfterMs: 7000 });
    const bare = classify(429, undefined);
    expect(bare).not.toHaveProperty('retryAfterMs');
    expect(bare).not.toHaveProperty('rampErrorCode');
  });

  it('5xx is server_error from 500 up; 499 is not', () => {
    expect(classify(500, { error: 'invalid_grant' })).toEqual({ code: 'server_error', permanent: false, status: 500, description: 'Ramp answered 500' });
    expect(classify(499, {})).toMatchObject({ code: 'invalid_response', description: 'Ramp answered 499' });
  });

  it('every RFC 6749 error code is taken as is; only the dead-grant/client ones are permanent', () => {
    const codes: [OAuthFailureCode, boolean][] = [
      ['invalid_grant', true],
      ['invalid_client', true],
      ['unauthorized_client', true],
      ['invalid_scope', true],
      ['access_denied', true],
      ['unsupported_grant_type', true],
      ['invalid_request', false],
    ];
    for (const [code, permanent] of codes) {
      expect(classify(400, { error: code, error_description: 'why' })).toEqual({ code, permanent, status: 400, description: 'why' });
      expect(isPermanent(code)).toBe(permanent);
    }
    for (const code of ['rate_limited', 'server_error', 'network_error', 'timeout', 'invalid_response'] as const) expect(isPermanent(code)).toBe(false);
    // Taken from the body, not inferred from the status: the same codes on a 404 keep their meaning.
    for (const [code] of codes) expect(classify(404, { error: code }).code).toBe(code);
  });

  it('the description comes from error_v2.message, then error_description, then error.message, then error, then the status', () => {
    expect(classify(404, { error_v2: { message: 'v2' }, error_description: 'd', error: { message: 'm' } }).description).toBe('v2');
    expect(classify(404, { error_v2: { message: '' }, error_description: 'd', error: { message: 'm' } }).description).toBe('d');
    expect(classify(404, { error_v2: { message: 5 }, error_description: '', error: { message: 'm' } }).description).toBe('m');
    expect(classify(404, { error_description: 5, error: { message: 7 } }).description).toBe('Ramp answered 404');
    expect(classify(404, { error: 'weird_code' }).description).toBe('weird_code');
    expect(classify(404, { error_v2: null, error: null }).description).toBe('Ramp answered 404');
    expect(classify(404, 'a string body').description).toBe('Ramp answered 404');
    expect(classify(404, null).description).toBe('Ramp answered 404');
  });

  it("Ramp's codes: DEVELOPER_7002 or a refresh-token message → invalid_grant; 7100 → invalid_scope; CUSTOMER_7004 → access_denied", () => {
    expect(classify(401, { error_v2: { error_code: 'DEVELOPER_7002', message: 'not found' } })).toEqual({
      code: 'invalid_grant',
      permanent: true,
      status: 401,
      description: 'not found',
      rampErrorCode: 'DEVELOPER_7002',
    });
    for (const message of ['Refresh token abc not found', 'bad refresh_token', 'REFRESH TOKEN gone']) {
      expect(classify(401, { error: { message } })).toMatchObject({ code: 'invalid_grant', description: message });
    }
    expect(classify(401, { error: { message: 'refreshtoken' } }).code).toBe('invalid_client');
    expect(classify(400, { error_v2: { error_code: 'DEVELOPER_7100', message: 'scope' } })).toMatchObject({ code: 'invalid_scope', permanent: true, rampErrorCode: 'DEVELOPER_7100' });
    expect(classify(403, { error_v2: { error_code: 'CUSTOMER_7004', message: 'denied' } })).toMatchObject({ code: 'access_denied', permanent: true, rampErrorCode: 'CUSTOMER_7004' });
    expect(classify(400, { error: 'invalid_grant', error_v2: { error_code: 'X_1', message: 'm' } })).toMatchObject({ code: 'invalid_grant', rampErrorCode: 'X_1' });
    expect(classify(400, { error_v2: { error_code: 5, message: 'm' } })).not.toHaveProperty('rampErrorCode');
  });

  it('otherwise by status: 401 invalid_client (permanent), 400/403 invalid_request (transient), others invalid_response', () => {
    expect(classify(401, { error_v2: { error_code: 'OTHER', message: 'x' } })).toEqual({ code: 'invalid_client', permanent: true, status: 401, description: 'x', rampErrorCode: 'OTHER' });
    expect(classify(400, { error: 'unknown' })).toEqual({ code: 'invalid_request', permanent: false, status: 400, description: 'unknown' });
    expect(classify(403, {})).toEqual({ code: 'invalid_request', permanent: false, status: 403, description: 'Ramp answered 403' });
    expect(classify(404, {})).toEqual({ code: 'invalid_response', permanent: false, status: 404, description: 'Ramp answered 404' });
    expect(classify(402, {}).code).toBe('invalid_response');
  });

  it('descriptions are scrubbed of token-shaped text', () => {
    const leaked = classify(400, { error_description: 'token ramp_tok_AbC.def~1+2/3=4 and ramp_refresh_tok_x1 leaked' });
    expect(leaked.description).toBe('token [redacted] and [redacted] leaked');
  });
});

describe('scrub', () => {
  it('redacts Ramp tokens and long opaque strings, keeps short words, caps at 300 characters', () => {
    expect(scrub('ramp_tok_abc ramp_live_tok_A-b.c')).toBe('[redacted] [redacted]');
    expect(scrub('rampXtok_abc')).toBe('rampXtok_abc');
    expect(scrub(`a ${'x'.repeat(32)} b`)).toBe('a [redacted] b');
    expect(scrub(`a ${'x_-9'.repeat(8)} b`)).toBe('a [redacted] b');
    expect(scrub(`a ${'x'.repeat(31)} b`)).toBe(`a ${'x'.repeat(31)} b`);
    expect(scrub(`${'x'.repeat(40)}.${'y'.repeat(10)}`)).toBe(`[redacted].${'y'.repeat(10)}`);
    expect(scrub('w '.repeat(200))).toHaveLength(300);
  });
});
