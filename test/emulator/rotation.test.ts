/**
 * Conformance: refresh-token rotation modes, family revocation (RFC 9700 §4.14.2), revocation
 * (RFC 7009), client-secret rotation, environment isolation (Ramp B1) and `/__emulator/grants`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient, basicAuth, redirectParams, sha256Hex, type AppCredentials, type Environment } from './helpers.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
let emulator: RunningEmulator;
let client: EmulatorClient;
let app: AppCredentials;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new EmulatorClient(emulator);
  app = await client.createApp({ redirect_uris: [REDIRECT] });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  await client.faults({ reset: true });
  await client.control('POST', '/clock', { reset: true });
});

interface Pair {
  access_token: string;
  refresh_token: string;
}

async function connect(target: AppCredentials = app, environment: Environment = target.environment): Promise<Pair> {
  await client.control('POST', '/consent', { decision: 'approve' });
  const response = await client.authorize(environment, { response_type: 'code', client_id: target.client_id, redirect_uri: REDIRECT, scope: 'transactions:read business:read', state: 's' });
  const result = await client.tokenRequest(target, { grant_type: 'authorization_code', code: redirectParams(response).get('code')!, redirect_uri: REDIRECT });
  expect(result.status).toBe(200);
  return result.body as Pair;
}

const refresh = (refreshToken: string, target: AppCredentials = app, extra: Record<string, string> = {}) =>
  client.tokenRequest(target, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });

const RAMP_NOT_FOUND = {
  error_v2: { additional_info: {}, notes: '', error_code: 'DEVELOPER_7002', message: 'Refresh token with given refresh_token not found' },
  error: { message: 'Refresh token with given refresh_token not found', details: {} },
};

describe('rotation: strict (default)', () => {
  it('rotates on every refresh; reusing a rotated token revokes the whole family', async () => {
    await client.control('DELETE', '/stats');
    const initial = await connect();
    const first = await refresh(initial.refresh_token);
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(initial.refresh_token);
    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);

    const reuse = await refresh(initial.refresh_token);
    expect(reuse.status).toBe(401);
    expect(reuse.body).toMatchObject(RAMP_NOT_FOUND);
    expect(reuse.body.error_v2.error_id).toEqual(expect.any(String));

    // The family is gone: the newest refresh token and every access token.
    expect((await refresh(second.body.refresh_token)).status).toBe(401);
    for (const accessToken of [initial.access_token, first.body.access_token, second.body.access_token]) {
      expect((await client.api('sandbox', '/business', accessToken)).status).toBe(401);
    }
    const stats = await client.stats();
    expect(stats.grants.refresh_token).toBe(2);
    expect(stats.refresh_reuse_detected).toBe(1);
    expect(stats.token_errors.invalid_grant).toBe(2);
  });

  it('refresh_error_style=rfc answers 400 invalid_grant instead of the Ramp envelope', async () => {
    await client.faults({ refresh_error_style: 'rfc' });
    const result = await refresh('ramp_tok_unknown');
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: 'invalid_grant', error_description: 'Refresh token with given refresh_token not found' });
  });

  it('reuse=reject fails the reused token but leaves the family alive', async () => {
    await client.faults({ reuse: 'reject' });
    const initial = await connect();
    const first = await refresh(initial.refresh_token);
    expect((await refresh(initial.refresh_token)).status).toBe(401);
    expect((await refresh(first.body.refresh_token)).status).toBe(200);
  });

  it('a narrower scope may be requested; a wider one is invalid_scope (RFC 6749 §6)', async () => {
    const initial = await connect();
    const narrower = await refresh(initial.refresh_token, app, { scope: 'business:read' });
    expect(narrower.body.scope).toBe('business:read');
    const wider = await refresh(narrower.body.refresh_token, app, { scope: 'business:read users:read' });
    expect(wider.body.error).toBe('invalid_scope');
  });

  it("another client's refresh token is not found", async () => {
    const other = await client.createApp({ redirect_uris: [REDIRECT] });
    const initial = await connect();
    expect((await refresh(initial.refresh_token, other)).status).toBe(401);
    expect((await refresh(initial.refresh_token)).status).toBe(200);
  });
});

describe('rotation: grace', () => {
  it('a rotated token within grace_s gets the same new pair; after grace it is reuse', async () => {
    await client.faults({ rotation: 'grace', grace_s: 30 });
    await client.control('DELETE', '/stats');
    const initial = await connect();
    const first = await refresh(initial.refresh_token);
    const retry = await refresh(initial.refresh_token);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect((await client.stats()).refresh_grace_replays).toBe(1);

    await client.control('POST', '/clock', { advance_s: 31 });
    const late = await refresh(initial.refresh_token);
    expect(late.status).toBe(401);
    expect((await refresh(first.body.refresh_token)).status).toBe(401); // family revoked
  });

  it('grace_s=0 behaves like strict', async () => {
    await client.faults({ rotation: 'grace', grace_s: 0 });
    const initial = await connect();
    await refresh(initial.refresh_token);
    await client.control('POST', '/clock', { advance_s: 1 });
    expect((await refresh(initial.refresh_token)).status).toBe(401);
  });
});

describe('rotation: off', () => {
  it('the refresh token never changes and stays usable', async () => {
    await client.faults({ rotation: 'off' });
    const initial = await connect();
    for (let i = 0; i < 3; i++) {
      const result = await refresh(initial.refresh_token);
      expect(result.status).toBe(200);
      expect(result.body.refresh_token).toBe(initial.refresh_token);
      expect(result.body.access_token).not.toBe(initial.access_token);
    }
  });
});

describe('rotation: off_omit', () => {
  it('the refresh answer carries no refresh token, and the one held stays usable', async () => {
    await client.faults({ rotation: 'off_omit' });
    const initial = await connect();
    for (let i = 0; i < 2; i++) {
      const result = await refresh(initial.refresh_token);
      expect(result.status).toBe(200);
      expect(result.body).not.toHaveProperty('refresh_token');
      expect(result.body.access_token).not.toBe(initial.access_token);
    }
  });
});

describe('grants endpoint', () => {
  it('reports the sha256 of the current refresh token, never the token', async () => {
    const initial = await connect();
    const first = await refresh(initial.refresh_token);
    const { body } = await client.control<any[]>('GET', `/grants?business_id=${emulator.demoBusinessId}&client_id=${encodeURIComponent(app.client_id)}`);
    const serialized = JSON.stringify(body);
    expect(serialized).not.toContain(first.body.refresh_token);
    expect(serialized).not.toContain(initial.refresh_token);
    const expected = await sha256Hex(first.body.refresh_token);
    const matching = body.filter((grant) => grant.current_refresh_token_sha256 === expected);
    expect(matching).toHaveLength(1);
    expect(matching[0]).toMatchObject({ client_id: app.client_id, business_id: emulator.demoBusinessId, revoked: false, rotations: 1 });
    expect(body.every((grant) => /^[0-9a-f]{64}$/.test(grant.current_refresh_token_sha256))).toBe(true);
  });

  it('POST /grants/revoke revokes a business\'s grants', async () => {
    const initial = await connect();
    const { body } = await client.control('POST', '/grants/revoke', { client_id: app.client_id });
    expect(body.revoked_families).toBeGreaterThanOrEqual(1);
    expect((await refresh(initial.refresh_token)).status).toBe(401);
    expect((await client.api('sandbox', '/business', initial.access_token)).status).toBe(401);
  });

  it('faults {revoke_all: true} revokes every token now', async () => {
    const initial = await connect();
    const cc = await client.clientCredentialsToken(app, 'business:read');
    await client.faults({ revoke_all: true });
    expect((await client.api('sandbox', '/business', cc)).status).toBe(401);
    expect((await refresh(initial.refresh_token)).status).toBe(401);
    expect((await client.control<any[]>('GET', '/grants')).body.every((grant) => grant.revoked)).toBe(true);
  });
});

describe('revocation endpoint (RFC 7009)', () => {
  const revoke = (form: Record<string, string>, authorization?: string | null, environment: Environment = 'sandbox') =>
    fetch(`${emulator.url}${environment === 'sandbox' ? '/sandbox' : ''}/developer/v1/token/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization === null ? {} : { authorization: authorization ?? basicAuth(app.client_id, app.client_secret) }) },
      body: new URLSearchParams(form).toString(),
    });

  it('revoking an access token kills only that token', async () => {
    const initial = await connect();
    const response = await revoke({ token: initial.access_token, token_type_hint: 'access_token' });
    expect(response.status).toBe(200);
    expect((await client.api('sandbox', '/business', initial.access_token)).status).toBe(401);
    expect((await refresh(initial.refresh_token)).status).toBe(200);
  });

  it('revoking a refresh token revokes its family', async () => {
    const initial = await connect();
    expect((await revoke({ token: initial.refresh_token })).status).toBe(200);
    expect((await client.api('sandbox', '/business', initial.access_token)).status).toBe(401);
    expect((await refresh(initial.refresh_token)).status).toBe(401);
  });

  it('unknown tokens and unknown hints → 200; missing token → invalid_request; no client auth → invalid_client', async () => {
    expect((await revoke({ token: 'ramp_tok_nope', token_type_hint: 'weird' })).status).toBe(200);
    const missing = await revoke({});
    expect(missing.status).toBe(400);
    expect((await missing.json()).error).toBe('invalid_request');
    const unauthenticated = await revoke({ token: 'x' }, null);
    expect(unauthenticated.status).toBe(401);
    expect((await unauthenticated.json()).error).toBe('invalid_client');
  });

  it("another client cannot revoke a token (answered 200, token untouched)", async () => {
    const other = await client.createApp({ redirect_uris: [REDIRECT] });
    const initial = await connect();
    expect((await revoke({ token: initial.refresh_token }, basicAuth(other.client_id, other.client_secret))).status).toBe(200);
    expect((await refresh(initial.refresh_token)).status).toBe(200);
  });

  it('503 with Retry-After can be injected on revoke only (fail_next + paths)', async () => {
    await client.faults({ fail_next: 1, status: 503, retry_after_s: 2, paths: ['/sandbox/developer/v1/token/revoke'] });
    const tokenStillWorks = await client.clientCredentialsToken(app, 'business:read');
    const first = await revoke({ token: tokenStillWorks });
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('2');
    expect((await revoke({ token: tokenStillWorks })).status).toBe(200);
  });
});

describe('client secret rotation', () => {
  it('invalidates the old secret and every token of the app', async () => {
    const rotating = await client.createApp({ redirect_uris: [REDIRECT] });
    const initial = await connect(rotating);
    const cc = await client.clientCredentialsToken(rotating, 'business:read');
    const { status, body } = await client.control('POST', `/apps/${encodeURIComponent(rotating.client_id)}/rotate-secret`);
    expect(status).toBe(200);
    expect(body.client_secret).not.toBe(rotating.client_secret);
    const oldSecret = await client.tokenRequest(rotating, { grant_type: 'client_credentials', scope: 'business:read' });
    expect(oldSecret.body.error).toBe('invalid_client');
    const renewed = { ...rotating, client_secret: body.client_secret as string };
    expect((await refresh(initial.refresh_token, renewed)).status).toBe(401);
    expect((await client.api('sandbox', '/business', cc)).status).toBe(401);
    expect((await client.api('sandbox', '/business', initial.access_token)).status).toBe(401);
    expect((await client.tokenRequest(renewed, { grant_type: 'client_credentials', scope: 'business:read' })).status).toBe(200);
  });
});

describe('environment isolation (Ramp B1)', () => {
  it('production apps and tokens work only at the root; sandbox ones only under /sandbox', async () => {
    const production = await client.createApp({ redirect_uris: [REDIRECT], environment: 'production' });
    const productionToken = await client.clientCredentialsToken(production, 'business:read');
    const sandboxToken = await client.clientCredentialsToken(app, 'business:read');

    expect((await client.api('production', '/business', productionToken)).status).toBe(200);
    expect((await client.api('sandbox', '/business', productionToken)).status).toBe(401);
    expect((await client.api('production', '/business', sandboxToken)).status).toBe(401);

    const crossed = await client.tokenRequest({ ...production, environment: 'sandbox' }, { grant_type: 'client_credentials', scope: 'business:read' });
    expect(crossed.body.error).toBe('invalid_client');

    const productionPair = await connect(production, 'production');
    expect((await client.tokenRequest({ ...production, environment: 'sandbox' }, { grant_type: 'refresh_token', refresh_token: productionPair.refresh_token })).status).toBe(401);
    expect((await refresh(productionPair.refresh_token, production)).status).toBe(200);
  });

  it('stats keys carry the /sandbox prefix when used', async () => {
    await client.control('DELETE', '/stats');
    const production = await client.createApp({ redirect_uris: [REDIRECT], environment: 'production' });
    await client.clientCredentialsToken(production, 'business:read');
    await client.clientCredentialsToken(app, 'business:read');
    const stats = await client.stats();
    expect(stats.endpoints['POST /developer/v1/token']).toBe(1);
    expect(stats.endpoints['POST /sandbox/developer/v1/token']).toBe(1);
  });
});
