/**
 * Conformance of the emulator to Ramp's published schemas (`ramp-schemas/`, derived from Ramp's
 * OpenAPI document): for a seeded business, every page of every list, every object by id, every
 * singleton and each error answer (401, 403 per scope, 404, 422) is validated. All must be valid;
 * the counts are printed. A second test proves the check bites: an answer with any one
 * schema-required field dropped fails validation. A last test sends every accounting write of
 * `operations.json` with a body valid against Ramp's request schema and validates each answer (and
 * the error answers of the writes) against Ramp's answer schemas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { RampSchemas, rampOperations, rampPaths, type RampPathEntry } from '../helpers/ramp-schemas.ts';
import { EmulatorClient, type AppCredentials } from './helpers.ts';

const API = '/developer/v1';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

let emulator: RunningEmulator;
let client: EmulatorClient;
let app: AppCredentials;
let token: string;
const schemas = new RampSchemas();
const paths = rampPaths();
const scopes = [...new Set(Object.values(paths).map((entry) => entry.scope!))];

/** Per schema: objects validated and problems found (first few kept for the message). */
const tally = new Map<string, { validated: number; invalid: number; problems: string[] }>();
/** One real answer per schema, for the break-it test. */
const samples = new Map<string, Record<string, unknown>>();
/** Per schema and top-level field: how often it was absent, null, or set. */
const forms = new Map<string, Map<string, { absent: number; null: number; set: number }>>();

function recordForms(schema: string, value: Record<string, unknown>): void {
  const fields = schemas.propertiesOf(schema);
  if (!fields) return;
  const bySchema = forms.get(schema) ?? new Map();
  forms.set(schema, bySchema);
  for (const field of fields) {
    const entry = bySchema.get(field) ?? { absent: 0, null: 0, set: 0 };
    bySchema.set(field, entry);
    if (!(field in value)) entry.absent += 1;
    else if (value[field] === null) entry.null += 1;
    else entry.set += 1;
  }
}

/**
 * Fields the seeded data must show both ways (issue 13): nullable ones as `null` and as a value,
 * optional ones absent and present. Keyed by schema; `null:` / `absent:` prefixes say which.
 */
const BOTH_WAYS: Record<string, string[]> = {
  Transaction: [
    'absent:limit_id', 'absent:spend_program_id', 'absent:statement_id', 'absent:trip_id', 'absent:settlement_date', 'absent:decline_details',
    'absent:merchant_data', 'absent:merchant_location', 'null:memo', 'null:accounting_date', 'null:synced_at',
  ],
  Reimbursement: [
    'null:merchant_id', 'null:payee_amount', 'null:payment_id', 'null:spend_limit_id', 'null:start_location', 'null:end_location', 'null:distance',
    'null:accounting_date', 'null:synced_at', 'null:submitted_at', 'absent:memo', 'absent:merchant',
  ],
  Bill: ['null:archived_at', 'null:vendor_contact_id', 'null:payment', 'absent:paid_at', 'absent:memo'],
  User: ['null:manager_id', 'null:department_id', 'null:location_id', 'absent:phone', 'absent:employee_id'],
  Card: ['null:card_program_id', 'absent:fulfillment'],
  Vendor: ['null:accounting_vendor_remote_id', 'absent:address', 'absent:vendor_type'],
  Limit: ['null:suspension', 'absent:spend_program_id'],
  Transfer: ['absent:payment_id'],
  Statement: ['absent:preceding_statement_id', 'absent:statement_url'],
  Receipt: ['absent:transaction_id'],
  Merchant: ['null:sk_category_name'],
  ApiVendorContactResource: ['null:first_name', 'null:last_name', 'null:phone'],
  GeneralLedgerAccount: ['null:classification', 'absent:code'],
  ApiAccountingCustomFieldResource: ['null:display_name'],
  CustomFieldOption: ['absent:code'],
  VendorAccount: ['absent:code'],
  ApiSpendProgramResource: ['absent:description'],
};

function check(schema: string, value: unknown, where: string): void {
  const entry = tally.get(schema) ?? { validated: 0, invalid: 0, problems: [] };
  tally.set(schema, entry);
  entry.validated += 1;
  const problems = schemas.problems(schema, value);
  if (problems.length > 0) {
    entry.invalid += 1;
    if (entry.problems.length < 5) entry.problems.push(`${where}: ${problems.slice(0, 3).join('; ')}`);
  } else if (typeof value === 'object' && value !== null) {
    if (!samples.has(schema)) samples.set(schema, value as Record<string, unknown>);
    recordForms(schema, value as Record<string, unknown>);
  }
}

