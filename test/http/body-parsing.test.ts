/**
 * How request bodies are read before validation, over HTTP on the whole server: JSON nested past
 * MAX_JSON_DEPTH is a 400 `json_too_deep` on every route (it was a 500: the stack ran out in the
 * masking of the 422's input or in the reply's serializer).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { request } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const TOO_DEEP = { detail: 'There was an error parsing the body: its JSON nests arrays and objects more than 128 levels deep', code: 'json_too_deep' };

/** A token body whose `description` holds `depth - 1` nested arrays, so the body itself nests `depth` deep. */
const tokenBody = (depth: number) => `{"name":"n","description":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

describe('request bodies', () => {
  let t: TestServer;
  let owner: Tenant;
  beforeAll(async () => {
    // Rate limits off: every route is called; a webhook secret so the fallback receiver is registered.
    t = await startTestServer({ dialect: 'sqlite', env: { RATE_LIMIT_TOKEN_RPS: '0', RATE_LIMIT_BUSINESS_RPS: '0', RAMP_WEBHOOK_SECRET: 'whsec_body' } });
    owner = await createTenant(t.server.ctx.db);
  });
  afterAll(async () => t.close());

  const send = (method: string, path: string, contentType: string | undefined, body: BodyInit) =>
    request(`${t.url}${path}`, { method, headers: { ...owner.headers, ...(contentType === undefined ? {} : { 'content-type': contentType }) }, body });

  describe('nesting', () => {
    it('6,000 levels is a 400 json_too_deep on every route that takes a body, and nothing is logged as an error', async () => {
      const routes = t.server.app.routeTable.filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));
      // The routes the 500 was first seen on are among them.
      for (const seen of ['POST /api/v1/tokens', 'POST /api/v1/ramp/connect-with-credentials', 'POST /api/v1/webhooks', 'PUT /api/v1/ramp/accounting/chart', 'POST /api/v1/ramp/accounting/mark-synced']) {
        expect(routes.map((r) => `${r.method} ${r.url}`)).toContain(seen);
      }
      const body = tokenBody(6000);
      const wrong: string[] = [];
      for (const route of routes) {
        const path = route.url.replace(/:[a-z_]+/g, randomUUID()).replace('*', 'business');
        for (const type of ['application/json']) {
          const res = await send(route.method, path, type, body);
          if (res.status !== 400 || JSON.stringify(res.body) !== JSON.stringify(TOO_DEEP)) wrong.push(`${route.method} ${route.url} ${type} → ${res.status} ${res.text.slice(0, 80)}`);
        }
      }
      expect(wrong).toEqual([]);
      expect(t.logs.filter((line) => /RangeError|Maximum call stack|"level":50/.test(line))).toEqual([]);
    });

    it('128 levels is still validated (422), 129 is the 400', async () => {
      const atLimit = await send('POST', '/api/v1/tokens', 'application/json', tokenBody(128));
      expect(atLimit.status).toBe(422);
      expect(atLimit.body.detail).toMatchObject([{ type: 'string_type', loc: ['body', 'description'] }]);
      const over = await send('POST', '/api/v1/tokens', 'application/json', tokenBody(129));
      expect([over.status, over.body]).toEqual([400, TOO_DEEP]);
    });

    it('malformed JSON nested deep is the same 400, not a 500 from the scanner that finds the decode error', async () => {
      for (const body of ['['.repeat(200_000), `{"name":${'['.repeat(6000)}x`]) {
        const res = await send('POST', '/api/v1/tokens', 'application/json', body);
        expect([res.status, res.body]).toEqual([400, TOO_DEEP]);
      }
      // Below the limit, a malformed body keeps FastAPI's json_invalid with Python's position.
      const shallow = await send('POST', '/api/v1/tokens', 'application/json', `${'['.repeat(100)}x`);
      expect([shallow.status, shallow.body.detail]).toEqual([422, [{ type: 'json_invalid', loc: ['body', 100], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }]]);
    });

    it('brackets inside strings, escaped quotes included, do not count', async () => {
      const res = await send('POST', '/api/v1/tokens', 'application/json', JSON.stringify({ name: 'n', description: `\\"${'['.repeat(500)}`, expires_in_days: 'x' }));
      expect(res.status).toBe(422);
      expect(res.body.detail).toMatchObject([{ type: 'int_parsing', loc: ['body', 'expires_in_days'] }]);
    });
  });
});
