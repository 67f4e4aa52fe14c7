/**
 * Checklist #35: every mutating API call writes exactly one audit row (API token, business, action,
 * target, request id, outcome), failures and refusals included; refusals of another tenant's business
 * are written for reads too; the table refuses UPDATE and DELETE. The mutating routes are taken from the
 * route table, so a new one cannot be missed; the OAuth launch and callback (public GETs that change
 * state) are among them.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { TestBrowser } from '../helpers/test-browser.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const TOKEN_RPS = 1;
const TOKEN_BURST = 20;

for (const dialect of DIALECTS) {
  describe(`${dialect}: audit log`, () => {
    let t: TestServer;
    let a: Tenant;
    let b: Tenant;
    beforeAll(async () => {
      // A small token budget (burst 20, 1/s), so the flood below needs a few dozen calls to hit it
      // whatever the machine's speed (with the default 400 + 200/s it needed > 200 calls/s).
      t = await startTestServer({ dialect, env: { RATE_LIMIT_TOKEN_RPS: String(TOKEN_RPS), RATE_LIMIT_TOKEN_BURST: String(TOKEN_BURST) } });
      a = await createTenant(t.server.ctx.db, 'owner');
      b = await createTenant(t.server.ctx.db, 'owner');
    });
    afterAll(async () => t?.close());

    const rowsOf = async (requestId: string) => t.server.ctx.db.kysely.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).execute();

    it('one row per mutating call, whatever the answer, and one per refusal of another tenant', async () => {
      const onB = { authorization: `Bearer ${a.token}`, 'x-business-id': b.businessId };
      const calls: { name: string; path: string; init: Parameters<typeof request>[1]; expected: Record<string, unknown> }[] = [
        { name: 'token create', path: '/api/v1/tokens', init: { method: 'POST', headers: a.headers, json: { name: 'ci' } }, expected: { action: 'api_token.create', outcome: 'success', business_id: null } },
        { name: 'sync-config 422', path: '/api/v1/ramp/sync-config', init: { method: 'PUT', headers: a.headers, json: { auto_sync_interval_hours: 'often' } }, expected: { action: 'sync_config.update', outcome: 'failure', business_id: a.businessId, detail: 'HTTP 422' } },
        { name: 'sync start refused (404, unconnected)', path: '/api/v1/ramp/sync', init: { method: 'POST', headers: a.headers, json: {} }, expected: { action: 'sync.start', outcome: 'failure', business_id: a.businessId, detail: 'HTTP 404' } },
        { name: 'webhook create', path: '/api/v1/webhooks', init: { method: 'POST', headers: a.headers, json: { url: 'http://127.0.0.1:9/hook' } }, expected: { action: 'webhook.create', outcome: 'success', business_id: a.businessId } },
        { name: "a write on B's business", path: '/api/v1/ramp/sync', init: { method: 'POST', headers: onB, json: {} }, expected: { action: 'sync.start', outcome: 'denied', business_id: b.businessId, detail: 'not_enough_permissions' } },
        { name: "a read of B's business", path: '/api/v1/ramp/status', init: { headers: onB }, expected: { action: 'GET /api/v1/ramp/status', outcome: 'denied', business_id: b.businessId } },
        { name: 'no token', path: '/api/v1/ramp/sync', init: { method: 'POST', headers: { 'x-business-id': a.businessId }, json: {} }, expected: { action: 'sync.start', outcome: 'denied', actor_token_id: null } },
      ];
      for (const call of calls) {
        const res = await request(`${t.url}${call.path}`, call.init);
        const requestId = res.headers.get('x-request-id')!;
        await expect.poll(async () => (await rowsOf(requestId)).length, { message: call.name }).toBe(1);
        const [row] = await rowsOf(requestId);
        expect(row, call.name).toMatchObject({ actor_token_id: a.tokenId, ...call.expected });
      }
      // The target names what was touched: a revoked token's id.
      const created = await request(`${t.url}/api/v1/tokens`, { method: 'POST', headers: a.headers, json: { name: 'to revoke' } });
      const revoked = await request(`${t.url}/api/v1/tokens/${created.body.token_info.id}`, { method: 'DELETE', headers: a.headers });
      expect(revoked.status).toBe(200);
      const [row] = await rowsOf(revoked.headers.get('x-request-id')!);
      expect(row).toMatchObject({ action: 'api_token.revoke', outcome: 'success', target: `token_id=${created.body.token_info.id}` });
    });

    it('every mutating route of the route table writes exactly one row, the OAuth launch and callback included (docs/guarantees.md#g35)', async () => {
      const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
      // Ramp's inbound webhooks are public and checked by signature: a flood of unsigned ones must not grow the audit table.
      const NOT_AUDITED = ['POST /api/v1/ramp/webhooks', 'POST /api/v1/ramp/webhooks/:route_key'];
      const routes = t.server.app.routeTable.filter((r) => MUTATING.has(r.method) || r.mutates);
      const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;
      expect(routes.filter((r) => r.auth === 'public' && !r.mutates).map(key)).toEqual(NOT_AUDITED);
      expect(routes.filter((r) => r.mutates).map(key).sort()).toEqual(['GET /api/v1/ramp/authorize', 'GET /api/v1/ramp/callback']);
      const checked: string[] = [];
      for (const route of routes.filter((r) => !NOT_AUDITED.includes(key(r)))) {
        // A tenant per route: the small token budget of this file is not what is tested here.
        const caller = await createTenant(t.server.ctx.db, 'owner');
        const path = route.url.replace(/:[A-Za-z_]+/g, '00000000-0000-4000-8000-000000000000').replace('*', 'business');
        const withBody = route.method !== 'GET' && route.method !== 'DELETE';
        const res = await request(`${t.url}${path}`, { method: route.method, headers: caller.headers, ...(withBody ? { json: {} } : {}) });
        expect(res.status, key(route)).toBeLessThan(500);
        const rows = await rowsOf(res.headers.get('x-request-id')!);
        expect(rows.length, `${key(route)} → ${res.status}`).toBe(1);
        expect(rows[0]!.outcome, key(route)).toMatch(/^(success|failure|denied)$/);
        if (route.auth !== 'public') expect(rows[0], key(route)).toMatchObject({ actor_token_id: caller.tokenId });
        checked.push(key(route));
      }
      expect(checked.length).toBeGreaterThanOrEqual(12);

      // A callback that completes: the service's own row (business, token, success), still exactly one.
      const emu = emulatorControl(t.emulator.url);
      const start = await request(`${t.url}/api/v1/ramp/connect-url`, { headers: a.headers });
      const browser = new TestBrowser();
      const launch = await browser.fetch(start.body.connect_url);
      expect(await rowsOf(launch.headers.get('x-request-id')!)).toHaveLength(1);
      await emu.consent({ decision: 'approve', role: 'admin' });
      const callback = await browser.fetch((await browser.fetch(launch.headers.get('location')!)).headers.get('location')!);
      expect(callback.status).toBe(302);
      const rows = await rowsOf(callback.headers.get('x-request-id')!);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: 'connect.oauth', outcome: 'success', business_id: a.businessId, actor_token_id: a.tokenId });
    });

    it("a flood of refused calls spends the caller's token budget: 429s, not one row each", async () => {
      const flooder = await createTenant(t.server.ctx.db, 'owner');
      const onB = { authorization: `Bearer ${flooder.token}`, 'x-business-id': b.businessId };
      const statuses: number[] = [];
      // 3× the burst: only a flood slower than (3 − 1) × burst / rate = 40 s could miss the 429s.
      for (let wave = 0; wave < 6; wave++) {
        const answers = await Promise.all(Array.from({ length: TOKEN_BURST / 2 }, () => request(`${t.url}/api/v1/ramp/status`, { headers: onB })));
        statuses.push(...answers.map((answer) => answer.status));
      }
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 403 || s === 429)).toBe(true);
      const rows = await t.server.ctx.db.kysely.selectFrom('audit_log').select('outcome').where('actor_token_id', '=', flooder.tokenId).execute();
      expect(rows.length).toBe(statuses.filter((s) => s === 403).length);
      // B's own budget is untouched by A's refusals.
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: b.headers })).status).toBe(200);
    });

    it('is append-only: UPDATE and DELETE are refused by the database', async () => {
      const { db } = t.server.ctx;
      await expect(sql`update audit_log set outcome = 'success'`.execute(db.kysely)).rejects.toThrow(/append-only/);
      await expect(sql`delete from audit_log`.execute(db.kysely)).rejects.toThrow(/append-only/);
      expect(Number((await db.kysely.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBeGreaterThan(0);
    });
  });
}
