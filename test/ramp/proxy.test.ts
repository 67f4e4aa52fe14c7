/**
 * `ANY /api/v1/ramp/proxy/*` over loopback against the emulator (docs/guarantees.md#g36–#g38): a fast-check fuzz over nasty paths never reaches another origin or leaves /developer/v1/,
 * caller headers are never forwarded, redirects are not followed, timeouts are 504, oversized
 * bodies 502, GETs are retried and POSTs sent once.
 */
import { createServer, type Server } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseProxyTarget } from '../../src/ramp/proxy-path.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { connectedTenant, control, startDataApp, type DataTestApp } from '../sync/helpers.ts';
import { rawRequest } from './raw-http.ts';

const PREFIX = '/api/v1/ramp/proxy/';

describe('proxy path rules (unit)', () => {
  it('accepts plain paths under /developer/v1 and refuses everything that could move the request', () => {
    expect(parseProxyTarget(`${PREFIX}transactions?page_size=2&state=ALL`, PREFIX)).toEqual({ ok: true, path: 'transactions', query: 'page_size=2&state=ALL' });
    expect(parseProxyTarget(`${PREFIX}users/5f0c2a7e-9b14-4c3d-8e6a-1d2b3c4d5e6f/`, PREFIX)).toEqual({ ok: true, path: 'users/5f0c2a7e-9b14-4c3d-8e6a-1d2b3c4d5e6f', query: '' });
    for (const bad of [
      '', '/', '//evil.com/x', '..', '../token', 'transactions/../../token', '.', './transactions', 'transactions/.', 'a//b',
      '%2e%2e/token', '%2E%2E%2Ftoken', 'transactions%2f..', 'a%5cb', 'a\\b', '\\\\evil.com', 'user@evil.com', 'a@b',
      'http://evil.com/', 'https:%2f%2fevil.com', 'http:', 'a:b', '%00', 'a%0d%0aHost:%20evil', 'a\r\nb', 'a\u0000b', 'café', 'a b', '%',
      'token', 'token/revoke', 'Token/pkce',
    ]) {
      expect(parseProxyTarget(`${PREFIX}${bad}`, PREFIX).ok, JSON.stringify(bad)).toBe(false);
    }
    for (const badQuery of ['a=%0d%0aX', 'a=%00', 'a=\r\n', 'a b']) expect(parseProxyTarget(`${PREFIX}users?${badQuery}`, PREFIX).ok, badQuery).toBe(false);
    expect(parseProxyTarget('/api/v1/ramp/%70roxy/users', PREFIX).ok).toBe(false);
  });
});

