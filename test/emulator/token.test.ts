/**
 * Conformance: POST /developer/v1/token — the three grants and every documented error code
 * (RFC 6749 §4.1.3, §4.4, §5; RFC 7636 §4.6; Ramp B3). The happy paths go through oauth4webapi,
 * an independent client, so the emulator is checked against someone else's reading of the RFCs.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient, basicAuth, insecure, redirectParams, type AppCredentials } from './helpers.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
let emulator: RunningEmulator;
let client: EmulatorClient;
let app: AppCredentials;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new EmulatorClient(emulator);
  app = await client.createApp({ redirect_uris: [REDIRECT], allowed_scopes: ['transactions:read', 'business:read', 'users:read'] });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  await client.faults({ reset: true });
  await client.control('POST', '/clock', { reset: true });
});

interface CodeFlow {
  code: string;
  verifier: string | null;
  callback: URL;
  state: string;
}

async function obtainCode(target: AppCredentials = app, options: { pkce?: boolean; scope?: string } = {}): Promise<CodeFlow> {
  const verifier = options.pkce === false ? null : oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  await client.control('POST', '/consent', { decision: 'approve' });
  const response = await client.authorize(target.environment, {
    response_type: 'code',
    client_id: target.client_id,
    redirect_uri: target.redirect_uris[0]!,
    scope: options.scope ?? 'transactions:read business:read',
    state,
    ...(verifier ? { code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' } : {}),
  });
  const callback = new URL(response.headers.get('location')!);
  return { code: callback.searchParams.get('code')!, verifier, callback, state };
}

describe('oauth4webapi as the client', () => {
  const asClient = () => ({ as: client.authorizationServer('sandbox'), c: { client_id: app.client_id } as oauth.Client, auth: oauth.ClientSecretBasic(app.client_secret) });

  it('authorization_code with PKCE S256, then refresh_token, then revocation', async () => {
    const { as, c, auth } = asClient();
    const flow = await obtainCode();
    const callbackParams = oauth.validateAuthResponse(as, c, flow.callback, flow.state);
    const codeResponse = await oauth.authorizationCodeGrantRequest(as, c, auth, callbackParams, REDIRECT, flow.verifier!, insecure);
    expect(codeResponse.headers.get('cache-control')).toBe('no-store');
    const tokens = await oauth.processAuthorizationCodeResponse(as, c, codeResponse);
    expect(tokens.access_token).toMatch(/^ramp_tok_/);
    expect(tokens.refresh_token).toMatch(/^ramp_tok_/);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.scope).toBe('transactions:read business:read');
    expect((await client.api('sandbox', '/transactions?page_size=2', tokens.access_token)).status).toBe(200);

    const refreshed = await oauth.processRefreshTokenResponse(as, c, await oauth.refreshTokenGrantRequest(as, c, auth, tokens.refresh_token!, insecure));
    expect(refreshed.refresh_token).toMatch(/^ramp_tok_/);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.expires_in).toBe(3600);

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, c, auth, refreshed.refresh_token!, insecure));
    expect((await client.api('sandbox', '/business', refreshed.access_token)).status).toBe(401);
    const afterRevoke = await client.tokenRequest(app, { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token! });
    expect(afterRevoke.status).toBe(401);
    expect(afterRevoke.body.error_v2.error_code).toBe('DEVELOPER_7002');
  });

  it('client_credentials: 10-day token, no refresh token', async () => {
    const { as, c, auth } = asClient();
    const response = await oauth.clientCredentialsGrantRequest(as, c, auth, { scope: 'transactions:read' }, insecure);
    const tokens = await oauth.processClientCredentialsResponse(as, c, response);
    expect(tokens.expires_in).toBe(864000);
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.scope).toBe('transactions:read');
    expect((await client.api('sandbox', '/transactions', tokens.access_token)).status).toBe(200);
  });

  it('oauth4webapi parses the 401 Basic challenge of invalid_client and the RFC body of other errors', async () => {
    const { as, c, auth } = asClient();
    const badSecret = await oauth.clientCredentialsGrantRequest(as, c, oauth.ClientSecretBasic('wrong'), { scope: 'transactions:read' }, insecure);
    const challenge = await oauth.processClientCredentialsResponse(as, c, badSecret).catch((caught: unknown) => caught);
    expect(challenge).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect((challenge as oauth.WWWAuthenticateChallengeError).status).toBe(401);
    expect((challenge as oauth.WWWAuthenticateChallengeError).cause[0]!.scheme).toBe('basic');

    const badScope = await oauth.clientCredentialsGrantRequest(as, c, auth, { scope: 'bills:read' }, insecure);
    const error = await oauth.processClientCredentialsResponse(as, c, badScope).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(oauth.ResponseBodyError);
    expect((error as oauth.ResponseBodyError).error).toBe('invalid_scope');
    expect((error as oauth.ResponseBodyError).status).toBe(400);
  });
});

describe('authorization_code grant rules', () => {
  const exchange = (flow: CodeFlow, overrides: Record<string, string | undefined> = {}, target: AppCredentials = app) => {
    const form: Record<string, string | undefined> = { grant_type: 'authorization_code', code: flow.code, redirect_uri: target.redirect_uris[0], code_verifier: flow.verifier ?? undefined, ...overrides };
    return client.tokenRequest(target, Object.fromEntries(Object.entries(form).filter(([, value]) => value !== undefined)) as Record<string, string>);
  };

  it('a code is single use; replaying it revokes the tokens it produced (RFC 6749 §4.1.2)', async () => {
    const flow = await obtainCode();
    const first = await exchange(flow);
    expect(first.status).toBe(200);
    const replay = await exchange(flow);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await client.api('sandbox', '/business', first.body.access_token)).status).toBe(401);
    expect((await client.tokenRequest(app, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token })).status).toBe(401);
  });

  it('ten concurrent exchanges of one code → exactly one success', async () => {
    const flow = await obtainCode();
    const before = (await client.stats()).grants.authorization_code;
    const results = await Promise.all(Array.from({ length: 10 }, () => exchange(flow)));
    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    expect(results.filter((result) => result.body.error === 'invalid_grant')).toHaveLength(9);
    expect((await client.stats()).grants.authorization_code - before).toBe(1);
  });

  it.each([
    ['wrong redirect_uri', { redirect_uri: 'http://127.0.0.1:9/other' }],
    ['wrong code_verifier', { code_verifier: 'x'.repeat(43) }],
    ['missing code_verifier', { code_verifier: undefined }],
    ['unknown code', { code: 'not-a-code' }],
  ])('%s → invalid_grant', async (_name, overrides) => {
    const flow = await obtainCode();
    const result = await exchange(flow, overrides);
    expect(result.status).toBe(400);
    expect(result.body.error).toBe('invalid_grant');
    expect(result.headers.get('cache-control')).toBe('no-store');
  });

  it('a failed redirect_uri check does not burn the code', async () => {
    const flow = await obtainCode();
    expect((await exchange(flow, { redirect_uri: 'http://127.0.0.1:9/other' })).status).toBe(400);
    expect((await exchange(flow)).status).toBe(200);
  });

  it('missing redirect_uri or code → invalid_request', async () => {
    const flow = await obtainCode();
    expect((await exchange(flow, { redirect_uri: undefined })).body.error).toBe('invalid_request');
    expect((await exchange(flow, { code: undefined })).body.error).toBe('invalid_request');
  });

  it('code_verifier without a code_challenge → invalid_grant (PKCE downgrade, RFC 9700 §2.1.1)', async () => {
    const flow = await obtainCode(app, { pkce: false });
    expect((await exchange(flow, { code_verifier: oauth.generateRandomCodeVerifier() })).body.error).toBe('invalid_grant');
    expect((await exchange(flow)).status).toBe(200); // without PKCE it works
  });

  it('codes expire after 10 minutes', async () => {
    const flow = await obtainCode();
    await client.control('POST', '/clock', { advance_s: 601 });
    const result = await exchange(flow);
    expect(result.body).toMatchObject({ error: 'invalid_grant', error_description: 'Authorization code expired' });
  });

  it("another client's code → invalid_grant", async () => {
    const other = await client.createApp({ redirect_uris: [REDIRECT] });
    const flow = await obtainCode();
    const result = await exchange(flow, {}, other);
    expect(result.body.error).toBe('invalid_grant');
    expect((await exchange(flow)).status).toBe(200);
  });

  it('an app without the refresh_token grant gets no refresh token', async () => {
    const noRefresh = await client.createApp({ redirect_uris: [REDIRECT], grant_types: ['authorization_code'] });
    const flow = await obtainCode(noRefresh);
    const result = await exchange(flow, {}, noRefresh);
    expect(result.status).toBe(200);
    expect(result.body.refresh_token).toBeUndefined();
  });

  it('auth-code tokens are for the consenting business', async () => {
    const businessId = '11111111-2222-4333-8444-555555555555';
    await client.control('POST', '/seed', { business_id: businessId, transactions: 5 });
    await client.control('POST', '/consent', { decision: 'approve', business_id: businessId });
    const response = await client.authorize('sandbox', { response_type: 'code', client_id: app.client_id, redirect_uri: REDIRECT, scope: 'business:read', state: 's' });
    const result = await client.tokenRequest(app, { grant_type: 'authorization_code', code: redirectParams(response).get('code')!, redirect_uri: REDIRECT });
    expect((await client.api('sandbox', '/business', result.body.access_token)).body.id).toBe(businessId);
  });
});

describe('client_credentials grant rules', () => {
  it('tokens are for the app\'s business', async () => {
    const token = await client.clientCredentialsToken(app, 'business:read');
    expect((await client.api('sandbox', '/business', token)).body.id).toBe(emulator.demoBusinessId);
  });

  it('scope is required → invalid_request', async () => {
    expect((await client.tokenRequest(app, { grant_type: 'client_credentials' })).body.error).toBe('invalid_request');
  });

  it('scope outside the app → invalid_scope; with ungranted_scope=subset the granted subset is minted', async () => {
    const rejected = await client.tokenRequest(app, { grant_type: 'client_credentials', scope: 'transactions:read bills:read' });
    expect(rejected.status).toBe(400);
    expect(rejected.body.error).toBe('invalid_scope');
    await client.faults({ ungranted_scope: 'subset' });
    const subset = await client.tokenRequest(app, { grant_type: 'client_credentials', scope: 'transactions:read bills:read' });
    expect(subset.body.scope).toBe('transactions:read');
  });

  it('include_scope=false omits scope (observed sandbox response)', async () => {
    await client.faults({ include_scope: false });
    const result = await client.tokenRequest(app, { grant_type: 'client_credentials', scope: 'transactions:read' });
    expect(result.status).toBe(200);
    expect(result.body).not.toHaveProperty('scope');
  });
});

describe('request and client-authentication errors', () => {
  it('missing grant_type → invalid_request; unknown → unsupported_grant_type', async () => {
    expect((await client.tokenRequest(app, {})).body.error).toBe('invalid_request');
    expect((await client.tokenRequest(app, { grant_type: 'password', username: 'a', password: 'b' })).body.error).toBe('unsupported_grant_type');
  });

  it('a grant not enabled for the app → unauthorized_client', async () => {
    const codeOnly = await client.createApp({ redirect_uris: [REDIRECT], grant_types: ['authorization_code'] });
    const result = await client.tokenRequest(codeOnly, { grant_type: 'client_credentials', scope: 'transactions:read' });
    expect(result.body.error).toBe('unauthorized_client');
    const refresh = await client.tokenRequest(codeOnly, { grant_type: 'refresh_token', refresh_token: 'ramp_tok_x' });
    expect(refresh.body.error).toBe('unauthorized_client');
  });

  it.each([
    ['wrong secret', basicAuth('x', 'y')],
    ['no credentials', null],
    ['malformed base64', 'Basic %%%'],
    ['no colon', `Basic ${Buffer.from('justanid').toString('base64')}`],
    ['bearer instead of basic', 'Bearer abc'],
  ])('%s → 401 invalid_client with WWW-Authenticate: Basic', async (_name, authorization) => {
    const result = await client.tokenRequest(app, { grant_type: 'client_credentials', scope: 'transactions:read' }, { authorization });
    expect(result.status).toBe(401);
    expect(result.body.error).toBe('invalid_client');
    expect(result.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(result.headers.get('cache-control')).toBe('no-store');
  });

  it('body credentials are rejected unless body_client_auth is on; never together with Basic', async () => {
    const form = { grant_type: 'client_credentials', scope: 'transactions:read', client_id: app.client_id, client_secret: app.client_secret };
    expect((await client.tokenRequest(app, form, { authorization: null })).body.error).toBe('invalid_client');
    await client.faults({ body_client_auth: true });
    expect((await client.tokenRequest(app, form, { authorization: null })).status).toBe(200);
    expect((await client.tokenRequest(app, form)).body.error).toBe('invalid_request');
  });

  it('a repeated parameter → invalid_request (RFC 6749 §3.2)', async () => {
    const body = 'grant_type=client_credentials&scope=transactions:read&scope=business:read';
    expect((await client.tokenRequest(app, {}, { body })).body.error).toBe('invalid_request');
  });

  it('unsupported content types and unparseable JSON → invalid_request', async () => {
    expect((await client.tokenRequest(app, {}, { contentType: 'text/plain', body: 'grant_type=client_credentials' })).body.error).toBe('invalid_request');
    const broken = await client.tokenRequest(app, {}, { contentType: 'application/json', body: '{"grant_type":' });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toBe('invalid_request');
  });

  it('JSON bodies are accepted unless json_body is false', async () => {
    const body = JSON.stringify({ grant_type: 'client_credentials', scope: 'transactions:read' });
    expect((await client.tokenRequest(app, {}, { contentType: 'application/json', body })).status).toBe(200);
    await client.faults({ json_body: false });
    expect((await client.tokenRequest(app, {}, { contentType: 'application/json', body })).body.error).toBe('invalid_request');
  });

  it('counts token errors by code in stats', async () => {
    await client.control('DELETE', '/stats');
    await client.tokenRequest(app, { grant_type: 'client_credentials', scope: 'x:read' });
    await client.tokenRequest(app, { grant_type: 'client_credentials', scope: 'transactions:read' }, { authorization: null });
    const stats = await client.stats();
    expect(stats.token_errors).toEqual({ invalid_scope: 1, invalid_client: 1 });
  });
});

describe('token lifetimes', () => {
  it('an expired access token → 401 DEVELOPER_7028; client-credentials tokens live 10 days', async () => {
    const flow = await obtainCode();
    const codeTokens = await client.tokenRequest(app, { grant_type: 'authorization_code', code: flow.code, redirect_uri: REDIRECT, code_verifier: flow.verifier! });
    const ccToken = await client.clientCredentialsToken(app, 'business:read');
    await client.control('POST', '/clock', { advance_s: 3601 });
    const expired = await client.api('sandbox', '/business', codeTokens.body.access_token);
    expect(expired.status).toBe(401);
    expect(expired.body.error_v2.error_code).toBe('DEVELOPER_7028');
    expect((await client.api('sandbox', '/business', ccToken)).status).toBe(200);
    await client.control('POST', '/clock', { advance_s: 864_000 });
    expect((await client.api('sandbox', '/business', ccToken)).body.error_v2.error_code).toBe('DEVELOPER_7028');
  });

  it('access_token_ttl_s is configurable per app', async () => {
    const shortLived = await client.createApp({ redirect_uris: [REDIRECT], access_token_ttl_s: 120 });
    const flow = await obtainCode(shortLived);
    const result = await client.tokenRequest(shortLived, { grant_type: 'authorization_code', code: flow.code, redirect_uri: REDIRECT, code_verifier: flow.verifier! });
    expect(result.body.expires_in).toBe(120);
  });

  it('startEmulator options change the default lifetimes', async () => {
    const custom = await startEmulator({ port: 0, accessTokenTtlS: 60, clientCredentialsTtlS: 600 });
    try {
      const customClient = new EmulatorClient(custom);
      const result = await customClient.tokenRequest(
        { ...custom.defaultApp, environment: 'sandbox' },
        { grant_type: 'client_credentials', scope: 'transactions:read' },
      );
      expect(result.body.expires_in).toBe(600);
    } finally {
      await custom.close();
    }
  });
});
