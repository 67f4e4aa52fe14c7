/**
 * `GET /api/v1/ramp/accounting/chart` reads the whole chart from Ramp (up to ~500 calls for 50,000
 * objects). GETs of one business that arrive while a read is under way share it: five members
 * reloading at once cost Ramp the calls of one read, counted at the emulator. Ramp's first accounts
 * page is held (a hang fault) until all five are waiting, then let through: no timing involved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { control } from '../sync/helpers.ts';
import { chartTenant, desiredChart, putChart, resetStats, startChartApp, waitForJob, type ChartTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: concurrent chart reads of one business share one Ramp read`, () => {
    let t: ChartTestApp;
    beforeAll(async () => {
      t = await startChartApp(dialect);
      await control(t.emulator, 'POST', '/faults', { rate_limit: false });
    });
    afterAll(async () => {
      await control(t.emulator, 'POST', '/faults', { reset: true, release_hangs: true });
      await t?.close();
    });

    const rampReads = async () =>
      ((await control(t.emulator, 'GET', '/stats')).requests as { method: string; path: string }[]).filter((r) => r.method === 'GET' && r.path.includes('/accounting/')).length;

    it('five GETs at once make the Ramp calls of one read and get the same chart; a GET after a chart job reads again', async () => {
      const tenant = await chartTenant(t);
      const desired = desiredChart({ accounts: 250, vendors: 120, fields: 1, options: 150 }, 's');
      expect((await waitForJob(t, tenant, (await putChart(t, tenant, desired)).body.id)).status).toBe('completed');
      const get = () => request(`${t.chartUrl}/api/v1/ramp/accounting/chart`, { headers: tenant.headers });

      await resetStats(t);
      const alone = await get();
      expect(alone.status).toBe(200);
      const oneRead = await rampReads();
      expect(oneRead).toBeGreaterThan(5);

      await resetStats(t);
      await control(t.emulator, 'POST', '/faults', { hang_ms: 25_000, paths: ['/sandbox/developer/v1/accounting/accounts'] });
      const five = Array.from({ length: 5 }, () => get());
      try {
        await expect.poll(() => t.chart.service.chartReaders(tenant.businessId), { timeout: 20_000, interval: 50 }).toBe(5);
      } finally {
        await control(t.emulator, 'POST', '/faults', { hang_ms: 0, paths: null, release_hangs: true });
      }
      const answers = await Promise.all(five);
      expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
      for (const res of answers) expect(res.body).toEqual(alone.body);
      expect(await rampReads()).toBe(oneRead);
      expect(t.chart.service.chartReaders(tenant.businessId)).toBe(0);

      // Shared only while under way: a GET after a chart job reads Ramp again and sees the change.
      const renamed = { ...desired, vendors: desired.vendors.map((v, i) => (i === 0 ? { ...v, name: 'Renamed vendor' } : v)) };
      expect((await waitForJob(t, tenant, (await putChart(t, tenant, renamed)).body.id)).status).toBe('completed');
      await resetStats(t);
      const after = await get();
      expect(after.body.vendors.find((v: any) => v.id === 's-v-0').name).toBe('Renamed vendor');
      expect(await rampReads()).toBe(oneRead);
    }, 120_000);
  });
}
