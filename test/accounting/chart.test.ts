/**
 * The chart of accounts up to Ramp over HTTP, against the emulator, on both dialects
 * (docs/guarantees.md#chart-of-accounts): a large upload in batches of ≤ 500 and a repeat that
 * writes nothing; values outside Ramp's enums refused at once (422, no job); a batch with one item Ramp
 * refuses refused whole and reported by item; a direct
 * connection refusing every write with 409; a migration round trip through a backup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { chartWriteCall } from '../../src/ramp/endpoints/accounting-chart.ts';
import { control } from '../sync/helpers.ts';
import { chartTenant, chartWritesSince, desiredChart, getChart, putChart, resetStats, startChartApp, waitForJob, type ChartTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: chart of accounts`, () => {
    let t: ChartTestApp;
    beforeAll(async () => {
      t = await startChartApp(dialect);
    });
    afterAll(async () => t?.close());

    it('uploads 1,200 GL accounts, 800 vendors and 2 fields × 300 options in batches of ≤ 500; the same PUT again makes 0 writes', async () => {
      const tenant = await chartTenant(t);
      const desired = desiredChart({ accounts: 1200, vendors: 800, fields: 2, options: 300 });
      await resetStats(t);
      const put = await putChart(t, tenant, desired);
      expect(put.status, JSON.stringify(put.body)).toBe(202);
      const job = await waitForJob(t, tenant, put.body.id);
      expect(job.status, JSON.stringify(job.progress)).toBe('completed');
      expect(job.progress.done.creates).toBe(1200 + 800 + 2 + 600);
      const writes = await chartWritesSince(t);
      const calls = (pattern: RegExp) => Object.entries(writes.byEndpoint).filter(([key]) => pattern.test(key)).reduce((n, [, count]) => n + count, 0);
      expect(calls(/^POST .*\/accounting\/accounts$/)).toBe(3);
      expect(calls(/^POST .*\/accounting\/vendors$/)).toBe(2);
      expect(calls(/^POST .*\/accounting\/field-options$/)).toBe(2);
      expect(calls(/^POST .*\/accounting\/fields$/)).toBe(2);

      const chart = await getChart(t, tenant);
      expect(chart.counts).toEqual({ gl_accounts: 1200, vendors: 800, custom_fields: 2, field_options: 600 });
      const active = chart.gl_accounts.filter((a: any) => a.is_active);
      expect(new Set(active.map((a: any) => a.id)).size).toBe(1200);
      expect(active.find((a: any) => a.id === 'p-gl-3')).toMatchObject({ name: 'Account 3', code: '6003', classification: 'EXPENSE' });
      expect(chart.vendors.find((v: any) => v.id === 'p-v-2')).toMatchObject({ name: 'Vendor 2', code: 'V2', is_active: true });
      // The seeded chart's objects are not in the desired set: deactivated, not left active.
      expect(chart.gl_accounts.filter((a: any) => !a.is_active).length).toBeGreaterThan(0);

      await resetStats(t);
      const again = await putChart(t, tenant, desired);
      expect(again.status).toBe(202);
      const second = await waitForJob(t, tenant, again.body.id);
      expect(second.status).toBe('completed');
      expect(second.progress.planned).toEqual({ creates: 0, updates: 0, deletes: 0 });
      expect(second.progress.ramp_calls.writes).toBe(0);
      const none = await chartWritesSince(t);
      expect(none).toEqual({ accepted: 0, byEndpoint: {} });

      // A changed name and a removed vendor: exactly those two writes.
      const changed = { ...desired, gl_accounts: desired.gl_accounts.map((a) => (a.id === 'p-gl-10' ? { ...a, name: 'Renamed' } : a)), vendors: desired.vendors.slice(1) };
      await resetStats(t);
      const third = await waitForJob(t, tenant, (await putChart(t, tenant, changed)).body.id);
      expect(third.progress.done).toEqual({ creates: 0, updates: 1, deletes: 1 });
      expect((await chartWritesSince(t)).accepted).toBe(2);

      // The removed vendor back: Ramp still holds it, inactive, so it is reactivated, not created twice.
      const fourth = await waitForJob(t, tenant, (await putChart(t, tenant, desired)).body.id);
      expect(fourth.progress.done).toEqual({ creates: 0, updates: 2, deletes: 0 });
      const vendors = (await getChart(t, tenant)).vendors.filter((v: any) => v.id === 'p-v-0');
      expect(vendors).toMatchObject([{ is_active: true, name: 'Vendor 0', code: 'V0' }]);

      // 150 renames (sent a few at a time) and 40 removals: each exactly once.
      const renamed = { ...desired, gl_accounts: desired.gl_accounts.slice(40).map((a, i) => (i < 150 ? { ...a, name: `${a.name} (renamed)` } : a)) };
      await resetStats(t);
      const fifth = await waitForJob(t, tenant, (await putChart(t, tenant, renamed)).body.id);
      expect(fifth.progress.done).toEqual({ creates: 0, updates: 150, deletes: 40 });
      expect((await chartWritesSince(t)).accepted).toBe(190);
      const after = await getChart(t, tenant);
      expect(after.counts.gl_accounts).toBe(1160);
      expect(after.gl_accounts.filter((a: any) => a.is_active && a.name.endsWith('(renamed)'))).toHaveLength(150);
    });

    it('a batch with one item Ramp refuses is refused whole by Ramp and reported item by item; the rest is written', async () => {
      const tenant = await chartTenant(t);
      const desired = desiredChart({ accounts: 520, vendors: 3, fields: 0, options: 0 }, 'q');
      // What the PUT can check against Ramp's document (an enum) is a 422 at once; a name of blanks is
      // one the emulator's Ramp refuses as too short and the document gives nothing to check it by.
      desired.gl_accounts[510] = { ...desired.gl_accounts[510]!, name: '   ' };
      const job = await waitForJob(t, tenant, (await putChart(t, tenant, desired)).body.id);
      expect(job.status).toBe('partial');
      expect(job.progress.refused).toHaveLength(1);
      const refused = job.progress.refused[0];
      expect(refused).toMatchObject({ kind: 'gl_account', operation: 'create', ramp_status: 422 });
      expect(refused.items).toHaveLength(20);
      const bad = refused.items.find((item: any) => item.id === 'q-gl-510');
      expect(bad.problems.join(' ')).toMatch(/name/);
      expect(refused.items.filter((item: any) => item.problems.length > 0)).toHaveLength(1);
      const chart = await getChart(t, tenant);
      const ids = new Set(chart.gl_accounts.filter((a: any) => a.is_active).map((a: any) => a.id));
      expect(ids.size).toBe(500);
      for (let i = 500; i < 520; i++) expect(ids.has(`q-gl-${i}`)).toBe(false);

      // Fixed, sent again: only the refused batch's 20 accounts are written.
      desired.gl_accounts[510] = { ...desired.gl_accounts[510]!, name: 'Account 510' };
      const fixed = await waitForJob(t, tenant, (await putChart(t, tenant, desired)).body.id);
      expect(fixed.status).toBe('completed');
      expect(fixed.progress.done.creates).toBe(20);
    });

    it('bad input is a 422 naming every problem, before anything reaches Ramp', async () => {
      const tenant = await chartTenant(t);
      await resetStats(t);
      // A duplicate id (a field validator of its list) comes in the same 422 as the schema's problems, in field order.
      const res = await putChart(t, tenant, {
        gl_accounts: [{ id: '1', name: 'A', classification: 'EXPENSE' }, { id: '1', name: 'B', classification: 'EXPENSE' }],
        vendors: [{ id: 'v' }],
        custom_fields: [],
      });
      expect(res.status).toBe(422);
      expect(res.body.detail).toEqual([
        { type: 'value_error', loc: ['body', 'gl_accounts', 1, 'id'], msg: 'Value error, id "1" appears more than once', input: '1', ctx: { error: {} } },
        { type: 'missing', loc: ['body', 'vendors', 0, 'name'], msg: 'Field required', input: { id: 'v' } },
      ]);
      // A list with a problem of its own is not checked for duplicates (pydantic runs a field validator on a
      // valid field only); a field's options are checked in the field's place, before the vendors' problem.
      const option = { id: 'o', value: 'O' };
      const nested = await putChart(t, tenant, {
        gl_accounts: [],
        vendors: [{ id: 'v', name: 'V' }, { id: 'v', name: '' }],
        custom_fields: [
          { id: 'f', name: 'F', input_type: 'SINGLE_CHOICE', options: [option, option] },
          { id: 'f', name: 'G', input_type: 'SINGLE_CHOICE' },
        ],
      });
      expect(nested.status).toBe(422);
      expect(nested.body.detail.map((d: any) => [d.type, d.loc])).toEqual([
        ['string_too_short', ['body', 'vendors', 1, 'name']],
        ['value_error', ['body', 'custom_fields', 0, 'options', 1, 'id']],
      ]);
      const dup = await putChart(t, tenant, { gl_accounts: [{ id: 'a', name: 'A', classification: 'EXPENSE' }, { id: 'a', name: 'B', classification: 'EXPENSE' }], vendors: [], custom_fields: [] });
      expect(dup.status).toBe(422);
      expect(dup.body.detail.map((d: any) => d.loc)).toEqual([['body', 'gl_accounts', 1, 'id']]);
      expect((await chartWritesSince(t)).byEndpoint).toEqual({});
    });

    it("values outside Ramp's enums (classification, input_type, is_required_for) are one 422 naming every item; no job starts, nothing reaches Ramp", async () => {
      const tenant = await chartTenant(t);
      await resetStats(t);
      // 1,200 accounts (3 of Ramp's batches) with a typo in the first and the third batch.
      const desired = desiredChart({ accounts: 1_200, vendors: 2, fields: 0, options: 0 }, 'e');
      desired.gl_accounts[3] = { ...desired.gl_accounts[3]!, classification: 'EXPENCE' };
      desired.gl_accounts[1_100] = { ...desired.gl_accounts[1_100]!, classification: 'expense' };
      const fields = [
        { id: 'f1', name: 'Class', input_type: 'SINGLE_CHOICE', is_required_for: ['TRANSACTION', 'EXPENSE_REPORT'], options: [{ id: 'o1', value: 'Ops' }] },
        { id: 'f2', name: 'Note', input_type: 'TEXT' },
      ];
      const res = await putChart(t, tenant, { ...desired, custom_fields: fields });
      expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(422);
      expect(res.body.detail.map((d: any) => [d.type, d.loc, d.input])).toEqual([
        ['literal_error', ['body', 'gl_accounts', 3, 'classification'], 'EXPENCE'],
        ['literal_error', ['body', 'gl_accounts', 1_100, 'classification'], 'expense'],
        ['literal_error', ['body', 'custom_fields', 0, 'is_required_for', 1], 'EXPENSE_REPORT'],
        ['literal_error', ['body', 'custom_fields', 1, 'input_type'], 'TEXT'],
      ]);
      expect(res.body.detail[0].msg).toBe("Input should be 'ANY', 'ASSET', 'CREDCARD', 'EQUITY', 'EXPENSE', 'LIABILITY', 'REVENUE' or 'UNKNOWN'");
      const jobs = await t.db.kysely.selectFrom('accounting_chart_jobs').select('id').where('business_id', '=', tenant.businessId).execute();
      expect(jobs).toEqual([]);
      expect((await control(t.emulator, 'GET', '/stats')).requests.filter((r: any) => r.path.includes('/accounting/'))).toEqual([]);
    });

    it('a direct accounting connection: every write answers 409 accounting_connection_read_only, nothing is written', async () => {
      const tenant = await chartTenant(t);
      await control(t.emulator, 'POST', '/accounting/connections', { business_id: tenant.rampBusinessId, kind: 'direct', remote_provider_name: 'QuickBooks Online' });
      await resetStats(t);
      const put = await putChart(t, tenant, desiredChart({ accounts: 3, vendors: 1, fields: 0, options: 0 }));
      expect(put.status).toBe(409);
      expect(put.body.code).toBe('accounting_connection_read_only');
      expect(put.body.detail).toMatch(/QuickBooks Online/);
      expect(put.body.detail).toMatch(/disconnect the connection in Ramp/);
      const backup = await request(`${t.chartUrl}/api/v1/ramp/accounting/chart/backups`, { method: 'POST', headers: tenant.headers });
      expect(backup.status).toBe(201);
      const migrate = await request(`${t.chartUrl}/api/v1/ramp/accounting/migrations`, { method: 'POST', headers: tenant.headers, json: { backup_id: backup.body.backup_id, remote_provider_name: 'Ledgerly' } });
      expect(migrate.status).toBe(409);
      expect(migrate.body.code).toBe('accounting_connection_read_only');
      expect((await chartWritesSince(t)).accepted).toBe(0);
      expect(await t.chart.service.seenConnection(tenant.businessId)).toMatchObject({ kind: 'direct', remote_provider_name: 'QuickBooks Online' });
    });

    it('migration: backs up the chart, switches the accounting connection and re-uploads it; refuses without a backup', async () => {
      const tenant = await chartTenant(t);
      const desired = desiredChart({ accounts: 40, vendors: 10, fields: 1, options: 12 }, 'm');
      expect((await waitForJob(t, tenant, (await putChart(t, tenant, desired)).body.id)).status).toBe('completed');
      const before = await getChart(t, tenant);

      const missing = await request(`${t.chartUrl}/api/v1/ramp/accounting/migrations`, { method: 'POST', headers: tenant.headers, json: { backup_id: '00000000-0000-4000-8000-000000000000', remote_provider_name: 'Ledgerly' } });
      expect(missing.status).toBe(409);
      expect(missing.body.code).toBe('chart_backup_required');

      const backup = await request(`${t.chartUrl}/api/v1/ramp/accounting/chart/backups`, { method: 'POST', headers: tenant.headers });
      expect(backup.status).toBe(201);
      expect(backup.body.counts).toEqual(before.counts);
      const started = await request(`${t.chartUrl}/api/v1/ramp/accounting/migrations`, { method: 'POST', headers: tenant.headers, json: { backup_id: backup.body.backup_id, remote_provider_name: 'Ledgerly' } });
      expect(started.status).toBe(202);
      const job = await waitForJob(t, tenant, started.body.id);
      expect(job.status, JSON.stringify(job)).toBe('completed');
      expect(job.progress.new_connection_id).not.toBe(before.connection.id);

      const after = await getChart(t, tenant);
      expect(after.connection).toMatchObject({ remote_provider_name: 'Ledgerly', is_active: true });
      expect(after.counts).toEqual(before.counts);
      const pick = (chart: any) => chart.gl_accounts.filter((a: any) => a.is_active).map((a: any) => [a.id, a.name, a.code, a.classification]).sort();
      expect(pick(after)).toEqual(pick(before));
      const connections = (await control(t.emulator, 'GET', `/accounting/connections?business_id=${tenant.rampBusinessId}`)).connections;
      expect(connections.filter((c: any) => c.is_active)).toHaveLength(1);
      expect(connections.find((c: any) => c.id === before.connection.id).is_active).toBe(false);
      expect(await t.chart.service.seenConnection(tenant.businessId)).toMatchObject({ kind: 'api', remote_provider_name: 'Ledgerly' });

      // The backup is of a connection no longer active: a second migration from it is refused.
      const stale = await request(`${t.chartUrl}/api/v1/ramp/accounting/migrations`, { method: 'POST', headers: tenant.headers, json: { backup_id: backup.body.backup_id, remote_provider_name: 'Other' } });
      expect(stale.status).toBe(409);
      expect(stale.body.code).toBe('chart_backup_required');
      // Another tenant can neither read this business's job nor use its backup.
      const other = await chartTenant(t);
      expect((await request(`${t.chartUrl}/api/v1/ramp/accounting/chart/jobs/${job.id}`, { headers: other.headers })).status).toBe(404);
      const foreign = await request(`${t.chartUrl}/api/v1/ramp/accounting/migrations`, { method: 'POST', headers: other.headers, json: { backup_id: backup.body.backup_id, remote_provider_name: 'Other' } });
      expect(foreign.status).toBe(409);
      expect(foreign.body.code).toBe('chart_backup_required');
      // No backup_id while a connection is active: refused.
      const without = await request(`${t.chartUrl}/api/v1/ramp/accounting/migrations`, { method: 'POST', headers: tenant.headers, json: { remote_provider_name: 'Other' } });
      expect(without.status).toBe(409);
      expect(without.body.code).toBe('chart_backup_required');
    });

    it('with no accounting connection active, a PUT says how to make one, and a migration without a backup creates it', async () => {
      const tenant = await chartTenant(t);
      expect((await t.feature.client.call(tenant.businessId, chartWriteCall('DELETE', 'connection'))).ok).toBe(true);
      const put = await putChart(t, tenant, desiredChart({ accounts: 2, vendors: 0, fields: 0, options: 0 }));
      expect(put.status).toBe(409);
      expect(put.body.code).toBe('accounting_connection_missing');
      const started = await request(`${t.chartUrl}/api/v1/ramp/accounting/migrations`, { method: 'POST', headers: tenant.headers, json: { remote_provider_name: 'Ledgerly' } });
      expect(started.status, started.text).toBe(202);
      expect((await waitForJob(t, tenant, started.body.id)).status).toBe('completed');
      expect((await getChart(t, tenant)).connection).toMatchObject({ remote_provider_name: 'Ledgerly', is_active: true });
      const upload = await putChart(t, tenant, desiredChart({ accounts: 2, vendors: 0, fields: 0, options: 0 }));
      expect(upload.status).toBe(202);
      expect((await waitForJob(t, tenant, upload.body.id)).status).toBe('completed');
    });
  });
}
