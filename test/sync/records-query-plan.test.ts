/**
 * A filtered read of records walks only its filter's entries (migration 0018, records-query.ts): the
 * plan SQLite chooses for each read filter, first page and next page (the ready feed's index:
 * test/accounting/ready-index.test.ts). SQLite plans without statistics, from the query's shape
 * alone, so the plan is the same on every machine; this is what made a `user_id` page of 300,000
 * transactions take 662 ms (median) when the filter's index did not end with the page's order (the
 * planner walked the business's time index instead, to skip a sort).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQuery } from 'kysely';
import { EMPTY_COLUMNS } from '../../src/ramp/resource-descriptors.ts';
import { hashData, upsertRecords } from '../../src/sync/page-commit.ts';
import { recordsPageQuery, type RecordFilters } from '../../src/sync/records-query.ts';
import { openTestDb } from '../helpers/test-db.ts';

const BUSINESS = '00000000-0000-4000-8000-000000000001';

describe('sqlite: the plan of a filtered read', () => {
  let env: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    env = await openTestDb('sqlite');
    await env.db.kysely.insertInto('businesses').values({ id: BUSINESS, name: 'b', default_currency: 'USD', created_at: 0 }).execute();
    // The reimbursement whose receipts a `reimbursement_id` read looks up.
    const data = JSON.stringify({ id: 'r1', receipts: ['receipt-1', 'receipt-2'] });
    const reimbursement = { id: 'r1', data, hash: hashData(data), columns: { ...EMPTY_COLUMNS, occurred_at: 1, state: 'APPROVED', user_id: 'u1' } };
    await upsertRecords(env.db.kysely, 'sqlite', { businessId: BUSINESS, resource: 'reimbursements', records: [reimbursement], syncId: null, now: 0, readAt: 0 });
  });
  afterAll(async () => env?.cleanup());

  async function planOf(resource: string, filters: RecordFilters, after?: { key: string; id: string }): Promise<string> {
    const compiled = (await recordsPageQuery(env.db.kysely, { businessId: BUSINESS, resource, filters, limit: 50, after }))!.compile();
    const plan = await env.db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
    return plan.rows.map((row) => row.detail).join(' | ');
  }

  const cases: [string, string, RecordFilters, string][] = [
    ['state', 'transactions', { state: 'CLEARED' }, 'ramp_records_state_idx'],
    ['user_id', 'transactions', { userId: 'u1' }, 'ramp_records_user_idx'],
    ['card_id', 'transactions', { cardId: 'c1' }, 'ramp_records_card_idx'],
    ['user_id and dates', 'transactions', { userId: 'u1', from: 0, to: 10 }, 'ramp_records_user_idx'],
    ['transaction_id', 'receipts', { transactionId: 't1' }, 'ramp_records_link_idx'],
    ['no filter', 'transactions', {}, 'ramp_records_time_idx'],
  ];
  for (const [name, resource, filters, index] of cases) {
    it(`${name}: its index, in the page's order (no sort)`, async () => {
      for (const after of [undefined, { key: '5', id: 'x' }]) {
        const plan = await planOf(resource, filters, after);
        expect(plan).toContain(`USING INDEX ${index}`);
        expect(plan).not.toContain('TEMP B-TREE');
      }
    });
  }

  it("reimbursement_id: the reimbursement's few receipts by primary key, then sorted", async () => {
    const plan = await planOf('receipts', { reimbursementId: 'r1' });
    expect(plan).toMatch(/USING INDEX sqlite_autoindex_ramp_records_1 \(business_id=\? AND resource=\? AND id=\?\)/);
    expect(plan).not.toContain('ramp_records_time_idx');
  });
});

