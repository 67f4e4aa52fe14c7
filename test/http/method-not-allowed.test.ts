/**
 * A path some route has, asked with a method none of its routes answers, is Starlette's 405
 * `{"detail": "Method Not Allowed"}` (plus our `code`) with `Allow` naming the path's methods, HEAD
 * beside GET; a path no route has stays a 404 `route_not_found`, whatever the method. Every route of
 * the whole server, over real HTTP, without credentials (Starlette answers 405 before any dependency).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const NOT_ALLOWED = { detail: 'Method Not Allowed', code: 'method_not_allowed' };
const NOT_FOUND = { detail: 'Not Found', code: 'route_not_found' };
const SAMPLE_ID = '00000000-0000-4000-8000-000000000001';

describe('405 Method Not Allowed', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ dialect: 'sqlite' });
  });
  afterAll(async () => t?.close());

  const allowOf = (res: { headers: Headers }) => res.headers.get('allow')?.split(', ');

  it('GET on a POST route and POST on a GET route: 405 with Allow', async () => {
    const get = await request(`${t.url}/api/v1/ramp/connect-with-credentials`);
    expect(get.status).toBe(405);
    expect(get.body).toEqual(NOT_ALLOWED);
    expect(get.headers.get('allow')).toBe('POST');
    expect(get.headers.get('x-request-id')).toBeTruthy();

    const post = await request(`${t.url}/api/v1/ramp/status?x=1`, { method: 'POST', json: {} });
    expect(post.status).toBe(405);
    expect(post.body).toEqual(NOT_ALLOWED);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('every route: each method its path does not answer is a 405 naming the ones it does', async () => {
    // Concrete paths (a sample value for each parameter) → the methods registered for them.
    const byPath = new Map<string, Set<string>>();
    for (const route of t.server.app.routeTable) {
      const path = route.url.replace(/:[^/]+/g, SAMPLE_ID).replace(/\*$/, 'x');
      const methods = byPath.get(path) ?? new Set<string>();
      methods.add(route.method);
      if (route.method === 'GET') methods.add('HEAD');
      byPath.set(path, methods);
    }
    expect(byPath.size).toBeGreaterThan(30);
    let checked = 0;
    for (const [path, methods] of byPath) {
      const expected = METHODS.filter((m) => methods.has(m));
      for (const method of METHODS.filter((m) => !methods.has(m))) {
        const res = await request(`${t.url}${path}`, { method });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(allowOf(res), `${method} ${path}`).toEqual(expected);
        if (method !== 'HEAD') expect(res.body, `${method} ${path}`).toEqual(NOT_ALLOWED);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('OPTIONS and HEAD: no CORS preflight here, so OPTIONS is a 405; HEAD works where GET does, 405 where it does not', async () => {
    const options = await request(`${t.url}/api/v1/ramp/sync`, { method: 'OPTIONS' });
    expect(options.status).toBe(405);
    expect(options.headers.get('allow')).toBe('POST');
    const headOnPost = await request(`${t.url}/api/v1/ramp/sync`, { method: 'HEAD' });
    expect(headOnPost.status).toBe(405);
    expect(headOnPost.headers.get('allow')).toBe('POST');
    expect((await request(`${t.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
    // The proxy answers its methods for any path under it, HEAD included.
    const proxy = await request(`${t.url}/api/v1/ramp/proxy/transactions`, { method: 'OPTIONS' });
    expect(proxy.status).toBe(405);
    expect(proxy.headers.get('allow')).toBe('GET, HEAD, POST, PUT, PATCH, DELETE');
  });

  it('paths no route has stay 404 for every method, as do the ones a route reports missing', async () => {
    for (const method of METHODS) {
      const res = await request(`${t.url}/api/v1/nope`, { method });
      expect(res.status, method).toBe(404);
      if (method !== 'HEAD') expect(res.body, method).toEqual(NOT_FOUND);
      expect(res.headers.get('allow'), method).toBeNull();
    }
    // A route that exists but finds nothing to serve (reply.callNotFound()) is a 404, not a 405.
    expect((await request(`${t.url}/assets/no-such-file.js`)).status).toBe(404);
    expect((await request(`${t.url}/assets/no-such-file.js`, { method: 'HEAD' })).status).toBe(404);
    expect((await request(`${t.url}/assets/no-such-file.js`, { method: 'POST' })).status).toBe(405);
    // /metrics without METRICS_TOKEN is not a route at all: no method reveals it.
    for (const method of ['GET', 'POST']) expect((await request(`${t.url}/metrics`, { method })).body).toEqual(NOT_FOUND);
    // A path that does not decode stays the 400 of a bad URL, even with a method no route uses.
    expect((await request(`${t.url}/api/v1/ramp/%zz`, { method: 'OPTIONS' })).status).toBe(400);
  });
});
