/**
 * How request bodies are read before validation, over HTTP on the whole server: JSON nested past
 * MAX_JSON_DEPTH is a 400 `json_too_deep` on every route (it was a 500: the stack ran out in the
 * masking of the 422's input or in the reply's serializer), `application/*+json` is JSON as in
 * FastAPI, and a body kept as text (not JSON) never comes back verbatim in a 422's `input`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { request } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const MASK = '**********';
const TOO_DEEP = { detail: 'There was an error parsing the body: its JSON nests arrays and objects more than 128 levels deep', code: 'json_too_deep' };

/** A token body whose `description` holds `depth - 1` nested arrays, so the body itself nests `depth` deep. */
const tokenBody = (depth: number) => `{"name":"n","description":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

describe('request bodies', () => {
  let t: TestServer;
  let owner: Tenant;
  // The canary test's pattern: distinctive, and with characters a form would percent-encode.
  const canary = `CANARY-SECRET-${randomBytes(8).toString('hex')}:+%/=`;
  beforeAll(async () => {
    // Rate limits off: every route is called; a webhook secret so the fallback receiver is registered.
    t = await startTestServer({ dialect: 'sqlite', env: { RATE_LIMIT_TOKEN_RPS: '0', RATE_LIMIT_BUSINESS_RPS: '0', RAMP_WEBHOOK_SECRET: 'whsec_body' } });
    owner = await createTenant(t.server.ctx.db);
  });
  afterAll(async () => t.close());

  const send = (method: string, path: string, contentType: string | undefined, body: BodyInit) =>
    request(`${t.url}${path}`, { method, headers: { ...owner.headers, ...(contentType === undefined ? {} : { 'content-type': contentType }) }, body });
  const noSecretIn = (text: string) => {
    expect(text).not.toContain(canary);
    expect(text).not.toContain(encodeURIComponent(canary));
  };

  describe('nesting', () => {
    it('6,000 levels is a 400 json_too_deep on every route that takes a body, as JSON or +json, and nothing is logged as an error', async () => {
      const routes = t.server.app.routeTable.filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));
      // The routes the 500 was first seen on are among them.
      for (const seen of ['POST /api/v1/tokens', 'POST /api/v1/ramp/connect-with-credentials', 'POST /api/v1/webhooks', 'PUT /api/v1/ramp/accounting/chart', 'POST /api/v1/ramp/accounting/mark-synced']) {
        expect(routes.map((r) => `${r.method} ${r.url}`)).toContain(seen);
      }
      const body = tokenBody(6000);
      const wrong: string[] = [];
      for (const route of routes) {
        const path = route.url.replace(/:[a-z_]+/g, randomUUID()).replace('*', 'business');
        for (const type of ['application/json', 'application/merge-patch+json']) {
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

  describe('application/*+json', () => {
    it('is decoded as JSON, so a field is validated (FastAPI parses every application/*+json)', async () => {
      for (const type of ['application/merge-patch+json', 'application/vnd.api+json; charset=utf-8', 'Application/Problem+JSON']) {
        const res = await send('POST', '/api/v1/ramp/connect-with-credentials', type, JSON.stringify({ client_id: 'a', client_secret: canary, environment: 'x' }));
        expect([type, res.status]).toEqual([type, 422]);
        expect(res.body.detail).toEqual([
          { type: 'literal_error', loc: ['body', 'environment'], msg: "Input should be 'sandbox' or 'production'", input: 'x', ctx: { expected: "'sandbox' or 'production'" } },
        ]);
        noSecretIn(res.text);
      }
      // The whole body echoed for a missing field is the decoded object, its secret masked.
      const missing = await send('POST', '/api/v1/ramp/connect-with-credentials', 'application/merge-patch+json', JSON.stringify({ client_secret: canary }));
      expect(missing.body.detail).toEqual([{ type: 'missing', loc: ['body', 'client_id'], msg: 'Field required', input: { client_secret: MASK } }]);
      const created = await send('POST', '/api/v1/tokens', 'application/merge-patch+json', JSON.stringify({ name: 'merge-patch' }));
      expect([created.status, created.body.token_info.name]).toEqual([201, 'merge-patch']);
      const malformed = await send('POST', '/api/v1/tokens', 'application/merge-patch+json', '{"name":');
      expect(malformed.body.detail).toMatchObject([{ type: 'json_invalid', loc: ['body', 8] }]);
    });

    it('is only application/…+json: text/x+json and application/jsonx stay text', async () => {
      for (const type of ['text/x+json', 'application/jsonx', 'application/json+xml']) {
        const res = await send('POST', '/api/v1/tokens', type, '{"name":"n"}');
        expect([type, res.status, res.body.detail]).toEqual([type, 422, [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: MASK }]]);
      }
    });
  });

  describe('a body kept as text', () => {
    it('comes back masked in a 422, whatever its media type, on a route with secret fields or without', async () => {
      const form = `client_id=a&client_secret=${canary}`;
      const sent: [string, string | undefined, BodyInit][] = [
        ['/api/v1/ramp/connect-with-credentials', 'text/plain', form],
        ['/api/v1/ramp/connect-with-credentials', 'application/x-www-form-urlencoded', form],
        ['/api/v1/ramp/connect-with-credentials', 'application/x-www-form-urlencoded', `client_id=a&client_secret=${encodeURIComponent(canary)}`],
        ['/api/v1/ramp/connect-with-credentials', undefined, new TextEncoder().encode(form)],
        ['/api/v1/ramp/connect-with-credentials', 'text/plain', JSON.stringify({ client_id: 'a', client_secret: canary })],
        // No secret-named field in this route's schema; the text still holds one (a URL's password).
        ['/api/v1/webhooks', 'text/plain', JSON.stringify({ url: `https://user:${canary}@example.com/hook` })],
      ];
      for (const [path, type, body] of sent) {
        const res = await send('POST', path, type, body);
        expect([path, type, res.status, res.body.detail]).toEqual([
          path,
          type,
          422,
          [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: MASK }],
        ]);
        noSecretIn(res.text);
      }
      // The request had no content type at all (fetch adds none to bytes).
      expect(sent.some(([, type]) => type === undefined)).toBe(true);
    });
  });
});
