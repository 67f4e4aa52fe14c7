/**
 * Conformance: the resource API (Ramp B5–B7) — auth and scope errors, keyset pagination,
 * filters, object shapes, money values, accounting syncs, `x-trace-id`.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient, type AppCredentials } from './helpers.ts';

const ALL_READ_SCOPES = 'business:read transactions:read reimbursements:read bills:read users:read cards:read departments:read locations:read vendors:read accounting:write';
const RESOURCES = ['transactions', 'reimbursements', 'bills', 'users', 'cards', 'departments', 'locations', 'vendors'] as const;

let emulator: RunningEmulator;
let client: EmulatorClient;
let app: AppCredentials;
let token: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new EmulatorClient(emulator);
  app = { ...emulator.defaultApp, environment: 'sandbox' };
  await client.faults({ rate_limit: false });
  token = await client.clientCredentialsToken(app, ALL_READ_SCOPES);
});
afterAll(() => emulator.close());

async function walk(path: string, accessToken = token): Promise<any[]> {
  const items: any[] = [];
  let next: string | null = `${emulator.url}/sandbox/developer/v1${path}`;
  for (let pages = 0; next !== null; pages++) {
    if (pages > 10_000) throw new Error('pagination does not terminate');
    const page = await client.api('sandbox', next, accessToken);
    expect(page.status).toBe(200);
    items.push(...page.body.data);
    next = page.body.page.next;
  }
  return items;
}

async function records(resource: string): Promise<any[]> {
  return (await client.control<any[]>('GET', `/records/${resource}`)).body;
}

describe('authentication and scopes', () => {
  it('missing token → 401 DEVELOPER_7002 with a Bearer challenge', async () => {
    const result = await client.api('sandbox', '/transactions', null);
    expect(result.status).toBe(401);
    expect(result.body.error_v2).toMatchObject({ error_code: 'DEVELOPER_7002', additional_info: {}, notes: '' });
    expect(result.body.error).toMatchObject({ message: expect.any(String), details: {} });
    expect(result.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('unknown token → 401 DEVELOPER_7002', async () => {
    expect((await client.api('sandbox', '/transactions', 'ramp_tok_nope')).body.error_v2.error_code).toBe('DEVELOPER_7002');
  });

  it.each(RESOURCES)('%s without its scope → 403 DEVELOPER_7100 naming the scope', async (resource) => {
    const narrow = await client.clientCredentialsToken(app, 'business:read');
    const result = await client.api('sandbox', `/${resource}`, narrow);
    expect(result.status).toBe(403);
    expect(result.body.error_v2.error_code).toBe('DEVELOPER_7100');
    expect(result.body.error_v2.message).toBe(`These scopes are not allowed for this token: ${resource}:read`);
  });

  it('every response carries x-trace-id (resources, errors, token endpoint, unknown paths)', async () => {
    for (const target of [`${emulator.url}/sandbox/developer/v1/business`, `${emulator.url}/sandbox/developer/v1/nope`, `${emulator.url}/nope`, `${emulator.url}/sandbox/developer/v1/token`]) {
      const response = await fetch(target, { headers: { authorization: `Bearer ${token}` } });
      expect(response.headers.get('x-trace-id'), target).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('unknown paths answer an HTML 404 (Flask-style, as Ramp does)', async () => {
    const response = await fetch(`${emulator.url}/developer/v1/does-not-exist`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('<title>404 Not Found</title>');
  });
});

describe('pagination (B6)', () => {
  it('walking page.next verbatim returns every non-declined transaction once, newest first', async () => {
    const walked = await walk('/transactions?page_size=37');
    const expected = (await records('transactions')).filter((item) => item.state !== 'DECLINED');
    expect(walked.map((item) => item.id)).toEqual(expected.map((item) => item.id));
    expect(new Set(walked.map((item) => item.id)).size).toBe(walked.length);
    for (let i = 1; i < walked.length; i++) {
      const [previous, current] = [walked[i - 1], walked[i]];
      expect(previous.user_transaction_time > current.user_transaction_time || (previous.user_transaction_time === current.user_transaction_time && previous.id < current.id)).toBe(true);
    }
  });

  it('default page size is 20; the last page has next = null', async () => {
    const first = await client.api('sandbox', '/departments', token);
    expect(first.body.data).toHaveLength(5);
    expect(first.body.page.next).toBeNull();
    const transactions = await client.api('sandbox', '/transactions', token);
    expect(transactions.body.data).toHaveLength(20);
    expect(transactions.body.page.next).toMatch(/page_size=20&start=/);
  });

  it.each([['1'], ['101'], ['0'], ['-5']])('page_size=%s → 422 DEVELOPER_7001 in the documented envelope', async (pageSize) => {
    const result = await client.api('sandbox', `/transactions?page_size=${pageSize}`, token);
    expect(result.status).toBe(422);
    expect(result.body).toEqual({
      error_v2: { error_code: 'DEVELOPER_7001', additional_info: { page_size: ['Value must be between 2 and 100'] }, notes: '', message: 'Value must be between 2 and 100' },
      error: { page_size: ['Value must be between 2 and 100'] },
    });
  });

  it('page_size bounds 2 and 100 are accepted; non-integers are not', async () => {
    expect((await client.api('sandbox', '/transactions?page_size=2', token)).body.data).toHaveLength(2);
    expect((await client.api('sandbox', '/transactions?page_size=100', token)).body.data).toHaveLength(100);
    expect((await client.api('sandbox', '/transactions?page_size=abc', token)).body.error.page_size).toEqual(['Not a valid integer.']);
  });

  it('all invalid parameters are reported at once; bad or unknown start → 422', async () => {
    const result = await client.api('sandbox', '/transactions?page_size=1&from_date=yesterday&start=not-a-uuid&state=WEIRD', token);
    expect(result.status).toBe(422);
    expect(Object.keys(result.body.error).sort()).toEqual(['from_date', 'page_size', 'start', 'state']);
    const unknown = await client.api('sandbox', '/transactions?start=00000000-0000-4000-8000-000000000000', token);
    expect(unknown.status).toBe(422);
  });

  it('page.next is a full URL built from the request Host, with the environment prefix and filters kept', async () => {
    const body = await new Promise<any>((resolve, reject) => {
      const request = httpRequest(`${emulator.url}/sandbox/developer/v1/transactions?state=ALL&page_size=5`, { headers: { host: 'ramp.example:4321', authorization: `Bearer ${token}` } }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve(JSON.parse(text)));
      });
      request.on('error', reject);
      request.end();
    });
    const next = new URL(body.page.next);
    expect(next.origin).toBe('http://ramp.example:4321');
    expect(next.pathname).toBe('/sandbox/developer/v1/transactions');
    expect(next.searchParams.get('state')).toBe('ALL');
    expect(next.searchParams.get('page_size')).toBe('5');
    expect(next.searchParams.get('start')).toBe(body.data[4].id);
  });
});

describe('filters', () => {
  it('DECLINED is excluded by default; state=DECLINED and state=ALL include it', async () => {
    const all = await records('transactions');
    const declined = all.filter((item) => item.state === 'DECLINED');
    expect(declined.length).toBeGreaterThan(0);
    expect((await walk('/transactions?state=DECLINED&page_size=100')).map((item) => item.id)).toEqual(declined.map((item) => item.id));
    expect(await walk('/transactions?state=ALL&page_size=100')).toHaveLength(all.length);
  });

  it('from_date/to_date filter user_transaction_time inclusively', async () => {
    const all = (await records('transactions')).filter((item) => item.state !== 'DECLINED');
    const from = all[150].user_transaction_time;
    const to = all[50].user_transaction_time;
    const walked = await walk(`/transactions?from_date=${encodeURIComponent(from)}&to_date=${encodeURIComponent(to)}&page_size=13`);
    expect(walked.map((item) => item.id)).toEqual(all.filter((item) => item.user_transaction_time >= from && item.user_transaction_time <= to).map((item) => item.id));
    const dateOnly = await client.api('sandbox', `/transactions?from_date=${from.slice(0, 10)}`, token);
    expect(dateOnly.status).toBe(200);
  });

  it('user_id, card_id and department_id narrow the list', async () => {
    const sample = (await records('transactions'))[0];
    for (const [param, value, pick] of [
      ['user_id', sample.card_holder.user_id, (item: any) => item.card_holder.user_id],
      ['card_id', sample.card_id, (item: any) => item.card_id],
      ['department_id', sample.card_holder.department_id, (item: any) => item.card_holder.department_id],
    ] as const) {
      const walked = await walk(`/transactions?${param}=${value}&state=ALL&page_size=100`);
      expect(walked.length).toBeGreaterThan(0);
      expect(walked.every((item) => pick(item) === value)).toBe(true);
    }
  });

  it('reimbursements: from_date/to_date on created_at, from_transaction_date/to_transaction_date on transaction_date (inclusive), updated_after', async () => {
    const all = await records('reimbursements');
    const ms = (value: string) => Date.parse(value);
    const between = (field: string, from: string, to: string) =>
      all.filter((item) => ms(item[field]) >= ms(from) && ms(item[field]) <= ms(to)).map((item) => item.id);
    const from = all[30].created_at;
    const to = all[10].created_at;
    const created = between('created_at', from, to);
    const byTransaction = between('transaction_date', from, to);
    // Created up to days after the transaction: the two windows select different reimbursements.
    expect(created).not.toEqual(byTransaction);
    const window = (prefix: string) => `${prefix}from_date=${encodeURIComponent(from)}&${prefix}to_date=${encodeURIComponent(to)}`;
    expect((await walk(`/reimbursements?${window('')}&page_size=7`)).map((item) => item.id)).toEqual(created);
    const transactionWindow = `from_transaction_date=${encodeURIComponent(from)}&to_transaction_date=${encodeURIComponent(to)}`;
    expect((await walk(`/reimbursements?${transactionWindow}&page_size=7`)).map((item) => item.id)).toEqual(byTransaction);
    const day = all[10].transaction_date;
    expect((await walk(`/reimbursements?from_transaction_date=${day}&to_transaction_date=${day}`)).map((item) => item.id))
      .toEqual(all.filter((item) => item.transaction_date === day).map((item) => item.id));
    const bad = await client.api('sandbox', '/reimbursements?from_transaction_date=soon', token);
    expect(bad.status).toBe(422);
    const latest = all.map((item) => item.updated_at).sort().at(-1);
    expect((await walk(`/reimbursements?updated_after=${encodeURIComponent(latest)}`))).toHaveLength(0);
  });

  it('bills: the list shows active bills, is_archived=true only archived ones; by id answers both', async () => {
    const all = await records('bills');
    const archived = all.filter((bill) => bill.archived_at !== null);
    expect(archived.length).toBeGreaterThan(0);
    const active = all.filter((bill) => bill.archived_at === null);
    const ids = (items: any[]) => items.map((bill) => bill.id).sort();
    expect(ids(await walk('/bills?page_size=7'))).toEqual(ids(active));
    expect(ids(await walk('/bills?is_archived=false&page_size=7'))).toEqual(ids(active));
    expect(ids(await walk('/bills?is_archived=true&page_size=7'))).toEqual(ids(archived));
    // Ramp refuses to archive a paid bill: none of the archived ones carries a payment.
    expect(archived.every((bill) => bill.status === 'OPEN' && bill.payment === null)).toBe(true);
    const single = await client.api('sandbox', `/bills/${archived[0].id}`, token);
    expect(single.status).toBe(200);
    expect(single.body.archived_at).toBe(archived[0].archived_at);
    expect((await client.api('sandbox', '/bills?is_archived=maybe', token)).status).toBe(422);
  });
});

describe('objects and money', () => {
  it('transactions have the B7.1 fields and exact-to-the-cent amounts, including awkward ones', async () => {
    const all = await records('transactions');
    const amounts = all.map((item) => item.amount);
    for (const awkward of [0.1, 0.2, 0.3, 1234567.89]) expect(amounts).toContain(awkward);
    expect(amounts.some((amount) => amount >= 1e9)).toBe(true);
    for (const item of all) {
      // `amount` is in the settled currency's major units (JPY has no minor unit); the line is that
      // currency's minor units, its converted amount the card's USD (Ramp's ApiTransactionLineItem).
      const perMajor = item.currency_code === 'JPY' ? 1 : 100;
      expect(Number.isInteger(Math.round(item.amount * perMajor))).toBe(true);
      expect(Math.abs(item.amount * perMajor - Math.round(item.amount * perMajor))).toBeLessThan(1e-3);
      expect(item.line_items[0].amount).toEqual({ amount: Math.round(item.amount * perMajor), currency_code: item.currency_code });
      if (item.state !== 'DECLINED') expect(item.line_items[0].converted_amount.currency_code).toBe('USD');
      if (item.currency_code !== 'USD') expect(item.original_transaction_amount).toEqual(item.line_items[0].amount);
      expect(Number.isInteger(item.original_transaction_amount.amount)).toBe(true);
    }
    // A few settle in other currencies, one without a minor unit.
    expect([...new Set(all.map((item) => item.currency_code))].sort()).toEqual(['CAD', 'EUR', 'GBP', 'JPY', 'USD']);
    expect(Number.isInteger(all.find((item) => item.currency_code === 'JPY').amount)).toBe(true);
    // Optional fields (settlement_date) are absent until they apply: a cleared transaction has them all.
    const sample = all.find((item) => item.state === 'CLEARED' && item.card_holder.department_id !== undefined);
    for (const field of ['id', 'amount', 'currency_code', 'original_transaction_amount', 'merchant_name', 'merchant_id', 'user_transaction_time', 'settlement_date', 'accounting_date', 'state', 'sk_category_id', 'sk_category_name', 'card_id', 'card_holder', 'memo', 'receipts', 'sync_status', 'synced_at', 'entity_id', 'card_present']) {
      expect(sample, field).toHaveProperty(field);
    }
    expect(Object.keys(sample.card_holder)).toEqual(expect.arrayContaining(['department_id', 'department_name', 'first_name', 'last_name', 'location_id', 'location_name', 'user_id']));
  });

  it('GET /<resource>/:id returns the list object (plus the fields of Ramp\'s detail schema); unknown and other-business ids → 404', async () => {
    const otherBusiness = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    await client.control('POST', '/seed', { business_id: otherBusiness, transactions: 3 });
    const foreignId = (await client.control<any[]>('GET', `/records/transactions?business_id=${otherBusiness}`)).body[0].id;
    for (const resource of RESOURCES) {
      const first = (await client.api('sandbox', `/${resource}?page_size=2`, token)).body.data[0];
      const single = await client.api('sandbox', `/${resource}/${first.id}`, token);
      expect(single.status, resource).toBe(200);
      expect(single.body).toEqual(expect.objectContaining(first));
      const missing = await client.api('sandbox', `/${resource}/00000000-0000-4000-8000-000000000000`, token);
      expect(missing.status).toBe(404);
      expect(missing.body.error_v2.message).toEqual(expect.any(String));
    }
    expect((await client.api('sandbox', `/transactions/${foreignId}`, token)).status).toBe(404);
  });

  it('business, bills, reimbursements, users, cards have their documented shapes', async () => {
    const business = (await client.api('sandbox', '/business', token)).body;
    expect(business).toMatchObject({ id: emulator.demoBusinessId, is_reimbursements_enabled: true, active: true });
    const bill = (await client.api('sandbox', '/bills', token)).body.data[0];
    expect(bill.amount).toEqual({ amount: expect.any(Number), currency_code: bill.invoice_currency });
    expect(['OPEN', 'PAID']).toContain(bill.status);
    expect(bill).toHaveProperty('due_at');
    const reimbursement = (await client.api('sandbox', '/reimbursements', token)).body.data[0];
    expect(reimbursement).toMatchObject({ amount: expect.any(Number), currency: expect.stringMatching(/^(USD|CAD)$/), state: expect.any(String), transaction_date: expect.any(String), updated_at: expect.any(String), user_id: expect.any(String) });
    const users = (await client.api('sandbox', '/users?page_size=100', token)).body.data;
    expect(users).toHaveLength(12);
    expect(users[0]).toMatchObject({ role: 'BUSINESS_OWNER', business_id: emulator.demoBusinessId });
    const cards = (await client.api('sandbox', '/cards?page_size=100', token)).body.data;
    expect(cards.every((card: any) => users.some((user: any) => user.id === card.cardholder_id))).toBe(true);
  });
});

describe('POST /accounting/syncs (B7.2)', () => {
  const post = (body: unknown, accessToken = token) =>
    client.api('sandbox', '/accounting/syncs', accessToken, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeEach(async () => {
    await client.control('POST', '/seed', {});
  });

  it('marks transactions synced (201) and replays the same idempotency key', async () => {
    const [first, second] = (await records('transactions')).filter((item) => item.sync_status === 'SYNC_READY');
    const body = { idempotency_key: 'key-1', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: first.id, reference_id: 'JE-1' }], failed_syncs: [{ id: second.id, error: { message: 'No GL mapping' } }] };
    const created = await post(body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ idempotency_key: 'key-1', sync_type: 'TRANSACTION_SYNC', successful_syncs: 1, failed_syncs: 1 });
    const synced = (await client.api('sandbox', `/transactions/${first.id}`, token)).body;
    expect(synced.sync_status).toBe('SYNCED');
    expect(synced.synced_at).toEqual(expect.any(String));
    expect((await client.api('sandbox', `/transactions/${second.id}`, token)).body.sync_status).toBe('SYNC_READY');
    const replay = await post(body);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(created.body);
    const conflict = await post({ ...body, successful_syncs: [{ id: first.id, reference_id: 'JE-2' }] });
    expect(conflict.status).toBe(422);
    expect(conflict.body.error_v2.error_code).toBe('DEVELOPER_7001');
  });

  it.each([
    ['missing idempotency_key', { sync_type: 'TRANSACTION_SYNC', failed_syncs: [{ id: 'x', error: { message: 'm' } }] }, 'idempotency_key'],
    ['unknown sync_type', { idempotency_key: 'k', sync_type: 'NOPE', failed_syncs: [{ id: 'x', error: { message: 'm' } }] }, 'sync_type'],
    ['empty list', { idempotency_key: 'k', sync_type: 'TRANSACTION_SYNC', successful_syncs: [] }, 'successful_syncs'],
    ['5001 items', { idempotency_key: 'k', sync_type: 'TRANSFER_SYNC', successful_syncs: Array.from({ length: 5001 }, (_, i) => ({ id: `t${i}`, reference_id: 'r' })) }, 'successful_syncs'],
    ['no lists', { idempotency_key: 'k', sync_type: 'TRANSACTION_SYNC' }, 'successful_syncs'],
    ['bad item', { idempotency_key: 'k', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: 'x' }] }, 'successful_syncs'],
  ])('%s → 422 DEVELOPER_7001', async (_name, body, field) => {
    const result = await post(body);
    expect(result.status).toBe(422);
    expect(result.body.error_v2.error_code).toBe('DEVELOPER_7001');
    expect(result.body.error_v2.additional_info).toHaveProperty(field);
  });

  it('5000 items are accepted; ids not of this business → 400', async () => {
    // ACCRUAL_SYNC refers to objects the emulator does not hold, so any UUIDs are accepted (Ramp's ids are UUIDs).
    const ok = await post({ idempotency_key: 'big', sync_type: 'ACCRUAL_SYNC', successful_syncs: Array.from({ length: 5000 }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, reference_id: 'r' })) });
    expect(ok.status).toBe(201);
    const unknown = await post({ idempotency_key: 'unknown', sync_type: 'TRANSACTION_SYNC', successful_syncs: [{ id: '00000000-0000-4000-8000-000000000000', reference_id: 'r' }] });
    expect(unknown.status).toBe(400);
  });

  it('needs accounting:write → 403 DEVELOPER_7100', async () => {
    const readOnly = await client.clientCredentialsToken(app, 'transactions:read');
    const result = await post({ idempotency_key: 'k', sync_type: 'TRANSFER_SYNC', successful_syncs: [{ id: 'a', reference_id: 'b' }] }, readOnly);
    expect(result.status).toBe(403);
    expect(result.body.error_v2.message).toBe('These scopes are not allowed for this token: accounting:write');
  });
});