describe('sqlite: proxy over HTTP', () => {
  let t: DataTestApp;
  let owner: Tenant & { rampBusinessId: string };
  let evil: Server;
  let evilHits = 0;
  let evilOrigin = '';

  beforeAll(async () => {
    // Short enough for the hang test to end quickly, long enough that an ordinary emulator answer on a
    // busy machine never times out (300 ms did, turning fuzz calls into 504s).
    t = await startDataApp('sqlite', { proxy: { timeoutMs: 2_000, deadlineMs: 4_000, maxBytes: 100_000 } });
    owner = await connectedTenant(t);
    evil = createServer((_req, res) => {
      evilHits++;
      res.end('{"data":[],"page":{"next":null}}');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const address = evil.address();
    evilOrigin = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => evil?.close(() => resolve()));
    await t?.close();
  });
  beforeEach(async () => {
    await control(t.emulator, 'POST', '/faults', { reset: true });
    await control(t.emulator, 'DELETE', '/stats');
  });

  const callerHeaders = () => ({ ...owner.headers, cookie: 'session=secret-cookie', 'x-custom': 'nope', accept: 'application/json' });

  async function expectOnlyRampWasCalled(): Promise<void> {
    const stats = await control(t.emulator, 'GET', '/stats');
    for (const entry of stats.requests) {
      expect(entry.path.startsWith('/sandbox/developer/v1/') || entry.path.startsWith('/developer/v1/'), entry.path).toBe(true);
      expect(entry.has_x_business_id).toBe(false);
      expect(entry.has_cookie).toBe(false);
      expect(entry.headers).not.toContain('x-custom');
      if (entry.path !== '/sandbox/developer/v1/token') expect(entry.authorization_scheme).toBe('Bearer');
    }
    expect(evilHits).toBe(0);
  }

  it('forwards a GET with the query string and streams Ramp\'s answer back', async () => {
    const res = await request(`${t.url}${PREFIX}transactions?page_size=3&state=ALL`, { headers: callerHeaders() });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(3);
    expect(res.body.page.next).toContain('/sandbox/developer/v1/transactions?');
    expect(res.headers.get('x-trace-id')).toBeTruthy();
    expect(res.headers.get('set-cookie')).toBeNull();
    const business = await request(`${t.url}${PREFIX}business`, { headers: callerHeaders() });
    expect(business.body.id).toBe(owner.rampBusinessId);
    const head = await request(`${t.url}${PREFIX}business`, { method: 'HEAD', headers: callerHeaders() });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    const stats = await control(t.emulator, 'GET', '/stats');
    const call = stats.requests.find((r: any) => r.path === '/sandbox/developer/v1/transactions');
    expect(call.headers).toEqual(expect.arrayContaining(['accept', 'authorization']));
    await expectOnlyRampWasCalled();
  });

  it('passes Ramp errors through (404, 422) and maps a rejected path to 400 invalid_proxy_path', async () => {
    const missing = await request(`${t.url}${PREFIX}users/00000000-0000-4000-8000-000000000000`, { headers: callerHeaders() });
    expect(missing.status).toBe(404);
    expect(missing.body.error_v2.error_code).toBe('NOT_FOUND');
    const invalid = await request(`${t.url}${PREFIX}transactions?page_size=1000`, { headers: callerHeaders() });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error_v2.error_code).toBe('DEVELOPER_7001');
    const raw = await rawRequest(t.url, 'GET', `${PREFIX}..%2f..%2ftoken`, callerHeaders());
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.body)).toEqual({ detail: 'The proxy path is not allowed', code: 'invalid_proxy_path' });
  });

  it('fuzz: no path string reaches another origin, leaves /developer/v1/, forwards caller headers or answers 500', async () => {
    const nasty = fc.constantFrom(
      '/', '//', '..', '.', '%2e', '%2E', '%2f', '%2F', '%5c', '%5C', '\\', '@', '%40', ':', 'http:', 'https://', '%00', '%0d%0a', '%0D%0A',
      '?', '#', ';', '%25', '%', '~', 'transactions', 'users', 'business', 'token', 'developer', 'v1', 'sandbox', evilOrigin, `//${evilOrigin}`,
      `http://${evilOrigin}/`, `@${evilOrigin}`, 'localhost', '127.0.0.1', '[::1]', '..;', '%u002e', '\u00e9', '\u2025', '\uff0e', 'a b', '\t',
    );
    const resource = fc.constantFrom('transactions', 'users', 'business', 'cards', 'departments', 'vendors');
    const paths = fc.oneof(
      fc.tuple(resource, fc.option(nasty, { nil: '' }), fc.option(fc.constantFrom('?page_size=2', '?x=%0d%0a', '?a=b&c=..%2f'), { nil: '' })).map(([r, n, q]) => `${r}${n}${q}`),
      fc.array(nasty, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')),
      fc.array(fc.oneof(nasty, fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/')),
    );
    await control(t.emulator, 'POST', '/faults', { rate_limit: false });
    const allowed = new Set([200, 400, 401, 403, 404, 405, 422, 502]);
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(paths, fc.constantFrom('GET', 'POST', 'DELETE'), async (path, method) => {
        const target = `${PREFIX}${path}`;
        const res = await rawRequest(t.url, method, Buffer.from(target, 'utf8').toString('latin1'), { ...callerHeaders(), 'content-type': 'application/json' }, method === 'POST' ? '{}' : '');
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(allowed.has(res.status), `${method} ${JSON.stringify(path)} → ${res.status}`).toBe(true);
      }),
      // Random paths reach Ramp only now and then (a CI run once drew none); these make sure both sides are hit.
      { numRuns: 150, examples: [['transactions?page_size=2', 'GET'], ['business', 'GET'], ['users/', 'GET']] },
    );
    // The fuzz must reach both sides: refused paths and paths Ramp answered.
    expect(statuses.get(400)).toBeGreaterThan(20);
    expect(statuses.get(200)).toBeGreaterThan(0);
    await expectOnlyRampWasCalled();
  });

  it('does not follow redirects: a 302 to a foreign host becomes 502 and the token never leaves', async () => {
    await control(t.emulator, 'POST', '/faults', { redirect_to: `http://${evilOrigin}/steal` });
    const res = await request(`${t.url}${PREFIX}transactions`, { headers: callerHeaders() });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('ramp_error');
    expect(evilHits).toBe(0);
  });

  it('GET is retried on 5xx; POST is sent once and its 5xx passed through', async () => {
    await control(t.emulator, 'POST', '/faults', { fail_next: 2, paths: ['/sandbox/developer/v1/business'] });
    const get = await request(`${t.url}${PREFIX}business`, { headers: callerHeaders() });
    expect(get.status).toBe(200);
    let stats = await control(t.emulator, 'GET', '/stats');
    expect(stats.requests.filter((r: any) => r.path === '/sandbox/developer/v1/business').map((r: any) => r.status)).toEqual([503, 503, 200]);

    await control(t.emulator, 'DELETE', '/stats');
    await control(t.emulator, 'POST', '/faults', { fail_next: 1, paths: ['/sandbox/developer/v1/accounting'] });
    const post = await request(`${t.url}${PREFIX}accounting/syncs`, {
      method: 'POST',
      headers: { ...callerHeaders(), 'idempotency-key': 'idem-1' },
      json: { idempotency_key: 'k1', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: 'x', reference_id: 'x' }] },
    });
    expect(post.status).toBe(503);
    stats = await control(t.emulator, 'GET', '/stats');
    const posts = stats.requests.filter((r: any) => r.method === 'POST' && r.path.endsWith('/accounting/syncs'));
    expect(posts).toHaveLength(1);
    expect(posts[0].headers).toContain('idempotency-key');
    await expectOnlyRampWasCalled();
  });

  it('an upstream that does not answer in time is a 504; an oversized answer a 502', async () => {
    // The emulator would answer 200 after the hang: a 504 can only come from our own timeout (no clock needed).
    await control(t.emulator, 'POST', '/faults', { hang_ms: 20_000, paths: ['/sandbox/developer/v1/users'] });
    const slow = await request(`${t.url}${PREFIX}users`, { headers: callerHeaders() });
    expect(slow.status).toBe(504);
    expect(slow.body.code).toBe('ramp_timeout');
    await control(t.emulator, 'POST', '/faults', { reset: true, large_body_bytes: 200_000 });
    const big = await request(`${t.url}${PREFIX}departments`, { headers: callerHeaders() });
    expect(big.status).toBe(502);
    expect(big.body.code).toBe('ramp_response_too_large');
  });

  it('needs owner or admin of a connected business', async () => {
    for (const role of ['member', 'viewer'] as const) {
      const user = await createTenant(t.db, role, { businessId: owner.businessId });
      expect((await request(`${t.url}${PREFIX}business`, { headers: user.headers })).status).toBe(403);
    }
    const admin = await createTenant(t.db, 'admin', { businessId: owner.businessId });
    expect((await request(`${t.url}${PREFIX}business`, { headers: admin.headers })).status).toBe(200);
    const unconnected = await createTenant(t.db, 'owner');
    const res = await request(`${t.url}${PREFIX}business`, { headers: unconnected.headers });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('ramp_not_connected');
    expect((await request(`${t.url}${PREFIX}business`, { headers: { 'x-business-id': owner.businessId } })).status).toBe(401);
  });
});
