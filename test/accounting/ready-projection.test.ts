/**
 * Accounting readiness as every stored record carries it (src/ramp/resource-descriptors.ts): Ramp's
 * scale verbatim where Ramp has it, the guide's rule for bills and bill payments; and a re-read
 * record whose readiness we set ahead of Ramp's lists is put back to what Ramp lists (both dialects;
 * docs/guarantees.md#g64, #g65).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { descriptorOf } from '../../src/ramp/resource-descriptors.ts';
import { commitPage, hashData } from '../../src/sync/page-commit.ts';
import { claimSync, requestSync } from '../../src/sync/syncs-repo.ts';
import { emptyProgress } from '../../src/sync/sync-progress.ts';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

describe('readiness projection', () => {
  const status = (resource: string, record: Record<string, unknown>) => descriptorOf(resource).project(record).sync_status;
  const billPayment = (bill: Record<string, unknown>) => status('bill-payments', descriptorOf('bill-payments').derive!(bill)!);

  it('takes Ramp\'s sync_status of transactions, reimbursements, transfers and cashbacks; anything else is unknown', () => {
    for (const resource of ['transactions', 'reimbursements', 'transfers', 'cashbacks']) {
      expect(status(resource, { sync_status: 'SYNC_READY' })).toBe('SYNC_READY');
      expect(status(resource, { sync_status: 'SYNCED' })).toBe('SYNCED');
      expect(status(resource, { sync_status: 'LATER' })).toBeNull();
    }
    expect(status('users', { sync_status: 'SYNC_READY' })).toBeNull();
  });

  // Archived (deleted) bills are not in Ramp's list: one archived after a sync is marked deleted and
  // leaves the feed that way (test/sync/every-resource.test.ts), not through its readiness.
  it('a bill is ready when approved and not synced; a payment once its bill is paid', () => {
    const bill = { id: 'b', approval_status: 'APPROVED', archived_at: null, sync_status: 'NOT_SYNCED', status: 'OPEN' };
    expect(status('bills', bill)).toBe('SYNC_READY');
    expect(status('bills', { ...bill, approval_status: 'PENDING' })).toBe('NOT_SYNC_READY');
    expect(status('bills', { ...bill, sync_status: 'BILL_SYNCED' })).toBe('SYNCED');
    const paid = { ...bill, status: 'PAID', payment: { amount: { amount: 100, currency_code: 'USD' } } };
    expect(billPayment(paid)).toBe('SYNC_READY');
    expect(billPayment({ ...paid, sync_status: 'BILL_SYNCED' })).toBe('SYNC_READY');
    expect(billPayment({ ...paid, sync_status: 'BILL_AND_PAYMENT_SYNCED' })).toBe('SYNCED');
    expect(billPayment({ ...paid, status: 'OPEN' })).toBe('NOT_SYNC_READY');
  });
});

for (const dialect of DIALECTS) {
  describe(`${dialect}: readiness on re-read`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ db, cleanup } = await openTestDb(dialect));
    });
    afterAll(async () => cleanup?.());

    it('an unchanged record whose sync_status differs from Ramp\'s is rewritten with Ramp\'s', async () => {
      const tenant = await createTenant(db);
      await requestSync(db.kysely, tenant.businessId, 'manual', 1_000);
      const sync = await claimSync(db.kysely, db.dialect, { owner: 'me', now: 2_000, leaseMs: 60_000, businessId: tenant.businessId });
      const data = JSON.stringify({ id: 'b1', sync_status: 'NOT_SYNCED' });
      const records = [{ id: 'b1', data, hash: hashData(data), columns: { ...descriptorOf('bills').project({}), sync_status: 'SYNC_READY' as const } }];
      const page = {
        businessId: tenant.businessId, syncId: sync!.id, owner: 'me', leaseUntil: 62_000, resource: 'bills', streamKey: 'bills', records,
        cursor: { v: 1 as const, fingerprint: 'f', completedRunStartedAt: null, run: null }, progress: () => emptyProgress(),
      };
      expect(await commitPage(db.kysely, db.dialect, { ...page, now: 3_000 })).toEqual({ changed: 1 });
      expect(await commitPage(db.kysely, db.dialect, { ...page, now: 4_000 })).toEqual({ changed: 0 });
      // mark-synced set it ahead of Ramp's lists; Ramp still lists it ready.
      await db.kysely.updateTable('ramp_records').set({ sync_status: 'SYNCED' }).where('business_id', '=', tenant.businessId).execute();
      expect(await commitPage(db.kysely, db.dialect, { ...page, now: 5_000 })).toEqual({ changed: 1 });
      const row = await db.kysely.selectFrom('ramp_records').select('sync_status').where('business_id', '=', tenant.businessId).executeTakeFirstOrThrow();
      expect(row.sync_status).toBe('SYNC_READY');
    });
  });
}