async function get(path: string, bearer: string | null = token): Promise<{ status: number; body: any }> {
  const { status, body } = await client.api('sandbox', path.replace(API, ''), bearer);
  return { status, body };
}

/** Reads every page of a list (following `page.next`), validating pages and items; returns the ids. */
async function readAll(path: string, entry: RampPathEntry, query = ''): Promise<string[]> {
  const ids: string[] = [];
  let url: string | null = `${path}?page_size=100${query}`;
  let pages = 0;
  while (url) {
    const { status, body } = await get(url);
    expect(status, `${url}: ${JSON.stringify(body).slice(0, 300)}`).toBe(200);
    check(entry.schema, body, url);
    for (const item of body.data) {
      check(entry.item!, item, `${url} item ${item.id}`);
      ids.push(item.ramp_id ?? item.id);
    }
    const next: string | null = body.page.next;
    url = next ? `${API}${new URL(next).pathname.replace(/^\/sandbox\/developer\/v1/, '')}${new URL(next).search}` : null;
    pages += 1;
    expect(pages).toBeLessThan(1000);
  }
  return ids;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new EmulatorClient(emulator);
  await client.faults({ rate_limit: false });
  app = await client.createApp({ grant_types: ['client_credentials'] });
  token = await client.clientCredentialsToken(app, scopes.join(' '));
});

afterAll(async () => {
  await emulator?.close();
});

