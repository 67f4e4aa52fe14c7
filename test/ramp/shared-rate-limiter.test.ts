/**
 * The per-connection Ramp budget shared through PostgreSQL (src/ramp/shared-rate-limiter.ts, migration
 * 0007). Each registry below stands for one replica; they share nothing but the database. Assertions
 * are on counts and order (never on how fast the machine is): a time is only ever checked as a lower
 * bound that the limiter itself must wait for.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { SharedLimiterRegistry } from '../../src/ramp/shared-rate-limiter.ts';
import { createBusiness } from '../../src/tenancy/tenancy-repo.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

describe.runIf(DIALECTS.includes('postgres'))('postgres: the shared Ramp rate window', () => {
  let db: Db;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ db, cleanup } = await openTestDb('postgres'));
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
});
