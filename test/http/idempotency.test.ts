/**
 * `Idempotency-Key` on connect-with-credentials, sync and mark-synced, both dialects
 * (docs/guarantees.md#g42): the same key and body replay the first answer (status and body) without
 * running again; another body is a 422; concurrent duplicates execute once; the key belongs to one
 * business and API token; an expired key runs again; the stored answer holds no secret.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { DEFAULT_SYNC_SCOPES } from '../helpers/cc-token-provider.ts';

const SCOPES = [...DEFAULT_SYNC_SCOPES];
const INVALID_KEY = { detail: 'Idempotency-Key must be 1 to 255 visible ASCII characters', code: 'invalid_idempotency_key' };

/** Node's client, which sends an array header as repeated lines (fetch would join them itself). */
function sendRaw(method: string, url: string, headers: Record<string, string | string[]>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: Idempotency-Key`, () => {
    let t: TestServer;
    let emu: ReturnType<typeof emulatorControl>;
    let app: { client_id: string; client_secret: string };
    let owner: Tenant;
    beforeAll(async () => {
      t = await startTestServer({ dialect });
      emu = emulatorControl(t.emulator.url);
      app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: SCOPES });
    });
    afterAll(async () => t?.close());
    beforeEach(async () => {
      owner = await createTenant(t.server.ctx.db, 'owner');
    });

    const tokenCalls = async () => (await emu.stats()).endpoints['POST /sandbox/developer/v1/token'] ?? 0;
    const connect = (key: string, body: object, tenant = owner) =>
      request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: { ...tenant.headers, 'idempotency-key': key }, json: body });

    it('connect: the same key and body replay the first 201 without asking Ramp again; the stored answer holds no secret', async () => {
      const body = { client_id: app.client_id, client_secret: app.client_secret };
      const before = await tokenCalls();
      const first = await connect('connect-1', body);
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      // The same body written in another key order is the same request.
      const again = await connect('connect-1', { client_secret: app.client_secret, client_id: app.client_id });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await tokenCalls()).toBe(before + 1);
      // Without a key, the same request is a new one (a 409: the connection exists).
      expect((await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: owner.headers, json: body })).status).toBe(409);

      const stored = await t.server.ctx.db.kysely.selectFrom('idempotency_keys').selectAll().where('business_id', '=', owner.businessId).execute();
      expect(stored).toHaveLength(1);
      expect(JSON.stringify(stored)).not.toContain(app.client_secret);
      const issued = (await emu.stats()).requests.filter((r) => r.grant_type === 'client_credentials');
      expect(issued.length).toBeGreaterThan(0);
      expect(stored[0]!.response_body).not.toMatch(/ramp_tok_|access_token"\s*:\s*"/);
    });

    it('the same key with another body → 422 idempotency_key_reused, nothing run', async () => {
      const first = await connect('connect-2', { client_id: app.client_id, client_secret: 'wrong-secret' });
      expect(first.status).toBe(400);
      const before = await tokenCalls();
      const other = await connect('connect-2', { client_id: app.client_id, client_secret: app.client_secret });
      expect(other.status).toBe(422);
      expect(other.body).toEqual({ detail: [{ type: 'idempotency_key_reused', loc: ['header', 'idempotency-key'], msg: expect.any(String), input: 'connect-2' }] });
      expect(await tokenCalls()).toBe(before);
      // The first answer (a 400) is what the same request gets again.
      const replay = await connect('connect-2', { client_id: app.client_id, client_secret: 'wrong-secret' });
      expect(replay.status).toBe(400);
      expect(replay.body).toEqual(first.body);
      expect(await tokenCalls()).toBe(before);
    });

    it('10 concurrent duplicates execute once: one token call, every 201 the same connection, the rest 409 in progress', async () => {
      const body = { client_id: app.client_id, client_secret: app.client_secret };
      const before = await tokenCalls();
      const answers = await Promise.all(Array.from({ length: 10 }, () => connect('connect-3', body)));
      expect(await tokenCalls()).toBe(before + 1);
      const created = answers.filter((a) => a.status === 201);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
      for (const answer of answers.filter((a) => a.status !== 201)) expect(answer.body.code).toBe('idempotency_key_in_progress');
    });

    it('a key belongs to one API token and lasts 24 hours; a malformed key is a 400', async () => {
      const body = { client_id: app.client_id, client_secret: 'wrong-secret' };
      expect((await connect('connect-4', body)).status).toBe(400);
      const before = await tokenCalls();
      const colleague = await createTenant(t.server.ctx.db, 'admin', { businessId: owner.businessId });
      expect((await connect('connect-4', body, colleague)).headers.get('idempotent-replayed')).toBeNull();
      expect(await tokenCalls()).toBe(before + 1);
      const row = await t.server.ctx.db.kysely.selectFrom('idempotency_keys').select(['created_at', 'expires_at']).where('token_id', '=', owner.tokenId).executeTakeFirstOrThrow();
      expect(Number(row.expires_at) - Number(row.created_at)).toBe(24 * 3600_000);
      await t.server.ctx.db.kysely.updateTable('idempotency_keys').set({ expires_at: Date.now() - 1 }).where('token_id', '=', owner.tokenId).execute();
      expect((await connect('connect-4', body)).headers.get('idempotent-replayed')).toBeNull();
      expect(await tokenCalls()).toBe(before + 2);
      for (const bad of ['', 'x'.repeat(256), 'has space', 'é']) {
        const res = await connect(bad, body);
        expect([res.status, res.body], JSON.stringify(bad)).toEqual([400, INVALID_KEY]);
      }
    });

    it('every route taking Idempotency-Key: a malformed key (empty, 256 long, bad characters, sent twice) is the 400, before validation', async () => {
      const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> };
      const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([, op]) => op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'))
          .map(([method]) => ({ method: method.toUpperCase(), path })),
      );
      expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
        'POST /api/v1/ramp/accounting/chart/backups',
        'POST /api/v1/ramp/accounting/mark-synced',
        'POST /api/v1/ramp/accounting/migrations',
        'POST /api/v1/ramp/connect-with-credentials',
        'POST /api/v1/ramp/sync',
        'PUT /api/v1/ramp/accounting/chart',
      ]);
      const before = await tokenCalls();
      for (const { method, path } of routes) {
        for (const bad of ['', 'x'.repeat(256), 'x'.repeat(1000), 'has space', 'tab\tkey', 'é', 'ключ']) {
          // The body is no valid request for any of them: the key is refused before validation would say so.
          const res = await request(`${t.url}${path}`, { method, headers: { ...owner.headers, 'idempotency-key': Buffer.from(bad).toString('latin1') }, json: { unexpected: true } });
          expect([res.status, res.body], `${method} ${path} ${JSON.stringify(bad).slice(0, 20)}`).toEqual([400, INVALID_KEY]);
        }
        const twice = await sendRaw(method, `${t.url}${path}`, { ...owner.headers, 'content-type': 'application/json', 'idempotency-key': ['dup-1', 'dup-2'] }, '{}');
        expect([twice.status, JSON.parse(twice.text)], `${method} ${path} twice`).toEqual([400, INVALID_KEY]);
        // The longest key allowed passes the check (the body is then what validation answers).
        const longest = await request(`${t.url}${path}`, { method, headers: { ...owner.headers, 'idempotency-key': 'k'.repeat(255) }, json: { unexpected: true } });
        expect(longest.status, `${method} ${path} 255`).not.toBe(400);
        expect(longest.status).toBeLessThan(500);
      }
      // Nothing reached Ramp and no key was stored for a malformed one.
      expect(await tokenCalls()).toBe(before);
      const keys = await t.server.ctx.db.kysely.selectFrom('idempotency_keys').select('idempotency_key').where('business_id', '=', owner.businessId).execute();
      expect(keys.filter((k) => k.idempotency_key !== 'k'.repeat(255))).toEqual([]);
    });

    it('a 5xx is not kept: the same key runs again once Ramp is back', async () => {
      const body = { client_id: app.client_id, client_secret: app.client_secret };
      await emu.faults({ error_rate: 1, paths: ['/sandbox/developer/v1/token'] });
      try {
        const failed = await connect('connect-5', body);
        expect(failed.status).toBe(502);
      } finally {
        await emu.faults({ reset: true });
      }
      const before = await tokenCalls();
      const retried = await connect('connect-5', body);
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
      expect(await tokenCalls()).toBe(before + 1);
    });

    it('sync: a replay returns the first sync_id after it finished, and no second sync is started', async () => {
      // A sync starts only for a connected business (an unconnected one is refused at once).
      expect((await connect('connect-for-sync', { client_id: app.client_id, client_secret: app.client_secret })).status).toBe(201);
      const start = () => request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: { ...owner.headers, 'idempotency-key': 'sync-1' }, json: {} });
      const first = await start();
      expect(first.status).toBe(202);
      await expect
        .poll(async () => (await request(`${t.url}/api/v1/ramp/syncs/${first.body.sync_id}`, { headers: owner.headers })).body.status, { timeout: 20_000 })
        .not.toMatch(/queued|running/);
      const again = await start();
      expect(again.status).toBe(202);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      const syncs = await t.server.ctx.db.kysely.selectFrom('syncs').select('id').where('business_id', '=', owner.businessId).execute();
      expect(syncs).toHaveLength(1);
    });

    it('mark-synced: replays the first answer and refuses another body with the same key', async () => {
      const mark = (ids: string[]) =>
        request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: { ...owner.headers, 'idempotency-key': 'mark-1' }, json: { sync_type: 'TRANSACTION_SYNC', object_ids: ids } });
      const [a, b] = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'];
      const first = await mark([a]);
      expect(first.status).toBeLessThan(500);
      const again = await mark([a]);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect([again.status, again.body]).toEqual([first.status, first.body]);
      expect((await mark([b])).body.detail[0].type).toBe('idempotency_key_reused');
    });
  });
}
