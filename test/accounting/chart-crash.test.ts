/**
 * A chart upload whose process is killed with SIGKILL right after Ramp applied a batch (and before
 * the job recorded it) is resumed by another process once the lease expires, and Ramp ends with
 * each GL account exactly once: the applied batch is not sent again (docs/guarantees.md#chart-of-accounts).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/test-db.ts';
import { control } from '../sync/helpers.ts';
import { chartTenant, chartWritesSince, getChart, resetStats, startChartApp, waitForJob, type ChartTestApp } from './helpers.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: chart upload killed mid-way`, () => {
    let t: ChartTestApp;
    beforeAll(async () => {
      // No scheduler until the child is dead: the child, not this process, must take the job first.
      t = await startChartApp(dialect, { leaseMs: 1000, scheduler: false });
    });
    afterAll(async () => t?.close());

    it('SIGKILL after a batch Ramp applied: the job resumes elsewhere without sending that batch again', async () => {
      const tenant = await chartTenant(t);
      const app = await control(t.emulator, 'POST', '/apps', { business_id: tenant.rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
      await resetStats(t);
      const child = spawn(process.execPath, ['bin/run-ts.js', 'test/accounting/fixtures/chart-child.ts'], {
        env: {
          ...process.env,
          DATABASE_URL: t.database.url,
          EMULATOR_API_BASE: `${t.emulator.url}/sandbox`,
          CLIENT_ID: app.client_id,
          CLIENT_SECRET: app.client_secret,
          BUSINESS_ID: tenant.businessId,
          ACCOUNTS: '1200',
          LEASE_MS: '1000',
          RAMP_CONNECT_FAILPOINTS: 'accounting.after_batch_answer=pause',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const first = await lines.next();
      const jobId = (JSON.parse(first.value as string) as { job_id: string }).job_id;
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the child never reached the failpoint: ${stderr}`)), 60_000);
        child.stderr!.on('data', (chunk) => {
          stderr += chunk;
          if (stderr.includes('failpoint accounting.after_batch_answer reached')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      // Ramp has applied the first batch of 500; the job row does not say so.
      const stored = await t.db.kysely.selectFrom('accounting_chart_jobs').select(['progress', 'status']).where('id', '=', jobId).executeTakeFirstOrThrow();
      expect(stored.status).toBe('running');
      expect(JSON.parse(stored.progress).done.creates).toBe(0);
      child.kill('SIGKILL');
      await exited;

      t.chart.start();
      const job = await waitForJob(t, tenant, jobId);
      expect(job.status, JSON.stringify(job)).toBe('completed');
      expect(job.progress.runs).toBe(2);
      expect(job.progress.done.creates).toBe(700);
      const writes = await chartWritesSince(t);
      const uploads = Object.entries(writes.byEndpoint).filter(([key]) => /^POST .*\/accounting\/accounts$/.test(key)).reduce((n, [, c]) => n + c, 0);
      expect(uploads).toBe(3);
      const chart = await getChart(t, tenant);
      const ours = chart.gl_accounts.filter((a: any) => a.id.startsWith('k-gl-'));
      expect(ours).toHaveLength(1200);
      expect(new Set(ours.map((a: any) => a.id)).size).toBe(1200);
    });
  });
}
