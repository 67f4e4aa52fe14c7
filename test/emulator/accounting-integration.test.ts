/**
 * The accounting integration Ramp describes (issue 16), over loopback HTTP against the emulator:
 * one active connection per business, disconnect clears the chart and reactivate restores it,
 * direct connections are read-only, uploads are 1..500 and all-or-nothing, codings refer to the
 * uploaded chart, `sync_status` moves NOT_SYNC_READY → SYNC_READY → SYNCED, syncs are idempotent
 * and failures stay visible, and the control plane plays the customer's people.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient } from './helpers.ts';

let emulator: RunningEmulator;
let client: EmulatorClient;
let token: string;

const SCOPES = 'accounting:read accounting:write transactions:read reimbursements:read bills:read';

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new EmulatorClient(emulator);
  await client.faults({ rate_limit: false });
  const app = await client.createApp({ grant_types: ['client_credentials'] });
  token = await client.clientCredentialsToken(app, SCOPES);
});

afterAll(async () => {
  await emulator?.close();
});

beforeEach(async () => {
  await client.control('POST', '/seed', {});
});

function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return client.api('sandbox', path, token, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function all(path: string): Promise<any[]> {
  const items: any[] = [];
  let url: string | null = `${path}${path.includes('?') ? '&' : '?'}page_size=100`;
  while (url) {
    const { status, body } = await call('GET', url);
    expect(status, url).toBe(200);
    items.push(...body.data);
    url = body.page.next;
  }
  return items;
}

const glAccounts = (n: number, prefix = 'GL'): Record<string, unknown>[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, name: `${prefix} account ${i}`, classification: 'EXPENSE', ...(i % 2 === 0 ? { code: `${6000 + i}` } : {}) }));

/** A fresh API connection with an uploaded chart: 3 GL accounts, one single-choice field with 2 options. */
async function freshChart(): Promise<{ accounts: any[]; field: any; options: any[] }> {
  expect((await call('DELETE', '/accounting/connection')).status).toBe(204);
  expect((await call('POST', '/accounting/connection', { remote_provider_name: 'Books' })).status).toBe(201);
  const accounts = (await call('POST', '/accounting/accounts', { gl_accounts: glAccounts(3) })).body.gl_accounts;
  const field = (await call('POST', '/accounting/fields', { id: 'Dept', name: 'Department', input_type: 'SINGLE_CHOICE' })).body;
  const options = (await call('POST', '/accounting/field-options', { field_id: field.ramp_id, options: [{ id: 'ENG', value: 'Engineering' }, { id: 'SAL', value: 'Sales' }] })).body.options;
  return { accounts, field, options };
}

