/**
 * A custom field's `is_required_for` cannot be changed through Ramp's API (its PATCH takes name,
 * display_name and is_splittable only): a chart asking for another one must say so in
 * `progress.unchangeable` and end `partial`, not end `completed` while Ramp keeps the old value.
 * Over HTTP against the emulator, on both dialects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/test-db.ts';
import { chartTenant, getChart, putChart, startChartApp, waitForJob, type ChartTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: a custom field's is_required_for`, () => {
    let t: ChartTestApp;
    beforeAll(async () => {
      t = await startChartApp(dialect);
    });
    afterAll(async () => t?.close());

    const chartWith = (field: Record<string, unknown>) => ({
      gl_accounts: [{ id: '6100', name: 'Software', classification: 'EXPENSE' }],
      vendors: [],
      custom_fields: [{ id: 'dept', name: 'Department', input_type: 'SINGLE_CHOICE', options: [{ id: 'ops', value: 'Operations' }], ...field }],
    });

    it('a change Ramp cannot make is reported as unchangeable and the job ends partial; Ramp keeps its value', async () => {
      const tenant = await chartTenant(t);
      const first = await waitForJob(t, tenant, (await putChart(t, tenant, chartWith({ is_required_for: ['TRANSACTION'] }))).body.id);
      expect(first.status, JSON.stringify(first.progress)).toBe('completed');

      const changed = await putChart(t, tenant, chartWith({ is_required_for: ['TRANSACTION', 'BILL'], is_splittable: true }));
      expect(changed.status).toBe(202);
      const job = await waitForJob(t, tenant, changed.body.id);
      expect(job.status, JSON.stringify(job.progress)).toBe('partial');
      expect(job.progress.unchangeable).toEqual([{ kind: 'custom_field', id: 'dept', problem: expect.stringContaining('is_required_for is [TRANSACTION] on Ramp') }]);
      // What Ramp can change is still written.
      expect(job.progress.done.updates).toBe(1);
      const field = (await getChart(t, tenant)).custom_fields.find((f: any) => f.id === 'dept');
      expect(field).toMatchObject({ is_required_for: ['TRANSACTION'], is_splittable: true });

      // The same set (a repeat changes nothing), or none given: nothing to report.
      const reordered = await waitForJob(t, tenant, (await putChart(t, tenant, chartWith({ is_required_for: ['TRANSACTION', 'TRANSACTION'], is_splittable: true }))).body.id);
      expect(reordered.status, JSON.stringify(reordered.progress)).toBe('completed');
      const unsaid = await waitForJob(t, tenant, (await putChart(t, tenant, chartWith({ is_splittable: true }))).body.id);
      expect(unsaid.status, JSON.stringify(unsaid.progress)).toBe('completed');
      expect(unsaid.progress.unchangeable).toEqual([]);
    });
  });
}
