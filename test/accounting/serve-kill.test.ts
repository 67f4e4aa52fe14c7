/**
 * The chart upload's crash guarantee with the real thing (docs/guarantees.md#g56): a `serve` process
 * is SIGKILLed at the failpoint `accounting.after_batch_answer` — Ramp has applied a 500-item batch
 * the job has not recorded — and another `serve` process finishes the job with every GL account on
 * Ramp exactly once and the applied batch never sent again. PostgreSQL (the replicas' database).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.ts';
import type { ServerProcess } from '../helpers/processes.ts';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { createHarness, serveOnHarness, type Harness } from '../helpers/token-harness.ts';
import { desiredChart } from './helpers.ts';

const FAILPOINT = 'accounting.after_batch_answer';

describe.runIf(DIALECTS.includes('postgres'))('postgres: a serve process killed mid chart upload', () => {
  let h: Harness;
  const processes: ServerProcess[] = [];
  beforeAll(async () => {
    h = await createHarness('postgres');
  });
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    processes.length = 0;
  });
  afterAll(async () => h?.close());

  async function serve(extra: Record<string, string>): Promise<ServerProcess> {
    const server = await serveOnHarness(h, extra);
    processes.push(server);
    return server;
  }

  const control = async (path: string, json?: unknown) => {
    const res = await request(`${h.emulator.url}/__emulator${path}`, json === undefined ? {} : { method: 'POST', json });
    if (res.status >= 400) throw new Error(`emulator ${path} → ${res.status} ${res.text}`);
    return res.body;
  };

  it('SIGKILL after Ramp applied a batch: another serve process finishes the job, nothing sent twice', async () => {
    const tenant = await createTenant(h.db, 'owner');
    const rampBusinessId = randomUUID();
    await control('/seed', { business_id: rampBusinessId, transactions: 3 });
    const app = await control('/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
    const doomed = await serve({ RAMP_CONNECT_FAILPOINTS: `${FAILPOINT}=pause` });
    const connected = await request(`${doomed.url}/api/v1/ramp/connect-with-credentials`, {
      method: 'POST',
      headers: tenant.headers,
      json: { client_id: app.client_id, client_secret: app.client_secret, scopes: ['business:read', 'accounting:read', 'accounting:write'] },
    });
    expect(connected.status, connected.text).toBe(201);
    await request(`${h.emulator.url}/__emulator/stats`, { method: 'DELETE' });

    const put = await request(`${doomed.url}/api/v1/ramp/accounting/chart`, { method: 'PUT', headers: tenant.headers, json: desiredChart({ accounts: 1200, vendors: 0, fields: 0, options: 0 }, 's') });
    expect(put.status, put.text).toBe(202);
    await expect.poll(() => doomed.output().includes(`failpoint ${FAILPOINT} reached`), { timeout: 60_000, interval: 50 }).toBe(true);
    const before = await h.db.kysely.selectFrom('accounting_chart_jobs').select(['status', 'progress']).where('id', '=', put.body.id).executeTakeFirstOrThrow();
    expect(before.status).toBe('running');
    expect(JSON.parse(before.progress).done.creates).toBe(0);
    await doomed.stop('SIGKILL');
    // The dead process's lease would run out by itself (30 s); it is moved to the past here, as a clock would.
    await h.db.kysely.updateTable('accounting_chart_jobs').set({ lease_until: Date.now() - 1 }).where('id', '=', put.body.id).execute();

    const rescuer = await serve({});
    let job: any;
    await expect
      .poll(async () => {
        job = (await request(`${rescuer.url}/api/v1/ramp/accounting/chart/jobs/${put.body.id}`, { headers: tenant.headers })).body;
        return job.status;
      }, { timeout: 90_000, interval: 100 })
      .toBe('completed');
    expect(job.progress.runs).toBe(2);
    expect(job.progress.done.creates).toBe(700);
    const stats = await control('/stats');
    const uploads = Object.entries(stats.endpoints as Record<string, number>).filter(([key]) => /^POST .*\/accounting\/accounts$/.test(key)).reduce((n, [, c]) => n + c, 0);
    expect(uploads).toBe(3);
    const chart = (await request(`${rescuer.url}/api/v1/ramp/accounting/chart`, { headers: tenant.headers })).body;
    const ours = chart.gl_accounts.filter((a: any) => a.id.startsWith('s-gl-'));
    expect(ours).toHaveLength(1200);
    expect(new Set(ours.map((a: any) => a.id)).size).toBe(1200);
  });
});