describe('the accounting connection', () => {
  it('one active per business; disconnect clears the chart, reactivate restores it', async () => {
    const seeded = (await call('GET', '/accounting/connection')).body;
    expect(seeded).toMatchObject({ status: 'linked', is_active: true });
    const seededAccounts = (await all('/accounting/accounts')).map((account) => account.ramp_id).sort();
    expect(seededAccounts.length).toBeGreaterThan(0);

    const second = await call('POST', '/accounting/connection', { remote_provider_name: 'Other' });
    expect(second.status).toBe(400);
    expect(second.body.error_v2.error_code).toBe('INVALID_INPUT');
    expect(second.body.error_v2.message).toContain('only one can be active');

    // Sent the way some clients do, with a JSON media type and no body.
    const disconnected = await client.api('sandbox', '/accounting/connection', token, { method: 'DELETE', headers: { 'content-type': 'application/json' } });
    expect(disconnected.status).toBe(204);
    expect((await call('GET', '/accounting/connection')).body).toEqual({ message: 'No accounting connection' });
    expect(await all('/accounting/accounts')).toEqual([]);
    expect(await all('/accounting/vendors')).toEqual([]);
    expect(await all('/accounting/fields')).toEqual([]);
    expect((await call('DELETE', '/accounting/connection')).status).toBe(404);
    const refusedUpload = await call('POST', '/accounting/accounts', { gl_accounts: glAccounts(1) });
    expect(refusedUpload.status).toBe(400);

    const created = await call('POST', '/accounting/connection', { remote_provider_name: 'New books' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ remote_provider_name: 'New books', status: 'linked', is_active: true });
    expect(await all('/accounting/accounts')).toEqual([]);
    const listed = (await call('GET', '/accounting/all-connections')).body.connections;
    expect(listed.map((connection: any) => [connection.id, connection.is_active, connection.status])).toEqual([
      [created.body.id, true, 'linked'],
      [seeded.id, false, 'unlinked'],
    ]);

    const blocked = await call('POST', `/accounting/connection/${seeded.id}/reactivate`);
    expect(blocked.status).toBe(400);
    expect((await call('DELETE', '/accounting/connection')).status).toBe(204);
    const reactivated = await call('POST', `/accounting/connection/${seeded.id}/reactivate`);
    expect(reactivated.status).toBe(200);
    expect(reactivated.body).toMatchObject({ id: seeded.id, is_active: true, status: 'linked' });
    expect((await all('/accounting/accounts')).map((account) => account.ramp_id).sort()).toEqual(seededAccounts);
    expect((await call('POST', '/accounting/connection/00000000-0000-4000-8000-000000000000/reactivate')).status).toBe(404);
  });

  it('POST with the deprecated reactivate flag brings back the unlinked connection of that name', async () => {
    const seeded = (await call('GET', '/accounting/connection')).body;
    await call('DELETE', '/accounting/connection');
    const again = await call('POST', '/accounting/connection', { remote_provider_name: seeded.remote_provider_name, reactivate: true });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(seeded.id);
    expect((await all('/accounting/accounts')).length).toBeGreaterThan(0);
  });

  it('validates the body: remote_provider_name is required, unknown fields are refused (422, every problem)', async () => {
    await call('DELETE', '/accounting/connection');
    const invalid = await call('POST', '/accounting/connection', { reactivate: 'maybe', extra: 1 });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error_v2.error_code).toBe('DEVELOPER_7001');
    expect(Object.keys(invalid.body.error_v2.additional_info).sort()).toEqual(['extra', 'reactivate', 'remote_provider_name']);
  });
});

describe('a direct connection (set up in Ramp) is read-only through the API', () => {
  it('refuses every chart write, sync results and disconnecting, with Ramp’s 400 InvalidInput', async () => {
    const linked = await client.control('POST', '/accounting/connections', { kind: 'direct', remote_provider_name: 'NetSuite' });
    expect(linked.status).toBe(201);
    expect(linked.body).toMatchObject({ kind: 'direct', remote_provider_name: 'NetSuite', is_active: true });
    const [account] = await all('/accounting/accounts');
    const [vendor] = await all('/accounting/vendors');
    const [field] = await all('/accounting/fields');
    const [option] = await all(`/accounting/field-options?field_id=${field.ramp_id}`);
    const transaction = (await all('/transactions')).find((item) => item.sync_status === 'SYNC_READY');
    const writes: [string, string, unknown?][] = [
      ['POST', '/accounting/accounts', { gl_accounts: glAccounts(1) }],
      ['PATCH', `/accounting/accounts/${account.ramp_id}`, { name: 'x' }],
      ['DELETE', `/accounting/accounts/${account.ramp_id}`],
      ['POST', '/accounting/vendors', { vendors: [{ id: 'V1', name: 'Acme' }] }],
      ['PATCH', `/accounting/vendors/${vendor.ramp_id}`, { name: 'x' }],
      ['DELETE', `/accounting/vendors/${vendor.ramp_id}`],
      ['POST', '/accounting/fields', { id: 'F', name: 'F', input_type: 'BOOLEAN' }],
      ['PATCH', `/accounting/fields/${field.ramp_id}`, { name: 'x' }],
      ['DELETE', `/accounting/fields/${field.ramp_id}`],
      ['POST', '/accounting/field-options', { field_id: field.ramp_id, options: [{ id: 'O', value: 'O' }] }],
      ['PATCH', `/accounting/field-options/${option.ramp_id}`, { value: 'renamed' }],
      ['DELETE', `/accounting/field-options/${option.ramp_id}`],
      ['POST', '/accounting/syncs', { idempotency_key: 'direct-1', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: transaction.id, reference_id: 'JE-1' }] }],
      ['DELETE', '/accounting/connection'],
    ];
    for (const [method, path, body] of writes) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(400);
      expect(answer.body.error_v2.error_code, `${method} ${path}`).toBe('INVALID_INPUT');
      expect(answer.body.error_v2.message, `${method} ${path}`).toContain('direct connection');
    }
    // Nothing changed.
    expect((await call('GET', `/accounting/accounts/${account.ramp_id}`)).body).toEqual(account);
    expect((await call('GET', `/transactions/${transaction.id}`)).body.sync_status).toBe('SYNC_READY');
    // Display name and visibility of an option are open to every connection (Ramp's document).
    const shown = await call('PATCH', `/accounting/field-options/${option.ramp_id}`, { display_name: 'Shown name', visibility: 'HIDDEN' });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ display_name: 'Shown name', visibility: 'HIDDEN', value: option.value });
  });
});

