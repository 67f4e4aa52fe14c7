/**
 * Nothing lost, nothing doubled (docs/guarantees.md#ramp-webhooks), against the emulator with Ramp's
 * retries scaled down: a receiver outage (our front end answering 503) is recovered by Ramp's retries;
 * past Ramp's last attempt, by the polling backstop (the next automatic sync): 0 events lost, compared
 * with the emulator's records. Two replicas on PostgreSQL behind one front end receiving the same
 * events (duplicates on) store each once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, PG_URL, type TestDatabase } from '../helpers/test-db.ts';
import { freePort, type TestServer } from '../helpers/test-server.ts';
import { request } from '../helpers/http.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { connectTenant, control, countRows, startFrontProxy, startWebhookServer, waitActive, waitFor, waitProcessed, type ConnectedTenant, type FrontProxy } from './helpers.ts';

/** Every transaction we store is Ramp's, byte for byte, and none is missing. */
async function expectSameAsRamp(t: TestServer, tenant: ConnectedTenant): Promise<void> {
  const ramp = (await control(t, 'GET', `/records/transactions?business_id=${tenant.rampBusinessId}`)) as any[];
  const stored = await t.server.ctx.db.kysely.selectFrom('ramp_records').select(['id', 'data']).where('business_id', '=', tenant.businessId).where('resource', '=', 'transactions').execute();
  const byId = new Map(stored.map((row) => [row.id, JSON.parse(row.data)]));
  expect(stored).toHaveLength(ramp.length);
  for (const record of ramp) expect(byId.get(record.id)).toEqual(record);
}

