/**
 * @module Test helper: a chart of accounts set up straight through Ramp's accounting API at the
 * emulator (a fresh API connection, GL accounts and single-choice custom fields with options, ≤ 500
 * per call), answering our ids ↔ Ramp's ids. Stands in for the product's chart upload until that is
 * merged; a test that needs a chart calls only `setUpChart`, so swapping the body for the product's
 * `PUT` changes no test.
 */
import { randomUUID } from 'node:crypto';
import type { RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient } from '../emulator/helpers.ts';
import type { DataTestApp } from '../sync/helpers.ts';
import { control } from '../sync/helpers.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';

export interface ChartSpec {
  readonly glAccounts: number;
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
  readonly app: { client_id: string; client_secret: string; environment: 'sandbox' };
}

/** A tenant connected to its own emulator business, keeping the app's credentials for direct Ramp calls. */
export async function accountingTenant(t: DataTestApp, seed: Record<string, unknown>): Promise<AccountingTenant> {
  const tenant = await createTenant(t.db, 'owner');
  const rampBusinessId = randomUUID();
  await control(t.emulator, 'POST', '/seed', { business_id: rampBusinessId, ...seed });
  const app = await control(t.emulator, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
  t.tokens.connect(tenant.businessId, { client_id: app.client_id, client_secret: app.client_secret, apiBaseUrl: `${t.emulator.url}/sandbox` });
  return { ...tenant, rampBusinessId, app: { client_id: app.client_id, client_secret: app.client_secret, environment: 'sandbox' } };
}

async function ramp(client: EmulatorClient, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const init = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const answer = await client.api('sandbox', path, token, init);
  if (answer.status >= 300) throw new Error(`Ramp ${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Replaces the business's accounting connection with a fresh API one holding this chart. */
export async function setUpChart(emulator: RunningEmulator, tenant: AccountingTenant, spec: ChartSpec): Promise<UploadedChart> {
  const client = new EmulatorClient(emulator);
  const token = await client.clientCredentialsToken(tenant.app, 'accounting:read accounting:write');
  const current = await client.api('sandbox', '/accounting/connection', token, { method: 'GET' });
  if (current.status === 200 && current.body.is_active) await ramp(client, token, 'DELETE', '/accounting/connection');
  await ramp(client, token, 'POST', '/accounting/connection', { remote_provider_name: `Books ${randomUUID().slice(0, 8)}` });
  const glAccountOf = new Map<string, string>();
  const accounts = Array.from({ length: spec.glAccounts }, (_, i) => ({ id: `GL-${i}`, name: `Account ${i}`, classification: 'EXPENSE', code: `${6000 + i}` }));
  for (let start = 0; start < accounts.length; start += 500) {
    const answer = await ramp(client, token, 'POST', '/accounting/accounts', { gl_accounts: accounts.slice(start, start + 500) });
    for (const account of answer.gl_accounts) glAccountOf.set(account.ramp_id, account.id);
  }
  const optionOf = new Map<string, { fieldId: string; optionId: string }>();
  for (const [f, count] of spec.fields.entries()) {
    const fieldId = `FIELD-${f}`;
    const field = await ramp(client, token, 'POST', '/accounting/fields', { id: fieldId, name: `Field ${f}`, input_type: 'SINGLE_CHOICE' });
    const options = Array.from({ length: count }, (_, i) => ({ id: `${fieldId}-OPT-${i}`, value: `Option ${f}.${i}` }));
    for (let start = 0; start < options.length; start += 500) {
      const answer = await ramp(client, token, 'POST', '/accounting/field-options', { field_id: field.ramp_id, options: options.slice(start, start + 500) });
      for (const option of answer.options) optionOf.set(option.ramp_id, { fieldId, optionId: option.id });
    }
  }
  return { glAccountOf, optionOf };
}
