/**
 * The chart of accounts through the whole server (`startServer`, as `serve` runs it) on both dialects:
 * `GET /api/v1/ramp/status` names the active accounting connection and its kind; and
 * `ramp-connect accounting migrate` backs up, switches and re-uploads, and resumes a migration under
 * way (docs/guarantees.md#g58).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeAccountingBackupCommand, makeAccountingMigrateCommand } from '../../src/cli/commands/accounting.ts';
import { createTokenRuntime } from '../../src/features.ts';
import { insertChartJob } from '../../src/accounting/chart-jobs-repo.ts';
import { desiredFromHeld } from '../../src/accounting/chart-model.ts';
import { readHeldChart } from '../../src/accounting/chart-reader.ts';
import { RampClient } from '../../src/ramp/ramp-client.ts';
import { chartWriteCall } from '../../src/ramp/endpoints/accounting-chart.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { desiredChart } from './helpers.ts';

const ACCOUNTING_SCOPES = ['business:read', 'accounting:read', 'accounting:write'];

for (const dialect of DIALECTS) {
  describe(`${dialect}: accounting connection in status, migrate command`, () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ dialect });
    });
    afterAll(async () => t?.close());

    const control = async (method: string, path: string, json?: unknown) => {
      const res = await request(`${t.emulator.url}/__emulator${path}`, json === undefined ? { method } : { method, json });
      if (res.status >= 400) throw new Error(`emulator ${path} → ${res.status} ${res.text}`);
      return res.body;
    };

    async function connected(): Promise<Tenant & { rampBusinessId: string }> {
      const tenant = await createTenant(t.server.ctx.db, 'owner');
      const rampBusinessId = randomUUID();
      await control('POST', '/seed', { business_id: rampBusinessId, transactions: 3 });
      const app = await control('POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
      const res = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, { method: 'POST', headers: tenant.headers, json: { client_id: app.client_id, client_secret: app.client_secret, scopes: ACCOUNTING_SCOPES } });
      expect(res.status, res.text).toBe(201);
      return { ...tenant, rampBusinessId };
    }

    const status = async (tenant: Tenant) => (await request(`${t.url}/api/v1/ramp/status`, { headers: tenant.headers })).body;
    const waitForJob = async (tenant: Tenant, id: string) => {
      for (let i = 0; i < 1200; i++) {
        const res = await request(`${t.url}/api/v1/ramp/accounting/chart/jobs/${id}`, { headers: tenant.headers });
        if (['completed', 'partial', 'failed'].includes(res.body.status)) return res.body;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('job did not finish');
    };

    it('status names the accounting connection: api after a chart PUT, direct (and 409 on writes) once a direct one is linked', async () => {
      const tenant = await connected();
      expect((await status(tenant)).accounting_connection).toBeNull();
      const put = await request(`${t.url}/api/v1/ramp/accounting/chart`, { method: 'PUT', headers: tenant.headers, json: desiredChart({ accounts: 5, vendors: 2, fields: 1, options: 3 }) });
      expect(put.status, put.text).toBe(202);
      expect((await waitForJob(tenant, put.body.id)).status).toBe('completed');
      expect((await status(tenant)).accounting_connection).toMatchObject({ remote_provider_name: 'Ramp Connect', kind: 'api' });

      await control('POST', '/accounting/connections', { business_id: tenant.rampBusinessId, kind: 'direct', remote_provider_name: 'NetSuite' });
      const refused = await request(`${t.url}/api/v1/ramp/accounting/chart`, { method: 'PUT', headers: tenant.headers, json: desiredChart({ accounts: 5, vendors: 2, fields: 1, options: 3 }) });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'accounting_connection_read_only' });
      expect((await status(tenant)).accounting_connection).toMatchObject({ remote_provider_name: 'NetSuite', kind: 'direct' });
    });

    const runCommand = async (command: typeof makeAccountingMigrateCommand, flags: Record<string, string | boolean>) => {
      const out: string[] = [];
      const err: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out.push(String(chunk));
        return true;
      });
      const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        err.push(String(chunk));
        return true;
      });
      try {
        await command((ctx) => createTokenRuntime(ctx, t.emulator).tokens)({ flags: { json: true, ...flags }, config: t.server.ctx.config });
      } finally {
        spy.mockRestore();
        spyErr.mockRestore();
      }
      return { job: JSON.parse(out.join('')), stderr: err.join('') };
    };
    const runMigrate = (flags: Record<string, string | boolean>) => runCommand(makeAccountingMigrateCommand, flags);

    it('accounting migrate: backs up, switches the connection and re-uploads the chart', async () => {
      const tenant = await connected();
      const put = await request(`${t.url}/api/v1/ramp/accounting/chart`, { method: 'PUT', headers: tenant.headers, json: desiredChart({ accounts: 30, vendors: 6, fields: 2, options: 7 }, 'c') });
      expect((await waitForJob(tenant, put.body.id)).status).toBe('completed');
      const before = (await request(`${t.url}/api/v1/ramp/accounting/chart`, { headers: tenant.headers })).body;

      const backup = await runCommand(makeAccountingBackupCommand, { business: tenant.businessId });
      expect(backup.job).toMatchObject({ connection_id: before.connection.id, counts: before.counts });
      const { job, stderr } = await runMigrate({ business: tenant.businessId, to: 'Ledgerly' });
      expect(stderr).toMatch(/chart backed up as/);
      expect(job).toMatchObject({ status: 'completed' });
      const after = (await request(`${t.url}/api/v1/ramp/accounting/chart`, { headers: tenant.headers })).body;
      expect(after.connection.remote_provider_name).toBe('Ledgerly');
      expect(after.connection.id).toBe(job.new_connection_id);
      expect(after.counts).toEqual(before.counts);
      expect((await status(tenant)).accounting_connection).toMatchObject({ remote_provider_name: 'Ledgerly', kind: 'api' });

      // Run again: nothing to do, the same job is printed.
      const again = await runMigrate({ business: tenant.businessId, to: 'Ledgerly' });
      expect(again.stderr).toMatch(/already migrated to Ledgerly/);
      expect(again.job.id).toBe(job.id);
    });

    it('accounting migrate resumes a migration whose process stopped after disconnecting the old connection', async () => {
      const tenant = await connected();
      const put = await request(`${t.url}/api/v1/ramp/accounting/chart`, { method: 'PUT', headers: tenant.headers, json: desiredChart({ accounts: 12, vendors: 3, fields: 1, options: 4 }, 'r') });
      expect((await waitForJob(tenant, put.body.id)).status).toBe('completed');
      const backup = await request(`${t.url}/api/v1/ramp/accounting/chart/backups`, { method: 'POST', headers: tenant.headers });
      expect(backup.status).toBe(201);
      // The state a process killed right after its DELETE leaves: the job queued, the old connection gone.
      const runtime = createTokenRuntime(t.server.ctx, t.emulator);
      const client = new RampClient(runtime.tokens, {});
      const held = await readHeldChart(client, tenant.businessId, { reads: 0 });
      const disconnected = await client.call(tenant.businessId, chartWriteCall('DELETE', 'connection'));
      expect(disconnected.ok).toBe(true);
      const queued = await insertChartJob(
        t.server.ctx.db.kysely,
        { businessId: tenant.businessId, kind: 'migration', connectionId: backup.body.connection_id, backupId: backup.body.backup_id, targetProviderName: 'Ledgerly', desired: JSON.stringify(desiredFromHeld(held)) },
        Date.now() + 60_000,
      );
      // The server's scheduler may take it first; either way the command ends with it finished.
      const { job, stderr } = await runMigrate({ business: tenant.businessId, to: 'Ledgerly' });
      expect(job.status).toBe('completed');
      // Unless the server's scheduler finished the job first, the command resumed that very job.
      if (stderr.includes('resuming migration')) expect(job.id).toBe(queued!.id);
      else expect(stderr).toMatch(/already migrated to Ledgerly/);
      const after = (await request(`${t.url}/api/v1/ramp/accounting/chart`, { headers: tenant.headers })).body;
      expect(after.connection.remote_provider_name).toBe('Ledgerly');
      expect(after.counts).toEqual(backup.body.counts);
      const connections = (await control('GET', `/accounting/connections?business_id=${tenant.rampBusinessId}`)).connections;
      expect(connections.filter((c: any) => c.is_active)).toHaveLength(1);
    });
  });
}
