/**
 * Tenant isolation, generated from the route table so no route is missed (OWASP API1, BOLA):
 *  - every business route with tenant A's token and business B's id → 403;
 *  - every route with A's token and A's business, path ids taken from B's resources → 404 on routes that
 *    name a resource by id, never a 2xx that names anything of B, and no response anywhere contains
 *    B's identifiers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { request } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { DEFAULT_SYNC_SCOPES } from '../helpers/cc-token-provider.ts';

describe('tenant isolation matrix (every route × method)', () => {
  let t: TestServer;
  let a: Tenant;
  let b: Tenant;
  const bIds: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestServer({ dialect: 'sqlite', env: { RATE_LIMIT_TOKEN_RPS: '0', RATE_LIMIT_BUSINESS_RPS: '0' } });
    a = await createTenant(t.server.ctx.db, 'owner');
    b = await createTenant(t.server.ctx.db, 'owner');
    const emu = emulatorControl(t.emulator.url);
    const app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: [...DEFAULT_SYNC_SCOPES] });
    const connected = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: b.headers, json: { client_id: app.client_id, client_secret: app.client_secret } });
    expect(connected.status).toBe(201);
    bIds.connection = connected.body.connection_id;
    bIds.client = app.client_id;
    const hook = await request(`${t.url}/api/v1/webhooks`, { method: 'POST', headers: b.headers, json: { url: 'http://127.0.0.1:9/hook' } });
    expect(hook.status).toBe(201);
    bIds.webhook = hook.body.id;
    const sync = await request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: b.headers, json: {} });
    if (sync.status === 202) bIds.sync = sync.body.sync_id;
    bIds.business = b.businessId;
    bIds.user = b.userId;
    bIds.token = b.tokenId;
  });
  afterAll(async () => t.close());

  const pathFor = (url: string) =>
    url.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
      if (/token/.test(name)) return bIds.token!;
      if (/sync/.test(name) || name === 'id') return bIds.sync ?? bIds.webhook!;
      return bIds.webhook!;
    }).replace('*', 'business');

  it('covers every registered route', () => {
    const routes = t.server.app.routeTable;
    expect(routes.filter((r) => r.auth === 'business').length).toBeGreaterThanOrEqual(10);
    // Every API route is either authenticated or one of the known public ones.
    const publicApi = routes.filter((r) => r.auth === 'public' && r.url.startsWith('/api/')).map((r) => `${r.method} ${r.url}`);
    const allowedPublic = new Set(['GET /api/v1/ramp/authorize', 'GET /api/v1/ramp/callback', 'POST /api/v1/ramp/webhooks', 'POST /api/v1/ramp/webhooks/:route_key']);
    expect(publicApi.filter((r) => !allowedPublic.has(r))).toEqual([]);
  });

  it("A's token with B's business id → 403 on every business route", async () => {
    for (const route of t.server.app.routeTable.filter((r) => r.auth === 'business')) {
      const res = await request(`${t.url}${pathFor(route.url)}`, { method: route.method, headers: { authorization: `Bearer ${a.token}`, 'x-business-id': b.businessId }, ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { json: {} }) });
      expect(res.status, `${route.method} ${route.url}`).toBe(403);
    }
  });

  it("A's own business with B's resource ids → 404 where a route names one, nothing of B anywhere", async () => {
    const leaks: string[] = [];
    const routes = t.server.app.routeTable.filter((r) => r.auth !== 'public');
    expect(routes.filter((r) => r.url.includes(':')).length, 'routes naming a resource by id').toBeGreaterThanOrEqual(4);
    for (const route of routes) {
      const res = await request(`${t.url}${pathFor(route.url)}`, { method: route.method, headers: a.headers, ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { json: {} }) });
      expect(res.status, `${route.method} ${route.url}`).toBeLessThan(500);
      // A route that names a resource by id answers for B's id as if it did not exist (docs/guarantees.md#g31).
      if (route.url.includes(':')) expect(res.status, `${route.method} ${route.url}`).toBe(404);
      for (const [name, id] of Object.entries(bIds)) if (res.text.includes(id)) leaks.push(`${route.method} ${route.url} → ${res.status} contains B's ${name}`);
    }
    expect(leaks).toEqual([]);
    // B's resources are untouched by A's attempts.
    expect((await request(`${t.url}/api/v1/ramp/status`, { headers: b.headers })).body.status).toBe('connected');
    expect((await request(`${t.url}/api/v1/webhooks`, { headers: b.headers })).body.items).toHaveLength(1);
    expect((await request(`${t.url}/api/v1/businesses`, { headers: { authorization: `Bearer ${b.token}` } })).status).toBe(200);
  });
});
