/**
 * An object marked synced must not come back to the ready feed because a read of Ramp made before
 * the mark is stored after it (a sync page or a webhook's fetch in flight while the product reports
 * its postings): the product would post it to its books a second time. Over HTTP against the
 * emulator, on both dialects: the object is read from Ramp through the service's own client while
 * still ready, marked synced through our API, then that earlier read is stored through the upsert
 * every sync page and webhook fetch uses (the interleaving cannot be forced from outside).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectByIdCall, NOT_FOUND } from '../../src/ramp/endpoints/webhook-subscriptions.ts';
import { RAMP_RESOURCES } from '../../src/ramp/resource-descriptors.ts';
import { hashData, upsertRecords } from '../../src/sync/page-commit.ts';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { control, startSync, waitForSync } from '../sync/helpers.ts';
import { accountingTenant } from './chart-through-ramp.ts';
import { startChartApp, type ChartTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: mark-synced against a read of Ramp that was made before it`, () => {
    let t: ChartTestApp;
    beforeAll(async () => {
      t = await startChartApp(dialect, { data: { scheduler: true } });
      await control(t.emulator, 'POST', '/faults', { rate_limit: false });
    });
    afterAll(async () => t?.close());

    it('a transaction marked synced stays out of the feed when a read made before the mark is stored after it', async () => {
      const a = await accountingTenant(t, { transactions: 20, reimbursements: 1, bills: 1 });
      await control(t.emulator, 'POST', '/accounting/unready', { business_id: a.rampBusinessId, resource: 'transactions' });
      const coded = await control(t.emulator, 'POST', '/accounting/code', { business_id: a.rampBusinessId, resource: 'transactions', count: 2, mark_ready: true });
      const [id, other] = coded.ids as string[];
      expect((await waitForSync(t, a, (await startSync(t, a)).sync_id)).status).toBe('completed');
      const feed = async () => {
        const res = await request(`${t.url}/api/v1/ramp/accounting/ready?type=transactions&limit=1000`, { headers: a.headers });
        expect(res.status, res.text).toBe(200);
        return (res.body.items as { id: string }[]).map((item) => item.id).sort();
      };
      expect(await feed()).toEqual([id, other].sort());

      // A read of Ramp in flight: made now, while the transaction is still ready.
      const readAt = t.ctx.now();
      const stale = await t.feature.client.call(a.businessId, objectByIdCall('transactions', id!));
      if (stale === NOT_FOUND) throw new Error('the transaction is not at Ramp');
      expect(stale.sync_status).toBe('SYNC_READY');

      const marked = await request(`${t.url}/api/v1/ramp/accounting/mark-synced`, {
        method: 'POST',
        headers: a.headers,
        json: { sync_type: 'TRANSACTION_SYNC', successes: [{ object_id: id, reference_id: 'JE-1' }] },
      });
      expect(marked.status, marked.text).toBe(201);
      expect(await feed()).toEqual([other]);

      // The earlier read is stored now, as a sync page or webhook fetch stores it.
      const descriptor = RAMP_RESOURCES.find((d) => d.resource === 'transactions')!;
      const data = JSON.stringify(stale);
      await upsertRecords(t.db.kysely, t.db.dialect, {
        businessId: a.businessId,
        resource: 'transactions',
        records: [{ id: id!, data, hash: hashData(data), columns: descriptor.project(stale) }],
        syncId: null,
        now: t.ctx.now(),
        readAt,
      });
      expect(await feed()).toEqual([other]);

      // A sync begun after the mark reads Ramp's SYNCED and keeps it so.
      expect((await waitForSync(t, a, (await startSync(t, a)).sync_id)).status).toBe('completed');
      expect(await feed()).toEqual([other]);
    });
  });
}
