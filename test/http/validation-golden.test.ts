/**
 * 422 bodies compared field by field with golden FastAPI bodies (generated with pydantic by
 * test/fixtures/fastapi-422/generate.py): missing field, wrong type, extra-long string, malformed
 * JSON, bad header, and every part of a request at once in FastAPI's order; secrets masked whatever
 * their type, lists over maxItems, a null body, a byte-order mark, offsets in characters; field and
 * model validators (`config.bodyValidators`) joining the schema's problems where pydantic's would.
 */
import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteModule } from '../../src/http/app.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { request } from '../helpers/http.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

interface GoldenCase {
  name: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string | null;
  status: number;
  detail: unknown[];
}

const cases: GoldenCase[] = JSON.parse(readFileSync(new URL('../fixtures/fastapi-422/cases.json', import.meta.url), 'utf8'));

/** The same endpoint the generator models with pydantic: path int, query int 1..1000, header int, body. */
const testRoute: RouteModule = (app) => {
  app.post(
    '/__test/items/:item_id',
    {
      config: { auth: { kind: 'user' } },
      schema: {
        params: Type.Object({ item_id: Type.Integer() }),
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        headers: Type.Object({ 'x-count': Type.Integer() }),
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 10 }),
          price: Type.Number(),
          tags: Type.Optional(Type.Union([Type.Array(Type.String(), { minItems: 2 }), Type.Null()])),
          environment: Type.Optional(Type.Union([Type.Literal('sandbox'), Type.Literal('production'), Type.Null()])),
        }),
      },
    },
    async () => ({ ok: true }),
  );
};

/** generate.py's `OrderBody`: a field validator (unique line ids) and a model validator (note "x": one line). */
const orderRoute: RouteModule = (app) => {
  const Line = Type.Object({ id: Type.String({ minLength: 1 }), qty: Type.Integer({ minimum: 1 }) });
  app.post(
    '/__test/orders',
    {
      config: {
        auth: { kind: 'user' },
        bodyValidators: {
          fields: {
            lines: (lines: { id: string }[], loc) =>
              new Set(lines.map((line) => line.id)).size === lines.length ? [] : [{ type: 'value_error', loc, msg: 'Value error, line ids must be unique', input: lines, ctx: { error: {} } }],
          },
          models: {
            '': (order: { note: string; lines: unknown[] }, loc) =>
              order.note === 'x' && order.lines.length > 1 ? [{ type: 'value_error', loc, msg: 'Value error, note x allows one line', input: order, ctx: { error: {} } }] : [],
          },
        },
      },
      schema: {
        headers: Type.Object({ 'x-count': Type.Integer() }),
        body: Type.Object({ lines: Type.Array(Line), note: Type.String({ maxLength: 5 }) }),
      },
    },
    async () => ({ ok: true }),
  );
};

describe('FastAPI-compatible 422 bodies', () => {
  let t: TestApp;
  let tenant: Tenant;
  // The Ramp routes (connect-with-credentials) need the whole server, with its emulator.
  let full: TestServer;
  let fullTenant: Tenant;
  beforeAll(async () => {
    t = await startTestApp('sqlite', [testRoute, orderRoute]);
    tenant = await createTenant(t.db);
    // Rate limits off: a few hundred cases on one token must all reach validation.
    full = await startTestServer({ dialect: 'sqlite', env: { RATE_LIMIT_TOKEN_RPS: '0', RATE_LIMIT_BUSINESS_RPS: '0' } });
    fullTenant = await createTenant(full.server.ctx.db);
  });
  afterAll(async () => Promise.all([t?.close(), full?.close()]));

  for (const golden of cases) {
    it(golden.name, async () => {
      const onRamp = golden.path.startsWith('/api/v1/ramp/');
      const { url: base, token, businessId } = onRamp ? { url: full.url, ...fullTenant } : { url: t.url, ...tenant };
      const url = new URL(golden.path, base);
      for (const [k, v] of Object.entries(golden.query)) url.searchParams.set(k, v);
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'x-business-id': businessId, ...golden.headers };
      if (golden.body !== null) headers['content-type'] = 'application/json';
      const res = await request(url.toString(), { method: golden.method, headers, ...(golden.body !== null ? { body: golden.body } : {}) });
      if (golden.status === 200) {
        expect(res.status).not.toBe(422);
        return;
      }
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ detail: golden.detail });
      expect(res.text, 'a secret came back in a 422').not.toContain('s3cr3t');
    });
  }

  it('answers 401 before validating when the token is missing (auth runs first, as a FastAPI dependency)', async () => {
    const res = await request(`${t.url}/api/v1/tokens`, { method: 'POST', json: {} });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Not authenticated', code: 'not_authenticated' });
  });
});
