/**
 * `GET /metrics` after real traffic against the emulator, both dialects: a connect with credentials, a
 * token refresh, proxied calls, a 429 from the emulator's rate-limit fault, a sync, webhooks delivered
 * to a local receiver. The counters moved
 * by what happened, the database gauges show the connection, and no secret, token or id appears.
 * Protection: without METRICS_TOKEN the route does not exist; with it, only the bearer token opens it.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { endpointTemplate } from '../../src/ramp/endpoint-template.ts';
import { emulatorControl, type EmulatorApp } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';

const METRICS_TOKEN = 'metrics-test-token-0123456789abcdef';

/** Prometheus text → samples. */
function parse(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `where`. */
function total(text: string, name: string, where: Record<string, string> = {}): number {
  return parse(text)
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe('metrics: the endpoint template of a Ramp URL', () => {
  it('names the template, never the id or the query; unknown paths are "other"', () => {
    const base = 'http://127.0.0.1:1/sandbox/developer/v1';
    expect(endpointTemplate(new URL(`${base}/transactions?page_size=100&start=abc`))).toBe('/transactions');
    expect(endpointTemplate(new URL(`${base}/transactions/5e2c1d2a-7c4b-4a57-9d0e-3f1f0c9b8a11`))).toBe('/transactions/{transaction_id}');
    expect(endpointTemplate(new URL(`${base}/cards/deferred/physical`))).toBe('/cards/deferred/physical');
    expect(endpointTemplate(new URL(`${base}/cards/abc/deferred/suspension`))).toBe('/cards/{card_id}/deferred/suspension');
    expect(endpointTemplate(new URL('https://api.ramp.com/developer/v1/business'))).toBe('/business');
    expect(endpointTemplate(new URL(`${base}/secret-tenant-path/123`))).toBe('other');
    expect(endpointTemplate(new URL(`${base}/transactions/a/b/c`))).toBe('other');
  });

  it('METRICS_TOKEN must be long enough', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(loadConfig({}).metricsToken).toBeUndefined();
  });
});

describe('metrics: off unless METRICS_TOKEN is set', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ dialect: 'sqlite' });
  });
  afterAll(async () => t?.close());

  it('answers 404 like an unknown path', async () => {
    const res = await request(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Not Found', code: 'route_not_found' });
  });
});

