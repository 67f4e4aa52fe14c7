/**
 * Mark-synced checks every object id before the first Ramp call (Ramp's `accounting/syncs` takes UUIDs,
 * `format: uuid` in its OpenAPI document). A malformed id sorted into a later batch used to reach Ramp only
 * after the earlier batches were recorded: a request half applied, answered 400. Now one 422 lists every
 * malformed id, and Ramp gets nothing. The emulator answers a malformed id as Ramp does: 422
 * DEVELOPER_7001 naming the item, not the 400 of an unknown object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { EmulatorClient } from '../emulator/helpers.ts';
import { control, emulatorRecords } from '../sync/helpers.ts';
import { accountingTenant, type AccountingTenant } from './chart-through-ramp.ts';
import { startChartApp, type ChartTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: mark-synced object ids are checked before Ramp is called`, () => {
    let t: ChartTestApp;
    let a: AccountingTenant;
    let ids: string[];
    beforeAll(async () => {
      t = await startChartApp(dialect);
      await control(t.emulator, 'POST', '/faults', { rate_limit: false });
      a = await accountingTenant(t, { transactions: 6_000, reimbursements: 1, bills: 1 });
      ids = [...(await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).values()].filter((r) => r.sync_status !== 'SYNCED').map((r) => r.id).sort();
      expect(ids.length).toBeGreaterThan(2);
    }, 120_000);
    afterAll(async () => t?.close());

    const markSynced = (body: unknown) => request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: a.headers, json: body });
    const syncCalls = async () => {
      const endpoints: Record<string, number> = (await control(t.emulator, 'GET', '/stats')).endpoints;
      return Object.entries(endpoints).filter(([key]) => key.startsWith('POST ') && key.endsWith('/accounting/syncs')).reduce((sum, [, n]) => sum + n, 0);
    };
    const syncedAtRamp = async () => [...(await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).values()].filter((r) => r.sync_status === 'SYNCED').map((r) => r.id).sort();

    it('a malformed id in what would be the second batch: one 422 listing every malformed id, nothing sent to Ramp, nothing recorded', async () => {
      // Every object of the business, so 5,000 of them make a full first batch (syncing an object again is allowed).
      const all = [...(await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).keys()].sort();
      expect(all.length).toBeGreaterThan(5_001);
      const [before, syncedBefore] = [await syncCalls(), await syncedAtRamp()];
      const res = await markSynced({
        sync_type: 'TRANSACTION_SYNC',
        object_ids: [...all.slice(0, 5_000), 'not-a-uuid'],
        successes: [{ object_id: 'JE-17', reference_id: 'JE-17' }],
        failures: [{ object_id: all[5_001], message: 'Period closed' }, { object_id: '12345678-1234-1234-1234-12345678901', message: 'Period closed' }],
      });
      expect(res.status, res.text.slice(0, 300)).toBe(422);
      expect(res.body.detail.map((d: any) => [d.type, d.loc])).toEqual([
        ['uuid_parsing', ['body', 'object_ids', 5_000]],
        ['uuid_parsing', ['body', 'successes', 0, 'object_id']],
        ['uuid_parsing', ['body', 'failures', 1, 'object_id']],
      ]);
      expect(res.body.detail[0]).toMatchObject({ input: 'not-a-uuid', msg: expect.stringContaining('Input should be a valid UUID') });
      expect(await syncCalls()).toBe(before);
      expect(await syncedAtRamp()).toEqual(syncedBefore);
    });

    it('a UUID in another spelling (upper case, no hyphens) is the same object: sent to Ramp in its hyphenated form and synced', async () => {
      const [upper, simple] = [ids[0]!, ids[1]!];
      const res = await markSynced({ sync_type: 'TRANSACTION_SYNC', object_ids: [upper.toUpperCase()], failures: [{ object_id: simple.replaceAll('-', ''), message: 'Period closed' }] });
      expect(res.status, res.text.slice(0, 300)).toBe(201);
      expect(res.body).toMatchObject({ successful: 1, failed: 1 });
      expect((await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).get(upper).sync_status).toBe('SYNCED');
      const failures = (await control(t.emulator, 'GET', `/accounting/sync-failures?business_id=${a.rampBusinessId}`)).failures;
      expect(failures.map((f: any) => f.object_id)).toEqual([simple]);
    });

    it("the emulator refuses a malformed id as Ramp documents it: 422 DEVELOPER_7001 naming the item, not an unknown object's 400", async () => {
      const client = new EmulatorClient(t.emulator);
      const token = await client.clientCredentialsToken(a.app, 'accounting:write');
      const res = await client.api('sandbox', '/accounting/syncs', token, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ idempotency_key: 'malformed-1', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: ids[2], reference_id: 'X-1' }, { id: 'JE-17', reference_id: 'X-2' }], failed_syncs: [{ id: 'nope', error: { message: 'no' } }] }),
      });
      expect(res.status).toBe(422);
      expect(res.body.error_v2).toMatchObject({ error_code: 'DEVELOPER_7001', additional_info: { 'successful_syncs.1.id': ['Not a valid UUID.'], 'failed_syncs.0.id': ['Not a valid UUID.'] } });
      expect((await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).get(ids[2]!).sync_status).not.toBe('SYNCED');
    });
  });
}
