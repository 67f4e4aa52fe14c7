/**
 * The auth hook in-process, cached and uncached (`cacheTtlMs` 0 reads the database on every request;
 * an hour makes every later request take the hot path): the Bearer grammar, expiry and revocation on
 * both paths, the business header, roles and permissions, cache keys that never mix callers or
 * businesses, `last_used_at` at most once a minute, and the budget spent by admitted and by refused
 * callers. The clock is injected (`now`); nothing waits on wall time. Written to kill the mutants
 * `npm run mutate -- http-auth` left alive.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { authOf, installAuth } from '../../src/http/auth.ts';
import { installErrorHandler } from '../../src/http/error-handler.ts';
import { ApiRateLimiter } from '../../src/http/rate-limit.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

const NO_LIMIT = { perTokenRps: 0, perTokenBurst: 0, perBusinessRps: 0, perBusinessBurst: 0 };

async function buildAuthApp(db: Db, options: { cacheTtlMs: number; now: () => number; limits?: typeof NO_LIMIT }): Promise<FastifyInstance> {
  const app = Fastify({ genReqId: (req) => String(req.headers['x-request-id'] ?? 'generated') }) as unknown as FastifyInstance;
  installErrorHandler(app);
  installAuth(app, db.kysely, { now: options.now, cacheTtlMs: options.cacheTtlMs, limiter: new ApiRateLimiter(options.limits ?? NO_LIMIT) });
  const echo = async (req: FastifyRequest) => ({ ...req.auth });
  app.get('/public', async () => ({ ok: true }));
  app.get('/user', { config: { auth: { kind: 'user' } } }, echo);
  for (const role of ['viewer', 'member', 'admin', 'owner'] as const) app.get(`/${role}`, { config: { auth: { kind: 'business', minRole: role } } }, echo);
  app.get('/internal', { config: { auth: { kind: 'business', minRole: 'viewer', permission: 'ramp:token' } } }, echo);
  await app.ready();
  return app;
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: the auth hook`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    let owner: Tenant;
    let other: Tenant;
    const clock = { now: Date.now() };
    const now = () => clock.now;
    beforeAll(async () => {
      ({ db, cleanup } = await openTestDb(dialect));
      owner = await createTenant(db, 'owner');
      other = await createTenant(db, 'owner');
    });
    afterAll(async () => cleanup?.());

    const call = (app: FastifyInstance, url: string, headers: Record<string, string | string[]>) => app.inject({ method: 'GET', url, headers });
    const auditRows = async (tokenId: string) => db.kysely.selectFrom('audit_log').selectAll().where('actor_token_id', '=', tokenId).execute();

    for (const cacheTtlMs of [0, 3_600_000]) {
      describe(cacheTtlMs === 0 ? 'uncached' : 'cached', () => {
        let app: FastifyInstance;
        beforeAll(async () => {
          app = await buildAuthApp(db, { cacheTtlMs, now });
        });
        afterAll(async () => app?.close());

        it('a route without a requirement is not touched; authOf there is a programming error', async () => {
          const res = await call(app, '/public', {});
          expect(res.statusCode).toBe(200);
          expect((await call(app, '/nope', {})).statusCode).toBe(404);
          expect(res.headers['x-request-id']).toBeUndefined();
          expect(() => authOf({} as FastifyRequest)).toThrow('route has no auth requirement');
        });

        it('Bearer, any case, surrounding spaces; anything else is 401 "Not authenticated" with the request id', async () => {
          for (let round = 0; round < 2; round++) {
            for (const authorization of [`Bearer ${owner.token}`, `bearer ${owner.token}`, `  BEARER   ${owner.token}  `]) {
              const res = await call(app, '/user', { authorization, 'x-request-id': 'rid-1' });
              expect(res.statusCode, authorization).toBe(200);
              expect(res.headers['x-request-id']).toBe('rid-1');
              expect(res.json()).toEqual({ tokenId: owner.tokenId, userId: owner.userId, permissions: [] });
            }
          }
          const wrongSecret = owner.token.slice(0, -4) + (owner.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
          for (const authorization of ['', 'Bearer', `Basic ${owner.token}`, `xBearer ${owner.token}`, `Basic Bearer ${owner.token}`, `Bearer ${owner.token} x`, `Bearer x${owner.token}`, `Token ${owner.token}`, 'Bearer dz_short', `Bearer dz_0123456789abcdef_${'A'.repeat(43)}`, `Bearer ${wrongSecret}`, `Bearer ${wrongSecret}`]) {
            for (const url of ['/user', '/viewer']) {
              const res = await call(app, url, { authorization, 'x-business-id': owner.businessId, 'x-request-id': 'rid-2' });
              expect(res.statusCode, `${url} ${authorization}`).toBe(401);
              expect(res.json()).toEqual({ detail: 'Not authenticated', code: 'not_authenticated' });
              expect(res.headers['x-request-id']).toBe('rid-2');
            }
          }
          expect((await call(app, '/user', {})).statusCode).toBe(401);
        });

        it('a business route needs exactly one valid x-business-id; the id is read case-insensitively', async () => {
          for (let round = 0; round < 2; round++) {
            const res = await call(app, '/viewer', { authorization: `Bearer ${owner.token}`, 'x-business-id': ` ${owner.businessId.toUpperCase()} ` });
            expect(res.statusCode).toBe(200);
            expect(res.json()).toEqual({ tokenId: owner.tokenId, userId: owner.userId, permissions: [], businessId: owner.businessId, role: 'owner' });
          }
          for (const business of [undefined, 'not-a-uuid', [owner.businessId, owner.businessId]]) {
            const res = await call(app, '/viewer', { authorization: `Bearer ${owner.token}`, ...(business ? { 'x-business-id': business } : {}) });
            expect(res.statusCode, String(business)).toBe(400);
            expect(res.json()).toEqual({ detail: 'The x-business-id header must be one business UUID', code: 'invalid_request' });
          }
        });

        it("another business is 403, audited once per refusal, and never answered from the caller's own cached context", async () => {
          const caller = await createTenant(db, 'owner');
          for (let round = 0; round < 2; round++) {
            expect((await call(app, '/viewer', caller.headers)).statusCode).toBe(200);
            const res = await call(app, '/viewer', { ...caller.headers, 'x-business-id': other.businessId });
            expect(res.statusCode).toBe(403);
            expect(res.json()).toEqual({ detail: 'Not enough permissions', code: 'not_enough_permissions' });
          }
          const rows = await auditRows(caller.tokenId);
          expect(rows).toHaveLength(2);
          expect(rows.every((r) => r.business_id === other.businessId && r.outcome !== 'success')).toBe(true);
        });

        it('roles and permissions per caller: a cached role never leaks to another user of the same business', async () => {
          const viewer = await createTenant(db, 'viewer', { businessId: owner.businessId });
          const internal = await createTenant(db, 'viewer', { businessId: owner.businessId, permissions: ['ramp:token'] });
          for (let round = 0; round < 2; round++) {
            expect((await call(app, '/owner', owner.headers)).statusCode).toBe(200);
            expect((await call(app, '/owner', viewer.headers)).statusCode).toBe(403);
            expect((await call(app, '/member', viewer.headers)).statusCode).toBe(403);
            expect((await call(app, '/viewer', viewer.headers)).statusCode).toBe(200);
            expect((await call(app, '/internal', owner.headers)).statusCode).toBe(403);
            expect((await call(app, '/internal', viewer.headers)).statusCode).toBe(403);
            const res = await call(app, '/internal', internal.headers);
            expect(res.statusCode).toBe(200);
            expect(res.json().permissions).toEqual(['ramp:token']);
          }
        });

        it('expiry is checked against the injected clock on every path, the expiry instant included', async () => {
          const user = await createTenant(db, 'member', { businessId: owner.businessId });
          const row = await db.kysely.selectFrom('api_tokens').select('expires_at').where('id', '=', user.tokenId).executeTakeFirstOrThrow();
          const expiresAt = Number(row.expires_at);
          const saved = clock.now;
          try {
            clock.now = expiresAt - 1;
            expect((await call(app, '/user', user.headers)).statusCode).toBe(200);
            expect((await call(app, '/viewer', user.headers)).statusCode).toBe(200);
            expect((await call(app, '/viewer', user.headers)).statusCode).toBe(200);
            clock.now = expiresAt;
            expect((await call(app, '/viewer', user.headers)).statusCode).toBe(401);
            expect((await call(app, '/user', user.headers)).statusCode).toBe(401);
          } finally {
            clock.now = saved;
          }
        });

        it('a revoked row is refused at once wherever it is held', async () => {
          const user = await createTenant(db, 'member', { businessId: owner.businessId });
          expect((await call(app, '/viewer', user.headers)).statusCode).toBe(200);
          expect((await call(app, '/user', user.headers)).statusCode).toBe(200);
          await db.kysely.updateTable('api_tokens').set({ revoked_at: clock.now }).where('id', '=', user.tokenId).execute();
          const cached = app.authCache.tokens.get(user.tokenId);
          if (cached) cached.revoked_at = clock.now; // the object the hot path holds, as a revocation in this replica leaves it
          expect((await call(app, '/viewer', user.headers)).statusCode).toBe(401);
          expect((await call(app, '/user', user.headers)).statusCode).toBe(401);
        });
      });
    }

    it('the hot path answers a known (Authorization, x-business-id) pair from one lookup, within the cache TTL', async () => {
      const app = await buildAuthApp(db, { cacheTtlMs: 3_600_000, now });
      const user = await createTenant(db, 'owner');
      expect((await call(app, '/owner', user.headers)).statusCode).toBe(200);
      // Demoted in the database and the role cache emptied: the resolved answer still stands until it expires
      // (README: a role change reaches other replicas within the cache TTL).
      await db.kysely.updateTable('memberships').set({ role: 'viewer' }).where('user_id', '=', user.userId).execute();
      app.authCache.roles.clear();
      expect((await call(app, '/owner', user.headers)).statusCode).toBe(200);
      app.authCache.resolved.clear();
      expect((await call(app, '/owner', user.headers)).statusCode).toBe(403);
      await app.close();
    });

    describe('tarpit (fake setTimeout: no wall-clock waits)', () => {
      afterEach(() => vi.useRealTimers());

      it('a 429 is held 100 ms, at most 1,000 at a time; the rest are answered at once, and the count drains', async () => {
        const limits = { perTokenRps: 0.001, perTokenBurst: 1, perBusinessRps: 0, perBusinessBurst: 0 };
        const app = await buildAuthApp(db, { cacheTtlMs: 3_600_000, now, limits });
        const caller = await createTenant(db, 'owner');
        expect((await call(app, '/viewer', caller.headers)).statusCode).toBe(200);
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
        const flush = async () => {
          for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        };
        for (let round = 0; round < 2; round++) {
          const answered: number[] = [];
          const calls = Array.from({ length: 1_002 }, (_, i) => call(app, '/viewer', caller.headers).then((res) => {
            answered.push(i);
            return res;
          }));
          await flush();
          // Held: the first 1,000; answered at once: the two past the cap.
          expect(answered.sort((x, y) => x - y), `round ${round}`).toEqual([1_000, 1_001]);
          vi.advanceTimersByTime(99);
          await flush();
          expect(answered).toHaveLength(2);
          vi.advanceTimersByTime(1);
          const all = await Promise.all(calls);
          expect(all.every((res) => res.statusCode === 429)).toBe(true);
        }
        vi.useRealTimers();
        await app.close();
      });
    });

    it('last_used_at is written on first use, then at most once a minute (60 s after still skipped)', async () => {
      const app = await buildAuthApp(db, { cacheTtlMs: 3_600_000, now });
      const user = await createTenant(db, 'member', { businessId: owner.businessId });
      const lastUsed = async () => (await db.kysely.selectFrom('api_tokens').select('last_used_at').where('id', '=', user.tokenId).executeTakeFirstOrThrow()).last_used_at;
      const t0 = clock.now;
      try {
        const seen: (number | null)[] = [];
        for (const [offset, url] of [[0, '/viewer'], [30_000, '/viewer'], [60_000, '/user'], [60_001, '/viewer'], [90_000, '/user'], [120_002, '/user']] as const) {
          clock.now = t0 + offset;
          expect((await call(app, url, user.headers)).statusCode).toBe(200);
          // SQLite's one connection runs statements in order: this read follows the touch it started.
          seen.push(Number(await lastUsed()) - t0);
        }
        if (dialect === 'sqlite') expect(seen).toEqual([0, 0, 0, 60_001, 60_001, 120_002]);
      } finally {
        clock.now = t0;
        await app.close();
      }
    });

    it('over the token budget → 429 with Retry-After; refused callers spend their own budget, not the business', async () => {
      const limits = { perTokenRps: 0.001, perTokenBurst: 2, perBusinessRps: 0, perBusinessBurst: 0 };
      const app = await buildAuthApp(db, { cacheTtlMs: 0, now, limits });
      const caller = await createTenant(db, 'owner');
      expect((await call(app, '/viewer', caller.headers)).statusCode).toBe(200);
      expect((await call(app, '/viewer', caller.headers)).statusCode).toBe(200);
      const limited = await call(app, '/viewer', caller.headers);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('rate_limited');
      expect(limited.headers['retry-after']).toBe('1000');

      const intruder = await createTenant(db, 'owner');
      const foreign = { ...intruder.headers, 'x-business-id': caller.businessId };
      expect((await call(app, '/viewer', foreign)).statusCode).toBe(403);
      expect((await call(app, '/viewer', foreign)).statusCode).toBe(403);
      const throttled = await call(app, '/viewer', foreign);
      expect(throttled.statusCode).toBe(429);
      expect(throttled.headers['retry-after']).toBe('1000');
      expect(await auditRows(intruder.tokenId)).toHaveLength(2);
      await app.close();
    });

    it('the business budget counts every token acting on the business', async () => {
      const limits = { perTokenRps: 0, perTokenBurst: 0, perBusinessRps: 0.001, perBusinessBurst: 1 };
      const app = await buildAuthApp(db, { cacheTtlMs: 0, now, limits });
      const first = await createTenant(db, 'owner');
      const second = await createTenant(db, 'member', { businessId: first.businessId });
      expect((await call(app, '/viewer', first.headers)).statusCode).toBe(200);
      expect((await call(app, '/viewer', second.headers)).statusCode).toBe(429);
      expect((await call(app, '/user', second.headers)).statusCode).toBe(200);
      await app.close();
    });
  });
}
