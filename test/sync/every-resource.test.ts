/**
 * Every resource of the table (src/ramp/resource-descriptors.ts), end to end on both dialects
 * (docs/guarantees.md#g51, #g52, #g53): a sync
 * of a seeded business with every flag on, then our read API, returns exactly the emulator's records
 * (ids, every field, money as integer minor units with its currency); after changes and deletions on
 * Ramp's side, a second sync is incremental where Ramp has `updated_after` and reflects every change
 * and deletion (deleted records hidden unless `include_deleted=true`).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SCOPES } from '../helpers/cc-token-provider.ts';
import { createTenant } from '../helpers/tenants.ts';
import { updateSyncConfig } from '../../src/connections/sync-config.ts';
import { RAMP_RESOURCES } from '../../src/ramp/resource-descriptors.ts';
import { request } from '../helpers/http.ts';
import type { Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { connectedTenant, control, minorUnitsOf, startDataApp, startSync, waitForSync, type DataTestApp } from './helpers.ts';

interface Money { amount: number; currency: string }

/** Ramp's money of a record as the test reads it: decimal major units (legacy) or `CurrencyAmount`. */
function expectedMoney(resource: string, r: any): Money | null {
  const decimal = (amount: number, currency: string) => ({ amount: minorUnitsOf(amount, currency), currency });
  const canonical = (value: any) => ({ amount: value.amount, currency: value.currency_code });
  switch (resource) {
    case 'transactions': return decimal(r.amount, r.currency_code);
    case 'reimbursements': return decimal(r.amount, r.currency);
    case 'bills': case 'transfers': case 'cashbacks': return canonical(r.amount);
    case 'bill-payments': return canonical(r.amount);
    case 'statements': return canonical(r.ending_balance);
    default: return null;
  }
}

/**
 * The same money as the emulator holds it in integers, where a record carries it twice: a transaction's
 * line is in its settled currency, a reimbursement's payee amount in the currency it was paid in.
 */
function emulatorIntegers(resource: string, r: any): Money | undefined {
  if (resource === 'transactions') return { amount: r.line_items[0].amount.amount, currency: r.line_items[0].amount.currency_code };
  if (resource === 'reimbursements' && r.payee_amount) return { amount: r.payee_amount.amount, currency: r.payee_amount.currency_code };
  return undefined;
}

/**
 * The emulator's records of one of our resources as Ramp lists them: id → Ramp's record (bill payments:
 * the paid bills' payments). Bills: the active ones (Ramp's list leaves archived bills out).
 */
async function rampRecords(t: DataTestApp, rampBusinessId: string, resource: string): Promise<Map<string, any>> {
  if (resource === 'business') {
    const business = await control(t.emulator, 'GET', `/records/business?business_id=${rampBusinessId}`);
    return new Map([[business.id, business]]);
  }
  if (resource === 'bills' || resource === 'bill-payments') {
    const bills = ((await control(t.emulator, 'GET', `/records/bills?business_id=${rampBusinessId}`)) as any[]).filter((bill) => bill.archived_at === null);
    if (resource === 'bills') return new Map(bills.map((bill) => [bill.id, bill]));
    return new Map(bills.filter((bill) => bill.payment).map((bill) => [bill.id, { ...bill.payment, id: bill.id, bill_id: bill.id }]));
  }
  const list = (await control(t.emulator, 'GET', `/records/${resource}?business_id=${rampBusinessId}`)) as any[];
  return new Map(list.map((record) => [record.id, record]));
}

