/**
 * Authentication and tenancy over real HTTP on both dialects: the 401/403/404 matrix across two
 * businesses, API token digests (never the token), expiry, revocation and the 10-token limit.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteModule } from '../../src/http/app.ts';
import { authOf } from '../../src/http/auth.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/** Business-scoped probes, one per minimum role, so the matrix can test role checks. */
const probes: RouteModule = (app) => {
  for (const role of ['viewer', 'member', 'admin', 'owner'] as const) {
    app.get(`/__test/${role}`, { config: { auth: { kind: 'business', minRole: role } }, schema: { querystring: Type.Object({}) } }, async (req) => ({
      business_id: authOf(req).businessId,
      role: authOf(req).role,
    }));
  }
  app.get('/__test/internal', { config: { auth: { kind: 'business', minRole: 'viewer', permission: 'ramp:token' } } }, async () => ({ ok: true }));
};

for (const dialect of DIALECTS) {
  describe(`${dialect}: auth and tenancy`, () => {
    let t: TestApp;
    let a: Tenant;
    let b: Tenant;
    beforeAll(async () => {
      t = await startTestApp(dialect, [probes]);
      a = await createTenant(t.db, 'owner');
      b = await createTenant(t.db, 'owner');
    });
    afterAll(async () => t.close());

    const get = (path: string, headers: Record<string, string>) => request(`${t.url}${path}`, { headers });

    it('401 "Not authenticated" for missing, malformed, wrong-length, unknown and wrong-secret tokens', async () => {
      const wrongSecret = a.token.slice(0, -4) + (a.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      const bad: Record<string, string>[] = [
        {},
        { authorization: 'Bearer' },
        { authorization: 'Basic abc' },
        { authorization: 'Bearer dz_short' },
        { authorization: `Bearer ${a.token}x` },
        { authorization: `Bearer ${a.token.slice(0, -1)}` },
        { authorization: `Bearer dz_0123456789abcdef_${'A'.repeat(43)}` },
        { authorization: `Bearer ${wrongSecret}` },
        { authorization: `Bearer ${'x'.repeat(5000)}` },
      ];
      for (const headers of bad) {
        const res = await get('/__test/viewer', { ...headers, 'x-business-id': a.businessId });
        expect(res.status, JSON.stringify(headers).slice(0, 80)).toBe(401);
        expect(res.body).toEqual({ detail: 'Not authenticated', code: 'not_authenticated' });
      }
    });

    it("403 for another business's id; 400 for a missing, malformed or duplicated x-business-id", async () => {
      const res = await get('/__test/viewer', { authorization: `Bearer ${a.token}`, 'x-business-id': b.businessId });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ detail: 'Not enough permissions', code: 'not_enough_permissions' });
      expect((await get('/__test/viewer', { authorization: `Bearer ${a.token}` })).status).toBe(400);
      expect((await get('/__test/viewer', { authorization: `Bearer ${a.token}`, 'x-business-id': 'not-a-uuid' })).status).toBe(400);
      // Sent twice (docs/guarantees.md#g32), even with the caller's own id both times: ambiguous, so refused.
      for (const second of [a.businessId, b.businessId]) {
        const status = await new Promise<number>((resolve, reject) => {
          const raw = ['authorization', `Bearer ${a.token}`, 'x-business-id', a.businessId, 'x-business-id', second];
          httpRequest(`${t.url}/__test/viewer`, { headers: raw }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          })
            .on('error', reject)
            .end();
        });
        expect(status, `x-business-id twice (${second === a.businessId ? 'same' : 'other'} id)`).toBe(400);
      }
      expect((await get('/__test/viewer', a.headers)).body).toEqual({ business_id: a.businessId, role: 'owner' });
    });

    it('x-business-id in any spelling the API accepts for a UUID (upper case, 32 digits, urn:uuid:) names the same business', async () => {
      const simple = a.businessId.replaceAll('-', '');
      for (const spelling of [a.businessId.toUpperCase(), simple, simple.toUpperCase(), `urn:uuid:${a.businessId}`]) {
        const res = await get('/__test/viewer', { authorization: `Bearer ${a.token}`, 'x-business-id': spelling });
        expect(res.status, spelling).toBe(200);
        expect(res.body, spelling).toEqual({ business_id: a.businessId, role: 'owner' });
      }
    });

    it('role matrix: each role reaches the routes at or below it and gets 403 above it', async () => {
      const roles = ['viewer', 'member', 'admin', 'owner'] as const;
      for (const [i, role] of roles.entries()) {
        const user = await createTenant(t.db, role, { businessId: a.businessId });
        for (const [j, route] of roles.entries()) {
          const res = await get(`/__test/${route}`, user.headers);
          expect(res.status, `${role} → ${route}`).toBe(j <= i ? 200 : 403);
        }
      }
    });

    it('permission-gated routes need the token permission, not just a role', async () => {
      expect((await get('/__test/internal', a.headers)).status).toBe(403);
      const internal = await createTenant(t.db, 'viewer', { businessId: a.businessId, permissions: ['ramp:token'] });
      expect((await get('/__test/internal', internal.headers)).status).toBe(200);
    });

    it('a token cannot be given a permission the token making it does not hold', async () => {
      const viewer = await createTenant(t.db, 'viewer', { businessId: a.businessId });
      const mint = (token: string) =>
        request(`${t.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, json: { name: 'escalate', permissions: ['ramp:token'] } });
      for (const token of [viewer.token, a.token]) {
        const refused = await mint(token);
        expect(refused.status).toBe(403);
        expect(refused.body).toEqual({ detail: 'Not enough permissions', code: 'not_enough_permissions' });
      }
      expect((await get('/api/v1/tokens', { authorization: `Bearer ${viewer.token}` })).body.items.map((x: { name: string }) => x.name)).not.toContain('escalate');
      // A token an operator gave the permission may pass it on; one without it still mints plain tokens.
      const internal = await createTenant(t.db, 'viewer', { businessId: a.businessId, permissions: ['ramp:token'] });
      const passed = await mint(internal.token);
      expect(passed.status).toBe(201);
      expect(passed.body.token_info.permissions).toEqual(['ramp:token']);
      const plain = await request(`${t.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${viewer.token}` }, json: { name: 'plain' } });
      expect(plain.status).toBe(201);
      expect(plain.body.token_info.permissions).toEqual([]);
    });

    it('lists only your businesses and creates one you own', async () => {
      const list = await get('/api/v1/businesses', { authorization: `Bearer ${a.token}` });
      expect(list.status).toBe(200);
      expect(list.body.items.map((x: { id: string }) => x.id)).toEqual([a.businessId]);
      expect(list.body).toMatchObject({ has_more: false, next_cursor: null });
      const created = await request(`${t.url}/api/v1/businesses`, { method: 'POST', headers: { authorization: `Bearer ${a.token}` }, json: { name: 'Second' } });
      expect(created.status).toBe(201);
      expect(created.body.data).toMatchObject({ name: 'Second', role: 'owner', default_currency: 'USD' });
      const again = await get('/api/v1/businesses?limit=1', { authorization: `Bearer ${a.token}` });
      expect(again.body.items).toHaveLength(1);
      expect(again.body.has_more).toBe(true);
      const next = await get(`/api/v1/businesses?limit=1&cursor=${again.body.next_cursor}`, { authorization: `Bearer ${a.token}` });
      expect(next.body.items[0].id).toBe(created.body.data.id);
      expect((await get('/api/v1/businesses?cursor=garbage', { authorization: `Bearer ${a.token}` })).status).toBe(400);
    });

    it('stores only a digest of each token, never the token', async () => {
      const created = await request(`${t.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${a.token}` }, json: { name: 'ci', expires_in_days: 30 } });
      expect(created.status).toBe(201);
      expect(created.body.token).toMatch(/^dz_[0-9A-Za-z]{16}_[A-Za-z0-9_-]{43}$/);
      expect(created.body.token_info).toMatchObject({ name: 'ci', token_type: 'api', revoked_at: null, last_used_at: null });
      expect(created.headers.get('cache-control')).toBe('no-store');
      const rows = await t.db.kysely.selectFrom('api_tokens').selectAll().execute();
      const dump = JSON.stringify(rows);
      for (const token of [a.token, b.token, created.body.token]) {
        expect(dump).not.toContain(token);
        expect(dump).not.toContain(token.slice('dz_'.length + 16 + 1)); // the secret part
      }
      if (dialect === 'sqlite') {
        await sql`pragma wal_checkpoint(FULL)`.execute(t.db.kysely);
        const file = readFileSync(t.database.file!);
        expect(file.toString('latin1')).not.toContain(created.body.token.slice('dz_'.length + 16 + 1));
      }
      const listed = await get('/api/v1/tokens', { authorization: `Bearer ${a.token}` });
      expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    });

    it('expired and revoked tokens are 401; revoking another user\'s token is 404', async () => {
      const user = await createTenant(t.db, 'member', { businessId: a.businessId });
      expect((await get('/__test/viewer', user.headers)).status).toBe(200);
      const revokeOther = await request(`${t.url}/api/v1/tokens/${user.tokenId}`, { method: 'DELETE', headers: { authorization: `Bearer ${a.token}` } });
      expect(revokeOther.status).toBe(404);
      const revoked = await request(`${t.url}/api/v1/tokens/${user.tokenId}`, { method: 'DELETE', headers: { authorization: `Bearer ${user.token}` } });
      expect(revoked.status).toBe(200);
      expect(revoked.body.revoked_at).not.toBeNull();
      expect((await get('/__test/viewer', user.headers)).status).toBe(401);

      const expiring = await createTenant(t.db, 'member', { businessId: a.businessId });
      await t.db.kysely.updateTable('api_tokens').set({ expires_at: Date.now() - 1 }).where('id', '=', expiring.tokenId).execute();
      expect((await get('/__test/viewer', expiring.headers)).status).toBe(401);
    });

    it('allows at most 10 active tokens per user, even when requested concurrently', async () => {
      const user = await createTenant(t.db, 'member', { businessId: a.businessId }); // 1 active already
      const results = await Promise.all(
        Array.from({ length: 15 }, (_, i) =>
          request(`${t.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, json: { name: `t${i}` } }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(9);
      const refused = results.filter((r) => r.status === 409);
      expect(refused).toHaveLength(6);
      expect(refused[0]!.body.code).toBe('token_limit_reached');
      // Revoking one frees a slot.
      const list = await get('/api/v1/tokens', { authorization: `Bearer ${user.token}` });
      const victim = list.body.items.find((x: { id: string }) => x.id !== user.tokenId);
      await request(`${t.url}/api/v1/tokens/${victim.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${user.token}` } });
      const more = await request(`${t.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, json: { name: 'again' } });
      expect(more.status).toBe(201);
    });

    it('unknown routes are a JSON 404', async () => {
      const res = await get('/api/v1/nope', {});
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: 'Not Found', code: 'route_not_found' });
    });
  });
}
