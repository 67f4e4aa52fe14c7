/**
 * Canary secrets (docs/guarantees.md#g11): plant distinctive client secrets, run every
 * connect flow (success and failure paths, OAuth redirect, status, 422s of JSON and text bodies, disconnect), a refresh made by
 * a proxied call, a sync and an outbound webhook endpoint, then grep every
 * log line, every response and the database files for them and for the Ramp tokens that were issued
 * → 0 plaintext hits. The database may hold only ciphertext.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionStore } from '../../src/connections/connection-store.ts';
import { parseKeyRing, staticKeyRing } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request, type JsonResponse } from '../helpers/http.ts';
import { TestBrowser } from '../helpers/test-browser.ts';
import { TEST_ENCRYPTION_KEYS, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { DEFAULT_SYNC_SCOPES } from '../helpers/cc-token-provider.ts';

describe('canary: no secret in logs, responses or the database file', () => {
  let t: TestServer;
  let owner: Tenant;
  const responses: JsonResponse[] = [];
  const canarySecret = `CANARY-SECRET-${randomBytes(8).toString('hex')}:+%/=`;
  const canaryWrong = `CANARY-WRONG-${randomBytes(8).toString('hex')}`;
  const issued = new Set<string>();
  /** The state travels to the browser in connect_url by design; it must still stay out of logs and the database. */
  let state = '';
  let webhookSecret = '';
  let rampWebhookSecret = '';
  beforeAll(async () => {
    t = await startTestServer({ dialect: 'sqlite', env: { RAMP_WEBHOOK_SUBSCRIBE: 'on' } });
    owner = await createTenant(t.server.ctx.db, 'owner');
  });
  afterAll(async () => t.close());

  const call = async (path: string, init: Parameters<typeof request>[1] = {}) => {
    const res = await request(`${t.url}${path}`, { ...init, headers: { ...owner.headers, ...(init.headers as Record<string, string>) } });
    responses.push(res);
    return res;
  };
  const store = () => new ConnectionStore(t.server.ctx.db, new Vault(staticKeyRing(parseKeyRing(TEST_ENCRYPTION_KEYS))), Date.now);
  const collectIssuedTokens = async () => {
    for (const row of await t.server.ctx.db.kysely.selectFrom('ramp_connections').selectAll().execute()) {
      const secrets = store().open(row);
      for (const v of [secrets.accessToken, secrets.refreshToken, secrets.clientSecret]) if (v) issued.add(v);
    }
  };

  it('runs every flow', async () => {
    const emu = emulatorControl(t.emulator.url);
    const app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: [...DEFAULT_SYNC_SCOPES], client_secret: canarySecret });
    // Failures first: wrong secret, bad bodies (422 echoes inputs), Ramp down.
    expect((await call('/api/v1/ramp/connect-with-credentials', { method: 'POST', json: { client_id: app.client_id, client_secret: canaryWrong } })).status).toBe(400);
    expect((await call('/api/v1/ramp/connect-with-credentials', { method: 'POST', json: { client_secret: canarySecret } })).status).toBe(422);
    expect((await call('/api/v1/ramp/connect-with-credentials', { method: 'POST', json: { client_id: 7, client_secret: canarySecret, environment: 'x' } })).status).toBe(422);
    // Bodies not sent as JSON: the 422's input is the whole text (a form, or JSON labelled text/plain).
    const formBody = `client_id=${app.client_id}&client_secret=${canarySecret}`;
    expect((await call('/api/v1/ramp/connect-with-credentials', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: formBody })).status).toBe(422);
    expect((await call('/api/v1/ramp/connect-with-credentials', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ client_id: app.client_id, client_secret: canarySecret }) })).status).toBe(422);
    expect((await call('/api/v1/ramp/connect-with-credentials', { method: 'POST', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ client_secret: canarySecret }) })).status).toBe(422);
    await emu.faults({ error_rate: 1, paths: ['/sandbox/developer/v1/token'] });
    expect((await call('/api/v1/ramp/connect-with-credentials', { method: 'POST', json: { client_id: app.client_id, client_secret: canarySecret } })).status).toBe(502);
    await emu.faults({ reset: true });
    // Success, status, duplicate, disconnect.
    expect((await call('/api/v1/ramp/connect-with-credentials', { method: 'POST', json: { client_id: app.client_id, client_secret: canarySecret } })).status).toBe(201);
    await collectIssuedTokens();
    expect((await call('/api/v1/ramp/status')).status).toBe(200);
    expect((await call('/api/v1/ramp/connect-with-credentials', { method: 'POST', json: { client_id: app.client_id, client_secret: canarySecret } })).status).toBe(409);
    expect((await call('/api/v1/ramp/connection', { method: 'DELETE' })).status).toBe(204);

    // OAuth redirect flow: state, code and tokens travel through URLs and the token endpoint.
    const start = await call('/api/v1/ramp/connect-url');
    await emu.consent({ decision: 'approve', role: 'admin' });
    const browser = new TestBrowser();
    const authorize = await browser.openConnectUrl(start.body.connect_url);
    const callback = authorize.headers.get('location')!;
    const cb = new URL(callback);
    issued.add(cb.searchParams.get('code')!);
    state = cb.searchParams.get('state')!;
    responses.push(await request(callback, { headers: { cookie: browser.cookieHeader(cb.hostname)! } }));
    await collectIssuedTokens();
    expect(issued.size).toBeGreaterThanOrEqual(4);

    // A refresh (the access token lapsed on our side) made by a proxied call, then a sync.
    // The webhook subscription job also calls Ramp, so a token it just used may still be in the
    // manager's hot cache (1 s): proxied calls repeat until one refreshes.
    await t.server.ctx.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1 }).where('business_id', '=', owner.businessId).execute();
    await expect
      .poll(async () => {
        expect((await call('/api/v1/ramp/proxy/business')).status).toBe(200);
        await collectIssuedTokens();
        return issued.size;
      }, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(6);
    const sync = await call('/api/v1/ramp/sync', { method: 'POST', json: {} });
    expect(sync.status).toBe(202);
    await expect.poll(async () => (await call(`/api/v1/ramp/syncs/${sync.body.sync_id}`)).body.status, { timeout: 20_000 }).toBe('completed');

    // The Ramp webhook subscription made at connect: Ramp's `ramp_sec_` secret is stored only sealed,
    // and an event signed with it (and its challenge) flows through the receiver.
    await expect.poll(async () => (await t.server.ctx.db.kysely.selectFrom('ramp_webhook_subscriptions').select('status').where('business_id', '=', owner.businessId).executeTakeFirst())?.status, { timeout: 20_000 }).toBe('active');
    const subscription = await t.server.ctx.db.kysely.selectFrom('ramp_webhook_subscriptions').selectAll().where('business_id', '=', owner.businessId).executeTakeFirstOrThrow();
    rampWebhookSecret = t.server.features.webhooks.subscriptions.openSecret(subscription)!;
    expect(rampWebhookSecret).toMatch(/^ramp_sec_/);
    await request(`${t.emulator.url}/__emulator/mutate`, { method: 'POST', json: { business_id: subscription.ramp_business_id, resource: 'transactions', kind: 'clear', count: 2 } });
    await expect.poll(async () => (await t.server.ctx.db.kysely.selectFrom('ramp_webhook_events').select('processed_at').where('business_id', '=', owner.businessId).execute()).filter((e) => e.processed_at !== null).length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect((await call('/api/v1/ramp/status')).body.webhook.status).toBe('active');

    // An outbound webhook endpoint: its signing secret is shown once, in the 201 body (by design, so that
    // body is kept out of the scan), and must appear nowhere else.
    const hook = await request(`${t.url}/api/v1/webhooks`, { method: 'POST', headers: owner.headers, json: { url: 'http://127.0.0.1:9/hook' } });
    expect(hook.status).toBe(201);
    expect(hook.body.secret).toMatch(/^whsec_/);
    webhookSecret = hook.body.secret;
    expect((await call('/api/v1/webhooks')).status).toBe(200);
    expect((await call('/api/v1/ramp/connection', { method: 'DELETE' })).status).toBe(204);
  });

  it('finds no canary anywhere', async () => {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(t.server.ctx.db.kysely);
    const file = t.database.file!;
    const dbBytes = [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
    const logs = t.logs.join('');
    const bodies = responses.map((r) => `${JSON.stringify(Object.fromEntries(r.headers.entries()))}${r.text}`).join('\n');
    expect(logs.length).toBeGreaterThan(1000);
    expect(webhookSecret).not.toBe('');
    expect(rampWebhookSecret).not.toBe('');
    for (const secret of [canarySecret, canaryWrong, owner.token, webhookSecret, rampWebhookSecret, ...issued]) {
      expect(logs.includes(secret), `log contains ${secret.slice(0, 12)}…`).toBe(false);
      expect(bodies.includes(secret), `response contains ${secret.slice(0, 12)}…`).toBe(false);
      expect(dbBytes.includes(secret), `database contains ${secret.slice(0, 12)}…`).toBe(false);
    }
    expect(logs.includes(state)).toBe(false);
    expect(dbBytes.includes(state)).toBe(false);
  });
});
