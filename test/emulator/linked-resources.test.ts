/**
 * The resources beyond transactions agree with each other as Ramp's do: statements add up and list
 * the transactions that carry their id, receipts and memos are those of the transactions, a limit's
 * balance is its card's spend, vendor contacts are the vendor's `contacts`, terminated cards and
 * limits appear only with `is_terminated=true`, field options need `field_id`, and marking transfers
 * and statement credits synced moves their `sync_status`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { EmulatorClient } from './helpers.ts';

let emulator: RunningEmulator;
let client: EmulatorClient;
let token: string;

async function all(path: string): Promise<any[]> {
  const items: any[] = [];
  let url: string | null = `${path}${path.includes('?') ? '&' : '?'}page_size=100`;
  while (url) {
    const { status, body } = await client.api('sandbox', url, token);
    expect(status, url).toBe(200);
    items.push(...body.data);
    url = body.page.next;
  }
  return items;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = new EmulatorClient(emulator);
  await client.faults({ rate_limit: false });
  const app = await client.createApp({ grant_types: ['client_credentials'] });
  token = await client.clientCredentialsToken(
    app,
    'transactions:read statements:read transfers:read cashbacks:read receipts:read memos:read reimbursements:read limits:read cards:read vendors:read accounting:read accounting:write',
  );
});

afterAll(async () => {
  await emulator?.close();
});

describe('linked resources', () => {
  it('statements add up, chain, and list exactly the transactions that carry their id', async () => {
    const statements = (await all('/statements')).reverse(); // oldest first
    const transactions = await all('/transactions?state=ALL');
    expect(statements.length).toBe(12);
    let previousEnding = 0;
    for (const [k, statement] of statements.entries()) {
      const money = (name: string): number => statement[name].amount;
      expect(money('opening_balance'), statement.id).toBe(previousEnding);
      expect(money('ending_balance')).toBe(money('opening_balance') + money('charges') - money('credits') - money('payments'));
      expect(statement.preceding_statement_id).toBe(k === 0 ? undefined : statements[k - 1].id);
      previousEnding = money('ending_balance');
      const lines = statement.statement_lines.filter((line: any) => line.type === 'CARD_TRANSACTION').map((line: any) => line.id).sort();
      const carrying = transactions.filter((item) => item.statement_id === statement.id);
      expect(lines).toEqual(carrying.map((item) => item.id).sort());
      // The statement is the card's, in USD: a transaction settled in another currency counts by its converted amount.
      const usd = (item: any): number => item.line_items[0].converted_amount.amount;
      const charges = carrying.filter((item) => usd(item) > 0).reduce((sum, item) => sum + usd(item), 0);
      expect(money('charges')).toBe(charges);
    }
    // Date filters select on `end_date` (Ramp's list: from_date ≤ end_date ≤ to_date).
    expect((await all('/statements?from_date=2026-09-15T00:00:00Z')).map((statement) => statement.start_date)).toEqual(['2026-09-01T00:00:00Z']);
    expect((await all('/statements?to_date=2025-10-15T00:00:00Z')).map((statement) => statement.start_date)).toEqual([]);
    expect((await all('/statements?to_date=2025-11-15T00:00:00Z')).map((statement) => statement.start_date)).toEqual(['2025-10-01T00:00:00Z']);
    expect((await all('/statements?from_date=2025-10-31T23:59:59Z&to_date=2025-10-31T23:59:59Z')).map((statement) => statement.start_date)).toEqual(['2025-10-01T00:00:00Z']);
    const transfers = await all('/transfers');
    const paid = statements.flatMap((statement) => statement.statement_lines.filter((line: any) => line.type === 'TRANSFER_PAYMENT').map((line: any) => line.id));
    expect(paid.every((id: string) => transfers.some((transfer) => transfer.id === id && transfer.status === 'COMPLETED'))).toBe(true);
  });

  it('receipts and memos are those of the transactions (and reimbursements)', async () => {
    const transactions = await all('/transactions?state=ALL');
    const receipts = await all('/receipts');
    const fromTransactions = transactions.flatMap((item) => item.receipts.map((id: string) => `${id} ${item.id}`)).sort();
    expect(receipts.filter((receipt) => receipt.transaction_id).map((receipt) => `${receipt.id} ${receipt.transaction_id}`).sort()).toEqual(fromTransactions);
    const reimbursementReceipts = (await all('/reimbursements')).flatMap((item) => item.receipts).sort();
    expect(receipts.filter((receipt) => !receipt.transaction_id).map((receipt) => receipt.id).sort()).toEqual(reimbursementReceipts);
    const one = transactions.find((item) => item.receipts.length > 0)!;
    expect((await all(`/receipts?transaction_id=${one.id}`)).map((receipt) => receipt.id)).toEqual(one.receipts);
    // from_date/to_date select on the transaction's user_transaction_time, as /transactions does; a
    // reimbursement's receipt has no transaction and is left out.
    const times = transactions.map((item) => item.user_transaction_time as string).sort();
    const window = `from_date=${encodeURIComponent(times[Math.floor(times.length / 4)]!)}&to_date=${encodeURIComponent(times[Math.floor((3 * times.length) / 4)]!)}`;
    const inWindow = (await all(`/transactions?state=ALL&${window}`)).flatMap((item) => item.receipts).sort();
    expect(inWindow.length).toBeGreaterThan(0);
    expect(inWindow.length).toBeLessThan(fromTransactions.length);
    expect((await all(`/receipts?${window}`)).map((receipt) => receipt.id).sort()).toEqual(inWindow);

    const memos = await all('/memos');
    expect(memos.map((memo) => `${memo.id} ${memo.memo}`).sort()).toEqual(transactions.filter((item) => item.memo !== null).map((item) => `${item.id} ${item.memo}`).sort());
    const withMemo = transactions.find((item) => item.memo !== null)!;
    expect((await client.api('sandbox', `/memos/${withMemo.id}`, token)).body).toEqual({ id: withMemo.id, memo: withMemo.memo });
  });

  it('a card limit’s balance is its card’s cleared and pending spend', async () => {
    const transactions = await all('/transactions');
    const limits = [...(await all('/limits')), ...(await all('/limits?is_terminated=true'))];
    for (const limit of limits.filter((item) => item.cards.length === 1)) {
      const cardId = limit.cards[0].card_id;
      // In the card's USD: a transaction settled in another currency counts by its converted amount.
      const sum = (state: string): number => transactions.filter((item) => item.card_id === cardId && item.state === state).reduce((total, item) => total + item.line_items[0].converted_amount.amount, 0);
      expect(limit.balance.cleared.amount, limit.id).toBe(sum('CLEARED'));
      expect(limit.balance.pending.amount).toBe(sum('PENDING'));
      expect(transactions.filter((item) => item.card_id === cardId).every((item) => item.limit_id === limit.id)).toBe(true);
    }
  });

  it('terminated cards and limits are listed only with is_terminated=true', async () => {
    const cards = await all('/cards');
    const terminated = await all('/cards?is_terminated=true');
    expect(terminated.length).toBeGreaterThan(0);
    expect(cards.some((card) => card.state === 'TERMINATED')).toBe(false);
    expect(terminated.every((card) => card.state === 'TERMINATED')).toBe(true);
    expect(cards.length + terminated.length).toBe(20);
    expect((await all('/limits')).some((limit) => limit.state === 'TERMINATED')).toBe(false);
    expect((await all('/limits?is_terminated=true')).every((limit) => limit.state === 'TERMINATED')).toBe(true);
    // A terminated card is still readable by id (its transactions point at it).
    expect((await client.api('sandbox', `/cards/${terminated[0].id}`, token)).status).toBe(200);
  });

  it('vendor contacts are the vendor’s contacts; an unknown vendor is a 404', async () => {
    for (const vendor of await all('/vendors')) {
      expect((await all(`/vendors/${vendor.id}/contacts`)).map((contact) => contact.id)).toEqual(vendor.contacts);
    }
    const missing = await client.api('sandbox', '/vendors/00000000-0000-4000-8000-000000000000/contacts', token);
    expect(missing.status).toBe(404);
  });

  it('field options need field_id (422 DEVELOPER_7001) and belong to that field', async () => {
    const missing = await client.api('sandbox', '/accounting/field-options', token);
    expect(missing.status).toBe(422);
    expect(missing.body.error_v2.error_code).toBe('DEVELOPER_7001');
    expect(missing.body.error_v2.additional_info).toHaveProperty('field_id');
    const [classField, projectField] = await all('/accounting/fields');
    const classOptions = await all(`/accounting/field-options?field_id=${classField.ramp_id}`);
    const projectOptions = await all(`/accounting/field-options?field_id=${projectField.ramp_id}`);
    expect(classOptions.length).toBe(4);
    expect(projectOptions.length).toBe(3);
    expect(classOptions.some((option) => projectOptions.some((other) => other.ramp_id === option.ramp_id))).toBe(false);
  });

  it('marking transfers and statement credits synced moves their sync_status', async () => {
    const transfer = (await all('/transfers')).find((item) => item.sync_status !== 'SYNCED')!;
    const cashback = (await all('/cashbacks')).find((item) => item.sync_status !== 'SYNCED')!;
    for (const [syncType, id] of [['TRANSFER_SYNC', transfer.id], ['STATEMENT_CREDIT_SYNC', cashback.id]] as const) {
      const response = await client.api('sandbox', '/accounting/syncs', token, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ idempotency_key: `mark-${id}`, sync_type: syncType, successful_syncs: [{ id, reference_id: 'ERP-1' }] }),
      });
      expect(response.status, syncType).toBe(201);
    }
    expect((await client.api('sandbox', `/transfers/${transfer.id}`, token)).body.sync_status).toBe('SYNCED');
    expect((await client.api('sandbox', `/cashbacks/${cashback.id}`, token)).body.sync_status).toBe('SYNCED');
    const unknown = await client.api('sandbox', '/accounting/syncs', token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ idempotency_key: 'mark-unknown', sync_type: 'TRANSFER_SYNC', successful_syncs: [{ id: '00000000-0000-4000-8000-000000000000', reference_id: 'x' }] }),
    });
    expect(unknown.status).toBe(400);
  });
});