/** Every record of our read API for a resource, following `next_cursor`. */
async function readAll(t: DataTestApp, tenant: Tenant, resource: string, query = ''): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const url = `${t.url}/api/v1/ramp/${resource}?limit=1000${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res: { status: number; text: string; body: any } = await request(url, { headers: tenant.headers });
    expect(res.status, `${resource}: ${res.text}`).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
  } while (cursor);
  return items;
}

/** Checks every resource; returns the currencies each resource's money was read in. */
async function expectReadApiEqualsRamp(t: DataTestApp, tenant: Tenant & { rampBusinessId: string }): Promise<Record<string, string[]>> {
  const currencies: Record<string, Set<string>> = {};
  for (const { resource, money } of RAMP_RESOURCES) {
    const theirs = await rampRecords(t, tenant.rampBusinessId, resource);
    const ours = await readAll(t, tenant, resource);
    expect(ours.map((r) => r.id).sort(), resource).toEqual([...theirs.keys()].sort());
    expect(theirs.size, `${resource} is seeded`).toBeGreaterThan(0);
    for (const view of ours) {
      const record = theirs.get(view.id);
      const expected = expectedMoney(resource, record);
      if (money === null) {
        expect(view, `${resource} ${view.id}`).toEqual(record);
        continue;
      }
      expect({ amount: view.amount_cents, currency: view.currency }, `${resource} ${view.id} money`).toEqual(expected);
      expect(Number.isSafeInteger(view.amount_cents)).toBe(true);
      const integers = emulatorIntegers(resource, record);
      if (integers) expect({ amount: view.amount_cents, currency: view.currency }, `${resource} ${view.id}: the emulator's integers`).toEqual(integers);
      (currencies[resource] ??= new Set()).add(view.currency);
      if (money === 'decimal') expect(view.amount, `${resource} ${view.id}: amount in minor units`).toBe(expected!.amount);
      // Everything else is Ramp's record as sent.
      const { amount_cents: _cents, currency: _currency, amount: _amount, ...rest } = view;
      const { currency: _theirCurrency, amount: _theirAmount, ...theirRest } = record;
      if (resource === 'bill-payments') expect(rest).toMatchObject({ bill_id: record.bill_id, payment_date: record.payment_date });
      else expect(rest, `${resource} ${view.id}`).toEqual(theirRest);
    }
  }
  return Object.fromEntries(Object.entries(currencies).map(([resource, codes]) => [resource, [...codes].sort()]));
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: every Ramp resource`, () => {
    let t: DataTestApp;
    beforeAll(async () => {
      t = await startDataApp(dialect, { sync: { pageSize: 40 } });
      await control(t.emulator, 'POST', '/faults', { rate_limit: false });
    });
    afterAll(async () => t?.close());

    it('a sync then our read API equals Ramp; a second sync after changes and deletions is incremental where Ramp allows and reflects them all', async () => {
      const tenant = await connectedTenant(t, { transactions: 120, reimbursements: 25, bills: 30, vendors: 12, cards: 10, users: 8 });
      await updateSyncConfig(t.db.kysely, tenant.businessId, { sync_transfers: true, sync_cashbacks: true, sync_bill_payments: true, sync_statements: true }, Date.now());
      const first = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(first.status, JSON.stringify(first.progress.errors)).toBe('completed');
      expect(first.progress.not_supported).toEqual([]);
      // Not only USD: the seed settles transactions in EUR, GBP, CAD and JPY (no minor unit), the Canadian
      // subsidiary pays a reimbursement and cancelled a transfer in CAD, bills are invoiced and paid in JPY, GBP and EUR.
      expect(await expectReadApiEqualsRamp(t, tenant)).toEqual({
        transactions: ['CAD', 'EUR', 'GBP', 'JPY', 'USD'],
        reimbursements: ['CAD', 'USD'],
        bills: ['EUR', 'GBP', 'JPY', 'USD'],
        'bill-payments': ['GBP', 'JPY', 'USD'],
        transfers: ['CAD', 'USD'],
        cashbacks: ['USD'],
        statements: ['USD'],
      });
      // Bills archived in Ramp (deleted, in Ramp's words) are not among them. Whether the seed archived any
      // is chance (3 of 30 bills may be, each if unpaid: none 1 time in 8); the archive below makes one for certain.
      const seededArchived = ((await control(t.emulator, 'GET', `/records/bills?business_id=${tenant.rampBusinessId}`)) as any[]).filter((bill) => bill.archived_at !== null);
      const storedBills = new Set((await readAll(t, tenant, 'bills', '&include_deleted=true')).map((bill) => bill.id));
      expect(seededArchived.filter((bill) => storedBills.has(bill.id))).toEqual([]);

      // Receipts and memos lead to their transaction; a reimbursement's receipts are found through it.
      const receipts = await rampRecords(t, tenant.rampBusinessId, 'receipts');
      const transactionReceipt = [...receipts.values()].find((r) => r.transaction_id)!;
      expect((await readAll(t, tenant, 'receipts', `&transaction_id=${transactionReceipt.transaction_id}`)).map((r) => r.transaction_id)).toContain(transactionReceipt.transaction_id);
      const memo = [...(await rampRecords(t, tenant.rampBusinessId, 'memos')).values()][0]!;
      expect((await readAll(t, tenant, 'memos', `&transaction_id=${memo.id}`)).map((m) => m.id)).toEqual([memo.id]);
      const reimbursement = [...(await rampRecords(t, tenant.rampBusinessId, 'reimbursements')).values()].find((r) => r.receipts.length > 0)!;
      expect((await readAll(t, tenant, 'receipts', `&reimbursement_id=${reimbursement.id}`)).map((r) => r.id).sort()).toEqual([...reimbursement.receipts].sort());

      // Ramp's side changes: transactions settle, change and appear; reimbursements change; records are deleted.
      const rampId = tenant.rampBusinessId;
      for (const [resource, kind, count] of [['transactions', 'clear', 4], ['transactions', 'amount', 4], ['transactions', 'create', 6], ['reimbursements', 'amount', 3], ['reimbursements', 'create', 2], ['bills', 'amount', 2]] as const) {
        await control(t.emulator, 'POST', '/mutate', { business_id: rampId, resource, kind, count });
      }
      // A bill we stored is archived: it leaves Ramp's list and is marked deleted like a removed one.
      const archived = (await control(t.emulator, 'POST', '/mutate', { business_id: rampId, resource: 'bills', kind: 'archive', count: 1 })).ids as string[];
      expect(archived).toHaveLength(1);
      const bills = [...(await rampRecords(t, rampId, 'bills')).values()];
      const paidBill = bills.find((bill) => bill.payment)!.id;
      const deleted: Record<string, string[]> = {
        bills: [...archived, ...(await control(t.emulator, 'POST', '/delete', { business_id: rampId, resource: 'bills', ids: [paidBill, bills.find((bill) => !bill.payment)!.id] })).ids],
        transfers: (await control(t.emulator, 'POST', '/delete', { business_id: rampId, resource: 'transfers', count: 1 })).ids,
        cashbacks: (await control(t.emulator, 'POST', '/delete', { business_id: rampId, resource: 'cashbacks', count: 1 })).ids,
        merchants: (await control(t.emulator, 'POST', '/delete', { business_id: rampId, resource: 'merchants', count: 1 })).ids,
      };
      deleted['bill-payments'] = [paidBill];
      expect(deleted.bills).toHaveLength(3);

      const second = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(second.status, `${second.error} ${JSON.stringify(second.progress.errors)}`).toBe('completed');
      await expectReadApiEqualsRamp(t, tenant);
      // Incremental: only what changed was read (updated_after), not the 120 + 25 seeded.
      expect(second.progress.resources.transactions.records).toBeLessThanOrEqual(14);
      expect(second.progress.resources.reimbursements.records).toBeLessThanOrEqual(5);
      // Deleted records are kept, marked, and shown only when asked for.
      for (const [resource, ids] of Object.entries(deleted)) {
        expect(second.progress.resources[resource].deleted, resource).toBe(ids.length);
        const all = await readAll(t, tenant, resource, '&include_deleted=true');
        const marked = all.filter((r) => r.deleted_at !== undefined);
        expect(marked.map((r) => r.id).sort(), resource).toEqual([...ids].sort());
        for (const record of marked) expect(Date.parse(record.deleted_at)).not.toBeNaN();
      }
      // Terminated cards are kept (and not deleted): Ramp lists them only when asked.
      const cards = await readAll(t, tenant, 'cards', '&include_deleted=true');
      expect(cards.filter((card) => card.deleted_at !== undefined)).toEqual([]);
    });

    it('a read that is not complete deletes nothing: a resource skipped for its scope keeps its records', async () => {
      const tenant = await createTenant(t.db, 'owner');
      const rampBusinessId = randomUUID();
      await control(t.emulator, 'POST', '/seed', { business_id: rampBusinessId, transactions: 20, bills: 6 });
      const app = await control(t.emulator, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
      const connect = (scopes: readonly string[]) =>
        t.tokens.connect(tenant.businessId, { client_id: app.client_id, client_secret: app.client_secret, apiBaseUrl: `${t.emulator.url}/sandbox`, scopes });
      connect(TEST_SCOPES);
      await updateSyncConfig(t.db.kysely, tenant.businessId, { sync_transfers: true }, Date.now());
      expect((await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id)).status).toBe('completed');
      const before = await readAll(t, tenant, 'transfers');
      expect(before.length).toBeGreaterThan(0);

      // Ramp deletes a transfer, but the next sync's token may not read transfers any more.
      await control(t.emulator, 'POST', '/delete', { business_id: rampBusinessId, resource: 'transfers', count: 1 });
      connect(TEST_SCOPES.filter((scope) => scope !== 'transfers:read'));
      const skipped = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(skipped.progress.resources.transfers.status).toBe('skipped');
      expect((await readAll(t, tenant, 'transfers', '&include_deleted=true')).filter((r) => r.deleted_at !== undefined)).toEqual([]);
      expect((await readAll(t, tenant, 'transfers')).map((r) => r.id).sort()).toEqual(before.map((r) => r.id).sort());

      // With the scope back, the complete read notices the deletion.
      connect(TEST_SCOPES);
      const complete = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(complete.progress.resources.transfers.deleted).toBe(1);
      expect((await readAll(t, tenant, 'transfers')).length).toBe(before.length - 1);
    });
  });
}
