/**
 * A Ramp webhook subscription per connection (docs/guarantees.md#ramp-webhooks), both dialects, over
 * HTTP against the emulator: connect → subscribed at Ramp, verified by the challenge, secret stored
 * only sealed; status shows it; disconnect → deleted at Ramp before the tokens are revoked; a
 * disconnect that fails after that leaves the connection subscribed again.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SCOPES } from '../helpers/cc-token-provider.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import type { TestServer } from '../helpers/test-server.ts';
import type { SubscriptionRow } from '../../src/ramp-webhooks/subscription-store.ts';
import { SMALL_SEED, connectTenant, control, emulatorSubscriptions, sign, startWebhookServer, subscriptionRow, waitActive, waitFor, waitProcessed } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: Ramp webhook subscription lifecycle`, () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startWebhookServer(dialect);
    });
    afterAll(async () => t?.close());

    it('connect → one verified subscription at Ramp for the granted event types, its secret only sealed; disconnect → gone at Ramp', async () => {
      const tenant = await connectTenant(t);
      const row = await waitActive(t, tenant);
      const [subscription, ...others] = await emulatorSubscriptions(t, tenant.rampBusinessId);
      expect(others).toHaveLength(0);
      expect(subscription).toMatchObject({ id: row.ramp_subscription_id, status: 'active', environment: 'sandbox', endpoint_url: `${t.url}/api/v1/ramp/webhooks/${row.route_key}` });
      expect([...subscription.event_types].sort()).toEqual(JSON.parse(row.event_types).sort());
      expect(JSON.parse(row.event_types)).toEqual(expect.arrayContaining(['transactions.cleared', 'reimbursements.ready_to_sync', 'bills.paid']));
      // The verification went through the challenge: one challenge delivery, delivered.
      const challenges = (await request(`${t.emulator.url}/__emulator/ramp-webhooks/deliveries?subscription_id=${row.ramp_subscription_id}&kind=challenge`)).body.deliveries;
      expect(challenges.some((d: any) => d.outcome === 'delivered')).toBe(true);

      // Sealed: the plaintext is nowhere in the row, the database file or the logs; the vault opens it.
      const secret = t.server.features.webhooks.subscriptions.openSecret(row)!;
      expect(secret).toMatch(/^ramp_sec_/);
      expect(Buffer.from(row.secret!).toString('latin1')).not.toContain('ramp_sec_');
      expect(JSON.stringify(row)).not.toContain(secret);
      expect(t.logs.join('\n')).not.toContain(secret);

      const status = await request(`${t.url}/api/v1/ramp/status`, { headers: tenant.headers });
      expect(status.body.webhook).toMatchObject({ status: 'active', reason: null, last_event_at: null });
      expect(status.body.webhook.event_types).toEqual(JSON.parse(row.event_types));
      expect(JSON.stringify(status.body)).not.toContain(secret);

      const disconnected = await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: tenant.headers });
      expect(disconnected.status).toBe(204);
      expect(disconnected.headers.get('x-ramp-revocation')).toBe('revoked');
      expect(await emulatorSubscriptions(t, tenant.rampBusinessId)).toHaveLength(0);
      expect(await subscriptionRow(t, tenant.businessId)).toBeUndefined();
    });

    /** A tenant whose connection was replaced, without a disconnect, by a connect after its app's secret was rotated at Ramp. */
    async function reconnectAfterRotation(options: { beforeReconnect?: (old: SubscriptionRow, tenant: Tenant) => Promise<void> } = {}) {
      const tenant = await createTenant(t.server.ctx.db, 'owner');
      const rampBusinessId = randomUUID();
      await control(t, 'POST', '/seed', { business_id: rampBusinessId, ...SMALL_SEED });
      const app = await control(t, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], allowed_scopes: TEST_SCOPES, environment: 'sandbox' });
      const connect = (clientSecret: string) =>
        request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: tenant.headers, json: { client_id: app.client_id, client_secret: clientSecret, scopes: TEST_SCOPES } });
      expect((await connect(app.client_secret)).status).toBe(201);
      const first = await waitActive(t, { ...tenant, rampBusinessId });
      // The customer rotates the app's secret at Ramp: the grant dies, the connection needs re-authorization.
      const rotated = await control(t, 'POST', `/apps/${app.client_id}/rotate-secret`, { client_secret: `ramp_secret_rotated_${randomUUID()}` });
      expect((await request(`${t.url}/api/v1/ramp/proxy/business`, { headers: tenant.headers })).status).toBe(409);
      expect((await request(`${t.url}/api/v1/ramp/status`, { headers: tenant.headers })).body.status).toBe('needs_reauth');
      await options.beforeReconnect?.(first, tenant);
      // Connected again with the new secret: the old connection is replaced without a disconnect.
      expect((await connect(rotated.client_secret)).status).toBe(201);
      const second = await waitFor('subscribed again', async () => {
        const row = await subscriptionRow(t, tenant.businessId);
        return row?.status === 'active' && row.ramp_subscription_id !== first.ramp_subscription_id ? row : undefined;
      });
      return { tenant, rampBusinessId, first, second };
    }

    it('a reconnect over a needs_reauth connection (its app secret rotated) deletes the old subscription at Ramp: one subscription, one delivery per event', async () => {
      const { tenant, rampBusinessId, second } = await reconnectAfterRotation();
      // The old subscription would go on sending every event to a route key no row has (404 each, for good).
      expect((await emulatorSubscriptions(t, rampBusinessId)).map((sub) => sub.id)).toEqual([second.ramp_subscription_id]);
      const mutated = await control(t, 'POST', '/mutate', { business_id: rampBusinessId, resource: 'transactions', kind: 'create', count: 1 });
      expect(mutated.ids).toHaveLength(1);
      await waitProcessed(t, tenant.businessId, 1);
      const deliveries = (await control(t, 'GET', `/ramp-webhooks/deliveries?business_id=${rampBusinessId}&kind=event`)).deliveries as any[];
      expect(deliveries.filter((d) => d.object_id === mutated.ids[0]).map((d) => [d.subscription_id, d.last_status])).toEqual([[second.ramp_subscription_id, 200]]);
    });

    it('a disconnect of a needs_reauth connection cannot delete its subscription (dead token): the next connect deletes it, one subscription after', async () => {
      const { rampBusinessId, first, second } = await reconnectAfterRotation({
        beforeReconnect: async (old, tenant) => {
          const disconnected = await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: tenant.headers });
          expect(disconnected.status).toBe(204);
          // Still live at Ramp; our row keeps only its id, under a new route key, with no secret.
          expect((await emulatorSubscriptions(t, old.ramp_business_id!)).map((sub) => sub.id)).toEqual([old.ramp_subscription_id]);
          expect(await subscriptionRow(t, tenant.businessId)).toMatchObject({ ramp_subscription_id: old.ramp_subscription_id, status: 'disabled', status_reason: 'left_at_ramp', secret: null, next_check_at: null });
          expect((await subscriptionRow(t, tenant.businessId))!.route_key).not.toBe(old.route_key);
        },
      });
      expect(second.ramp_subscription_id).not.toBe(first.ramp_subscription_id);
      // Left alone, the first would go on sending every event to a route key no row has.
      expect((await emulatorSubscriptions(t, rampBusinessId)).map((sub) => sub.id)).toEqual([second.ramp_subscription_id]);
    });

    it("Ramp failing to delete the replaced connection's subscription does not keep the new connection from being subscribed", async () => {
      let oldPath = '';
      try {
        const { rampBusinessId, first, second } = await reconnectAfterRotation({
          beforeReconnect: async (old) => {
            oldPath = `/sandbox/developer/v1/webhooks/${old.ramp_subscription_id}`;
            await control(t, 'POST', '/faults', { paths: [oldPath], error_rate: 1, status: 503 });
          },
        });
        expect(second.ramp_subscription_id).not.toBe(first.ramp_subscription_id);
        const deletesTried = ((await control(t, 'GET', '/stats')).requests as any[]).filter((r) => r.method === 'DELETE' && String(r.path).startsWith(oldPath));
        expect(deletesTried.length).toBeGreaterThan(0);
        expect((await emulatorSubscriptions(t, rampBusinessId)).map((sub) => sub.id).sort()).toEqual([first.ramp_subscription_id, second.ramp_subscription_id].sort());
      } finally {
        await control(t, 'POST', '/faults', { paths: null, error_rate: 0 });
      }
    });

    it("Ramp's create answer without the (optional) business_id: the signed challenge names it, and events flow", async () => {
      await control(t, 'POST', '/ramp-webhooks/config', { create_answer_business_id: false });
      try {
        const tenant = await connectTenant(t);
        const row = await waitActive(t, tenant);
        expect(row.ramp_business_id).toBe(tenant.rampBusinessId);
        const mutated = await control(t, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'create', count: 1 });
        await waitProcessed(t, tenant.businessId, 1);
        const stored = await request(`${t.url}/api/v1/ramp/transactions?limit=100`, { headers: tenant.headers });
        expect((stored.body.items as any[]).map((item) => item.id)).toContain(mutated.ids[0]);
        // Pinned: an event naming another Ramp business is still refused, even correctly signed.
        const secret = t.server.features.webhooks.subscriptions.openSecret(row)!;
        const other = JSON.stringify({ id: randomUUID(), type: 'transactions.cleared', created_at: new Date().toISOString(), business_id: randomUUID(), object: { id: mutated.ids[0] } });
        const refused = await request(`${t.url}/api/v1/ramp/webhooks/${row.route_key}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-ramp-webhook-signature': sign(other, secret) }, body: other });
        expect(refused.status).toBe(403);
      } finally {
        await control(t, 'POST', '/ramp-webhooks/config', { create_answer_business_id: true });
      }
    });

    it('a mutation at Ramp shows up in our read API without any sync', async () => {
      const tenant = await connectTenant(t);
      await waitActive(t, tenant);
      const mutated = await request(`${t.emulator.url}/__emulator/mutate`, { method: 'POST', json: { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'create', count: 3 } });
      const ids: string[] = mutated.body.ids;
      const stored = await waitFor('the new transactions in the read API', async () => {
        const res = await request(`${t.url}/api/v1/ramp/transactions?limit=100`, { headers: tenant.headers });
        const items = res.body.items as any[];
        return ids.every((id) => items.some((item) => item.id === id)) ? items : undefined;
      });
      expect(stored.filter((item) => ids.includes(item.id)).map((item) => item.state)).toEqual(['PENDING', 'PENDING', 'PENDING']);
      const syncs = await t.server.ctx.db.kysely.selectFrom('syncs').select('id').where('business_id', '=', tenant.businessId).execute();
      expect(syncs).toHaveLength(0);
      const status = await request(`${t.url}/api/v1/ramp/status`, { headers: tenant.headers });
      expect(status.body.webhook.last_event_at).not.toBeNull();
    });
  });

  describe(`${dialect}: a disconnect that fails after deleting the subscription`, () => {
    let t: TestServer;
    beforeAll(async () => {
      // A 1 ms refresh lease: a disconnect waits for a held lease 1 ms + 5 s, then answers 503.
      t = await startWebhookServer(dialect, { REFRESH_LEASE_MS: '1' });
    });
    afterAll(async () => t?.close());

    it('answered 503 (a refresh lease held too long): the connection stays, and its subscription is made again once the disconnect could have sealed it', async () => {
      const tenant = await connectTenant(t);
      const first = await waitActive(t, tenant);
      // Hourly automatic syncs, the next one an hour away: the re-subscription below pulls it in.
      const put = await request(`${t.url}/api/v1/ramp/sync-config`, { method: 'PUT', headers: tenant.headers, json: { auto_sync_enabled: true, auto_sync_interval_hours: 1 } });
      expect(put.status).toBe(200);
      const autoSyncs = async () => (await t.server.ctx.db.kysely.selectFrom('syncs').select('id').where('business_id', '=', tenant.businessId).where('trigger', '=', 'auto').execute()).length;
      const connections = () => t.server.ctx.db.kysely.updateTable('ramp_connections').where('business_id', '=', tenant.businessId);
      await connections().set({ lease_owner: 'a replica refreshing', lease_until: Date.now() + 3_600_000 }).execute();
      const before = Date.now();
      const refused = await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: tenant.headers });
      expect(refused.status, refused.text).toBe(503);
      // Deleted at Ramp (the token was still ours to use), our row disabled and due after the lease's
      // lifetime plus a minute: a pass before then could re-subscribe a connection being disconnected.
      expect(await emulatorSubscriptions(t, tenant.rampBusinessId)).toHaveLength(0);
      const left = (await subscriptionRow(t, tenant.businessId))!;
      expect(left).toMatchObject({ status: 'disabled', status_reason: 'disconnecting', ramp_subscription_id: null, secret: null, connection_id: first.connection_id });
      expect(Number(left.next_check_at)).toBeGreaterThanOrEqual(before + 60_000);
      expect(Number(left.next_check_at)).toBeLessThanOrEqual(Date.now() + 60_001);
      const status = await request(`${t.url}/api/v1/ramp/status`, { headers: tenant.headers });
      expect(status.body).toMatchObject({ status: 'connected', webhook: { status: 'disabled', reason: 'disconnecting' } });
      expect(await autoSyncs()).toBe(0);

      // The lease ends; the minute passes (brought forward here): subscribed again, one subscription at Ramp.
      await connections().set({ lease_owner: null, lease_until: null }).execute();
      await t.server.ctx.db.kysely.updateTable('ramp_webhook_subscriptions').set({ next_check_at: Date.now() }).where('business_id', '=', tenant.businessId).execute();
      const again = await waitFor('subscribed again', async () => {
        const row = await subscriptionRow(t, tenant.businessId);
        return row?.status === 'active' && row.ramp_subscription_id !== null ? row : undefined;
      });
      expect(again.ramp_subscription_id).not.toBe(first.ramp_subscription_id);
      expect((await emulatorSubscriptions(t, tenant.rampBusinessId)).map((sub) => [sub.id, sub.status])).toEqual([[again.ramp_subscription_id, 'active']]);
      // What Ramp sent meanwhile went nowhere: the automatic sync runs now, not in an hour.
      await waitFor('an automatic sync pulled in', async () => (await autoSyncs()) > 0);

      // Told late of an older connection's deletion (this business reconnected since): its row stays.
      await t.server.features.webhooks.lifecycle.disconnected(tenant.businessId, 'an older connection');
      expect(await subscriptionRow(t, tenant.businessId)).toMatchObject({ ramp_subscription_id: again.ramp_subscription_id });
      // A disconnect that goes through leaves nothing behind.
      const disconnected = await request(`${t.url}/api/v1/ramp/connection`, { method: 'DELETE', headers: tenant.headers });
      expect(disconnected.status).toBe(204);
      expect(await emulatorSubscriptions(t, tenant.rampBusinessId)).toHaveLength(0);
      expect(await subscriptionRow(t, tenant.businessId)).toBeUndefined();
    });
  });
}
