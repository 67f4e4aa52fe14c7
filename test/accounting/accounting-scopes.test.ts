/**
 * A connection Ramp did not grant the accounting scopes (README "Chart of accounts up": with
 * `connect-with-credentials` they must be listed in `scopes`), over HTTP against the emulator on both
 * dialects: every accounting route answers 409 `ramp_scope_missing` naming the scope Ramp refused,
 * not a 502 that says Ramp failed (a client would retry that in vain), and nothing is written.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SCOPES } from '../helpers/cc-token-provider.ts';
import { request } from '../helpers/http.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { control } from '../sync/helpers.ts';
import { chartWritesSince, resetStats, startChartApp, type ChartTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: accounting routes on a connection without the accounting scopes`, () => {
    let t: ChartTestApp;
    beforeAll(async () => {
      t = await startChartApp(dialect);
    });
    afterAll(async () => t?.close());

    async function tenantWith(scopes: readonly string[]): Promise<Tenant> {
      const tenant = await createTenant(t.db, 'owner');
      const rampBusinessId = randomUUID();
      await control(t.emulator, 'POST', '/seed', { business_id: rampBusinessId, transactions: 3, reimbursements: 1, bills: 1 });
      const app = await control(t.emulator, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
      t.tokens.connect(tenant.businessId, { client_id: app.client_id, client_secret: app.client_secret, apiBaseUrl: `${t.emulator.url}/sandbox`, scopes: [...scopes] });
      return tenant;
    }

    const chartBody = { gl_accounts: [{ id: '6100', name: 'Software', classification: 'EXPENSE' }], vendors: [], custom_fields: [] };

    it('without accounting:write: the chart PUT, a migration and mark-synced are 409 ramp_scope_missing naming it; nothing is written', async () => {
      const readOnly = TEST_SCOPES.filter((scope) => scope !== 'accounting:write').concat('accounting:read');
      const tenant = await tenantWith(readOnly);
      await resetStats(t);

      const put = await request(`${t.chartUrl}/api/v1/ramp/accounting/chart`, { method: 'PUT', headers: tenant.headers, json: chartBody });
      expect(put.status, put.text).toBe(409);
      expect(put.body.code).toBe('ramp_scope_missing');
      expect(put.body.detail).toContain('accounting:write');

      const synced = await request(`${t.url}/api/v1/ramp/accounting/mark-synced`, {
        method: 'POST',
        headers: tenant.headers,
        json: { sync_type: 'TRANSACTION_SYNC', object_ids: [randomUUID()] },
      });
      expect(synced.status, synced.text).toBe(409);
      expect(synced.body).toMatchObject({ code: 'ramp_scope_missing' });
      expect(synced.body.detail).toContain('accounting:write');

      // A backup only reads (accounting:read is granted): it works, and the migration that would write is refused.
      const backup = await request(`${t.chartUrl}/api/v1/ramp/accounting/chart/backups`, { method: 'POST', headers: tenant.headers });
      expect(backup.status, backup.text).toBe(201);
      const migration = await request(`${t.chartUrl}/api/v1/ramp/accounting/migrations`, {
        method: 'POST',
        headers: tenant.headers,
        json: { backup_id: backup.body.backup_id, remote_provider_name: 'Ledgerly' },
      });
      expect(migration.status, migration.text).toBe(409);
      expect(migration.body).toMatchObject({ code: 'ramp_scope_missing' });

      expect(await chartWritesSince(t)).toEqual({ accepted: 0, byEndpoint: expect.any(Object) });
    });

    it('without accounting:read: reading the chart and a backup are 409 ramp_scope_missing naming it', async () => {
      const tenant = await tenantWith(TEST_SCOPES.filter((scope) => !scope.startsWith('accounting:')));
      const chart = await request(`${t.chartUrl}/api/v1/ramp/accounting/chart`, { headers: tenant.headers });
      expect(chart.status, chart.text).toBe(409);
      expect(chart.body.code).toBe('ramp_scope_missing');
      expect(chart.body.detail).toContain('accounting:read');
      const backup = await request(`${t.chartUrl}/api/v1/ramp/accounting/chart/backups`, { method: 'POST', headers: tenant.headers });
      expect(backup.status, backup.text).toBe(409);
      expect(backup.body.code).toBe('ramp_scope_missing');
    });
  });
}
