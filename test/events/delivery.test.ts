/**
 * Outbound delivery against a real loopback receiver, both dialects: the wire format and a signature the
 * receiver verifies with the secret it was shown; event-type filtering; retries with full-jitter
 * backoff (on a fake clock, so delays are exact) then delivered; dead after the attempt cap; timeouts,
 * redirects and refused connections as failures; deleted endpoints; the transactional `emitIn`; the
 * compiled claim statement on each dialect; and the running worker end to end.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { parseKeyRing, staticKeyRing } from '../../src/vault/keyring.ts';
import { ENCRYPTED_TABLES } from '../../src/vault/encrypted-tables.ts';
import { keyUsage, rewrapAll } from '../../src/vault/rewrap.ts';
import { Vault } from '../../src/vault/vault.ts';
import { TEST_ENCRYPTION_KEYS } from '../helpers/test-server.ts';
import { DeliveryWorker, type DeliveryOptions } from '../../src/events/delivery-worker.ts';
import { claimStatement } from '../../src/events/delivery-queue.ts';
import { verifyWebhookSignature } from '../../src/events/signature.ts';
import { OutboxEventSink } from '../../src/events/outbox-event-sink.ts';
import { WebhookEndpointStore } from '../../src/events/webhook-endpoint-store.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { freePort } from '../helpers/test-server.ts';
import { startEventsApp, startReceiver, type EventsHarness, type Receiver } from './helpers.ts';

/** The receivers here are on loopback. */
const LOOPBACK_OK = { allowPrivateAddresses: true };