describe('chart uploads: 1..500 per call, all-or-nothing', () => {
  it('500 GL accounts are accepted; 501 are refused whole', async () => {
    const before = (await all('/accounting/accounts')).length;
    const ok = await call('POST', '/accounting/accounts', { gl_accounts: glAccounts(500) });
    expect(ok.status).toBe(201);
    expect(ok.body.gl_accounts).toHaveLength(500);
    expect(ok.body.uploaded).toEqual(ok.body.gl_accounts.map((account: any) => account.ramp_id));
    expect((await all('/accounting/accounts')).length).toBe(before + 500);
    const tooMany = await call('POST', '/accounting/accounts', { gl_accounts: glAccounts(501, 'X') });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error_v2.additional_info.gl_accounts).toEqual(['Length must be between 1 and 500.']);
    expect((await all('/accounting/accounts')).length).toBe(before + 500);
    for (const [path, list, item] of [['/accounting/vendors', 'vendors', { id: 'V', name: 'V' }], ['/accounting/field-options', 'options', { id: 'O', value: 'O' }]] as const) {
      const fieldId = (await all('/accounting/fields'))[0].ramp_id;
      const body = { ...(list === 'options' ? { field_id: fieldId } : {}), [list]: Array.from({ length: 501 }, (_, i) => ({ ...item, id: `${item.id}${i}` })) };
      const refused = await call('POST', path, body);
      expect(refused.status, path).toBe(422);
      expect(refused.body.error_v2.additional_info[list]).toEqual(['Length must be between 1 and 500.']);
    }
  });

  it('one invalid item refuses the whole call, names the item, and applies nothing', async () => {
    const before = await all('/accounting/accounts');
    const batch = glAccounts(10, 'B');
    batch[7] = { id: 'B-7', classification: 'NOT_A_CLASS' };
    const invalid = await call('POST', '/accounting/accounts', { gl_accounts: batch });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error_v2.additional_info).toEqual({ 'gl_accounts.7.name': ['Missing data for required field.'], 'gl_accounts.7.classification': [expect.stringContaining('Must be one of')] });
    expect(await all('/accounting/accounts')).toEqual(before);

    const clash = glAccounts(10, 'C');
    clash[3] = { id: before[0].id, name: 'Same ERP id as an account Ramp holds', classification: 'EXPENSE' };
    const refused = await call('POST', '/accounting/accounts', { gl_accounts: clash });
    expect(refused.status).toBe(400);
    expect(refused.body.error_v2.message).toContain(`gl_accounts[3] (id "${before[0].id}")`);
    expect(await all('/accounting/accounts')).toEqual(before);

    const twice = await call('POST', '/accounting/vendors', { vendors: [{ id: 'V1', name: 'A' }, { id: 'V2', name: 'B' }, { id: 'V1', name: 'C' }] });
    expect(twice.status).toBe(400);
    expect(twice.body.error_v2.message).toContain('vendors[2] (id "V1")');
    expect((await all('/accounting/vendors')).some((vendor) => vendor.id === 'V2')).toBe(false);
  });

  it('PATCH renames and resets codes, DELETE deactivates, reactivate brings it back; fields return the existing one', async () => {
    const [account] = (await call('POST', '/accounting/accounts', { gl_accounts: [{ id: 'P-1', name: 'Travel', code: '6200', classification: 'EXPENSE' }] })).body.gl_accounts;
    const renamed = await call('PATCH', `/accounting/accounts/${account.ramp_id}`, { name: 'Travel : Lodging', code: '' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Travel : Lodging');
    expect(renamed.body).not.toHaveProperty('code');
    expect((await call('DELETE', `/accounting/accounts/${account.ramp_id}`)).status).toBe(204);
    expect((await call('GET', `/accounting/accounts/${account.ramp_id}`)).body.is_active).toBe(false);
    expect((await call('PATCH', `/accounting/accounts/${account.ramp_id}`, { reactivate: true })).body.is_active).toBe(true);
    expect((await call('PATCH', `/accounting/accounts/${account.ramp_id}`, { reactivate: false })).status).toBe(422);

    const field = (await call('POST', '/accounting/fields', { id: 'Proj', name: 'Project', input_type: 'SINGLE_CHOICE', is_splittable: 'True' })).body;
    expect(field).toMatchObject({ id: 'Proj', is_splittable: true, is_active: true });
    await call('DELETE', `/accounting/fields/${field.ramp_id}`);
    const again = await call('POST', '/accounting/fields', { id: 'Proj', name: 'Project', input_type: 'SINGLE_CHOICE' });
    expect(again.body).toMatchObject({ ramp_id: field.ramp_id, is_active: true });
    const boolField = (await call('POST', '/accounting/fields', { id: 'Bill', name: 'Billable', input_type: 'BOOLEAN' })).body;
    expect((await call('POST', '/accounting/field-options', { field_id: boolField.ramp_id, options: [{ id: 'x', value: 'x' }] })).status).toBe(400);
  });
});

