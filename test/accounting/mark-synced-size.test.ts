/**
 * Mark-synced takes what the README promises (`successes` of up to 20,000 objects, each with the
 * books' reference), over HTTP against the emulator on both dialects: 20,000 successes with their
 * references are a 1.7 MB body, over the server's default 1 MB limit, and must reach Ramp in 4 calls
 * of 5,000, not be refused with a 413.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { control, emulatorRecords } from '../sync/helpers.ts';
import { accountingTenant } from './chart-through-ramp.ts';
import { startChartApp, type ChartTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: mark-synced of the largest request the README allows`, () => {
    let t: ChartTestApp;
    beforeAll(async () => {
      t = await startChartApp(dialect);
      await control(t.emulator, 'POST', '/faults', { rate_limit: false });
    });
    afterAll(async () => t?.close());

    it('20,000 successes with references (a 1.7 MB body) go to Ramp in 4 batches and Ramp holds all 20,000 synced', async () => {
      const a = await accountingTenant(t, { transactions: 20_000, reimbursements: 1, bills: 1 });
      const ids = [...(await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).keys()].slice(0, 20_000);
      expect(ids).toHaveLength(20_000);
      const body = { sync_type: 'TRANSACTION_SYNC', successes: ids.map((id, i) => ({ object_id: id, reference_id: `JE-2026-11-${String(i).padStart(6, '0')}` })) };
      expect(JSON.stringify(body).length).toBeGreaterThan(1_048_576);

      const res = await request(`${t.url}/api/v1/ramp/accounting/mark-synced`, { method: 'POST', headers: a.headers, json: body });
      expect(res.status, res.text.slice(0, 300)).toBe(201);
      expect(res.body).toMatchObject({ successful: 20_000, failed: 0 });
      expect(res.body.batches.map((batch: any) => batch.successful)).toEqual([5000, 5000, 5000, 5000]);
      const synced = [...(await emulatorRecords(t.emulator, a.rampBusinessId, 'transactions')).values()].filter((r) => r.sync_status === 'SYNCED');
      expect(synced).toHaveLength(20_000);
    });
  });
}