for (const dialect of DIALECTS) {
  describe(`${dialect}: webhook delivery`, () => {
    let h: EventsHarness;
    let receiver: Receiver;
    let tenant: Tenant;
    let clock: number;
    let store: WebhookEndpointStore;
    let sink: OutboxEventSink;
    const now = () => clock;
    const worker = (options: Partial<DeliveryOptions> = {}) =>
      new DeliveryWorker({ db: h.db, store, log: createLogger('silent'), now, egress: LOOPBACK_OK, options: { backoffBaseMs: 1_000, backoffCapMs: 3_600_000, random: () => 0.5, ...options } });
    const deliveries = () => h.db.kysely.selectFrom('webhook_deliveries').selectAll().where('business_id', '=', tenant.businessId).orderBy('created_at').execute();

    beforeAll(async () => {
      h = await startEventsApp(dialect, { pollIntervalMs: 50, delivery: { backoffBaseMs: 10, backoffCapMs: 40, timeoutMs: 2_000, leaseMs: 5_000 } });
      receiver = await startReceiver();
      store = new WebhookEndpointStore(h.db, h.vault, now);
      sink = new OutboxEventSink(h.db, now);
    });
    afterAll(async () => {
      await h.close();
      await receiver.close();
    });
    beforeEach(async () => {
      clock = Date.now();
      receiver.requests.length = 0;
      receiver.reply = () => 200;
      tenant = await createTenant(h.db, 'owner');
      // Each test starts with an empty queue: leftovers of earlier tests would be claimed too.
      await h.db.kysely.updateTable('webhook_deliveries').set({ status: 'dead', lease_owner: null, lease_until: null }).where('status', '=', 'pending').execute();
    });

    const endpoint = async (url = receiver.url, types: Parameters<WebhookEndpointStore['create']>[2] = null) => {
      const result = await store.create(tenant.businessId, url, types);
      if (!('created' in result)) throw new Error('limit');
      return result;
    };

    it('POSTs the event as signed JSON the receiver can verify with the secret it was shown', async () => {
      const { secret } = await endpoint();
      await sink.emit(tenant.businessId, 'connection.created', { connection_id: 'c1', auth_method: 'oauth', access_token: 'must-not-leak' });
      expect(await worker().runOnce()).toBe(1);
      expect(receiver.requests).toHaveLength(1);
      const [req] = receiver.requests;
      const event = await h.db.kysely.selectFrom('events').selectAll().where('business_id', '=', tenant.businessId).executeTakeFirstOrThrow();
      expect(req!.path).toBe('/hooks');
      expect(req!.headers['content-type']).toBe('application/json');
      expect(req!.headers['user-agent']).toBe('ramp-connect-webhooks/1');
      expect(req!.headers['x-ramp-connect-event-id']).toBe(event.id);
      expect(JSON.parse(req!.body)).toEqual({
        id: event.id,
        type: 'connection.created',
        created_at: new Date(clock).toISOString(),
        business_id: tenant.businessId,
        data: { connection_id: 'c1', auth_method: 'oauth', access_token: '[REDACTED]' },
      });
      const header = String(req!.headers['x-ramp-connect-signature']);
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(Number(/^t=(\d+)/.exec(header)![1])).toBe(Math.floor(clock / 1000));
      expect(verifyWebhookSignature(secret, header, req!.body, { now: clock })).toBe(true);
      expect(verifyWebhookSignature(secret, header, req!.body.replace('c1', 'c2'), { now: clock })).toBe(false);
      expect(verifyWebhookSignature(secret, header, req!.body, { now: clock + 600_000 })).toBe(false);
      expect(await deliveries()).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1, last_status_code: 200, last_error: null, delivered_at: clock, lease_owner: null })]);
    });

    it('delivers only the event types an endpoint subscribed to', async () => {
      const syncOnly = await endpoint(`${receiver.url}/sync`, ['sync.completed', 'sync.failed']);
      const all = await endpoint(`${receiver.url}/all`, null);
      const other = await createTenant(h.db, 'owner');
      await store.create(other.businessId, `${receiver.url}/other-tenant`, null);
      await sink.emit(tenant.businessId, 'connection.created', {});
      await sink.emit(tenant.businessId, 'sync.failed', {});
      await sink.emit(tenant.businessId, 'connection.needs_reauth', {});
      await worker().drain({ timeoutMs: 5_000 });
      const byPath = (p: string) => receiver.requests.filter((r) => r.path === p).map((r) => JSON.parse(r.body).type as string).sort();
      expect(byPath('/hooks/sync')).toEqual(['sync.failed']);
      expect(byPath('/hooks/all')).toEqual(['connection.created', 'connection.needs_reauth', 'sync.failed']);
      expect(byPath('/hooks/other-tenant')).toEqual([]);
      const rows = await deliveries();
      expect(rows.filter((r) => r.endpoint_id === syncOnly.created.id)).toHaveLength(1);
      expect(rows.filter((r) => r.endpoint_id === all.created.id)).toHaveLength(3);
    });

    it('retries after 500s with full-jitter backoff, then delivers', async () => {
      await endpoint();
      const replies = [500, 503, 200];
      receiver.reply = (_r, i) => replies[i] ?? 200;
      await sink.emit(tenant.businessId, 'sync.completed', { sync_id: 's1' });
      const w = worker();
      const t0 = clock;
      expect(await w.runOnce()).toBe(1);
      // Attempt 1 failed: next in rand(0, min(cap, 1000·2^0)) = 0.5 · 1000.
      expect((await deliveries())[0]).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500, last_error: 'HTTP 500', next_attempt_at: t0 + 500 });
      // Not due yet: nothing is claimed, nothing sent.
      clock = t0 + 499;
      expect(await w.runOnce()).toBe(0);
      clock = t0 + 500;
      expect(await w.runOnce()).toBe(1);
      // Attempt 2 failed: 0.5 · 1000·2^1.
      expect((await deliveries())[0]).toMatchObject({ attempts: 2, last_status_code: 503, next_attempt_at: t0 + 500 + 1_000 });
      clock = t0 + 1_500;
      expect(await w.runOnce()).toBe(1);
      expect((await deliveries())[0]).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200, last_error: null, delivered_at: t0 + 1_500 });
      expect(receiver.requests.map((r) => r.eventId)).toEqual(Array(3).fill(receiver.requests[0]!.eventId));
    });

    it('backoff is capped, honours Retry-After as a floor, and the delivery is dead after the attempt cap', async () => {
      await endpoint();
      receiver.reply = () => 500;
      await sink.emit(tenant.businessId, 'sync.failed', {});
      const w = worker({ maxAttempts: 5, backoffBaseMs: 1_000, backoffCapMs: 3_000, random: () => 0.999_999 });
      const delays: number[] = [];
      for (let i = 0; i < 5; i++) {
        expect(await w.runOnce()).toBe(1);
        const [row] = await deliveries();
        if (row!.status === 'pending') delays.push(Number(row!.next_attempt_at) - clock);
        clock = Number(row!.next_attempt_at);
      }
      expect(delays).toEqual([999, 1_999, 2_999, 2_999]);
      const [dead] = await deliveries();
      expect(dead).toMatchObject({ status: 'dead', attempts: 5, last_status_code: 500, last_error: 'HTTP 500', delivered_at: null });
      clock += 10 * 3_600_000;
      expect(await w.runOnce()).toBe(0);
      expect(receiver.requests).toHaveLength(5);
    });

    it('a 429 with Retry-After waits at least that long', async () => {
      await endpoint();
      await sink.emit(tenant.businessId, 'sync.failed', {});
      const w = worker({ random: () => 0 });
      receiver.reply = () => 200;
      // The receiver helper sends no Retry-After, so answer through an injected fetch here.
      const limited = new DeliveryWorker({
        db: h.db,
        store,
        log: createLogger('silent'),
        now,
        fetch: async () => new Response(null, { status: 429, headers: { 'retry-after': '120' } }),
        options: { random: () => 0 },
      });
      expect(await limited.runOnce()).toBe(1);
      expect((await deliveries())[0]).toMatchObject({ attempts: 1, last_status_code: 429, next_attempt_at: clock + 120_000 });
      clock += 120_000;
      expect(await w.runOnce()).toBe(1);
      expect((await deliveries())[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    });

    it('timeouts, redirects and refused connections are failures with a short error, never a response body', async () => {
      const hang = await endpoint(`${receiver.url}/hang`);
      const redirect = await endpoint(`${receiver.url}/redirect`);
      const refused = await endpoint(`http://127.0.0.1:${await freePort()}/nothing-listens`);
      receiver.reply = (r) => (r.path.endsWith('/hang') ? 'hang' : 302);
      await sink.emit(tenant.businessId, 'sync.failed', {});
      // The hanging receiver never answers: only the timeout can end its delivery (1.5 s, so the 302 and
      // the refused connection are answered well within it even on a busy machine).
      expect(await worker({ timeoutMs: 1_500, leaseMs: 5_000 }).runOnce()).toBe(3);
      const rows = await deliveries();
      const of = (id: string) => rows.find((r) => r.endpoint_id === id)!;
      expect(of(hang.created.id)).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null, last_error: 'timeout after 1500 ms' });
      expect(of(redirect.created.id)).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 302, last_error: 'HTTP 302 (redirects are not followed)' });
      expect(of(refused.created.id)).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null, last_error: 'network error (ECONNREFUSED)' });
      // The redirect target was never contacted.
      expect(receiver.requests.filter((r) => r.path === '/elsewhere')).toHaveLength(0);
    });

    it('deleting an endpoint drops its pending deliveries; nothing more is sent to it', async () => {
      const { created } = await endpoint();
      await sink.emit(tenant.businessId, 'sync.failed', {});
      await sink.emit(tenant.businessId, 'sync.completed', {});
      expect(await store.delete(tenant.businessId, created.id)).toBe(true);
      expect(await worker().runOnce()).toBe(0);
      expect(receiver.requests).toHaveLength(0);
      expect((await deliveries()).map((r) => [r.status, r.last_error])).toEqual([
        ['dead', 'endpoint deleted'],
        ['dead', 'endpoint deleted'],
      ]);
      await sink.emit(tenant.businessId, 'sync.failed', {});
      expect(await deliveries()).toHaveLength(2);
    });

    it('a claimed delivery whose endpoint was deleted meanwhile is not sent', async () => {
      const { created } = await endpoint();
      await sink.emit(tenant.businessId, 'sync.failed', {});
      // Deleted between the claim and the POST: simulate by deactivating without touching the delivery.
      await h.db.kysely.updateTable('webhook_endpoints').set({ active: 0, secret: null }).where('id', '=', created.id).execute();
      expect(await worker().runOnce()).toBe(1);
      expect(receiver.requests).toHaveLength(0);
      expect((await deliveries())[0]).toMatchObject({ status: 'dead', last_error: 'endpoint deleted' });
    });

    it('a secret that does not decrypt where it is is never used; the delivery is retried, not sent unsigned', async () => {
      const first = await endpoint(`${receiver.url}/a`);
      const second = await endpoint(`${receiver.url}/b`);
      const row = await h.db.kysely.selectFrom('webhook_endpoints').select('secret').where('id', '=', first.created.id).executeTakeFirstOrThrow();
      await h.db.kysely.updateTable('webhook_endpoints').set({ secret: row.secret }).where('id', '=', second.created.id).execute();
      await sink.emit(tenant.businessId, 'sync.failed', {});
      expect(await worker().runOnce()).toBe(2);
      expect(receiver.requests.map((r) => r.path)).toEqual(['/hooks/a']);
      const rows = await deliveries();
      expect(rows.find((r) => r.endpoint_id === second.created.id)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'signing secret could not be decrypted' });
    });

    it('key rotation rewraps endpoint data keys; secrets still open and deliveries still verify', async () => {
      expect(ENCRYPTED_TABLES.map((t) => t.table)).toContain('webhook_endpoints');
      const { created, secret } = await endpoint();
      const newKey = `new1:${Buffer.alloc(32, 9).toString('base64')}`;
      const rotated = new Vault(staticKeyRing(parseKeyRing(`${newKey},${TEST_ENCRYPTION_KEYS}`)));
      const result = await rewrapAll(h.db, rotated);
      expect(result.corrupt).toBe(0);
      const usage = await keyUsage(h.db);
      expect(Object.keys(usage)).toEqual(['new1']);
      expect(usage.new1!.webhook_endpoints).toBeGreaterThan(0);
      const row = await h.db.kysely.selectFrom('webhook_endpoints').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
      expect(row.data_key_kid).toBe('new1');
      const rotatedStore = new WebhookEndpointStore(h.db, rotated, now);
      expect(rotatedStore.openSecret(row)).toBe(secret);
      await sink.emit(tenant.businessId, 'sync.completed', {});
      await new DeliveryWorker({ db: h.db, store: rotatedStore, log: createLogger('silent'), now, egress: LOOPBACK_OK }).runOnce();
      const [req] = receiver.requests;
      expect(verifyWebhookSignature(secret, String(req!.headers['x-ramp-connect-signature']), req!.body, { now: clock })).toBe(true);
      // Put every row back under the test key for the tests that follow.
      expect(await rewrapAll(h.db, new Vault(staticKeyRing(parseKeyRing(`${TEST_ENCRYPTION_KEYS},${newKey}`))))).toMatchObject({ corrupt: 0 });
      expect(Object.keys(await keyUsage(h.db))).toEqual(['test1']);
    });

    it('emitIn writes inside the caller transaction: rolled back with it, committed with it', async () => {
      await endpoint();
      await expect(
        h.db.kysely.transaction().execute(async (trx) => {
          await sink.emitIn(trx, tenant.businessId, 'connection.deleted', { connection_id: 'x' });
          throw new Error('the caller failed');
        }),
      ).rejects.toThrow('the caller failed');
      expect(await h.db.kysely.selectFrom('events').select('id').where('business_id', '=', tenant.businessId).execute()).toHaveLength(0);
      expect(await deliveries()).toHaveLength(0);
      const emitted = await h.db.kysely.transaction().execute((trx) => sink.emitIn(trx, tenant.businessId, 'connection.deleted', { connection_id: 'x' }));
      expect(emitted).toEqual({ id: expect.any(String), deliveries: 1 });
      expect(await deliveries()).toEqual([expect.objectContaining({ event_id: emitted.id, status: 'pending' })]);
    });

    it('the claim is one statement: a MATERIALIZED due set (SKIP LOCKED on PostgreSQL), then UPDATE … RETURNING', () => {
      const compiled = claimStatement(h.db.kysely, dialect, { leaseOwner: randomUUID(), now: 1, leaseMs: 10, limit: 5 }).compile();
      const text = compiled.sql.replace(/\s+/g, ' ');
      expect(text).toMatch(
        /^with "due" as materialized \(select "id" from "webhook_deliveries" where "status" = .+ order by "next_attempt_at" limit \S+( for update skip locked)?\) update "webhook_deliveries" set "lease_owner" = .+, "lease_until" = .+ where "id" in \(select "due"\."id" from "due"\) and "status" = .+ returning "id"$/,
      );
      if (dialect === 'postgres') expect(text).toContain('for update skip locked');
      else expect(text).not.toContain('for update');
    });

    it('the running worker delivers and retries on its own', async () => {
      const created = await h.feature.store.create(tenant.businessId, receiver.url, ['sync.failed']);
      expect('created' in created).toBe(true);
      receiver.reply = (_r, i) => (i < 2 ? 500 : 204);
      await h.feature.start();
      try {
        // Delivered and retried by the running worker alone (no drain yet); how fast is not asserted.
        await h.feature.sink.emit(tenant.businessId, 'sync.failed', { sync_id: 'live' });
        await receiver.waitFor(3);
        await h.feature.worker.drain({ timeoutMs: 5_000 });
      } finally {
        await h.feature.worker.stop();
      }
      expect((await deliveries())[0]).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 204 });
    });
  });
}
