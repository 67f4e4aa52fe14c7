/**
 * The per-connection Ramp budget shared through PostgreSQL (src/ramp/shared-rate-limiter.ts, migration
 * 0007). Each registry below stands for one replica; they share nothing but the database. Assertions
 * are on counts and order (never on how fast the machine is): a time is only ever checked as a lower
 * bound that the limiter itself must wait for.
 */
import { randomUUID } from 'node:crypto';
import { getEventListeners } from 'node:events';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { LimiterRegistry, type Sleep } from '../../src/ramp/rate-limiter.ts';
import { rampClientLimits, SharedLimiterRegistry } from '../../src/ramp/shared-rate-limiter.ts';
import { createBusiness } from '../../src/tenancy/tenancy-repo.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

describe.runIf(DIALECTS.includes('postgres'))('postgres: the shared Ramp rate window', () => {
  let db: Db;
  let url: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    let test: { url: string };
    ({ db, test, cleanup } = await openTestDb('postgres'));
    url = test.url;
  });
  afterAll(async () => cleanup?.());

  /** A connection row to key the window on (its secrets play no part here). */
  async function connection(): Promise<{ connectionId: string; businessId: string }> {
    const businessId = (await createBusiness(db.kysely, { name: 'Budget' })).id;
    const connectionId = randomUUID();
    const now = Date.now();
    await db.kysely
      .insertInto('ramp_connections')
      .values({
        id: connectionId, business_id: businessId, environment: 'sandbox', auth_method: 'client_credentials', status: 'connected', status_reason: null,
        scopes: 'business:read', client_id: 'c', data_key: Buffer.from([1]), data_key_kid: 'k', access_token: null, refresh_token: null, client_secret: null,
        access_token_expires_at: null, last_refreshed_at: null, version: 0, lease_owner: null, lease_until: null, refresh_attempt_id: null, refresh_attempt_at: null,
        refresh_failures: 0, next_refresh_at: null, last_error: null, last_error_at: null, created_by_token_id: null, created_at: now, updated_at: now,
      })
      .execute();
    return { connectionId, businessId };
  }

  const replica = (limit: number, windowMs: number, staleMs = 30_000) => new SharedLimiterRegistry(db, { limit, windowMs }, { staleMs });

  it('three replicas never count more than the limit in any window (a request counts from its sending until a window after its answer)', async () => {
    const { connectionId, businessId } = await connection();
    const limit = 4;
    const windowMs = 200;
    const replicas = [replica(limit, windowMs), replica(limit, windowMs), replica(limit, windowMs)];
    const intervals: { sent: number; answered: number }[] = [];
    await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const release = await replicas[i % 3]!.for(connectionId, businessId).acquire();
        const sent = Date.now();
        await new Promise((r) => setTimeout(r, i % 5));
        const answered = Date.now();
        release();
        intervals.push({ sent, answered });
      }),
    );
    expect(intervals).toHaveLength(24);
    // At every sending, the requests still counted (sent before it, answered less than a window ago, or in flight) are fewer than the limit.
    for (const { sent } of intervals) {
      const counted = intervals.filter((other) => other.sent <= sent && other.answered + windowMs > sent);
      expect(counted.length).toBeLessThanOrEqual(limit);
    }
  }, 60_000);

  it("one replica's 429 lockout holds the others until it ends", async () => {
    const { connectionId, businessId } = await connection();
    const a = replica(10, 60_000).for(connectionId, businessId);
    const b = replica(10, 60_000).for(connectionId, businessId);
    (await a.acquire())();
    const until = Date.now() + 400;
    await a.blockUntil(until);
    // B has sent nothing and seen no 429: it learns of the lockout from the database and waits it out.
    expect(b.blockedUntil).toBe(0);
    (await b.acquire())();
    // Both clocks are the machine's; a millisecond of rounding either way.
    expect(Date.now()).toBeGreaterThanOrEqual(until - 2);
    expect(b.blockedUntil).toBeGreaterThanOrEqual(until - 2);
  }, 30_000);

  it('a slot its replica never answered (the replica died) stops counting once stale, so the budget is not lost for good', async () => {
    const { connectionId, businessId } = await connection();
    const dead = replica(1, 100, 500).for(connectionId, businessId);
    await dead.acquire(); // never released
    const sentAt = Date.now();
    const release = await replica(1, 100, 500).for(connectionId, businessId).acquire();
    release();
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(400);
  }, 30_000);

  it("a full connection does not hold another tenant's connection (one line per connection)", async () => {
    const x = await connection();
    const y = await connection();
    const registry = replica(1, 60_000);
    const holding = await registry.for(x.connectionId, x.businessId).acquire();
    const giveUp = new AbortController();
    let xWaiterAdmitted = false;
    const xWaiter = registry
      .for(x.connectionId, x.businessId)
      .acquire(giveUp.signal)
      .then(() => (xWaiterAdmitted = true))
      .catch(() => 'gave up');
    (await registry.for(y.connectionId, y.businessId).acquire())();
    expect(xWaiterAdmitted).toBe(false);
    holding();
    // X's next slot frees a minute after that answer; stop waiting for it.
    giveUp.abort();
    expect(await xWaiter).toBe('gave up');
  }, 30_000);

  it('a connection deleted mid-call is not counted and does not fail the call', async () => {
    const { connectionId, businessId } = await connection();
    await db.kysely.deleteFrom('ramp_connections').where('id', '=', connectionId).execute();
    const release = await replica(1, 60_000).for(connectionId, businessId).acquire();
    release();
    (await replica(1, 60_000).for(connectionId, businessId).acquire())();
  }, 30_000);

  /**
   * A sleep that records each wait and never ends on its own: only its signal ends it (rejecting, as
   * the real one does). So a test sees how long the limiter chose to wait and what woke it, on no clock.
   */
  function heldSleep(): { sleep: Sleep; waits: { ms: number; signal: AbortSignal | undefined }[] } {
    const waits: { ms: number; signal: AbortSignal | undefined }[] = [];
    const sleep: Sleep = (ms, signal) =>
      new Promise((_, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        waits.push({ ms, signal });
      });
    return { sleep, waits };
  }
  /** A limiter has chosen its wait: no fixed sleep, only "until it is recorded". */
  const waited = (waits: unknown[], n: number) => vi.waitFor(() => expect(waits).toHaveLength(n), { timeout: 15_000, interval: 5 });

  it("this process's lockout only moves later (an earlier Retry-After does not shorten it)", async () => {
    const { connectionId, businessId } = await connection();
    const limiter = replica(10, 60_000).for(connectionId, businessId);
    const far = Date.now() + 600_000;
    await limiter.blockUntil(far);
    expect(limiter.blockedUntil).toBe(far);
    await limiter.blockUntil(far - 500_000);
    expect(limiter.blockedUntil).toBe(far);
  });

  it('a lockout this process knows is slept out here, in one wait of its length (the database is not polled meanwhile)', async () => {
    const { connectionId, businessId } = await connection();
    const { sleep, waits } = heldSleep();
    const limiter = new SharedLimiterRegistry(db, { limit: 10, windowMs: 60_000 }, { staleMs: 30_000, sleep }).for(connectionId, businessId);
    const until = Date.now() + 60_000;
    await limiter.blockUntil(until);
    const giveUp = new AbortController();
    const waiting = limiter.acquire(giveUp.signal).catch((error: unknown) => error);
    await waited(waits, 1);
    expect(waits[0]!.ms).toBeGreaterThan(50_000);
    expect(waits[0]!.ms).toBeLessThanOrEqual(60_000);
    giveUp.abort(new Error('gave up'));
    expect(await waiting).toEqual(new Error('gave up'));
  }, 30_000);

  it("another replica's lockout, learned from the database, is slept out in one wait of its length", async () => {
    const { connectionId, businessId } = await connection();
    const { sleep, waits } = heldSleep();
    // The other replica sent a request (which creates the connection's window row) and got a 429.
    const other = replica(10, 60_000).for(connectionId, businessId);
    (await other.acquire())();
    await other.blockUntil(Date.now() + 60_000);
    const limiter = new SharedLimiterRegistry(db, { limit: 10, windowMs: 60_000 }, { staleMs: 30_000, sleep }).for(connectionId, businessId);
    const giveUp = new AbortController();
    const waiting = limiter.acquire(giveUp.signal).catch(() => 'gave up');
    await waited(waits, 1);
    expect(waits[0]!.ms).toBeGreaterThan(50_000);
    expect(waits[0]!.ms).toBeLessThanOrEqual(60_001);
    expect(limiter.blockedUntil).toBeGreaterThan(Date.now() + 50_000);
    giveUp.abort();
    expect(await waiting).toBe('gave up');
  }, 30_000);

  it('a full window polls while every slot is in flight, wakes on an answer here, then waits for that answer to leave the window', async () => {
    const { connectionId, businessId } = await connection();
    const { sleep, waits } = heldSleep();
    const limiter = new SharedLimiterRegistry(db, { limit: 1, windowMs: 60_000 }, { staleMs: 120_000, sleep, pollMs: 7 }).for(connectionId, businessId);
    const first = await limiter.acquire();
    const giveUp = new AbortController();
    let settled: unknown = 'pending';
    const second = limiter.acquire(giveUp.signal).then(
      () => (settled = 'admitted'),
      (error: unknown) => (settled = error),
    );
    await waited(waits, 1);
    // Every slot in flight: no time to wait for, so poll. A full window is not a 429 lockout.
    expect(waits[0]!.ms).toBe(7);
    expect(limiter.blockedUntil).toBe(0);
    expect(getEventListeners(giveUp.signal, 'abort')).toHaveLength(1);
    first();
    // The answer wakes the line at once (the poll's sleep never ends here) and the lost sleep is stopped.
    await waited(waits, 2);
    expect(waits[0]!.signal!.aborted).toBe(true);
    // One listener on the caller's signal: the first wait removed its own.
    expect(getEventListeners(giveUp.signal, 'abort')).toHaveLength(1);
    // The answer counts for a window after it: wait for it to leave, not another poll.
    expect(waits[1]!.ms).toBeGreaterThan(50_000);
    expect(waits[1]!.ms).toBeLessThanOrEqual(60_001);
    expect(settled).toBe('pending');
    // The caller's abort reaches the wait in progress.
    giveUp.abort(new Error('gave up'));
    await second;
    expect(settled).toEqual(new Error('gave up'));
  }, 30_000);

  it('one limiter per connection in a registry', async () => {
    const { connectionId, businessId } = await connection();
    const registry = replica(1, 1000);
    expect(registry.for(connectionId, businessId)).toBe(registry.for(connectionId, businessId));
  });

  it('a write the database refuses (it went away) goes to onError; blockUntil still resolves and the call is not failed', async () => {
    const { connectionId, businessId } = await connection();
    const own = openDatabase(url);
    const errors: unknown[] = [];
    const limiter = new SharedLimiterRegistry(own, { limit: 10, windowMs: 60_000 }, { staleMs: 30_000, onError: (e) => void errors.push(e) }).for(connectionId, businessId);
    const release = await limiter.acquire();
    await own.close();
    release();
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 15_000, interval: 5 });
    await limiter.blockUntil(Date.now() + 1000);
    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toBeInstanceOf(Error);
  }, 30_000);

  it('rampClientLimits: shared on PostgreSQL (stale after the longest attempt plus a window, write failures logged), in memory on SQLite or with the limit off', () => {
    const warn = vi.fn();
    const log = { warn } as unknown as Logger;
    const shared = rampClientLimits(db, 100, log);
    expect(shared.rateLimit).toEqual({ limit: 100, windowMs: 10_000 });
    expect(shared.limiters).toBeInstanceOf(SharedLimiterRegistry);
    const options = (shared.limiters as SharedLimiterRegistry).options;
    expect(options.staleMs).toBe(40_000);
    const error = new Error('db gone');
    options.onError!(error);
    expect(warn).toHaveBeenCalledWith({ err: error }, expect.stringContaining('shared rate window'));
    expect(rampClientLimits({ ...db, dialect: 'sqlite' }, 100).limiters).toBeInstanceOf(LimiterRegistry);
    const off = rampClientLimits(db, 0);
    expect(off.rateLimit).toBe(false);
    expect(off.limiters).toBeInstanceOf(LimiterRegistry);
  });
});