for (const dialect of DIALECTS) {
  describe(`${dialect}: /metrics after real traffic`, () => {
    let t: TestServer;
    let owner: Tenant;
    let app: EmulatorApp;
    let receiver: Server;
    let receiverUrl: string;
    const scrape = async () => {
      const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.text();
    };

    // Ramp's rate windows on a clock the test can hold still: two calls then meet one window whatever
    // the time between them on a busy machine.
    let heldAt: number | null = null;
    let skippedMs = 0;
    const rampClock = () => (heldAt ?? performance.now()) + skippedMs;
    let emulator: RunningEmulator;

    beforeAll(async () => {
      emulator = await startEmulator({ port: 0, rateLimitClock: rampClock });
      t = await startTestServer({ dialect, env: { METRICS_TOKEN }, emulator });
      owner = await createTenant(t.server.ctx.db, 'owner');
      app = await emulatorControl(t.emulator.url).createApp({ grant_types: ['client_credentials'] });
      receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const address = receiver.address();
      receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    });
    afterAll(async () => {
      await t?.close();
      await emulator?.close();
      await new Promise((resolve) => receiver?.close(resolve));
    });

    it('refuses a missing or wrong token with 401, never the figures', async () => {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-0123456789abcdef' }, { authorization: METRICS_TOKEN }, { authorization: `Basic ${METRICS_TOKEN}` }]) {
        const res = await request(`${t.url}/metrics`, { headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(res.text).not.toContain('ramp_connect_');
      }
    });

    it('counts a connect, a refresh, proxied calls, a 429 and a sync; no secret or id in the output', async () => {
      const emu = emulatorControl(t.emulator.url);
      const before = await scrape();
      const webhook = await request(`${t.url}/api/v1/webhooks`, { method: 'POST', headers: owner.headers, json: { url: receiverUrl } });
      expect(webhook.status).toBe(201);

      const connected = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: owner.headers, json: { client_id: app.client_id, client_secret: app.client_secret } });
      expect(connected.status).toBe(201);

      // A lapsed access token: the next proxied call refreshes first (client credentials re-issued).
      await t.server.ctx.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1 }).where('business_id', '=', owner.businessId).execute();
      expect((await request(`${t.url}/api/v1/ramp/proxy/business`, { headers: owner.headers })).status).toBe(200);

      // Ramp allows one call per second now, and its clock stands still: the second call meets a 429;
      // once it has, a second passes for Ramp, and the call, having waited out Retry-After, succeeds.
      await emu.faults({ rate_limit: { limit: 1, window_s: 1 } });
      heldAt = performance.now();
      const pending = Promise.all([1, 2].map(() => request(`${t.url}/api/v1/ramp/proxy/transactions?page_size=2`, { headers: owner.headers })));
      await expect.poll(async () => (await emu.stats()).rate_limited, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
      skippedMs += heldAt + 2_000 - performance.now();
      heldAt = null;
      const calls = await pending;
      expect(calls.map((c) => c.status)).toEqual([200, 200]);
      await emu.faults({ reset: true });
      expect((await emu.stats()).rate_limited).toBeGreaterThanOrEqual(1);

      const sync = await request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: owner.headers });
      expect(sync.status).toBe(202);
      let finished: { status: string } | undefined;
      for (let i = 0; i < 1200 && !finished; i++) {
        const res = await request(`${t.url}/api/v1/ramp/syncs/${sync.body.sync_id}`, { headers: owner.headers });
        if (res.body.status === 'completed' || res.body.status === 'failed') finished = res.body;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(finished?.status).toBe('completed');

      // connection.created and sync.completed reach the receiver (the worker delivers in the background).
      let after = await scrape();
      for (let i = 0; i < 600 && total(after, 'ramp_connect_webhook_deliveries_total', { outcome: 'delivered' }) - total(before, 'ramp_connect_webhook_deliveries_total', { outcome: 'delivered' }) < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        after = await scrape();
      }
      const moved = (name: string, where: Record<string, string> = {}) => total(after, name, where) - total(before, name, where);
      // The refresh: client credentials re-issued at Ramp (the connect itself is not a refresh).
      expect(moved('ramp_connect_token_refreshes_total', { grant: 'client_credentials', outcome: 'success' })).toBeGreaterThanOrEqual(1);
      expect(moved('ramp_connect_token_refresh_duration_seconds_count', { grant: 'client_credentials' })).toBeGreaterThanOrEqual(1);
      // Proxied calls by template and status; the 429 seen and counted.
      expect(moved('ramp_connect_ramp_requests_total', { method: 'GET', endpoint: '/business', status: '200' })).toBeGreaterThanOrEqual(1);
      expect(moved('ramp_connect_ramp_requests_total', { method: 'GET', endpoint: '/transactions', status: '200' })).toBeGreaterThanOrEqual(2);
      expect(moved('ramp_connect_ramp_requests_total', { endpoint: '/transactions', status: '429' })).toBeGreaterThanOrEqual(1);
      expect(moved('ramp_connect_ramp_rate_limited_total', { endpoint: '/transactions' })).toBeGreaterThanOrEqual(1);
      expect(moved('ramp_connect_ramp_request_duration_seconds_count', { method: 'GET', endpoint: '/transactions' })).toBeGreaterThanOrEqual(3);
      expect(moved('ramp_connect_ramp_limiter_wait_seconds_count')).toBeGreaterThanOrEqual(3);
      // The sync.
      expect(moved('ramp_connect_syncs_total', { trigger: 'manual', status: 'completed' })).toBe(1);
      expect(moved('ramp_connect_sync_duration_seconds_count', { trigger: 'manual', status: 'completed' })).toBe(1);
      expect(moved('ramp_connect_sync_queue_lag_seconds_count', { trigger: 'manual' })).toBe(1);
      expect(moved('ramp_connect_sync_records_total', { resource: 'transactions' })).toBeGreaterThan(0);
      expect(moved('ramp_connect_webhook_deliveries_total', { outcome: 'delivered' })).toBeGreaterThanOrEqual(2);
      expect(moved('ramp_connect_webhook_delivery_duration_seconds_count')).toBeGreaterThanOrEqual(2);
      // Database gauges.
      expect(total(after, 'ramp_connect_metrics_db_up')).toBe(1);
      expect(total(after, 'ramp_connect_connections', { status: 'connected' })).toBe(1);
      expect(total(after, 'ramp_connect_connections', { status: 'needs_reauth' })).toBe(0);
      expect(parse(after).some((s) => s.name === 'ramp_connect_webhook_backlog')).toBe(true);
      expect(parse(after).some((s) => s.name === 'ramp_connect_db_pool_connections')).toBe(dialect === 'postgres');

      // Nothing that identifies a tenant or opens anything.
      const row = await t.server.ctx.db.kysely.selectFrom('ramp_connections').select(['id']).where('business_id', '=', owner.businessId).executeTakeFirstOrThrow();
      for (const secret of [owner.businessId, owner.userId, owner.token, owner.tokenId, row.id, app.client_id, app.client_secret, app.business_id, webhook.body.id, webhook.body.secret, receiverUrl, METRICS_TOKEN]) {
        expect(secret).toEqual(expect.any(String));
        expect(after).not.toContain(secret);
      }
      expect(after).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
      expect(after).not.toMatch(/ramp_tok_|dz_[A-Za-z0-9]/);
      for (const sample of parse(after)) {
        for (const value of Object.values(sample.labels)) expect(value, `${sample.name} ${JSON.stringify(sample.labels)}`).toMatch(/^[A-Za-z0-9_./{}+-]{0,60}$/);
      }
    });

    it('counts a refresh Ramp refuses and the connection it leaves needs_reauth', async () => {
      const before = await scrape();
      // The app's secret is rotated at Ramp: the stored one no longer gets a token.
      await emulatorControl(t.emulator.url).rotateSecret(app.client_id);
      await t.server.ctx.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1 }).where('business_id', '=', owner.businessId).execute();
      expect((await request(`${t.url}/api/v1/ramp/proxy/business`, { headers: owner.headers })).status).toBe(409);
      const after = await scrape();
      const moved = (name: string, where: Record<string, string> = {}) => total(after, name, where) - total(before, name, where);
      expect(moved('ramp_connect_token_refreshes_total', { grant: 'client_credentials', outcome: 'invalid_client' })).toBe(1);
      expect(moved('ramp_connect_connections_needs_reauth_total', { reason: 'invalid_client' })).toBe(1);
      expect(total(after, 'ramp_connect_connections', { status: 'connected' })).toBe(0);
      expect(total(after, 'ramp_connect_connections', { status: 'needs_reauth' })).toBe(1);
    });
  });
}
