/**
 * Conformance: the control plane — deterministic seeding, mutations for sync tests, records,
 * stats (no secrets), webhooks out (signed, retried), apps, reset.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient, type AppCredentials } from './helpers.ts';

let emulator: RunningEmulator;
let client: EmulatorClient;
let app: AppCredentials;
let token: string;
const BUSINESS = '0b7c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3';

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new EmulatorClient(emulator);
  app = { ...emulator.defaultApp, environment: 'sandbox' };
  await client.faults({ rate_limit: false });
  token = await client.clientCredentialsToken(app, 'transactions:read reimbursements:read business:read');
});
afterAll(() => emulator.close());

async function records(resource: string, businessId = BUSINESS): Promise<any[]> {
  return (await client.control<any[]>('GET', `/records/${resource}?business_id=${businessId}`)).body;
}

describe('seed', () => {
  it('the same seed gives the same ids and amounts; another seed differs', async () => {
    const seedOnce = async (seed: number) => {
      const { status, body } = await client.control('POST', '/seed', { business_id: BUSINESS, seed, transactions: 60, reimbursements: 9, bills: 4, users: 3, cards: 4, departments: 2, locations: 2, vendors: 5 });
      expect(status).toBe(200);
      expect(body.counts).toMatchObject({ transactions: 60, reimbursements: 9, users: 3 });
      return { transactions: await records('transactions'), reimbursements: await records('reimbursements'), users: await records('users') };
    };
    const first = await seedOnce(7);
    const again = await seedOnce(7);
    const other = await seedOnce(8);
    expect(first.transactions).toHaveLength(60);
    expect(again).toEqual(first);
    expect(other.transactions.map((item) => item.id)).not.toEqual(first.transactions.map((item) => item.id));
  });

  it('businesses with the same seed do not share ids', async () => {
    await client.control('POST', '/seed', { business_id: BUSINESS, seed: 1 });
    const demo = await records('transactions', emulator.demoBusinessId);
    const other = await records('transactions');
    const demoIds = new Set(demo.map((item) => item.id));
    expect(other.some((item) => demoIds.has(item.id))).toBe(false);
  });

  it('rejects bad bodies', async () => {
    expect((await client.control('POST', '/seed', { transactions: -1 })).status).toBe(400);
    expect((await client.control('POST', '/seed', { users: 0 })).status).toBe(400);
    expect((await client.control('POST', '/seed', { business_id: 'nope' })).status).toBe(400);
    expect((await client.control('POST', '/seed', { transactionz: 5 })).status).toBe(400);
  });

  it('anchor moves the data window', async () => {
    await client.control('POST', '/seed', { business_id: BUSINESS, transactions: 20, anchor: '2025-01-01T00:00:00Z' });
    const all = await records('transactions');
    expect(all.every((item) => item.user_transaction_time < '2025-01-01T00:00:01Z' && item.user_transaction_time > '2023-12-31')).toBe(true);
  });
});

describe('mutate', () => {
  it('clear settles pending transactions and bumps their updated time past every earlier one', async () => {
    await client.control('POST', '/seed', {});
    const before = new Date().toISOString();
    const pending = (await records('transactions', emulator.demoBusinessId)).filter((item) => item.state === 'PENDING');
    expect(pending.length).toBeGreaterThanOrEqual(2);
    const { body } = await client.control('POST', '/mutate', { resource: 'transactions', kind: 'clear', count: 2 });
    expect(body.ids).toEqual(pending.slice(0, 2).map((item) => item.id));
    expect(body.events.map((event: any) => event.type)).toEqual(['transactions.cleared', 'transactions.cleared']);
    const changed = await client.api('sandbox', `/transactions?updated_after=${encodeURIComponent(before)}&page_size=100`, token);
    expect(changed.body.data.map((item: any) => item.id).sort()).toEqual([...body.ids].sort());
    expect(changed.body.data.every((item: any) => item.state === 'CLEARED' && item.settlement_date !== null)).toBe(true);
  });

  it('amount changes amounts; create adds pending transactions at the top; both are deterministic', async () => {
    const run = async () => {
      await client.control('POST', '/seed', { business_id: BUSINESS, seed: 3, transactions: 40 });
      const amount = (await client.control('POST', '/mutate', { business_id: BUSINESS, kind: 'amount', count: 3 })).body;
      const create = (await client.control('POST', '/mutate', { business_id: BUSINESS, kind: 'create', count: 2 })).body;
      return { amount, create, all: await records('transactions') };
    };
    const first = await run();
    const second = await run();
    expect(second.amount.ids).toEqual(first.amount.ids);
    expect(second.create.ids).toEqual(first.create.ids);
    expect(first.all).toHaveLength(42);
    expect(first.all.slice(0, 2).map((item) => item.id)).toEqual(first.create.ids);
    expect(first.all.slice(0, 2).every((item) => item.state === 'PENDING')).toBe(true);
    const changedAmounts = first.all.filter((item) => first.amount.ids.includes(item.id)).map((item) => item.amount);
    expect(changedAmounts).toEqual(second.all.filter((item) => first.amount.ids.includes(item.id)).map((item) => item.amount));
  });

  it('large create batches work (no argument-spread limits)', async () => {
    await client.control('POST', '/seed', { business_id: BUSINESS, reimbursements: 5 });
    const { status, body } = await client.control('POST', '/mutate', { business_id: BUSINESS, resource: 'reimbursements', kind: 'create', count: 70_000 });
    expect(status).toBe(200);
    expect(body.ids).toHaveLength(70_000);
    await client.control('POST', '/seed', { business_id: BUSINESS });
  });

  it('reimbursements and bills can be mutated too', async () => {
    await client.control('POST', '/seed', {});
    const reimbursements = (await client.control('POST', '/mutate', { resource: 'reimbursements', kind: 'create', count: 1 })).body;
    expect(reimbursements.events[0].type).toBe('reimbursements.ready_for_review');
    const bills = (await client.control('POST', '/mutate', { resource: 'bills', kind: 'clear', count: 1 })).body;
    expect(bills.events[0].type).toBe('bills.paid');
    expect((await client.control('POST', '/mutate', { kind: 'explode' })).status).toBe(400);
  });

  it('money keeps its currencies through every change: amounts, payments and new records agree with their lines', async () => {
    await client.control('POST', '/seed', { business_id: BUSINESS, transactions: 30, reimbursements: 12, bills: 12 });
    const perMajor = (code: string) => (code === 'JPY' ? 1 : 100);
    const reimbursementsAgree = async () => {
      for (const item of await records('reimbursements')) {
        const minor = Math.round(item.amount * perMajor(item.currency));
        if (item.payee_amount) expect(item.payee_amount, item.id).toEqual({ amount: minor, currency_code: item.currency });
        for (const line of item.line_items) expect(line.amount, item.id).toEqual(item.original_reimbursement_amount);
        if (item.original_reimbursement_amount.currency_code === item.currency) expect(item.original_reimbursement_amount.amount, item.id).toBe(minor);
      }
    };
    const billsAgree = async () => {
      for (const bill of await records('bills')) {
        expect(bill.amount.currency_code, bill.id).toBe(bill.invoice_currency);
        expect(bill.line_items.reduce((sum: number, line: any) => sum + line.amount.amount, 0), bill.id).toBe(bill.amount.amount);
        for (const line of bill.line_items) expect(line.amount.currency_code).toBe(bill.invoice_currency);
        if (bill.payment) expect(bill.payment.amount, bill.id).toEqual(bill.amount);
      }
    };
    const before = await records('reimbursements');
    expect(before.map((item) => `${item.currency} ${item.original_reimbursement_amount.currency_code}`)).toEqual(expect.arrayContaining(['CAD CAD', 'USD JPY']));
    await reimbursementsAgree();
    await billsAgree();
    const changed = (await client.control<{ ids: string[] }>('POST', '/mutate', { business_id: BUSINESS, resource: 'reimbursements', kind: 'amount', count: 12 })).body.ids;
    await client.control('POST', '/mutate', { business_id: BUSINESS, resource: 'reimbursements', kind: 'create', count: 2 });
    const after = await records('reimbursements');
    // Each changed one has a new amount in the currencies it had (the CAD and JPY ones among them).
    const was = new Map(before.map((item) => [item.id, item]));
    expect(changed.filter((id) => was.get(id).currency !== 'USD' || was.get(id).original_reimbursement_amount.currency_code !== 'USD')).toHaveLength(2);
    for (const item of after.filter((one) => changed.includes(one.id))) {
      expect(item.amount, item.id).not.toBe(was.get(item.id).amount);
      expect([item.currency, item.original_reimbursement_amount.currency_code]).toEqual([was.get(item.id).currency, was.get(item.id).original_reimbursement_amount.currency_code]);
    }
    await reimbursementsAgree();
    await client.control('POST', '/mutate', { business_id: BUSINESS, resource: 'bills', kind: 'amount', count: 12 });
    await client.control('POST', '/mutate', { business_id: BUSINESS, resource: 'bills', kind: 'clear', count: 12 });
    await billsAgree();
    expect((await records('bills')).filter((bill) => bill.payment).map((bill) => bill.payment.amount.currency_code)).toEqual(expect.arrayContaining(['EUR', 'GBP', 'JPY']));
    await client.control('POST', '/mutate', { business_id: BUSINESS, resource: 'transactions', kind: 'amount', count: 30 });
    for (const item of await records('transactions')) {
      expect(item.line_items[0].amount, item.id).toEqual({ amount: Math.round(item.amount * perMajor(item.currency_code)), currency_code: item.currency_code });
    }
  });

  it('archive archives open bills (no event: Ramp has no event type for it); they leave the list and are never paid afterwards', async () => {
    await client.control('POST', '/seed', { business_id: BUSINESS, bills: 12 });
    const billsToken = await client.clientCredentialsToken(await client.createApp({ business_id: BUSINESS, grant_types: ['client_credentials'] }), 'bills:read');
    const listed = async (query = '') => (await client.api('sandbox', `/bills?page_size=100${query}`, billsToken)).body.data.map((bill: any) => bill.id);
    const before = await listed();
    const { status, body } = await client.control('POST', '/mutate', { business_id: BUSINESS, resource: 'bills', kind: 'archive', count: 2 });
    expect(status).toBe(200);
    expect(body.ids).toHaveLength(2);
    expect(body.events).toEqual([]);
    expect(before).toEqual(expect.arrayContaining(body.ids));
    const after = await listed();
    expect(after).toEqual(before.filter((id: string) => !body.ids.includes(id)));
    expect(await listed('&is_archived=true')).toEqual(expect.arrayContaining(body.ids));
    const archived = (await records('bills')).filter((bill) => body.ids.includes(bill.id));
    expect(archived.every((bill) => bill.status === 'OPEN' && bill.payment === null && typeof bill.archived_at === 'string')).toBe(true);
    // Paying every open bill leaves the archived ones unpaid.
    await client.control('POST', '/mutate', { business_id: BUSINESS, resource: 'bills', kind: 'clear', count: 100 });
    expect((await records('bills')).filter((bill) => body.ids.includes(bill.id)).every((bill) => bill.status === 'OPEN')).toBe(true);
    expect((await client.control('POST', '/mutate', { business_id: BUSINESS, resource: 'transactions', kind: 'archive' })).status).toBe(400);
    // New bills are active ones.
    const created = (await client.control('POST', '/mutate', { business_id: BUSINESS, resource: 'bills', kind: 'create', count: 18 })).body.ids;
    expect(await listed()).toEqual(expect.arrayContaining(created));
  });
});

describe('stats', () => {
  it('counts route patterns and records requests without any token or secret', async () => {
    await client.control('DELETE', '/stats');
    const first = (await client.api('sandbox', '/transactions?page_size=2', token)).body.data[0];
    await client.api('sandbox', `/transactions/${first.id}`, token, { headers: { 'x-business-id': 'x', cookie: 'session=1' } });
    const newToken = await client.clientCredentialsToken(app, 'business:read');
    const stats = await client.stats();
    expect(stats.endpoints).toEqual({
      'GET /sandbox/developer/v1/transactions': 1,
      'GET /sandbox/developer/v1/transactions/:id': 1,
      'POST /sandbox/developer/v1/token': 1,
    });
    expect(stats.grants).toEqual({ authorization_code: 0, refresh_token: 0, client_credentials: 1 });
    const [list, single, tokenCall] = stats.requests;
    expect(list).toMatchObject({ method: 'GET', path: '/sandbox/developer/v1/transactions', status: 200, authorization_scheme: 'Bearer', has_x_business_id: false, has_cookie: false });
    expect(single).toMatchObject({ has_x_business_id: true, has_cookie: true });
    expect(single.headers).toEqual(expect.arrayContaining(['authorization', 'cookie', 'x-business-id']));
    expect(tokenCall).toMatchObject({ grant_type: 'client_credentials', authorization_scheme: 'Basic' });
    const serialized = JSON.stringify(stats);
    for (const secret of [token, newToken, app.client_secret, 'session=1']) expect(serialized).not.toContain(secret);
  });

  it('keeps only the last 500 requests', async () => {
    await client.control('DELETE', '/stats');
    await Promise.all(Array.from({ length: 520 }, () => fetch(`${emulator.url}/sandbox/developer/v1/business`)));
    const stats = await client.stats();
    expect(stats.requests).toHaveLength(500);
    expect(stats.endpoints['GET /sandbox/developer/v1/business']).toBe(520);
  });
});

describe('webhooks out (B8)', () => {
  interface Received {
    raw: string;
    headers: IncomingHttpHeaders;
  }
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  let failFirstAttempts = 0;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk) => (raw += chunk));
      request.on('end', () => {
        received.push({ raw, headers: request.headers });
        if (request.url === '/gone') return response.writeHead(410).end();
        if (failFirstAttempts > 0) {
          failFirstAttempts -= 1;
          return response.writeHead(503).end();
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('delivers signed Ramp-shaped events for mutations and retries 5xx with the same event id', async () => {
    await client.control('POST', '/seed', {});
    const subscription = await client.control('POST', '/webhooks', { url: `${receiverUrl}/hook`, event_types: ['transactions.cleared'] });
    expect(subscription.status).toBe(201);
    expect(subscription.body.secret).toMatch(/^ramp_sec_/);
    received.length = 0;
    failFirstAttempts = 1;
    const mutation = (await client.control('POST', '/mutate', { kind: 'clear', count: 2 })).body;
    await client.control('POST', '/mutate', { kind: 'create', count: 1 }); // transactions.authorized: filtered out
    await expect.poll(() => received.length, { timeout: 5000 }).toBe(3);
    const events = received.map((delivery) => ({ ...delivery, event: JSON.parse(delivery.raw) }));
    for (const delivery of events) {
      const expected = createHmac('sha256', subscription.body.secret).update(delivery.raw).digest('hex');
      expect(delivery.headers['x-ramp-webhook-signature']).toBe(expected);
      expect(delivery.event).toEqual({ id: expect.any(String), type: 'transactions.cleared', created_at: expect.stringMatching(/Z$/), business_id: emulator.demoBusinessId, object: { id: expect.any(String) } });
    }
    expect(new Set(events.map((delivery) => delivery.event.object.id))).toEqual(new Set(mutation.ids));
    // The failed attempt and its retry carry the same event id.
    const ids = events.map((delivery) => delivery.event.id);
    expect(new Set(ids).size).toBe(2);
    const { body } = await client.control('GET', '/webhooks');
    expect(JSON.stringify(body)).not.toContain(subscription.body.secret);
    expect(body.deliveries.filter((delivery: any) => delivery.outcome === 'delivered')).toHaveLength(2);
    await client.control('DELETE', `/webhooks/${subscription.body.id}`);
  });

  it('does not retry 4xx; accepts a caller-chosen secret', async () => {
    const subscription = (await client.control('POST', '/webhooks', { url: `${receiverUrl}/gone`, secret: 'my-secret' })).body;
    expect(subscription.secret).toBe('my-secret');
    received.length = 0;
    await client.control('POST', '/mutate', { kind: 'create', count: 1 });
    await expect.poll(async () => (await client.control('GET', '/webhooks')).body.deliveries.at(-1)?.outcome, { timeout: 5000 }).toBe('failed');
    expect(received).toHaveLength(1);
    await client.control('DELETE', `/webhooks/${subscription.id}`);
  });
});

describe('apps and reset', () => {
  it('creates apps with explicit ids and returns endpoints; duplicates → 409; bad bodies → 400', async () => {
    const created = await client.control('POST', '/apps', { client_id: 'ramp_id_explicit', client_secret: 's3cr3t', environment: 'production', grant_types: ['client_credentials'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ client_id: 'ramp_id_explicit', client_secret: 's3cr3t', environment: 'production', business_id: emulator.demoBusinessId, token_url: `${emulator.url}/developer/v1/token` });
    expect((await client.control('POST', '/apps', { client_id: 'ramp_id_explicit' })).status).toBe(409);
    expect((await client.control('POST', '/apps', { grant_types: ['password'] })).status).toBe(400);
    expect((await client.control('POST', '/apps', { environment: 'staging' })).status).toBe(400);
    const generated = await client.createApp();
    expect(generated.client_id).toMatch(/^ramp_id_/);
    expect(JSON.stringify((await client.control('GET', '/apps')).body)).not.toContain('s3cr3t');
  });

  it('reset forgets apps, tokens, faults, stats and data changes but keeps the default app and demo business', async () => {
    const extra = await client.createApp();
    await client.faults({ error_rate: 0.5, rotation: 'off' });
    await client.control('POST', '/mutate', { kind: 'create', count: 3 });
    await client.control('POST', '/reset');
    expect((await client.control('GET', '/faults')).body).toMatchObject({ error_rate: 0, rotation: 'strict', rate_limit: { limit: 200, window_s: 10 } });
    expect((await client.stats()).requests).toHaveLength(0);
    expect((await client.tokenRequest(extra, { grant_type: 'client_credentials', scope: 'business:read' })).body.error).toBe('invalid_client');
    expect((await client.api('sandbox', '/business', token)).status).toBe(401);
    expect(await client.clientCredentialsToken(app, 'business:read')).toMatch(/^ramp_tok_/);
    // The demo data is back to its deterministic seed: identical to a fresh default seed.
    const afterReset = await records('transactions', emulator.demoBusinessId);
    expect(afterReset).toHaveLength(250);
    await client.control('POST', '/seed', {});
    expect(await records('transactions', emulator.demoBusinessId)).toEqual(afterReset);
  });

  it('startEmulator rejects a port in use and leaves nothing running', async () => {
    const port = Number(new URL(emulator.url).port);
    await expect(startEmulator({ port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('the default app is stable and seeded with every scope of the Ramp list', async () => {
    expect(emulator.defaultApp).toMatchObject({ client_id: process.env.RAMP_EMULATOR_CLIENT_ID || 'ramp_id_emulator_default', environment: 'sandbox', business_id: emulator.demoBusinessId, redirect_uris: ['http://127.0.0.1:8080/api/v1/ramp/callback'] });
    const apps = (await client.control<any[]>('GET', '/apps')).body;
    const defaultApp = apps.find((candidate) => candidate.client_id === emulator.defaultApp.client_id);
    expect(defaultApp.allowed_scopes).toHaveLength(47);
    expect(defaultApp.grant_types).toEqual(['authorization_code', 'refresh_token', 'client_credentials']);
    const custom = await startEmulator({ port: 0, defaultRedirectUris: ['http://localhost:3000/cb'] });
    expect(custom.defaultApp.redirect_uris).toEqual(['http://localhost:3000/cb']);
    await custom.close();
  });
});
