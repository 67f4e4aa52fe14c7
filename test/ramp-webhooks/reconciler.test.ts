/**
 * Keeping the subscription alive and polling as the backstop (docs/guarantees.md#ramp-webhooks), both
 * dialects, against the emulator: a subscription Ramp disabled or lost is re-created; automatic syncs
 * run 4× less often while the subscription is healthy and at the normal pace when it is not; a
 * PUBLIC_URL Ramp cannot call (not HTTPS outside the emulator) leaves the connection on polling with a
 * clear reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { request } from '../helpers/http.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/test-db.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { connectTenant, control, emulatorSubscriptions, startWebhookServer, subscriptionRow, waitActive, waitFor, type ConnectedTenant } from './helpers.ts';

const HOUR = 3_600_000;

/** Turns on hourly automatic syncs, makes one due now, and returns the next due time the scheduler sets. */
async function nextAutoSyncAfterTick(t: TestServer, tenant: ConnectedTenant): Promise<number> {
  const put = await request(`${t.url}/api/v1/ramp/sync-config`, { method: 'PUT', headers: tenant.headers, json: { auto_sync_enabled: true, auto_sync_interval_hours: 1 } });
  expect(put.status).toBe(200);
  const dueAt = Date.now();
  await t.server.ctx.db.kysely.updateTable('ramp_sync_configs').set({ next_auto_sync_at: dueAt - 1 }).where('business_id', '=', tenant.businessId).execute();
  return waitFor('the next automatic sync scheduled', async () => {
    const row = await t.server.ctx.db.kysely.selectFrom('ramp_sync_configs').select('next_auto_sync_at').where('business_id', '=', tenant.businessId).executeTakeFirst();
    const next = row?.next_auto_sync_at === null || row?.next_auto_sync_at === undefined ? null : Number(row.next_auto_sync_at);
    // The claim's own lease is a minute ahead: wait for the interval-based time.
    return next !== null && next > dueAt + 10 * 60_000 ? next - dueAt : undefined;
  });
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: Ramp webhook reconciler and polling pace`, () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startWebhookServer(dialect, { RAMP_WEBHOOK_RECONCILE_MS: '200' });
    });
    afterAll(async () => t?.close());

    it('a subscription Ramp disabled, then one Ramp lost, is re-created and verified again', async () => {
      const tenant = await connectTenant(t);
      const first = await waitActive(t, tenant);
      await control(t, 'POST', `/ramp-webhooks/${first.ramp_subscription_id}/disable`, {});
      const second = await waitFor('a new subscription after the disable', async () => {
        const row = await subscriptionRow(t, tenant.businessId);
        return row?.status === 'active' && row.ramp_subscription_id !== first.ramp_subscription_id ? row : undefined;
      });
      expect(second.route_key).not.toBe(first.route_key);
      // The disabled one was deleted at Ramp; one active subscription is left.
      expect((await emulatorSubscriptions(t, tenant.rampBusinessId)).map((s) => [s.id, s.status])).toEqual([[second.ramp_subscription_id, 'active']]);

      await control(t, 'DELETE', `/ramp-webhooks/${second.ramp_subscription_id}`);
      const third = await waitFor('a new subscription after the loss', async () => {
        const row = await subscriptionRow(t, tenant.businessId);
        return row?.status === 'active' && row.ramp_subscription_id !== second.ramp_subscription_id ? row : undefined;
      });
      expect((await emulatorSubscriptions(t, tenant.rampBusinessId)).map((s) => [s.id, s.status])).toEqual([[third.ramp_subscription_id, 'active']]);
      // Events flow through the new one.
      const mutated = await control(t, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'create', count: 1 });
      await waitFor('the event stored', async () => (await t.server.ctx.db.kysely.selectFrom('ramp_records').select('id').where('business_id', '=', tenant.businessId).where('id', '=', mutated.ids[0]).executeTakeFirst()) ?? undefined);
    });

    it('automatic syncs: 4× the interval while the subscription is healthy, the interval once it is not', async () => {
      const tenant = await connectTenant(t);
      await waitActive(t, tenant);
      expect(await nextAutoSyncAfterTick(t, tenant)).toBeGreaterThanOrEqual(4 * HOUR - 60_000);
      // Unhealthy: the reconciler has not confirmed it lately (simulated by turning it off for this row).
      await t.server.ctx.db.kysely.updateTable('ramp_webhook_subscriptions').set({ status: 'failed', next_check_at: Date.now() + HOUR }).where('business_id', '=', tenant.businessId).execute();
      const paced = await nextAutoSyncAfterTick(t, tenant);
      expect(paced).toBeGreaterThanOrEqual(HOUR - 60_000);
      expect(paced).toBeLessThan(2 * HOUR);
    });
  });

  describe(`${dialect}: PUBLIC_URL Ramp cannot call`, () => {
    let t: TestServer;
    let emulator: RunningEmulator;
    let database: TestDatabase;
    beforeAll(async () => {
      emulator = await startEmulator({ port: 0 });
      database = await createTestDatabase(dialect);
      // Sandbox mode against the emulator's sandbox, with an http:// PUBLIC_URL (Ramp only calls HTTPS).
      t = await startWebhookServer(dialect, { RAMP_ENV: 'sandbox', RAMP_API_BASE_URL: `${emulator.url}/sandbox` }, { emulator, database });
    });
    afterAll(async () => {
      await t?.close();
      await database?.drop();
      await emulator?.close();
    });

    it('stays on polling at the normal pace with reason public_url_not_https, and never calls Ramp to subscribe', async () => {
      const tenant = await connectTenant(t);
      const row = await waitFor('polling_only', async () => {
        const found = await subscriptionRow(t, tenant.businessId);
        return found?.status === 'polling_only' ? found : undefined;
      });
      expect(row).toMatchObject({ status_reason: 'public_url_not_https', ramp_subscription_id: null, secret: null });
      expect(await emulatorSubscriptions(t, tenant.rampBusinessId)).toHaveLength(0);
      const status = await request(`${t.url}/api/v1/ramp/status`, { headers: tenant.headers });
      expect(status.body.status).toBe('connected');
      expect(status.body.webhook).toMatchObject({ status: 'polling_only', reason: 'public_url_not_https' });
      const paced = await nextAutoSyncAfterTick(t, tenant);
      expect(paced).toBeLessThan(2 * HOUR);

      // Restarted where Ramp can call it (here: emulator mode, whose loopback exception stands in for HTTPS): subscribed.
      await t.close();
      t = await startWebhookServer(dialect, { RAMP_API_BASE_URL: emulator.url }, { emulator, database });
      const active = await waitActive(t, tenant);
      expect((await emulatorSubscriptions(t, tenant.rampBusinessId)).map((sub) => sub.id)).toEqual([active.ramp_subscription_id]);
    });
  });
}