async function deliveriesOf(t: TestServer, rampBusinessId: string): Promise<any[]> {
  return (await control(t, 'GET', `/ramp-webhooks/deliveries?business_id=${rampBusinessId}&kind=event`)).deliveries;
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: receiver outage`, () => {
    let t: TestServer;
    let front: FrontProxy;
    beforeAll(async () => {
      front = await startFrontProxy(await freePort());
      t = await startWebhookServer(dialect, { PUBLIC_URL: front.url });
      front.targets = [t.url];
      await control(t, 'POST', '/ramp-webhooks/config', { base_delay_ms: 20, jitter: false });
    });
    afterAll(async () => {
      await t?.close();
      await front?.close();
    });

    it('503s recovered by Ramp\'s retries, then past the last retry by the polling backstop: 0 events lost', async () => {
      const tenant = await connectTenant(t);
      await waitActive(t, tenant);
      // Bring everything Ramp has in first, so the comparison covers only what the events carry.
      const sync = await request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: tenant.headers, json: {} });
      expect(sync.status).toBe(202);
      await waitFor('the first sync', async () => (await request(`${t.url}/api/v1/ramp/syncs/${sync.body.sync_id}`, { headers: tenant.headers })).body.status === 'completed');

      // 1. Down while 40 events are sent; each delivery sees 503s; back up before Ramp gives up.
      front.down = true;
      await control(t, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'create', count: 20 });
      await control(t, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'clear', count: 20 });
      await waitFor('every delivery retried at least twice', async () => {
        const deliveries = await deliveriesOf(t, tenant.rampBusinessId);
        return deliveries.length === 40 && deliveries.every((d) => d.attempts >= 3 && d.last_status === 503);
      });
      expect(await countRows(t, 'ramp_webhook_events', tenant.businessId)).toBe(0);
      front.down = false;
      await waitFor('every delivery delivered', async () => (await deliveriesOf(t, tenant.rampBusinessId)).every((d) => d.outcome === 'delivered'));
      await waitProcessed(t, tenant.businessId, 40);
      await expectSameAsRamp(t, tenant);

      // 2. Down past Ramp's last attempt: the events are gone for good; the next automatic sync brings the changes.
      await control(t, 'POST', '/ramp-webhooks/config', { max_attempts: 3 });
      front.down = true;
      const lost =
        (await control(t, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'create', count: 10 })).events.length +
        (await control(t, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'amount', count: 15 })).events.length;
      expect(lost).toBe(25);
      await waitFor('Ramp giving up on every new delivery', async () => {
        const deliveries = await deliveriesOf(t, tenant.rampBusinessId);
        return deliveries.length === 40 + lost && deliveries.filter((d) => d.outcome === 'gave_up').length === lost;
      });
      front.down = false;
      await control(t, 'POST', '/ramp-webhooks/config', { max_attempts: 10 });
      const put = await request(`${t.url}/api/v1/ramp/sync-config`, { method: 'PUT', headers: tenant.headers, json: { auto_sync_enabled: true, auto_sync_interval_hours: 1 } });
      expect(put.status).toBe(200);
      await t.server.ctx.db.kysely.updateTable('ramp_sync_configs').set({ next_auto_sync_at: Date.now() - 1 }).where('business_id', '=', tenant.businessId).execute();
      expect(await countRows(t, 'ramp_webhook_events', tenant.businessId)).toBe(40);
      await waitFor('the automatic sync', async () => {
        const auto = await t.server.ctx.db.kysely.selectFrom('syncs').select('status').where('business_id', '=', tenant.businessId).where('trigger', '=', 'auto').executeTakeFirst();
        return auto?.status === 'completed';
      });
      await expectSameAsRamp(t, tenant);
    }, 240_000);
  });
}

describe.skipIf(!PG_URL || !DIALECTS.includes('postgres'))('postgres: two replicas receiving the same events', () => {
  let emulator: RunningEmulator;
  let database: TestDatabase;
  let front: FrontProxy;
  const replicas: TestServer[] = [];
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    database = await createTestDatabase('postgres');
    front = await startFrontProxy(await freePort());
    for (let i = 0; i < 2; i++) replicas.push(await startWebhookServer('postgres', { PUBLIC_URL: front.url }, { emulator, database }));
    front.targets = replicas.map((r) => r.url);
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    await front?.close();
    await database?.drop();
    await emulator?.close();
  });

  it('500 events, 30% delivered twice, spread over both replicas: each event stored once, each object once, in its latest state', async () => {
    const [a, b] = replicas as [TestServer, TestServer];
    const tenant = await connectTenant(a);
    await waitActive(a, tenant);
    await control(a, 'POST', '/ramp-webhooks/config', { duplicate_rate: 0.3, reorder: true });
    await control(a, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'create', count: 300 });
    await control(a, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'clear', count: 200 });
    await waitProcessed(a, tenant.businessId, 500);
    const deliveries = await deliveriesOf(a, tenant.rampBusinessId);
    expect(deliveries.filter((d) => d.duplicate).length).toBeGreaterThan(50);
    await waitFor('every delivery finished', async () => (await deliveriesOf(a, tenant.rampBusinessId)).every((d) => d.outcome === 'delivered'));
    // Both replicas received deliveries.
    for (const replica of [a, b]) expect(front.forwarded.get(replica.url) ?? 0).toBeGreaterThan(50);
    expect(await countRows(a, 'ramp_webhook_events', tenant.businessId)).toBe(500);
    const stored = await a.server.ctx.db.kysely.selectFrom('ramp_records').select(['id', 'data']).where('business_id', '=', tenant.businessId).where('resource', '=', 'transactions').execute();
    expect(new Set(stored.map((row) => row.id)).size).toBe(stored.length);
    expect(stored).toHaveLength(300);
    const ramp = new Map(((await control(a, 'GET', `/records/transactions?business_id=${tenant.rampBusinessId}`)) as any[]).map((r) => [r.id, r]));
    for (const row of stored) expect(JSON.parse(row.data)).toEqual(ramp.get(row.id));
    await control(a, 'POST', '/ramp-webhooks/config', { duplicate_rate: 0, reorder: false });
  }, 240_000);
});
