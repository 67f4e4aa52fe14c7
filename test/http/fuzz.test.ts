/**
 * Property: whatever arrives (random methods, paths, headers, bodies) at any route of the whole server,
 * the answer is never a 5xx and every 4xx body is JSON with a `detail`. Real server over loopback.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describe('fuzz: never a 5xx', () => {
  let t: TestServer;
  let tenant: Tenant;
  let routes: { method: string; url: string }[];
  beforeAll(async () => {
    // The whole server (every feature's routes), our rate limits off so the fuzz reaches the routes.
    t = await startTestServer({ dialect: 'sqlite', env: { RATE_LIMIT_TOKEN_RPS: '0', RATE_LIMIT_BUSINESS_RPS: '0', RAMP_WEBHOOK_SECRET: 'whsec_fuzz' } });
    tenant = await createTenant(t.server.ctx.db);
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), url: path.replace(/\{[^}]+\}/g, 'x') })));
  });
  afterAll(async () => t.close());

  it('random requests to every route', async () => {
    const header = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      fc.constant(`Bearer ${'dz_'}`),
    );
    const body = fc.oneof(
      fc.constant(undefined),
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ name: v, expires_in_days: v, description: v, permissions: v })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.boolean(),
        fc.boolean(),
        header,
        fc.oneof(fc.constant(tenant.businessId), fc.uuid(), fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''))),
        body,
        fc.string({ maxLength: 30 }).map((s) => encodeURIComponent(s)),
        async (route, method, useRouteMethod, goodAuth, authHeader, businessId, payload, suffix) => {
          const headers: Record<string, string> = { 'x-business-id': businessId };
          if (goodAuth) headers.authorization = `Bearer ${tenant.token}`;
          else if (authHeader !== undefined) headers.authorization = authHeader;
          if (payload !== undefined) headers['content-type'] = 'application/json';
          const m = useRouteMethod ? route.method : method;
          const path = suffix.length > 0 && !useRouteMethod ? `${route.url}/${suffix}` : route.url;
          const res = await fetch(`${t.url}${path}?limit=${encodeURIComponent(suffix)}&cursor=${suffix}`, {
            method: m,
            headers,
            ...(payload !== undefined && m !== 'GET' && m !== 'HEAD' ? { body: payload } : {}),
          });
          const text = await res.text();
          expect(res.status, `${m} ${path} → ${text.slice(0, 200)}`).toBeLessThan(500);
          // HEAD answers carry no body by definition (RFC 9110 §9.3.2).
          if (res.status >= 400 && m !== 'HEAD') expect(JSON.parse(text)).toHaveProperty('detail');
        },
      ),
      { numRuns: 400 },
    );
  });
});
