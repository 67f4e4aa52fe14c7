/**
 * Migration 0012_accounting_ready_feed on both dialects: records stored before it get their readiness
 * from Ramp's `sync_status` in their object, so the ready feed lists them without a full re-read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { backfillSyncStatus } from '../../src/db/migrations/0012_accounting_ready_feed.ts';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: ready feed migration`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ db, cleanup } = await openTestDb(dialect));
    });
    afterAll(async () => cleanup?.());

    it('fills sync_status from the stored object for the resources that carry Ramp\'s scale, and nothing else', async () => {
      const tenant = await createTenant(db);
      const row = (resource: string, id: string, data: Record<string, unknown>) => ({
        business_id: tenant.businessId, resource, id, data: JSON.stringify({ id, ...data }), data_hash: 'h', amount_cents: null, currency: null,
        occurred_at: 0, state: null, user_id: null, card_id: null, department_id: null, link_id: null, first_synced_at: 0, updated_at: 0,
        last_sync_id: null, deleted_at: null, sync_status: null,
      });
      await db.kysely.insertInto('ramp_records').values([
        row('transactions', 't1', { sync_status: 'SYNC_READY' }),
        row('reimbursements', 'r1', { sync_status: 'SYNCED' }),
        row('cashbacks', 'c1', { sync_status: 'NOT_SYNC_READY' }),
        row('transactions', 't2', { sync_status: 'SOMETHING_ELSE' }),
        row('bills', 'b1', { sync_status: 'NOT_SYNCED' }),
        row('users', 'u1', { sync_status: 'SYNC_READY' }),
      ]).execute();
      await backfillSyncStatus(db.kysely, dialect);
      const rows = await db.kysely.selectFrom('ramp_records').select(['id', 'sync_status']).where('business_id', '=', tenant.businessId).orderBy('id').execute();
      expect(Object.fromEntries(rows.map((r) => [r.id, r.sync_status]))).toEqual({ b1: null, c1: 'NOT_SYNC_READY', r1: 'SYNCED', t1: 'SYNC_READY', t2: null, u1: null });
    });
  });
}
