/**
 * Receiving Ramp's events (docs/guarantees.md#ramp-webhooks), both dialects, over HTTP against the
 * emulator: 1,000 events with 30% duplicates and reordering leave each object stored once, in Ramp's
 * latest state; a forged signature, another subscription's secret and another tenant's Ramp business
 * are refused with nothing stored.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { updateSyncConfig } from '../../src/connections/sync-config.ts';
import { SMALL_SEED, connectTenant, control, countRows, sign, startWebhookServer, waitActive, waitProcessed } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: Ramp webhook events`, () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startWebhookServer(dialect);
    });
    afterAll(async () => t?.close());

    it('1,000 events, 30% delivered twice, reordered: each object stored once, in its latest state', async () => {
      const tenant = await connectTenant(t);
      await waitActive(t, tenant);
      await control(t, 'POST', '/ramp-webhooks/config', { duplicate_rate: 0.3, reorder: true });
      try {
        const created = await control(t, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'create', count: 600 });
        const cleared = await control(t, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'clear', count: 400 });
        expect(created.events.length + cleared.events.length).toBe(1000);
        await waitProcessed(t, tenant.businessId, 1000);
        const deliveries = (await control(t, 'GET', `/ramp-webhooks/deliveries?business_id=${tenant.rampBusinessId}&kind=event`)).deliveries as any[];
        expect(deliveries.filter((d) => d.duplicate).length).toBeGreaterThan(100);
        await expectFinished(t, tenant.rampBusinessId);
      } finally {
        await control(t, 'POST', '/ramp-webhooks/config', { duplicate_rate: 0, reorder: false });
      }
      // One event row per Ramp event id, each processed once into one record per object.
      expect(await countRows(t, 'ramp_webhook_events', tenant.businessId)).toBe(1000);
      const ids = new Set<string>();
      const rampTransactions = new Map((await control(t, 'GET', `/records/transactions?business_id=${tenant.rampBusinessId}`) as any[]).map((r) => [r.id, r]));
      const stored = await t.server.ctx.db.kysely.selectFrom('ramp_records').select(['id', 'state', 'data']).where('business_id', '=', tenant.businessId).where('resource', '=', 'transactions').execute();
      for (const row of stored) {
        expect(ids.has(row.id)).toBe(false);
        ids.add(row.id);
        expect(JSON.parse(row.data)).toEqual(rampTransactions.get(row.id));
      }
      expect(ids.size).toBe(600);
      expect(stored.filter((row) => row.state === 'CLEARED')).toHaveLength(400);
    }, 300_000);

    it('a reimbursement read for an event is kept only inside the config\'s date window, on its transaction_date', async () => {
      const tenant = await connectTenant(t, { ...SMALL_SEED, reimbursements: 12 });
      await waitActive(t, tenant);
      const reimbursements = (await control(t, 'GET', `/records/reimbursements?business_id=${tenant.rampBusinessId}`)) as any[];
      const dates = reimbursements.map((r) => r.transaction_date).sort();
      const from = `${dates[3]}T00:00:00Z`;
      const to = `${dates[8]}T00:00:00Z`;
      await updateSyncConfig(t.server.ctx.db.kysely, tenant.businessId, { sync_from_date: from, sync_to_date: to }, Date.now());
      const inside = reimbursements.filter((r) => Date.parse(r.transaction_date) >= Date.parse(from) && Date.parse(r.transaction_date) <= Date.parse(to)).map((r) => r.id).sort();
      expect(inside.length).toBeGreaterThan(0);
      expect(inside.length).toBeLessThan(reimbursements.length);
      await control(t, 'POST', '/ramp-webhooks/events', { type: 'reimbursements.ready_for_review', business_id: tenant.rampBusinessId, object_ids: reimbursements.map((r) => r.id) });
      await waitProcessed(t, tenant.businessId, reimbursements.length);
      const stored = await t.server.ctx.db.kysely.selectFrom('ramp_records').select('id').where('business_id', '=', tenant.businessId).where('resource', '=', 'reimbursements').execute();
      expect(stored.map((row) => row.id).sort()).toEqual(inside);
    });

    it('refused with nothing stored: a forged signature, another subscription\'s secret, another tenant\'s Ramp business, an unknown route', async () => {
      const a = await connectTenant(t);
      const b = await connectTenant(t);
      const rowA = await waitActive(t, a);
      const rowB = await waitActive(t, b);
      const secretA = t.server.features.webhooks.subscriptions.openSecret(rowA)!;
      const secretB = t.server.features.webhooks.subscriptions.openSecret(rowB)!;
      const [victim] = (await control(t, 'GET', `/records/transactions?business_id=${b.rampBusinessId}`)) as any[];
      const [own] = (await control(t, 'GET', `/records/transactions?business_id=${a.rampBusinessId}`)) as any[];
      const event = (business: string, objectId: string) => JSON.stringify({ id: randomUUID(), type: 'transactions.cleared', created_at: new Date().toISOString(), business_id: business, object: { id: objectId } });
      const post = (routeKey: string, body: string, signature: string) =>
        request(`${t.url}/api/v1/ramp/webhooks/${routeKey}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-ramp-webhook-signature': signature }, body });

      const forged = event(a.rampBusinessId, own.id);
      const forgedRes = await post(rowA.route_key, forged, sign(forged, 'ramp_sec_guessed'));
      expect(forgedRes.status).toBe(401);
      expect(forgedRes.body.code).toBe('invalid_webhook_signature');
      const noHeader = await post(rowA.route_key, forged, '');
      expect(noHeader.status).toBe(401);

      // B's secret is valid, but only for B's route.
      const otherSecret = event(a.rampBusinessId, own.id);
      expect((await post(rowA.route_key, otherSecret, sign(otherSecret, secretB))).status).toBe(401);
      // A's own secret, naming B's Ramp business (a leaked secret of A cannot write into B).
      const crossTenant = event(b.rampBusinessId, victim.id);
      const crossRes = await post(rowA.route_key, crossTenant, sign(crossTenant, secretA));
      expect(crossRes.status).toBe(403);
      expect(crossRes.body.code).toBe('webhook_business_mismatch');
      // An unknown route.
      expect((await post('x'.repeat(22), crossTenant, sign(crossTenant, secretA))).status).toBe(404);
      // Not JSON, correctly signed: refused by the body parser (a 4xx Ramp does not retry).
      expect((await post(rowA.route_key, 'not json', sign('not json', secretA))).status).toBe(422);
      const notEvent = JSON.stringify({ hello: 'world' });
      expect((await post(rowA.route_key, notEvent, sign(notEvent, secretA))).status).toBe(400);
      // U+0000 in a field we store, correctly signed: a 400 on both dialects (PostgreSQL's text cannot hold it; was a 500 there).
      for (const nul of [{ id: `${randomUUID()}\u0000` }, { type: 'transactions.cleared\u0000' }, { object: { id: `${own.id}\u0000` } }]) {
        const body = JSON.stringify({ ...JSON.parse(event(a.rampBusinessId, own.id)), ...nul });
        const res = await post(rowA.route_key, body, sign(body, secretA));
        expect([res.status, res.body.code]).toEqual([400, 'invalid_request']);
      }

      for (const tenant of [a, b]) {
        expect(await countRows(t, 'ramp_webhook_events', tenant.businessId)).toBe(0);
        expect(await countRows(t, 'ramp_records', tenant.businessId)).toBe(0);
      }
      for (const secret of [secretA, secretB]) expect(t.logs.join('\n')).not.toContain(secret);

      // The same event, properly signed for A's own business, is accepted (once).
      const good = event(a.rampBusinessId, own.id);
      expect((await post(rowA.route_key, good, sign(good, secretA))).body).toEqual({ status: 'accepted' });
      expect((await post(rowA.route_key, good, sign(good, secretA))).body).toEqual({ status: 'duplicate' });
      await waitProcessed(t, a.businessId, 1);
      expect(await countRows(t, 'ramp_records', a.businessId)).toBe(1);
      expect(await countRows(t, 'ramp_records', b.businessId)).toBe(0);
    });
  });
}

/** Every event delivery of the business has finished at the emulator (nothing queued or retrying). */
async function expectFinished(t: TestServer, rampBusinessId: string): Promise<void> {
  const deliveries = (await control(t, 'GET', `/ramp-webhooks/deliveries?business_id=${rampBusinessId}&kind=event`)).deliveries as any[];
  const unfinished = deliveries.filter((d) => !['delivered', 'dropped', 'gave_up', 'cancelled'].includes(d.outcome));
  expect(unfinished.length === 0 || unfinished.every((d) => d.outcome !== 'dropped')).toBe(true);
  expect(deliveries.filter((d) => d.outcome === 'dropped' || d.outcome === 'gave_up')).toHaveLength(0);
}
