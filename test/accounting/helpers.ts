/**
 * @module Shared setup for the chart-of-accounts tests: the Ramp data test app (test/sync/helpers.ts)
 * with the chart feature mounted beside it, a desired chart generator, and job polling.
 */
import type { FastifyInstance } from 'fastify';
import { chartFeature, type ChartFeature } from '../../src/http/routes/accounting/chart-feature.ts';
import type { Dialect } from '../../src/db/database.ts';
import { buildApp } from '../../src/http/app.ts';
import { request } from '../helpers/http.ts';
import type { Tenant } from '../helpers/tenants.ts';
import { randomUUID } from 'node:crypto';
import { TEST_SCOPES } from '../helpers/cc-token-provider.ts';
import { createTenant } from '../helpers/tenants.ts';
import { control, startDataApp, type DataTestApp } from '../sync/helpers.ts';

/** A tenant connected to its own seeded emulator business, with the accounting scopes. */
export async function chartTenant(t: DataTestApp): Promise<Tenant & { rampBusinessId: string }> {
  const tenant = await createTenant(t.db, 'owner');
  const rampBusinessId = randomUUID();
  await control(t.emulator, 'POST', '/seed', { business_id: rampBusinessId, transactions: 5, reimbursements: 2, bills: 2 });
  const app = await control(t.emulator, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
  t.tokens.connect(tenant.businessId, { client_id: app.client_id, client_secret: app.client_secret, apiBaseUrl: `${t.emulator.url}/sandbox`, scopes: [...TEST_SCOPES, 'accounting:read'] });
  return { ...tenant, rampBusinessId };
}

export interface ChartTestApp extends DataTestApp {
  readonly chartUrl: string;
  readonly chart: ChartFeature;
}

/** The data app plus a second listener with the chart routes, both on one database and Ramp client. */
export async function startChartApp(
  dialect: Dialect,
  options: { leaseMs?: number; scheduler?: boolean; data?: Parameters<typeof startDataApp>[1] } = {},
): Promise<ChartTestApp> {
  const data = await startDataApp(dialect, { scheduler: false, client: { backoff: { baseMs: 20, capMs: 200 } }, ...options.data });
  const chart = chartFeature(data.ctx, data.feature.client, { leaseMs: options.leaseMs ?? 30_000, tickMs: 200 });
  const app: FastifyInstance = await buildApp(data.ctx, chart.routes);
  await app.listen({ port: 0, host: '127.0.0.1' });
  if (options.scheduler !== false) chart.start();
  const address = app.server.address();
  const chartUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    ...data,
    chartUrl,
    chart,
    close: async () => {
      await chart.service.stop();
      await app.close();
      await data.close();
    },
  };
}

export interface Desired {
  gl_accounts: { id: string; name: string; classification: string; code?: string }[];
  vendors: { id: string; name: string; code?: string }[];
  custom_fields: { id: string; name: string; input_type: string; options?: { id: string; value: string; code?: string }[] }[];
}

export function desiredChart(sizes: { accounts: number; vendors: number; fields: number; options: number }, prefix = 'p'): Desired {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    gl_accounts: range(sizes.accounts).map((i) => ({ id: `${prefix}-gl-${i}`, name: `Account ${i}`, classification: i % 7 === 0 ? 'REVENUE' : 'EXPENSE', ...(i % 3 === 0 ? { code: `${6000 + i}` } : {}) })),
    vendors: range(sizes.vendors).map((i) => ({ id: `${prefix}-v-${i}`, name: `Vendor ${i}`, ...(i < 5 ? { code: `V${i}` } : {}) })),
    custom_fields: range(sizes.fields).map((f) => ({
      id: `${prefix}-cf-${f}`,
      name: `Field ${f}`,
      input_type: 'SINGLE_CHOICE',
      options: range(sizes.options).map((o) => ({ id: `${prefix}-cf-${f}-o-${o}`, value: `Option ${f}.${o}` })),
    })),
  };
}

export async function putChart(t: ChartTestApp, tenant: Tenant, desired: unknown): Promise<{ status: number; body: any }> {
  const res = await request(`${t.chartUrl}/api/v1/ramp/accounting/chart`, { method: 'PUT', headers: tenant.headers, json: desired });
  return { status: res.status, body: res.body };
}

export async function getChart(t: ChartTestApp, tenant: Tenant): Promise<any> {
  const res = await request(`${t.chartUrl}/api/v1/ramp/accounting/chart`, { headers: tenant.headers });
  if (res.status !== 200) throw new Error(`GET chart → ${res.status} ${res.text}`);
  return res.body;
}

export async function waitForJob(t: ChartTestApp, tenant: Tenant, jobId: string, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(`${t.chartUrl}/api/v1/ramp/accounting/chart/jobs/${jobId}`, { headers: tenant.headers });
    if (res.status !== 200) throw new Error(`GET job → ${res.status} ${res.text}`);
    if (['completed', 'partial', 'failed'].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${res.body.status}: ${JSON.stringify(res.body.progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Writes the emulator answered with 2xx to the accounting chart and connection routes since the last reset. */
export async function chartWritesSince(t: ChartTestApp): Promise<{ accepted: number; byEndpoint: Record<string, number> }> {
  const stats = await control(t.emulator, 'GET', '/stats');
  const byEndpoint = Object.fromEntries(
    Object.entries(stats.endpoints as Record<string, number>).filter(([key]) => /^(POST|PATCH|DELETE|PUT) /.test(key) && key.includes('/accounting/') && !key.includes('/accounting/syncs')),
  );
  const accepted = (stats.requests as { method: string; path: string; status: number }[]).filter((r) => r.method !== 'GET' && r.path.includes('/accounting/') && r.status < 300).length;
  return { accepted, byEndpoint };
}

export async function resetStats(t: ChartTestApp): Promise<void> {
  await control(t.emulator, 'DELETE', '/stats');
}
