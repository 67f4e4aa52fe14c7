/**
 * The accounting loop's feed down and status back (README "The accounting loop"), over HTTP against
 * the emulator on both dialects: a chart of 1,200 GL accounts, 800 vendors and 2 fields × 300
 * options uploaded through our PUT (the same PUT again writes nothing), the customer's people code 500 transactions
 * and mark them ready, bills become ready by themselves → after a sync our feed lists exactly those,
 * with the codings in our ids → 480 marked synced and 20 failed with messages → Ramp shows 480 SYNCED
 * and the 20 failures, the feed holds only the 20 with their message, and repeating any call changes
 * nothing. A mark-synced of more than 5,000 objects goes to Ramp in batches of ≤ 5,000 with stable keys.
 * (docs/guarantees.md#g61, #g62, #g63, #g64)
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planStatusBatches } from '../../src/accounting/ready-status-back.ts';
import { decimalAmountToMinorUnits } from '../../src/ramp/money.ts';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { control, emulatorRecords, startSync, waitForSync } from '../sync/helpers.ts';
import { startChartApp, type ChartTestApp } from './helpers.ts';
import { EmulatorClient } from '../emulator/helpers.ts';
import { accountingTenant, setUpChart, type AccountingTenant, type UploadedChart } from './chart-through-ramp.ts';

const WEBHOOK_SECRET = 'whsec_ready_feed_test';

for (const dialect of DIALECTS) {
  describe(`${dialect}: the accounting ready feed and status back`, () => {
    let t: ChartTestApp;
    let a: AccountingTenant;
    let chart: UploadedChart;
    /** The 500 transactions the people coded: id → Ramp ids of the GL account and options chosen. */
    let coded: Map<string, { gl_account_id: string; field_option_ids: string[] }>;
    let billCodings: Map<string, { gl_account_id: string; field_option_ids: string[] }>;

    const feed = async (type: string, limit = 200): Promise<any[]> => {
      const items: any[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `type=${type}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await request(`${t.url}/api/v1/ramp/accounting/ready?${query}`, { headers: a.headers });
        expect(res.status, res.text).toBe(200);
        items.push(...res.body.items);
        cursor = res.body.next_cursor;
      } while (cursor);
      return items;
    };
    const sync = async () => expect((await waitForSync(t, a, (await startSync(t, a)).sync_id)).status).toBe('completed');
    const markSynced = (body: unknown, headers: Record<string, string> = {}) =>
      request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: { ...a.headers, ...headers }, json: body });

    beforeAll(async () => {
      t = await startChartApp(dialect, { data: { scheduler: true, webhookSecret: WEBHOOK_SECRET } });
      await control(t.emulator, 'POST', '/faults', { rate_limit: false });
      a = await accountingTenant(t, { transactions: 1500, reimbursements: 20, bills: 30 });
      await sync();
      // The books' chart, uploaded through our PUT (and a second PUT writes nothing); then nothing waits (a clean start), and the people code 500 and mark them ready.
      chart = await setUpChart(t, a, { glAccounts: 1200, vendors: 800, fields: [300, 300] });
      for (const resource of ['transactions', 'reimbursements']) await control(t.emulator, 'POST', '/accounting/unready', { business_id: a.rampBusinessId, resource });
      const codedTx = await control(t.emulator, 'POST', '/accounting/code', { business_id: a.rampBusinessId, resource: 'transactions', count: 500, mark_ready: true });
      coded = new Map(codedTx.codings.map((c: any) => [c.id, c]));
      const codedBills = await control(t.emulator, 'POST', '/accounting/code', { business_id: a.rampBusinessId, resource: 'bills', count: 1000 });
      billCodings = new Map(codedBills.codings.map((c: any) => [c.id, c]));
      await sync();
    }, 180_000);
    afterAll(async () => t?.close());

    const expectCodings = (item: any, wanted: { gl_account_id: string; field_option_ids: string[] }) => {
      expect(item.codings.gl_account).toMatchObject({ id: chart.glAccountOf.get(wanted.gl_account_id), ramp_id: wanted.gl_account_id });
      expect(item.codings.fields.map((f: any) => [f.field_id, f.option_id])).toEqual(
        wanted.field_option_ids.map((id) => [chart.optionOf.get(id)!.fieldId, chart.optionOf.get(id)!.optionId]),
      );
    };

    it('lists exactly the 500 coded transactions and the bills Ramp made ready, with codings in our ids and money in minor units', async () => {
      expect(coded.size).toBe(500);
      const theirs = await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions');
      const items = await feed('transactions', 170);
      expect(items.map((item) => item.id).sort()).toEqual([...coded.keys()].sort());
      for (const item of items) {
        expect(item).toMatchObject({ type: 'transactions', sync_type: 'TRANSACTION_SYNC', last_sync_failure: null });
        expect(item.amount_cents).toBe(decimalAmountToMinorUnits(theirs.get(item.id).amount, theirs.get(item.id).currency_code)!.amount);
        expect(item.currency).toBe(theirs.get(item.id).currency_code);
        expect(item.record.sync_status).toBe('SYNC_READY');
        expectCodings(item, coded.get(item.id)!);
      }
      const bills = await emulatorRecords(t.emulator, a.rampBusinessId, 'bills');
      const readyBills = [...bills.values()].filter((b) => b.archived_at === null && b.approval_status === 'APPROVED' && b.sync_status === 'NOT_SYNCED');
      expect(readyBills.length).toBeGreaterThan(0);
      const billItems = await feed('bills');
      expect(billItems.map((item) => item.id).sort()).toEqual(readyBills.map((b) => b.id).sort());
      for (const item of billItems) {
        expect(item.amount_cents).toBe(bills.get(item.id).amount.amount);
        expectCodings(item, billCodings.get(item.id)!);
      }
      expect(await feed('reimbursements')).toEqual([]);
    });

    it('480 synced and 20 failed: Ramp shows 480 SYNCED and 20 failures, the feed only the 20 with their message; repeating changes nothing', async () => {
      const ids = [...coded.keys()].sort();
      const failed = ids.slice(0, 20);
      const body = {
        sync_type: 'TRANSACTION_SYNC',
        object_ids: ids.slice(20, 400),
        successes: ids.slice(400).map((id) => ({ object_id: id, reference_id: `JE-${id.slice(0, 8)}` })),
        failures: failed.map((id) => ({ object_id: id, message: `Books refused ${id}: period closed` })),
      };
      const first = await markSynced(body);
      expect(first.status, first.text).toBe(201);
      expect(first.body).toMatchObject({ sync_type: 'TRANSACTION_SYNC', successful: 480, failed: 20 });
      expect(first.body.batches).toHaveLength(1);

      const inRamp = async () => {
        const theirs = await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions');
        const failures = (await control(t.emulator, 'GET', `/accounting/sync-failures?business_id=${a.rampBusinessId}`)).failures;
        return {
          synced: ids.filter((id) => theirs.get(id).sync_status === 'SYNCED').length,
          ready: failed.filter((id) => theirs.get(id).sync_status === 'SYNC_READY').length,
          failures: failures.map((f: any) => [f.object_id, f.message, f.sync_id]).sort(),
        };
      };
      const after = await inRamp();
      expect(after.synced).toBe(480);
      expect(after.ready).toBe(20);
      expect(after.failures.map((f: any) => f.slice(0, 2))).toEqual(failed.map((id) => [id, `Books refused ${id}: period closed`]));

      const expectFeedOfTheTwenty = async () => {
        const items = await feed('transactions');
        expect(items.map((item) => item.id).sort()).toEqual(failed);
        for (const item of items) expect(item.last_sync_failure).toMatchObject({ message: `Books refused ${item.id}: period closed`, sync_type: 'TRANSACTION_SYNC' });
      };
      await expectFeedOfTheTwenty();
      // Ramp's own lists say the same once synced again.
      await sync();
      await expectFeedOfTheTwenty();

      // The same request again: the same batch and key, which Ramp replays; nothing changes anywhere.
      const again = await markSynced(body);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(await inRamp()).toEqual(after);
      await expectFeedOfTheTwenty();
      // With an Idempotency-Key our answer is replayed without calling Ramp at all.
      const keyed = await markSynced(body, { 'idempotency-key': 'loop-1' });
      const stats = (await control(t.emulator, 'GET', '/stats')).endpoints;
      const replayed = await markSynced(body, { 'idempotency-key': 'loop-1' });
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      expect(replayed.body).toEqual(keyed.body);
      expect((await control(t.emulator, 'GET', '/stats')).endpoints).toEqual(stats);
      expect(await inRamp()).toEqual(after);
      await sync();
      await expectFeedOfTheTwenty();
    });

    it('a later success clears the failure; bills marked synced leave the feed', async () => {
      const [fixed] = (await feed('transactions')).map((item) => item.id).sort();
      expect((await markSynced({ sync_type: 'TRANSACTION_SYNC', object_ids: [fixed] })).status).toBe(201);
      expect((await feed('transactions')).map((item) => item.id)).not.toContain(fixed);
      const failures = (await control(t.emulator, 'GET', `/accounting/sync-failures?business_id=${a.rampBusinessId}`)).failures;
      expect(failures.map((f: any) => f.object_id)).not.toContain(fixed);

      const bills = (await feed('bills')).map((item) => item.id);
      const res = await markSynced({ sync_type: 'BILL_SYNC', object_ids: bills });
      expect(res.status, res.text).toBe(201);
      expect(await feed('bills')).toEqual([]);
      await sync();
      expect(await feed('bills')).toEqual([]);
    });

    it('objects synced in Ramp by someone else leave the feed through the synced_after read, even when their updated time tells nothing', async () => {
      const [gone] = (await feed('transactions')).map((item) => item.id).sort();
      const client = new EmulatorClient(t.emulator);
      const token = await client.clientCredentialsToken(a.app, 'accounting:write');
      const marked = await client.api('sandbox', '/accounting/syncs', token, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ idempotency_key: 'elsewhere-1', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: gone, reference_id: 'X-1' }] }),
      });
      expect(marked.status).toBe(201);
      // Our updated_after read is made to start after the change, so only the synced_after read can see it.
      const cursor = await t.db.kysely.selectFrom('sync_cursors').select('cursor').where('business_id', '=', a.businessId).where('resource', '=', 'transactions').executeTakeFirstOrThrow();
      const later = { ...JSON.parse(cursor.cursor), completedRunStartedAt: Date.now() + 3_600_000 };
      await t.db.kysely.updateTable('sync_cursors').set({ cursor: JSON.stringify(later) }).where('business_id', '=', a.businessId).where('resource', '=', 'transactions').execute();
      await sync();
      expect((await feed('transactions')).map((item) => item.id)).not.toContain(gone);
    });

    it('refuses a request with nothing to report, or an object both synced and failed, listing every problem (422)', async () => {
      const nothing = await markSynced({ sync_type: 'TRANSACTION_SYNC' });
      expect(nothing.status).toBe(422);
      expect(nothing.body.detail[0].loc).toEqual(['body', 'object_ids']);
      const [x, y] = [randomUUID(), randomUUID()];
      const both = await markSynced({ sync_type: 'TRANSACTION_SYNC', object_ids: [x, y], failures: [{ object_id: x, message: 'no' }, { object_id: y.toUpperCase(), message: 'no' }] });
      expect(both.status).toBe(422);
      expect(both.body.detail.map((d: any) => d.loc)).toEqual([['body', 'failures', 0, 'object_id'], ['body', 'failures', 1, 'object_id']]);
      expect(both.body.detail[0]).toEqual({ type: 'value_error', loc: ['body', 'failures', 0, 'object_id'], msg: 'Value error, this object is also reported as a success', input: x, ctx: { error: {} } });
      // Cross-field rules are a model validator: with a field of the body invalid, only that field's problem.
      const badField = await markSynced({ sync_type: 'NOPE', object_ids: [x], failures: [{ object_id: x, message: 'no' }] });
      expect(badField.status).toBe(422);
      expect(badField.body.detail.map((d: any) => [d.type, d.loc])).toEqual([['literal_error', ['body', 'sync_type']]]);
      const badType = await request(`${t.url}/api/v1/ramp/accounting/ready?type=statements`, { headers: a.headers });
      expect(badType.status).toBe(422);
    });

    it('a request Ramp refuses in its second batch keeps the first recorded once: sent again, corrected, the first batch is replayed, not recorded twice', async () => {
      const d = await accountingTenant(t, { transactions: 12_000, reimbursements: 1, bills: 1 });
      const ids = [...(await emulatorRecords(t.emulator, d.rampBusinessId, 'transactions')).values()].filter((r) => r.sync_status !== 'SYNCED').map((r) => r.id).sort().slice(0, 5_002);
      expect(ids).toHaveLength(5_002);
      const unknown = 'ffffffff-ffff-4fff-bfff-ffffffffffff';
      const post = (objectIds: string[]) =>
        request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: d.headers, json: { sync_type: 'TRANSACTION_SYNC', object_ids: objectIds } });
      const refused = await post([...ids, unknown]);
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('invalid_request');
      expect(refused.body.detail).toContain('Batch 2 of 2');
      expect(refused.body.detail).toContain(unknown);
      const theirs = await emulatorRecords(t.emulator, d.rampBusinessId, 'transactions');
      expect(ids.filter((id) => theirs.get(id).sync_status === 'SYNCED')).toEqual(ids.slice(0, 5_000));
      const syncedAt = ids.slice(0, 5_000).map((id) => theirs.get(id).synced_at);
      // Ramp's clock a minute on: a second recording of the first batch would show in its synced_at.
      await control(t.emulator, 'POST', '/clock', { advance_s: 60 });
      const corrected = await post(ids).finally(() => control(t.emulator, 'POST', '/clock', { reset: true }));
      expect(corrected.status, corrected.text).toBe(201);
      const firstKey = planStatusBatches(d.businessId, { syncType: 'TRANSACTION_SYNC', successes: ids.slice(0, 5_000).map((id) => ({ id, referenceId: id })), failures: [] })[0]!.idempotencyKey;
      expect(corrected.body.batches.map((batch: any) => [batch.idempotency_key === firstKey, batch.successful])).toEqual([[true, 5_000], [false, 2]]);
      const again = await post(ids);
      expect(again.body.batches.map((batch: any) => batch.sync_id)).toEqual(corrected.body.batches.map((batch: any) => batch.sync_id));
      const after = await emulatorRecords(t.emulator, d.rampBusinessId, 'transactions');
      expect(ids.every((id) => after.get(id).sync_status === 'SYNCED')).toBe(true);
      expect(ids.slice(0, 5_000).map((id) => after.get(id).synced_at)).toEqual(syncedAt);
    }, 120_000);

    it('with Ramp\'s ready_to_sync webhooks subscribed, objects marked ready reach the feed without anyone starting a sync', async () => {
      const c = await accountingTenant(t, { transactions: 300, reimbursements: 5, bills: 2 });
      await waitForSync(t, c, (await startSync(t, c)).sync_id);
      await setUpChart(t, c, { glAccounts: 10, vendors: 0, fields: [5] });
      await control(t.emulator, 'POST', '/accounting/unready', { business_id: c.rampBusinessId, resource: 'transactions' });
      await waitForSync(t, c, (await startSync(t, c)).sync_id);
      await control(t.emulator, 'POST', '/webhooks', { url: `${t.url}/api/v1/ramp/webhooks`, secret: WEBHOOK_SECRET, business_id: c.rampBusinessId, event_types: ['transactions.ready_to_sync'] });
      const marked = await control(t.emulator, 'POST', '/accounting/code', { business_id: c.rampBusinessId, resource: 'transactions', count: 7, mark_ready: true });
      expect(marked.events).toHaveLength(7);
      const readyOfC = async () => {
        const res = await request(`${t.url}/api/v1/ramp/accounting/ready?type=transactions&limit=100`, { headers: c.headers });
        return res.body.items.map((item: any) => item.id).sort();
      };
      await expect.poll(readyOfC, { timeout: 30_000, interval: 100 }).toEqual([...marked.ids].sort());
    });

    it('more than 5,000 objects go to Ramp in batches of at most 5,000 with stable keys; a replay records nothing new', async () => {
      const b = await accountingTenant(t, { transactions: 11_200, reimbursements: 1, bills: 1 });
      const ids = [...(await emulatorRecords(t.emulator, b.rampBusinessId, 'transactions')).keys()].slice(0, 11_000);
      const failures = ids.slice(0, 300).map((id) => ({ object_id: id, message: 'no such account in the books' }));
      const body = { sync_type: 'TRANSACTION_SYNC', object_ids: ids.slice(300), failures };
      const post = (headers: Record<string, string> = {}) =>
        request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: { ...b.headers, ...headers }, json: body });
      const syncCalls = async () => {
        const endpoints: Record<string, number> = (await control(t.emulator, 'GET', '/stats')).endpoints;
        return Object.entries(endpoints).filter(([key]) => key.startsWith('POST ') && key.endsWith('/accounting/syncs')).reduce((sum, [, n]) => sum + n, 0);
      };

      const before = await syncCalls();
      const first = await post();
      expect(first.status, first.text).toBe(201);
      expect(first.body.batches.map((batch: any) => batch.successful + batch.failed)).toEqual([5000, 5000, 1000]);
      expect(first.body).toMatchObject({ successful: 10_700, failed: 300 });
      expect(await syncCalls()).toBe(before + 3);
      // The keys are the request's: planned again from the same objects in another order, the same.
      const planned = planStatusBatches(b.businessId, {
        syncType: 'TRANSACTION_SYNC',
        successes: ids.slice(300).reverse().map((id) => ({ id, referenceId: id })),
        failures: failures.map((f) => ({ id: f.object_id, message: f.message })),
      });
      expect(first.body.batches.map((batch: any) => batch.idempotency_key)).toEqual(planned.map((batch) => batch.idempotencyKey));
      expect(new Set(planned.map((batch) => batch.idempotencyKey)).size).toBe(3);

      const synced = () => emulatorRecords(t.emulator, b.rampBusinessId, 'transactions').then((all) => [...all.values()].filter((r) => r.sync_status === 'SYNCED').map((r) => r.id).sort());
      const syncedBefore = await synced();
      const replay = await post();
      expect(replay.body.batches.map((batch: any) => batch.sync_id)).toEqual(first.body.batches.map((batch: any) => batch.sync_id));
      expect(await synced()).toEqual(syncedBefore);
      // With an Idempotency-Key the replay does not reach Ramp at all.
      await post({ 'idempotency-key': 'big-1' });
      const calls = await syncCalls();
      expect((await post({ 'idempotency-key': 'big-1' })).headers.get('idempotent-replayed')).toBe('true');
      expect(await syncCalls()).toBe(calls);
    }, 120_000);
  });
}
