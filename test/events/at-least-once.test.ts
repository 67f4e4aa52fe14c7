/**
 * Durability and concurrency of delivery, both dialects, with separate database handles standing in
 * for separate processes:
 * - a worker that "crashes" holding leases (its requests never finish) loses nothing: once the leases
 *   expire a new worker delivers every event exactly once, and the crashed worker's late outcome is
 *   fenced out;
 * - a worker stopped mid-flight hands its deliveries back at once (no attempt counted) and a new
 *   worker delivers them all;
 * - two workers draining the same queue concurrently never deliver the same delivery twice
 *   (SKIP LOCKED on PostgreSQL, the single writer on SQLite): receiver hits per event id == 1.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { claimDueDeliveries } from '../../src/events/delivery-queue.ts';
import { DeliveryWorker, type DeliveryOptions } from '../../src/events/delivery-worker.ts';
import { OutboxEventSink } from '../../src/events/outbox-event-sink.ts';
import { WebhookEndpointStore } from '../../src/events/webhook-endpoint-store.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS, openTestDb, type TestDatabase } from '../helpers/test-db.ts';
import { startReceiver, testVault, type Receiver } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: at-least-once delivery across restarts and replicas`, () => {
    let db: Db;
    let database: TestDatabase;
    let cleanup: () => Promise<void>;
    let receiver: Receiver;
    let tenant: Tenant;
    const extraHandles: Db[] = [];
    const vault = testVault();

    /** A worker on its own database handle, as another process would have. */
    const replica = (options: Partial<DeliveryOptions> = {}, fetchImpl?: typeof fetch) => {
      const handle = openDatabase(database.url, { poolSize: 4 });
      extraHandles.push(handle);
      return new DeliveryWorker({
        db: handle,
        store: new WebhookEndpointStore(handle, vault, Date.now),
        log: createLogger('silent'),
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
        egress: { allowPrivateAddresses: true }, // the receiver is on loopback
        options: { pollIntervalMs: 20, backoffBaseMs: 10, backoffCapMs: 20, ...options },
      });
    };
    const statuses = async () =>
      db.kysely.selectFrom('webhook_deliveries').select(['event_id', 'status', 'attempts', 'lease_owner']).where('business_id', '=', tenant.businessId).execute();

    beforeAll(async () => {
      ({ db, test: database, cleanup } = await openTestDb(dialect));
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await receiver.close();
      await cleanup();
    });
    beforeEach(async () => {
      receiver.requests.length = 0;
      receiver.reply = () => 200;
      tenant = await createTenant(db, 'owner');
      // Each test starts with an empty queue: leftovers of earlier tests would be claimed too.
      await db.kysely.updateTable('webhook_deliveries').set({ status: 'dead', lease_owner: null, lease_until: null }).where('status', '=', 'pending').execute();
      await new WebhookEndpointStore(db, vault, Date.now).create(tenant.businessId, receiver.url, null);
    });
    afterEach(async () => {
      for (const handle of extraHandles.splice(0)) await handle.close();
    });

    const emitMany = async (n: number) => {
      const sink = new OutboxEventSink(db, Date.now);
      for (let i = 0; i < n; i++) await sink.emit(tenant.businessId, i % 2 ? 'sync.completed' : 'connection.recovered', { n: i });
    };

    it('a crashed worker loses nothing: its leases expire, a new worker delivers each event once, its late outcome is fenced out', async () => {
      await emitMany(12);
      // The "crashed" replica's requests never complete (as if the process froze mid-POST).
      let release: (r: Response) => void = () => {};
      const frozen = new Promise<Response>((resolve) => (release = resolve));
      const crashed = replica({ leaseMs: 400, timeoutMs: 300, batchSize: 50 }, () => frozen);
      const abandoned = crashed.runOnce();
      // Wait until it holds every delivery.
      for (let i = 0; i < 1_000 && (await statuses()).some((s) => s.lease_owner === null); i++) await new Promise((r) => setTimeout(r, 10));
      expect((await statuses()).every((s) => s.lease_owner !== null && s.status === 'pending')).toBe(true);

      const restarted = replica({ leaseMs: 5_000, timeoutMs: 2_000 });
      const started = Date.now();
      await restarted.drain({ timeoutMs: 10_000 });
      // Nothing could be taken before the leases expired.
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      const rows = await statuses();
      expect(rows).toHaveLength(12);
      expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
      expect([...receiver.hitsByEvent().values()]).toEqual(Array(12).fill(1));

      // The frozen replica wakes up and tries to record its stale outcome: fenced, nothing changes.
      release(new Response(null, { status: 500 }));
      await abandoned;
      expect(await statuses()).toEqual(rows);
    });

    it('stopping a worker mid-flight hands its deliveries back; a new worker delivers them all', async () => {
      await emitMany(8);
      receiver.reply = () => 'hang';
      // The receiver hangs and the worker's timeout (60 s) outlasts the test's: had stop() waited for the
      // requests in flight, the test would time out. No wall-clock bound needed.
      const first = replica({ leaseMs: 120_000, timeoutMs: 60_000, stopGraceMs: 100 });
      first.start();
      await receiver.waitFor(8);
      await first.stop();
      // Handed back: still pending, no lease, no attempt counted (a shutdown is not the receiver's fault).
      expect((await statuses()).every((s) => s.status === 'pending' && s.lease_owner === null && s.attempts === 0)).toBe(true);

      receiver.reply = () => 200;
      const second = replica();
      await second.drain({ timeoutMs: 10_000 });
      const rows = await statuses();
      expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
      // At-least-once: every event arrived; the ones cut off by the stop arrived twice.
      const hits = receiver.hitsByEvent();
      expect(hits.size).toBe(8);
      expect([...hits.values()].every((n) => n === 2)).toBe(true);
    });

    it('a claim takes at most its batch, and concurrent claims from two handles take disjoint rows', async () => {
      // Regression: with `id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` PostgreSQL planned a
      // nested-loop semi-join that rescanned the subquery per row, and one claim of 5 took all 40.
      await emitMany(40);
      const handles = [openDatabase(database.url, { poolSize: 4 }), openDatabase(database.url, { poolSize: 4 })];
      extraHandles.push(...handles);
      const now = Date.now();
      const claims = await Promise.all(
        [0, 1, 2, 3, 4, 5].map((i) => claimDueDeliveries(handles[i % 2]!.kysely, dialect, { leaseOwner: `claim-${i}`, now, leaseMs: 60_000, limit: 5 })),
      );
      expect(claims.map((c) => c.length)).toEqual([5, 5, 5, 5, 5, 5]);
      const ids = claims.flat().map((c) => c.id);
      expect(new Set(ids).size).toBe(30);
      const leased = await db.kysely.selectFrom('webhook_deliveries').select('lease_owner').where('business_id', '=', tenant.businessId).where('lease_owner', 'is not', null).execute();
      expect(leased).toHaveLength(30);
    });

    it('two workers on the same database never deliver the same delivery twice', async () => {
      await emitMany(120);
      const byWorker = new Map<string, number>();
      const counting = (name: string): typeof fetch => async (input, init) => {
        byWorker.set(name, (byWorker.get(name) ?? 0) + 1);
        // A few ms per request, so the two workers' claims interleave.
        await new Promise((r) => setTimeout(r, 2));
        return fetch(input, init);
      };
      const a = replica({ batchSize: 5, maxInFlight: 5 }, counting('a'));
      const b = replica({ batchSize: 5, maxInFlight: 5 }, counting('b'));
      await Promise.all([a.drain({ timeoutMs: 20_000 }), b.drain({ timeoutMs: 20_000 })]);
      const hits = receiver.hitsByEvent();
      expect(hits.size).toBe(120);
      expect([...hits.values()].every((n) => n === 1)).toBe(true);
      expect((await statuses()).every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
      // Both really worked the queue.
      expect(byWorker.get('a') ?? 0).toBeGreaterThan(0);
      expect(byWorker.get('b') ?? 0).toBeGreaterThan(0);
      expect((byWorker.get('a') ?? 0) + (byWorker.get('b') ?? 0)).toBe(120);
    });

    it('running workers with failures still deliver everything (retries included) and nothing twice after success', async () => {
      await emitMany(30);
      // Every event fails once, then succeeds.
      const failedOnce = new Set<string>();
      receiver.reply = (r) => {
        if (failedOnce.has(r.eventId)) return 200;
        failedOnce.add(r.eventId);
        return 500;
      };
      const a = replica({ batchSize: 4 });
      const b = replica({ batchSize: 4 });
      a.start();
      b.start();
      try {
        const deadline = Date.now() + 10_000;
        while ((await statuses()).some((s) => s.status !== 'delivered')) {
          if (Date.now() > deadline) throw new Error('not delivered in time');
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
      expect([...receiver.hitsByEvent().values()]).toEqual(Array(30).fill(2));
      expect((await statuses()).every((r) => r.attempts === 2)).toBe(true);
    });
  });
}
