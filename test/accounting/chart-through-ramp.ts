/**
 * @module Test helper for the whole accounting loop: a tenant connected to its own seeded emulator
 * business, and its chart of accounts uploaded through the product's own `PUT /accounting/chart`
 * (then checked: the same PUT again makes 0 writes to Ramp), answering Ramp's ids → our ids as
 * `GET /accounting/chart` reports them.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { TEST_SCOPES } from '../helpers/cc-token-provider.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { control } from '../sync/helpers.ts';
import { chartWritesSince, desiredChart, getChart, putChart, resetStats, waitForJob, type ChartTestApp } from './helpers.ts';

export interface ChartSpec {
  readonly glAccounts: number;
  readonly vendors: number;
  /** Options per single-choice custom field. */
  readonly fields: readonly number[];
}

export interface UploadedChart {
  /** Ramp's id → our id, for GL accounts. */
  readonly glAccountOf: ReadonlyMap<string, string>;
  /** Ramp's option id → our field id and our option id. */
  readonly optionOf: ReadonlyMap<string, { fieldId: string; optionId: string }>;
}

export interface AccountingTenant extends Tenant {
  readonly rampBusinessId: string;
  /** The Ramp app's credentials, for a test playing someone else calling Ramp directly. */
  readonly app: { client_id: string; client_secret: string; environment: 'sandbox' };
}

/** A tenant connected to its own emulator business with the accounting scopes. */
export async function accountingTenant(t: ChartTestApp, seed: Record<string, unknown>): Promise<AccountingTenant> {
  const tenant = await createTenant(t.db, 'owner');
  const rampBusinessId = randomUUID();
  await control(t.emulator, 'POST', '/seed', { business_id: rampBusinessId, ...seed });
  const app = await control(t.emulator, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
  t.tokens.connect(tenant.businessId, { client_id: app.client_id, client_secret: app.client_secret, apiBaseUrl: `${t.emulator.url}/sandbox`, scopes: [...TEST_SCOPES, 'accounting:read'] });
  return { ...tenant, rampBusinessId, app: { client_id: app.client_id, client_secret: app.client_secret, environment: 'sandbox' } };
}

/**
 * The product's chart (GL accounts, vendors, single-choice fields with options) made Ramp's through our
 * PUT; a second identical PUT must write nothing. The uploaded objects are the only active ones after it.
 */
export async function setUpChart(t: ChartTestApp, tenant: AccountingTenant, spec: ChartSpec): Promise<UploadedChart> {
  const wanted = desiredChart({ accounts: spec.glAccounts, vendors: spec.vendors, fields: 0, options: 0 }, 'books');
  const fields = spec.fields.map((count, f) => ({
    id: `books-cf-${f}`,
    name: `Field ${f}`,
    input_type: 'SINGLE_CHOICE',
    options: Array.from({ length: count }, (_, o) => ({ id: `books-cf-${f}-o-${o}`, value: `Option ${f}.${o}` })),
  }));
  const desired = { ...wanted, custom_fields: fields };
  const first = await putChart(t, tenant, desired);
  expect(first.status, JSON.stringify(first.body)).toBe(202);
  expect((await waitForJob(t, tenant, first.body.id)).status).toBe('completed');
  await resetStats(t);
  const again = await putChart(t, tenant, desired);
  expect((await waitForJob(t, tenant, again.body.id)).status).toBe('completed');
  expect((await chartWritesSince(t)).accepted).toBe(0);

  const held = await getChart(t, tenant);
  const glAccountOf = new Map<string, string>(held.gl_accounts.filter((a: any) => a.is_active !== false).map((a: any) => [a.ramp_id, a.id]));
  const optionOf = new Map<string, { fieldId: string; optionId: string }>();
  for (const field of held.custom_fields) {
    for (const option of field.options ?? []) optionOf.set(option.ramp_id, { fieldId: field.id, optionId: option.id });
  }
  expect(glAccountOf.size).toBe(spec.glAccounts);
  return { glAccountOf, optionOf };
}
