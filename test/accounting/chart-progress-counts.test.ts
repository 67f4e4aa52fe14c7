/**
 * A chart job's `progress.planned` counts every write its `done` will count: a vendor created with a
 * code is one create and one update (Ramp's vendor upload takes id and name only; the code is set by
 * PATCH right after), so a finished job never shows more done than planned. Over HTTP against the
 * emulator, on both dialects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/test-db.ts';
import { chartTenant, getChart, putChart, startChartApp, waitForJob, type ChartTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: chart job counts`, () => {
    let t: ChartTestApp;
    beforeAll(async () => {
      t = await startChartApp(dialect);
    });
    afterAll(async () => t?.close());

    it('vendors created with codes: planned = done, and Ramp holds the codes', async () => {
      const tenant = await chartTenant(t);
      const desired = {
        gl_accounts: [{ id: '6100', name: 'Software', classification: 'EXPENSE' }],
        vendors: [{ id: 'V-1', name: 'Slack', code: 'S1' }, { id: 'V-2', name: 'Zoom', code: 'Z2' }, { id: 'V-3', name: 'AWS' }, { id: 'V-4', name: 'GCP', code: '' }],
        custom_fields: [],
      };
      const job = await waitForJob(t, tenant, (await putChart(t, tenant, desired)).body.id);
      expect(job.status, JSON.stringify(job.progress)).toBe('completed');
      expect(job.progress.done).toEqual(job.progress.planned);
      expect(job.progress.planned.creates).toBe(5);
      // The seeded chart's objects are deleted; the two codes are the only updates.
      expect(job.progress.planned.updates).toBe(2);
      const vendors = (await getChart(t, tenant)).vendors.filter((v: any) => v.is_active);
      expect(vendors.map((v: any) => [v.id, v.code]).sort()).toEqual([['V-1', 'S1'], ['V-2', 'Z2'], ['V-3', null], ['V-4', null]]);
    });
  });
}
