/**
 * One page commit on both dialects: a record read again unchanged is neither rewritten nor counted;
 * a changed one is rewritten and the database's trigger logs its state and amount changes (migration
 * 0005); full upsert chunks go to PostgreSQL as a named statement.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { commitPage, hashData, type PageCommit, type PreparedRecord } from '../../src/sync/page-commit.ts';
import { requestSync, claimSync } from '../../src/sync/syncs-repo.ts';
import { emptyProgress } from '../../src/sync/sync-progress.ts';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

function record(id: string, state: string, cents: number): PreparedRecord {
  const data = JSON.stringify({ id, state, amount: cents / 100 });
  return { id, data, hash: hashData(data), columns: { amount_cents: cents, currency: 'USD', occurred_at: 1_000, state, user_id: null, card_id: null, department_id: null, link_id: null, sync_status: null } };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: page commit`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ db, cleanup } = await openTestDb(dialect));
    });
    afterAll(async () => cleanup?.());

    async function claimed(businessId: string): Promise<Omit<PageCommit, 'records' | 'now'>> {
      await requestSync(db.kysely, businessId, 'manual', 1_000);
      const sync = await claimSync(db.kysely, db.dialect, { owner: 'me', now: 2_000, leaseMs: 60_000, businessId });
      return {
        businessId, syncId: sync!.id, owner: 'me', leaseUntil: 62_000, resource: 'transactions', streamKey: 'transactions',
        cursor: { v: 1, fingerprint: 'f', completedRunStartedAt: null, run: null }, progress: () => emptyProgress(),
      };
    }
    const changesOf = (businessId: string) =>
      db.kysely.selectFrom('ramp_record_changes').select(['record_id', 'field', 'old_value', 'new_value', 'changed_at']).where('business_id', '=', businessId).orderBy('id').execute();

    it('stores new records, skips unchanged ones, and logs state and amount changes in order', async () => {
      const tenant = await createTenant(db);
      const page = await claimed(tenant.businessId);
      expect(await commitPage(db.kysely, db.dialect, { ...page, now: 3_000, records: [record('t1', 'PENDING', 1_000), record('t2', 'PENDING', 250)] })).toEqual({ changed: 2 });
      expect(await commitPage(db.kysely, db.dialect, { ...page, now: 4_000, records: [record('t1', 'PENDING', 1_000), record('t2', 'PENDING', 250)] })).toEqual({ changed: 0 });
      expect(await changesOf(tenant.businessId)).toEqual([]);

      expect(await commitPage(db.kysely, db.dialect, { ...page, now: 5_000, records: [record('t1', 'CLEARED', 1_010), record('t2', 'PENDING', 250), record('t3', 'PENDING', 5)] })).toEqual({ changed: 2 });
      expect(await changesOf(tenant.businessId)).toEqual([
        { record_id: 't1', field: 'state', old_value: 'PENDING', new_value: 'CLEARED', changed_at: 5_000 },
        { record_id: 't1', field: 'amount_cents', old_value: '1000', new_value: '1010', changed_at: 5_000 },
      ]);
      const t1 = await db.kysely.selectFrom('ramp_records').select(['state', 'amount_cents', 'first_synced_at', 'updated_at']).where('business_id', '=', tenant.businessId).where('id', '=', 't1').executeTakeFirstOrThrow();
      expect(t1).toEqual({ state: 'CLEARED', amount_cents: 1_010, first_synced_at: 3_000, updated_at: 5_000 });
    });

    it('a page with the same id twice keeps the last copy', async () => {
      const tenant = await createTenant(db);
      const page = await claimed(tenant.businessId);
      expect(await commitPage(db.kysely, db.dialect, { ...page, now: 3_000, records: [record('x', 'PENDING', 1), record('x', 'CLEARED', 2)] })).toEqual({ changed: 1 });
      const rows = await db.kysely.selectFrom('ramp_records').select(['id', 'state']).where('business_id', '=', tenant.businessId).execute();
      expect(rows).toEqual([{ id: 'x', state: 'CLEARED' }]);
    });

    if (dialect === 'postgres') {
      it('sends a full upsert chunk as a named statement, parsed once per connection', async () => {
        const tenant = await createTenant(db);
        const page = await claimed(tenant.businessId);
        const records = Array.from({ length: 400 }, (_, i) => record(`n${i}`, 'PENDING', i));
        await db.kysely.connection().execute(async (connection) => {
          expect(await commitPage(connection, db.dialect, { ...page, now: 3_000, records })).toEqual({ changed: 400 });
          const prepared = await sql<{ name: string; parameters: number }>`select name, cardinality(parameter_types) as parameters from pg_prepared_statements`.execute(connection);
          expect(prepared.rows).toEqual([{ name: expect.stringMatching(/^rc_[0-9a-f]{16}$/), parameters: 3_800 }]);
        });
      });
    }
  });
}