describe('codings, sync_status and syncs', () => {
  it('the people code transactions with the uploaded chart and mark them ready; syncs move them to SYNCED, failures stay visible', async () => {
    const { accounts, options } = await freshChart();
    const uploadedIds = new Set([...accounts, ...options].map((item) => item.ramp_id));
    const before = await all('/transactions?sync_status=SYNC_READY');

    const coded = await client.control('POST', '/accounting/code', { resource: 'transactions', count: 10 });
    expect(coded.status).toBe(200);
    expect(coded.body.ids).toHaveLength(10);
    expect(coded.body.events.every((event: any) => event.type === 'transactions.ready_to_sync')).toBe(true);
    for (const id of coded.body.ids) {
      const transaction = (await call('GET', `/transactions/${id}`)).body;
      expect(transaction.sync_status).toBe('SYNC_READY');
      expect(transaction.accounting_field_selections.length).toBe(2);
      for (const selection of transaction.accounting_field_selections) expect(uploadedIds.has(selection.id), selection.id).toBe(true);
      expect(transaction.accounting_field_selections[0]).toMatchObject({ type: 'GL_ACCOUNT', category_info: { type: 'GL_ACCOUNT' } });
    }
    const ready = await all('/transactions?sync_status=SYNC_READY');
    expect(ready.length).toBe(before.length + 10);

    const [a, b, c] = coded.body.ids as string[];
    const body = { idempotency_key: 'loop-1', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: a, reference_id: 'JE-1' }, { id: b, reference_id: 'JE-2' }], failed_syncs: [{ id: c, error: { message: 'Closed period' } }] };
    const synced = await call('POST', '/accounting/syncs', body);
    expect(synced.status).toBe(201);
    expect(synced.body.sync_id).toEqual(expect.any(String));
    expect((await call('GET', `/transactions/${a}`)).body.sync_status).toBe('SYNCED');
    expect((await call('GET', `/transactions/${c}`)).body.sync_status).toBe('SYNC_READY');
    const failures = (await client.control('GET', '/accounting/sync-failures')).body.failures;
    expect(failures).toEqual([expect.objectContaining({ object_id: c, message: 'Closed period', sync_type: 'TRANSACTION_SYNC', sync_id: synced.body.sync_id })]);

    // The same key replays the first answer and changes nothing; another body under it is refused.
    const replay = await call('POST', '/accounting/syncs', body);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(synced.body);
    expect((await call('POST', '/accounting/syncs', { ...body, failed_syncs: undefined })).status).toBe(422);
    expect((await client.control('GET', '/accounting/sync-failures')).body.failures).toHaveLength(1);

    // A later success clears the failure.
    expect((await call('POST', '/accounting/syncs', { idempotency_key: 'loop-2', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: c, reference_id: 'JE-3' }] })).status).toBe(201);
    expect((await call('GET', `/transactions/${c}`)).body.sync_status).toBe('SYNCED');
    expect((await client.control('GET', '/accounting/sync-failures')).body.failures).toEqual([]);
  });

  it('reimbursements: NOT_SYNC_READY until a person marks them; codes are chosen as asked', async () => {
    const { accounts, options } = await freshChart();
    const waiting = (await all('/reimbursements')).filter((item) => item.sync_status === 'NOT_SYNC_READY');
    expect(waiting.length).toBeGreaterThan(1);
    const [first, second] = waiting;
    const coded = await client.control('POST', '/accounting/code', { resource: 'reimbursements', ids: [first.id], gl_account_id: accounts[1].ramp_id, field_option_ids: [options[1].ramp_id], mark_ready: false });
    expect(coded.status).toBe(200);
    const codedOne = (await call('GET', `/reimbursements/${first.id}`)).body;
    expect(codedOne.sync_status).toBe('NOT_SYNC_READY');
    expect(codedOne.accounting_field_selections.map((selection: any) => selection.id)).toEqual([accounts[1].ramp_id, options[1].ramp_id]);
    const marked = await client.control('POST', '/accounting/ready', { resource: 'reimbursements', ids: [first.id, second.id] });
    expect(marked.body.ids).toEqual([first.id, second.id]);
    expect(marked.body.events.map((event: any) => event.type)).toEqual(['reimbursements.ready_to_sync', 'reimbursements.ready_to_sync']);
    expect((await call('GET', `/reimbursements/${first.id}`)).body.sync_status).toBe('SYNC_READY');
    // Again: nothing left to mark.
    expect((await client.control('POST', '/accounting/ready', { resource: 'reimbursements', ids: [first.id] })).body.ids).toEqual([]);
  });

  it('Ramp re-opens synced objects: SYNC_READY again with the ready_to_sync event; the old key still replays and records nothing, a new key records', async () => {
    await freshChart();
    const coded = await client.control('POST', '/accounting/code', { resource: 'transactions', count: 2 });
    const [a, b] = coded.body.ids as string[];
    const body = { idempotency_key: 'reopen-1', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: a, reference_id: 'JE-1' }] };
    const first = await call('POST', '/accounting/syncs', body);
    expect(first.status).toBe(201);
    const synced = (await call('GET', `/transactions/${a}`)).body;
    expect(synced.sync_status).toBe('SYNCED');

    const reopened = await client.control('POST', '/accounting/reopen', { resource: 'transactions', ids: [a, b] });
    expect(reopened.status).toBe(200);
    // b was never synced: skipped.
    expect(reopened.body).toMatchObject({ resource: 'transactions', ids: [a], events: [{ type: 'transactions.ready_to_sync', object_id: a }] });
    const ready = (await call('GET', `/transactions/${a}`)).body;
    expect(ready).toMatchObject({ sync_status: 'SYNC_READY', synced_at: synced.synced_at });
    expect((await all('/transactions?sync_ready=true')).map((item) => item.id)).toContain(a);

    // The key seen before answers as it did: a replay, nothing recorded.
    expect((await call('POST', '/accounting/syncs', body)).body).toEqual(first.body);
    expect((await call('GET', `/transactions/${a}`)).body.sync_status).toBe('SYNC_READY');
    const again = await call('POST', '/accounting/syncs', { ...body, idempotency_key: 'reopen-2' });
    expect(again.body.sync_id).not.toBe(first.body.sync_id);
    expect((await call('GET', `/transactions/${a}`)).body.sync_status).toBe('SYNCED');

    // Reimbursements too; without ids, the first `count` synced ones.
    const synced2 = (await all('/reimbursements')).filter((item) => item.sync_status === 'SYNCED');
    expect(synced2.length).toBeGreaterThan(0);
    const byCount = await client.control('POST', '/accounting/reopen', { resource: 'reimbursements', count: 1 });
    expect(byCount.body.ids).toEqual([synced2[0].id]);
    expect((await call('GET', `/reimbursements/${synced2[0].id}`)).body.sync_status).toBe('SYNC_READY');
  });

  it('codings refer only to the active chart: unknown or deactivated ids are refused, an empty chart is a 409', async () => {
    const { accounts } = await freshChart();
    await call('DELETE', `/accounting/accounts/${accounts[0].ramp_id}`);
    expect((await client.control('POST', '/accounting/code', { gl_account_id: accounts[0].ramp_id })).status).toBe(400);
    expect((await client.control('POST', '/accounting/code', { field_option_ids: ['00000000-0000-4000-8000-000000000000'] })).status).toBe(400);
    await call('DELETE', '/accounting/connection');
    await call('POST', '/accounting/connection', { remote_provider_name: 'Empty books' });
    expect((await client.control('POST', '/accounting/code', { count: 1 })).status).toBe(409);
  });

  it('bills are coded without a person marking them ready (they are ready by themselves)', async () => {
    const { accounts } = await freshChart();
    const coded = await client.control('POST', '/accounting/code', { resource: 'bills', count: 3, mark_ready: false });
    expect(coded.body.ids).toHaveLength(3);
    const bill = (await call('GET', `/bills/${coded.body.ids[0]}`)).body;
    expect(accounts.map((account) => account.ramp_id)).toContain(bill.accounting_field_selections[0].id);
    expect((await client.control('POST', '/accounting/code', { resource: 'bills', count: 1, mark_ready: true })).status).toBe(400);
  });

  it('a clean start at scale: nothing ready, then 500 coded and ready, exactly those listed as SYNC_READY', async () => {
    await client.control('POST', '/seed', { transactions: 1500 });
    await freshChart();
    const unready = await client.control('POST', '/accounting/unready', { resource: 'transactions' });
    expect(unready.body.ids.length).toBeGreaterThan(0);
    expect(await all('/transactions?sync_status=SYNC_READY')).toEqual([]);
    const coded = await client.control('POST', '/accounting/code', { resource: 'transactions', count: 500 });
    expect(coded.body.ids).toHaveLength(500);
    const ready = await all('/transactions?sync_status=SYNC_READY');
    expect(ready.map((item) => item.id).sort()).toEqual([...coded.body.ids].sort());
    expect(ready.every((item) => item.accounting_field_selections.length === 2)).toBe(true);
  });

  it('sync_ready and synced_after filter what waits and what was synced; bills must be ready to be synced', async () => {
    const readyTransactions = await all('/transactions?sync_ready=true');
    expect(readyTransactions.length).toBeGreaterThan(0);
    expect(readyTransactions.every((item) => item.sync_status === 'SYNC_READY')).toBe(true);
    expect((await all('/transactions?sync_ready=false')).some((item) => item.sync_status === 'SYNC_READY')).toBe(false);
    const readyReimbursements = await all('/reimbursements?sync_ready=true');
    expect(readyReimbursements.every((item) => item.sync_status === 'SYNC_READY')).toBe(true);

    const bills = await all('/bills');
    const readyBills = await all('/bills?sync_ready=true');
    expect(readyBills.length).toBeGreaterThan(0);
    expect(readyBills.every((bill) => bill.approval_status === 'APPROVED' && bill.archived_at === null)).toBe(true);
    const notReady = bills.find((bill) => !readyBills.some((ready) => ready.id === bill.id))!;
    const refused = await call('POST', '/accounting/syncs', { idempotency_key: 'bill-not-ready', sync_type: 'BILL_SYNC', successful_syncs: [{ id: notReady.id, reference_id: 'B-1' }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error_v2.message).toContain(notReady.id);
    const bill = readyBills.find((item) => item.sync_status === 'NOT_SYNCED')!;
    const since = (await call('GET', `/transactions/${readyTransactions[0].id}`)).body.synced_at ?? '2000-01-01T00:00:00Z';
    expect((await call('POST', '/accounting/syncs', { idempotency_key: 'bill-ready', sync_type: 'BILL_SYNC', successful_syncs: [{ id: bill.id, reference_id: 'B-2' }] })).status).toBe(201);
    expect((await call('GET', `/bills/${bill.id}`)).body.sync_status).toBe('BILL_SYNCED');
    const again = await call('POST', '/accounting/syncs', { idempotency_key: 'bill-again', sync_type: 'BILL_SYNC', successful_syncs: [{ id: bill.id, reference_id: 'B-2' }] });
    expect(again.status).toBe(400);

    await client.control('POST', '/clock', { advance_s: 3600 });
    const before = new Set((await all(`/transactions?synced_after=${encodeURIComponent(since)}`)).map((item) => item.id));
    const target = readyTransactions[0].id;
    expect(before.has(target)).toBe(false);
    expect((await call('POST', '/accounting/syncs', { idempotency_key: 'synced-after', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: target, reference_id: 'JE-9' }] })).status).toBe(201);
    const syncedAt = (await call('GET', `/transactions/${target}`)).body.synced_at;
    const after = await all(`/transactions?synced_after=${encodeURIComponent(new Date(Date.parse(syncedAt) - 1000).toISOString())}`);
    expect(after.map((item) => item.id)).toContain(target);
    expect(await all(`/transactions?synced_after=${encodeURIComponent(syncedAt)}`)).toEqual([]);
  });

  it('writes need accounting:write (403) and reach only the token’s business (404 for another’s ids)', async () => {
    const [account] = await all('/accounting/accounts');
    const readOnlyApp = await client.createApp({ grant_types: ['client_credentials'] });
    const readOnly = await client.clientCredentialsToken(readOnlyApp, 'accounting:read');
    const forbidden = await client.api('sandbox', '/accounting/accounts', readOnly, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gl_accounts: glAccounts(1) }) });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error_v2.message).toBe('These scopes are not allowed for this token: accounting:write');
    const other = '7a0c2a7e-9b14-4c3d-8e6a-1d2b3c4d5e6f';
    await client.control('POST', '/seed', { business_id: other, transactions: 10 });
    const otherApp = await client.createApp({ grant_types: ['client_credentials'], business_id: other });
    const otherToken = await client.clientCredentialsToken(otherApp, SCOPES);
    const patched = await client.api('sandbox', `/accounting/accounts/${account.ramp_id}`, otherToken, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Hijacked' }) });
    expect(patched.status).toBe(404);
    const disconnected = await client.api('sandbox', '/accounting/connection', otherToken, { method: 'DELETE' });
    expect(disconnected.status).toBe(204);
    expect((await call('GET', '/accounting/connection')).body.is_active).toBe(true);
    expect((await call('GET', `/accounting/accounts/${account.ramp_id}`)).body.name).toBe(account.name);
  });
});
