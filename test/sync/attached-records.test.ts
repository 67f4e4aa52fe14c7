/**
 * `keepAttached` on both dialects: a page whose records name no owner (a page of reimbursement
 * receipts) asks the database nothing, and owners are looked up in chunks (more than one here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_COLUMNS } from '../../src/ramp/resource-descriptors.ts';
import { keepAttached } from '../../src/sync/attached-records.ts';
import { hashData, upsertRecords, type PreparedRecord } from '../../src/sync/page-commit.ts';
import type { RecordColumns } from '../../src/sync/record-projection.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

const BUSINESS = '00000000-0000-4000-8000-0000000000a1';

function record(id: string, columns: Partial<RecordColumns>): PreparedRecord {
  const data = JSON.stringify({ id });
  return { id, data, hash: hashData(data), columns: { ...EMPTY_COLUMNS, ...columns } };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: keepAttached`, () => {
    let env: Awaited<ReturnType<typeof openTestDb>>;
    beforeAll(async () => {
      env = await openTestDb(dialect);
      await env.db.kysely.insertInto('businesses').values({ id: BUSINESS, name: 'b', default_currency: 'USD', created_at: 0 }).execute();
      // Transactions t0, t2, t4, … t1198 are stored; odd ones are not.
      const stored = Array.from({ length: 600 }, (_, i) => record(`t${2 * i}`, {}));
      await upsertRecords(env.db.kysely, dialect, { businessId: BUSINESS, resource: 'transactions', records: stored, syncId: null, now: 1, readAt: 1 });
    });
    afterAll(async () => env?.cleanup());

    const filter = { resource: 'transactions', keepUnlinked: (columns: RecordColumns) => columns.user_id === 'u1' };

    it('records naming no owner: kept or not by keepUnlinked alone', async () => {
      const page = [record('r1', { user_id: 'u1' }), record('r2', { user_id: 'u2' }), record('r3', {})];
      expect((await keepAttached(env.db.kysely, BUSINESS, filter, page)).map((r) => r.id)).toEqual(['r1']);
    });

    it('1,200 owners (three lookups): only the records of stored owners, in page order', async () => {
      const page = Array.from({ length: 1200 }, (_, i) => record(`m${i}`, { link_id: `t${i}` }));
      const kept = await keepAttached(env.db.kysely, BUSINESS, filter, page);
      expect(kept.map((r) => r.id)).toEqual(page.filter((_, i) => i % 2 === 0).map((r) => r.id));
    });

    it("another business's transactions own nothing here", async () => {
      const kept = await keepAttached(env.db.kysely, '00000000-0000-4000-8000-0000000000b2', filter, [record('m0', { link_id: 't0' })]);
      expect(kept).toEqual([]);
    });
  });
}
