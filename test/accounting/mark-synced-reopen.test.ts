/**
 * mark-synced's idempotency keys against objects Ramp re-opens, over HTTP against the emulator on both
 * dialects. Ramp answers an `accounting/syncs` key it has seen as a replay and records nothing
 * (src/emulator/resources/accounting-syncs.ts does the same). A key made of the business, the sync type
 * and the batch's content alone was the same when an object synced, then re-opened by Ramp (ready to sync
 * again, back in our feed), was reported again with the same reference or the same failure message: Ramp
 * replayed the old answer and the object stayed ready for good. The key now carries each object's
 * readiness episode (src/accounting/ready-status-back.ts), which our reads move when Ramp re-opens it,
 * and nothing else does: a retried request within one episode, with a sync in between, still sends the
 * same keys and Ramp records it once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planStatusBatches, readyEpisodesOf, type StatusBackRequest } from '../../src/accounting/ready-status-back.ts';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { control, emulatorRecords, startSync, waitForSync } from '../sync/helpers.ts';
import { accountingTenant, type AccountingTenant } from './chart-through-ramp.ts';
import { startChartApp, type ChartTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: mark-synced after Ramp re-opens an object`, () => {
    let t: ChartTestApp;
    beforeAll(async () => {
      t = await startChartApp(dialect, { data: { scheduler: true } });
      await control(t.emulator, 'POST', '/faults', { rate_limit: false });
    });
    afterAll(async () => t?.close());

    const sync = async (a: AccountingTenant) => expect((await waitForSync(t, a, (await startSync(t, a)).sync_id, 120_000)).status).toBe('completed');
    const feed = async (a: AccountingTenant): Promise<any[]> => {
      const res = await request(`${t.url}/api/v1/ramp/accounting/ready?type=transactions&limit=1000`, { headers: a.headers });
      expect(res.status, res.text).toBe(200);
      return res.body.items;
    };
    const feedIds = async (a: AccountingTenant) => (await feed(a)).map((item) => item.id).sort();
    const markSynced = async (a: AccountingTenant, body: unknown) => {
      const res = await request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: a.headers, json: body });
      expect(res.status, res.text).toBe(201);
      return res.body;
    };
    const atRamp = async (a: AccountingTenant, ids: string[]) => {
      const theirs = await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions');
      return Object.fromEntries(ids.map((id) => [id, theirs.get(id).sync_status]));
    };
    const failuresAtRamp = async (a: AccountingTenant) =>
      ((await control(t.emulator, 'GET', `/accounting/sync-failures?business_id=${a.rampBusinessId}`)).failures as any[]).map((f) => [f.object_id, f.message, f.sync_id]);
    const episodes = async (a: AccountingTenant, ids: string[]) =>
      Object.fromEntries(await Promise.all(ids.map(async (id) => {
        const row = await t.db.kysely.selectFrom('ramp_records').select('ready_episode').where('business_id', '=', a.businessId).where('resource', '=', 'transactions').where('id', '=', id).executeTakeFirstOrThrow();
        return [id, Number(row.ready_episode)];
      })));

    it('an object synced, re-opened by Ramp and reported again is recorded again, success or failure; a retry within the episode is replayed', async () => {
      const a = await accountingTenant(t, { transactions: 40, reimbursements: 1, bills: 1 });
      await control(t.emulator, 'POST', '/accounting/unready', { business_id: a.rampBusinessId, resource: 'transactions' });
      const ready = await control(t.emulator, 'POST', '/accounting/ready', { business_id: a.rampBusinessId, resource: 'transactions', count: 3 });
      const [x, y, z] = [...(ready.ids as string[])].sort() as [string, string, string];
      await sync(a);
      expect(await feedIds(a)).toEqual([x, y, z]);

      // First episode: x by its own id, y with a reference, z failed and then posted.
      const plainBody = { sync_type: 'TRANSACTION_SYNC', object_ids: [x] };
      const mixedBody = { sync_type: 'TRANSACTION_SYNC', successes: [{ object_id: y, reference_id: 'JE-Y' }], failures: [{ object_id: z, message: 'Period 2026-11 is closed' }] };
      const plain1 = await markSynced(a, plainBody);
      const mixed1 = await markSynced(a, mixedBody);
      expect(await failuresAtRamp(a)).toEqual([[z, 'Period 2026-11 is closed', mixed1.batches[0].sync_id]]);
      await markSynced(a, { sync_type: 'TRANSACTION_SYNC', successes: [{ object_id: z, reference_id: 'JE-Z' }] });
      expect(await atRamp(a, [x, y, z])).toEqual({ [x]: 'SYNCED', [y]: 'SYNCED', [z]: 'SYNCED' });
      expect(await failuresAtRamp(a)).toEqual([]);
      await sync(a);
      expect(await feedIds(a)).toEqual([]);
      expect(await episodes(a, [x, y, z])).toEqual({ [x]: 0, [y]: 0, [z]: 0 });

      // Ramp re-opens all three (edited in Ramp): the next sync puts them back in our feed.
      const reopened = await control(t.emulator, 'POST', '/accounting/reopen', { business_id: a.rampBusinessId, resource: 'transactions', ids: [x, y, z] });
      expect([...reopened.ids].sort()).toEqual([x, y, z]);
      expect(await atRamp(a, [x, y, z])).toEqual({ [x]: 'SYNC_READY', [y]: 'SYNC_READY', [z]: 'SYNC_READY' });
      await sync(a);
      expect(await feedIds(a)).toEqual([x, y, z]);
      expect(await episodes(a, [x, y, z])).toEqual({ [x]: 1, [y]: 1, [z]: 1 });

      // Reported again exactly as before: new keys, and Ramp records them.
      const plain2 = await markSynced(a, plainBody);
      const mixed2 = await markSynced(a, mixedBody);
      expect(await atRamp(a, [x, y, z])).toEqual({ [x]: 'SYNCED', [y]: 'SYNCED', [z]: 'SYNC_READY' });
      expect(await failuresAtRamp(a)).toEqual([[z, 'Period 2026-11 is closed', mixed2.batches[0].sync_id]]);
      expect(plain2.batches[0].idempotency_key).not.toBe(plain1.batches[0].idempotency_key);
      expect(mixed2.batches[0].idempotency_key).not.toBe(mixed1.batches[0].idempotency_key);
      expect(plain2.batches[0].sync_id).not.toBe(plain1.batches[0].sync_id);
      await sync(a);
      const left = await feed(a);
      expect(left.map((item) => item.id)).toEqual([z]);
      expect(left[0].last_sync_failure).toMatchObject({ message: 'Period 2026-11 is closed', sync_type: 'TRANSACTION_SYNC' });
      // The sync that read x and y synced kept their episode.
      expect(await episodes(a, [x, y, z])).toEqual({ [x]: 1, [y]: 1, [z]: 1 });

      // The same requests again within this episode, a sync since: the same keys, replayed; Ramp records nothing new.
      const syncedAt = (await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).get(x).synced_at;
      await control(t.emulator, 'POST', '/clock', { advance_s: 60 });
      try {
        expect(await markSynced(a, plainBody)).toEqual(plain2);
        expect(await markSynced(a, mixedBody)).toEqual(mixed2);
      } finally {
        await control(t.emulator, 'POST', '/clock', { reset: true });
      }
      expect((await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).get(x).synced_at).toBe(syncedAt);
      expect(await failuresAtRamp(a)).toEqual([[z, 'Period 2026-11 is closed', mixed2.batches[0].sync_id]]);
    }, 180_000);

    it('a request Ramp refused in its second batch, sent again after a sync read the first batch as synced: the first batch keeps its key and is replayed', async () => {
      const a = await accountingTenant(t, { transactions: 5_100, reimbursements: 1, bills: 1 });
      const seeded = await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions');
      const ids = [...seeded.keys()].sort();
      expect(ids.length).toBeGreaterThan(5_000);
      await sync(a);
      // Some of the first batch in a later episode: synced, re-opened by Ramp, read so by a sync.
      const synced = ids.slice(0, 5_000).filter((id) => seeded.get(id).sync_status === 'SYNCED').slice(0, 3);
      expect(synced).toHaveLength(3);
      await control(t.emulator, 'POST', '/accounting/reopen', { business_id: a.rampBusinessId, resource: 'transactions', ids: synced });
      await sync(a);
      const statusRequest: StatusBackRequest = { syncType: 'TRANSACTION_SYNC', successes: ids.map((id) => ({ id, referenceId: id })), failures: [] };
      const before = await readyEpisodesOf(t.db.kysely, a.businessId, statusRequest);
      expect(Object.fromEntries(before)).toEqual(Object.fromEntries(synced.map((id) => [id, 1])));
      const [firstKey] = planStatusBatches(a.businessId, statusRequest, before).map((batch) => batch.idempotencyKey);

      const unknown = 'ffffffff-ffff-4fff-bfff-ffffffffffff';
      const post = (objectIds: string[]) =>
        request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: a.headers, json: { sync_type: 'TRANSACTION_SYNC', object_ids: objectIds } });
      const refused = await post([...ids, unknown]);
      expect(refused.status).toBe(400);
      expect(refused.body.detail).toContain('Batch 2 of 2');
      const theirs = await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions');
      expect(ids.slice(0, 5_000).every((id) => theirs.get(id).sync_status === 'SYNCED')).toBe(true);
      expect(ids.slice(5_000).map((id) => theirs.get(id).sync_status)).toEqual(ids.slice(5_000).map((id) => seeded.get(id).sync_status));
      const syncedAt = ids.slice(0, 5_000).map((id) => theirs.get(id).synced_at);

      // A sync reads the first batch as Ramp now holds it (synced: Ramp's object changed); Ramp's clock a
      // minute on, so a second recording of the first batch would show in its synced_at.
      await sync(a);
      await control(t.emulator, 'POST', '/clock', { advance_s: 60 });
      const corrected = await post(ids).finally(() => control(t.emulator, 'POST', '/clock', { reset: true }));
      expect(corrected.status, corrected.text).toBe(201);
      const after = await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions');
      expect(ids.slice(0, 5_000).map((id) => after.get(id).synced_at)).toEqual(syncedAt);
      expect(ids.every((id) => after.get(id).sync_status === 'SYNCED')).toBe(true);
      expect(corrected.body.batches.map((batch: any) => [batch.idempotency_key === firstKey, batch.successful])).toEqual([[true, 5_000], [false, ids.length - 5_000]]);
      // Neither our local mark nor the sync that read the first batch synced moved an episode.
      expect(await readyEpisodesOf(t.db.kysely, a.businessId, statusRequest)).toEqual(before);
      const again = await post(ids);
      expect(again.body).toEqual(corrected.body);
    }, 300_000);
  });
}