describe('emulator answers match Ramp’s published schemas', () => {
  it('every page, every object by id, every singleton and each error answer is valid', async () => {
    const listPaths = Object.entries(paths).filter(([, entry]) => entry.item !== undefined);
    const idsOf = new Map<string, string[]>();
    /** Extra list reads that reach records the default list hides. */
    const variants: Record<string, string[]> = {
      [`${API}/transactions`]: ['&state=ALL'],
      [`${API}/cards`]: ['&is_terminated=true'],
      [`${API}/limits`]: ['&is_terminated=true'],
      [`${API}/bills`]: ['&is_archived=true'],
    };

    for (const [path, entry] of listPaths) {
      if (path.includes('{')) continue;
      if (path === `${API}/accounting/field-options`) continue; // needs field_id: read below per field
      const ids = await readAll(path, entry);
      for (const query of variants[path] ?? []) ids.push(...(await readAll(path, entry, query)));
      idsOf.set(path, [...new Set(ids)]);
    }
    const optionIds: string[] = [];
    for (const fieldId of idsOf.get(`${API}/accounting/fields`)!) {
      optionIds.push(...(await readAll(`${API}/accounting/field-options`, paths[`${API}/accounting/field-options`]!, `&field_id=${fieldId}`)));
    }
    idsOf.set(`${API}/accounting/field-options`, optionIds);
    const contactIds: [string, string][] = [];
    for (const vendorId of idsOf.get(`${API}/vendors`)!) {
      const ids = await readAll(`${API}/vendors/${vendorId}/contacts`, paths[`${API}/vendors/{vendor_id}/contacts`]!);
      for (const id of ids) contactIds.push([vendorId, id]);
    }
    expect(contactIds.length).toBeGreaterThan(0);

    // By id: every object of every list, against the by-id schema.
    for (const [path, entry] of Object.entries(paths)) {
      const match = /^(.*)\/\{[a-z_]+\}$/.exec(path);
      if (!match || match[1]!.includes('{')) continue;
      const ids = idsOf.get(match[1]!);
      expect(ids, `no list for ${path}`).toBeDefined();
      expect(ids!.length, `no objects for ${path}`).toBeGreaterThan(0);
      for (const id of ids!) {
        const { status, body } = await get(`${match[1]}/${id}`);
        expect(status, `${match[1]}/${id}`).toBe(200);
        check(entry.schema, body, `${match[1]}/${id}`);
      }
    }
    const contactEntry = paths[`${API}/vendors/{vendor_id}/contacts/{vendor_contact_id}`]!;
    for (const [vendorId, id] of contactIds) {
      const { status, body } = await get(`${API}/vendors/${vendorId}/contacts/${id}`);
      expect(status).toBe(200);
      check(contactEntry.schema, body, `contact ${id}`);
    }

    // Singletons.
    for (const [path, entry] of Object.entries(paths)) {
      if (entry.item !== undefined || path.includes('{')) continue;
      if (idsOf.has(path)) continue;
      const { status, body } = await get(path);
      expect(status, path).toBe(200);
      check(entry.schema, body, path);
    }

    // Errors, on every route: no token, a token without the route's scope, an unknown id, a bad page size.
    const otherScope = (scope: string): string => (scope === 'business:read' ? 'users:read' : 'business:read');
    const narrowTokens = new Map<string, string>();
    for (const [path, entry] of Object.entries(paths)) {
      const concrete = path
        .replace('{vendor_id}', idsOf.get(`${API}/vendors`)![0]!)
        .replace(/\{[a-z_]+\}$/, UNKNOWN_ID);
      const unauthenticated = await get(concrete, null);
      expect(unauthenticated.status, concrete).toBe(401);
      check('RampError', unauthenticated.body, `401 ${concrete}`);

      const other = otherScope(entry.scope!);
      if (!narrowTokens.has(other)) narrowTokens.set(other, await client.clientCredentialsToken(app, other));
      const forbidden = await get(concrete, narrowTokens.get(other)!);
      expect(forbidden.status, concrete).toBe(403);
      expect(forbidden.body.error_v2.error_code).toBe('DEVELOPER_7100');
      expect(forbidden.body.error_v2.message).toContain(entry.scope);
      check('RampError', forbidden.body, `403 ${concrete}`);

      if (concrete.endsWith(UNKNOWN_ID)) {
        const missing = await get(concrete);
        expect(missing.status, concrete).toBe(404);
        check('RampError', missing.body, `404 ${concrete}`);
      } else if (entry.item !== undefined) {
        const invalid = await get(`${concrete}?page_size=1`);
        expect(invalid.status, concrete).toBe(422);
        expect(invalid.body.error_v2.error_code).toBe('DEVELOPER_7001');
        check('RampError', invalid.body, `422 ${concrete}`);
      }
    }

    const rows = [...tally].map(([schema, entry]) => ({ schema, validated: entry.validated, invalid: entry.invalid }));
    const validated = rows.reduce((sum, row) => sum + row.validated, 0);
    const invalid = rows.reduce((sum, row) => sum + row.invalid, 0);
    console.table(rows);
    console.log(`conformance: ${validated - invalid}/${validated} answers valid (${(((validated - invalid) / validated) * 100).toFixed(2)}%) over ${rows.length} schemas`);
    const failures = [...tally].filter(([, entry]) => entry.invalid > 0).map(([schema, entry]) => `${schema}: ${entry.invalid} invalid\n  ${entry.problems.join('\n  ')}`);
    expect(failures, failures.join('\n')).toEqual([]);
    // Nullable and optional fields appear both ways in the seeded data.
    const oneWay: string[] = [];
    for (const [schema, fields] of Object.entries(BOTH_WAYS)) {
      for (const spec of fields) {
        const [form, field] = spec.split(':') as ['null' | 'absent', string];
        const seen = forms.get(schema)?.get(field);
        if (!seen || seen[form] === 0 || seen.set === 0) oneWay.push(`${schema}.${field}: ${JSON.stringify(seen)}`);
      }
    }
    expect(oneWay, oneWay.join('\n')).toEqual([]);
    console.log(`both ways: ${Object.values(BOTH_WAYS).flat().length} nullable/optional fields seen as null/absent and as a value`);
    // Every schema the emulator is meant to answer with was exercised.
    for (const entry of Object.values(paths)) {
      expect(tally.get(entry.schema)?.validated ?? 0, entry.schema).toBeGreaterThan(0);
      if (entry.item) expect(tally.get(entry.item)?.validated ?? 0, entry.item).toBeGreaterThan(0);
    }
  });

  it('answers stay valid after every kind of mutation', async () => {
    for (const resource of ['transactions', 'reimbursements', 'bills']) {
      for (const kind of resource === 'bills' ? ['clear', 'amount', 'create', 'archive'] : ['clear', 'amount', 'create']) {
        const { status } = await client.control('POST', '/mutate', { resource, kind, count: 5 });
        expect(status, `${resource} ${kind}`).toBe(200);
      }
    }
    tally.clear();
    for (const [path, query] of [['transactions', '&state=ALL'], ['reimbursements', ''], ['bills', ''], ['bills', '&is_archived=true'], ['statements', ''], ['limits', ''], ['receipts', ''], ['memos', '']] as const) {
      await readAll(`${API}/${path}`, paths[`${API}/${path}`]!, query);
    }
    const invalid = [...tally].filter(([, entry]) => entry.invalid > 0).map(([schema, entry]) => `${schema}: ${entry.problems.join('; ')}`);
    expect(invalid, invalid.join('\n')).toEqual([]);
  });

  it('the check bites: dropping any schema-required field from a real answer makes it invalid', () => {
    expect(samples.size).toBeGreaterThan(20);
    let dropped = 0;
    for (const [schema, sample] of samples) {
      const required = (schemas.requiredOf(schema) ?? []).filter((field) => field in sample);
      for (const field of required) {
        const copy: Record<string, unknown> = { ...sample };
        delete copy[field];
        expect(schemas.problems(schema, copy), `${schema} without ${field}`).not.toEqual([]);
        dropped += 1;
      }
    }
    console.log(`check bites: ${dropped} answers with one required field dropped, all rejected`);
    expect(dropped).toBeGreaterThan(50);
  });
  it('every accounting write: Ramp-shaped requests get answers valid against Ramp’s schemas', async () => {
    const operations = rampOperations();
    const writeToken = await client.clientCredentialsToken(app, [...scopes, 'accounting:write'].join(' '));
    const exercised = new Set<string>();
    tally.clear();
    const send = async (method: string, template: string, concrete: string, body?: unknown): Promise<any> => {
      const key = `${method} ${API}${template}`;
      const entry = operations[key];
      expect(entry, key).toBeDefined();
      if (body !== undefined) expect(schemas.problems(entry!.request!, body), `request of ${key}`).toEqual([]);
      const init: RequestInit = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
      const answer = await client.api('sandbox', concrete.replace(API, ''), writeToken, init);
      expect(answer.status, `${key}: ${String(JSON.stringify(answer.body)).slice(0, 300)}`).toBe(entry!.status);
      if (entry!.response) check(entry!.response, answer.body, key);
      else expect(answer.body).toBeUndefined();
      exercised.add(key);
      return answer.body;
    };
    const refused = async (method: string, concrete: string, body: unknown, status: number): Promise<void> => {
      const init: RequestInit = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
      const answer = await client.api('sandbox', concrete.replace(API, ''), writeToken, init);
      expect(answer.status, `${method} ${concrete}`).toBe(status);
      check('RampError', answer.body, `${status} ${method} ${concrete}`);
    };

    const seeded = (await get(`${API}/accounting/connection`)).body;
    await refused('POST', `${API}/accounting/connection`, { remote_provider_name: 'Second' }, 400);
    await send('DELETE', '/accounting/connection', `${API}/accounting/connection`);
    await refused('DELETE', `${API}/accounting/connection`, undefined, 404);
    await send('POST', '/accounting/connection', `${API}/accounting/connection`, { remote_provider_name: 'Conformance books', reactivate: false });

    const accounts = (await send('POST', '/accounting/accounts', `${API}/accounting/accounts`, {
      gl_accounts: [{ classification: 'EXPENSE', code: '6410', id: '514', name: 'Salaries' }, { classification: 'REVENUE', id: '425', name: 'Sales' }],
    })).gl_accounts;
    await refused('POST', `${API}/accounting/accounts`, { gl_accounts: [{ classification: 'EXPENSE', id: '514', name: 'Again' }] }, 400);
    await refused('POST', `${API}/accounting/accounts`, { gl_accounts: [{ id: '1' }] }, 422);
    const account = `${API}/accounting/accounts/${accounts[0].ramp_id}`;
    await send('PATCH', '/accounting/accounts/{gl_account_id}', account, { name: 'Salaries & Wages', code: '' });
    await send('DELETE', '/accounting/accounts/{gl_account_id}', account);
    await send('PATCH', '/accounting/accounts/{gl_account_id}', account, { reactivate: true });
    await refused('PATCH', `${API}/accounting/accounts/${UNKNOWN_ID}`, { name: 'x' }, 404);

    const vendors = (await send('POST', '/accounting/vendors', `${API}/accounting/vendors`, { vendors: [{ id: 'V-1', name: 'AirTable' }, { id: 'V-2', name: 'Slack' }] })).vendors;
    const vendor = `${API}/accounting/vendors/${vendors[0].ramp_id}`;
    await send('PATCH', '/accounting/vendors/{vendor_id}', vendor, { code: '19566', name: 'Airtable' });
    await send('DELETE', '/accounting/vendors/{vendor_id}', vendor);

    const field = await send('POST', '/accounting/fields', `${API}/accounting/fields`, { id: 'Department', name: 'Department', display_name: 'Dept', input_type: 'SINGLE_CHOICE', is_splittable: true, is_required_for: ['TRANSACTION'] });
    await send('PATCH', '/accounting/fields/{field_id}', `${API}/accounting/fields/${field.ramp_id}`, { display_name: 'Department', is_splittable: false });
    const options = (await send('POST', '/accounting/field-options', `${API}/accounting/field-options`, { field_id: field.ramp_id, options: [{ id: '418', value: 'Engineering' }, { id: '514', value: 'Sales', code: '450' }] })).options;
    await refused('POST', `${API}/accounting/field-options`, { field_id: field.ramp_id, options: Array.from({ length: 501 }, (_, i) => ({ id: `o${i}`, value: 'v' })) }, 422);
    const option = `${API}/accounting/field-options/${options[0].ramp_id}`;
    await send('PATCH', '/accounting/field-options/{field_option_id}', option, { display_name: 'Eng', visibility: 'HIDDEN', value: 'Engineering & Design', code: '' });
    await send('DELETE', '/accounting/field-options/{field_option_id}', option);

    // Codings from this chart on transactions, then their sync results; the pages stay valid.
    const coded = await client.control('POST', '/accounting/code', { resource: 'transactions', count: 5 });
    expect(coded.body.ids).toHaveLength(5);
    await readAll(`${API}/transactions`, paths[`${API}/transactions`]!, '&sync_status=SYNC_READY');
    for (const list of ['accounts', 'vendors', 'fields'] as const) await readAll(`${API}/accounting/${list}`, paths[`${API}/accounting/${list}`]!);
    await readAll(`${API}/accounting/field-options`, paths[`${API}/accounting/field-options`]!, `&field_id=${field.ramp_id}`);
    const [done, failed] = coded.body.ids as string[];
    await send('POST', '/accounting/syncs', `${API}/accounting/syncs`, {
      idempotency_key: 'conformance-1',
      sync_type: 'TRANSACTION_SYNC',
      successful_syncs: [{ id: done, reference_id: 'JE-1' }],
      failed_syncs: [{ id: failed, error: { message: 'The period is closed.' } }],
    });
    await send('DELETE', '/accounting/fields/{field_id}', `${API}/accounting/fields/${field.ramp_id}`);

    // Back to the seeded connection; then a direct one refuses writes.
    await send('DELETE', '/accounting/connection', `${API}/accounting/connection`);
    await send('POST', '/accounting/connection/{connection_id}/reactivate', `${API}/accounting/connection/${seeded.id}/reactivate`);
    await readAll(`${API}/accounting/accounts`, paths[`${API}/accounting/accounts`]!);
    expect((await client.control('POST', '/accounting/connections', { kind: 'direct' })).status).toBe(201);
    await refused('POST', `${API}/accounting/accounts`, { gl_accounts: [{ classification: 'EXPENSE', id: 'D-1', name: 'Direct' }] }, 400);
    await refused('POST', `${API}/accounting/syncs`, { idempotency_key: 'conformance-direct', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: done, reference_id: 'JE-1' }] }, 400);
    const { body: listed } = await get(`${API}/accounting/all-connections`);
    check(paths[`${API}/accounting/all-connections`]!.schema, listed, 'all-connections');
    expect(listed.connections).toHaveLength(3);

    const rows = [...tally].map(([schema, entry]) => ({ schema, validated: entry.validated, invalid: entry.invalid }));
    console.table(rows);
    const validated = rows.reduce((sum, row) => sum + row.validated, 0);
    console.log(`accounting writes: ${exercised.size}/${Object.keys(operations).length} operations, ${validated} answers validated`);
    const failures = [...tally].filter(([, entry]) => entry.invalid > 0).map(([schema, entry]) => `${schema}: ${entry.problems.join('; ')}`);
    expect(failures, failures.join('\n')).toEqual([]);
    expect([...exercised].sort()).toEqual(Object.keys(operations).sort());
  });
});
