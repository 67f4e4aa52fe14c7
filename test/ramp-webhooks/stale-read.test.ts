/**
 * The one race ordering leaves (docs/guarantees.md#ramp-webhooks): two reads of one object committing
 * in the wrong order. The shared upsert (src/sync/page-commit.ts) keeps the row read last, so a late
 * `authorized` never overwrites a `cleared`, whether it comes from a webhook fetch or a sync page.
 * Both dialects, on the real upsert.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { hashData, upsertRecords } from '../../src/sync/page-commit.ts';
import { projectRecord } from '../../src/sync/record-projection.ts';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

function prepared(state: string) {
  const record = { id: 'a7e2c4f0-0000-4000-8000-000000000001', state, amount: 12.5, currency_code: 'USD', user_transaction_time: '2026-01-02T03:04:05Z' };
  const data = JSON.stringify(record);
  return { id: record.id, data, hash: hashData(data), columns: projectRecord('transactions', record) };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: stale reads never win`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ db, cleanup } = await openTestDb(dialect));
    });
    afterAll(async () => cleanup?.());

    const write = (businessId: string, state: string, readAt: number, syncId: string | null = null) =>
      db.kysely.transaction().execute((trx) => upsertRecords(trx, db.dialect, { businessId, resource: 'transactions', records: [prepared(state)], syncId, now: Date.now(), readAt }));
    const stateOf = async (businessId: string) => (await db.kysely.selectFrom('ramp_records').select('state').where('business_id', '=', businessId).executeTakeFirstOrThrow()).state;

    it('a late authorized (read earlier) does not overwrite a cleared (read later); a newer read does', async () => {
      const { businessId } = await createTenant(db);
      expect(await write(businessId, 'CLEARED', 2_000)).toBe(1);
      expect(await write(businessId, 'PENDING', 1_000)).toBe(0);
      expect(await stateOf(businessId)).toBe('CLEARED');
      // A sync page whose run began before the webhook's fetch is stale too.
      expect(await write(businessId, 'PENDING', 1_500, null)).toBe(0);
      expect(await stateOf(businessId)).toBe('CLEARED');
      // What Ramp says later wins.
      expect(await write(businessId, 'DECLINED', 3_000)).toBe(1);
      expect(await stateOf(businessId)).toBe('DECLINED');
    });
  });
}
