/**
 * Marking records Ramp no longer lists (docs/guarantees.md#g53), on both dialects: only the resource's
 * stored records outside the complete read are marked, other tenants and resources are untouched, a
 * marked record listed again is back, and a process that lost the lease changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { EMPTY_COLUMNS } from '../../src/ramp/resource-descriptors.ts';
import { commitPage, hashData, LeaseLostError, type PageCommit, type PreparedRecord } from '../../src/sync/page-commit.ts';
import { markMissingDeleted } from '../../src/sync/record-deletions.ts';
import { SeenIds } from '../../src/sync/seen-ids.ts';
import { emptyProgress } from '../../src/sync/sync-progress.ts';
import { claimSync, requestSync } from '../../src/sync/syncs-repo.ts';
import { createTenant } from '../helpers/tenants.ts';
import { DIALECTS, openTestDb } from '../helpers/test-db.ts';

function record(id: string): PreparedRecord {
  const data = JSON.stringify({ id, name: id });
  return { id, data, hash: hashData(data), columns: EMPTY_COLUMNS };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: records missing from a complete read`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ db, cleanup } = await openTestDb(dialect));
    });
    afterAll(async () => cleanup?.());

    async function claimed(businessId: string, resource: string): Promise<Omit<PageCommit, 'records' | 'now'>> {
      await requestSync(db.kysely, businessId, 'manual', 1_000);
      const sync = await claimSync(db.kysely, db.dialect, { owner: 'me', now: 2_000, leaseMs: 60_000, businessId });
      return {
        businessId, syncId: sync!.id, owner: 'me', leaseUntil: 62_000, resource, streamKey: resource,
        cursor: { v: 1, fingerprint: 'f', completedRunStartedAt: null, run: null }, progress: () => emptyProgress(),
      };
    }
    const deletedOf = async (businessId: string) =>
      Object.fromEntries(
        (await db.kysely.selectFrom('ramp_records').select(['resource', 'id', 'deleted_at']).where('business_id', '=', businessId).orderBy('id').execute()).map((row) => [
          `${row.resource}/${row.id}`, row.deleted_at === null ? null : Number(row.deleted_at),
        ]),
      );

    it('marks only the missing records of that resource and tenant, and brings one back when Ramp lists it again', async () => {
      const tenant = await createTenant(db);
      const other = await createTenant(db);
      const page = await claimed(tenant.businessId, 'vendors');
      await commitPage(db.kysely, db.dialect, { ...page, now: 3_000, records: [record('v1'), record('v2'), record('v3')] });
      await commitPage(db.kysely, db.dialect, { ...page, resource: 'merchants', now: 3_000, records: [record('m1')] });
      const otherPage = await claimed(other.businessId, 'vendors');
      await commitPage(db.kysely, db.dialect, { ...otherPage, now: 3_000, records: [record('v1'), record('v2')] });

      const mark = { businessId: tenant.businessId, syncId: page.syncId, owner: 'me', leaseUntil: 62_000, resource: 'vendors', now: 4_000 };
      expect(await markMissingDeleted(db.kysely, { ...mark, seen: new Set(['v1']) })).toBe(2);
      expect(await deletedOf(tenant.businessId)).toEqual({ 'merchants/m1': null, 'vendors/v1': null, 'vendors/v2': 4_000, 'vendors/v3': 4_000 });
      expect(await deletedOf(other.businessId)).toEqual({ 'vendors/v1': null, 'vendors/v2': null });
      // Already marked ones are not marked again.
      expect(await markMissingDeleted(db.kysely, { ...mark, now: 5_000, seen: new Set(['v1']) })).toBe(0);

      // Listed again, unchanged: back.
      expect(await commitPage(db.kysely, db.dialect, { ...page, now: 6_000, records: [record('v2')] })).toEqual({ changed: 1 });
      expect(await deletedOf(tenant.businessId)).toMatchObject({ 'vendors/v2': null, 'vendors/v3': 4_000 });
    });

    it('reads the stored ids in chunks: every missing record of a large resource is marked, with the compact id set', async () => {
      const tenant = await createTenant(db);
      const page = await claimed(tenant.businessId, 'memos');
      const ids = Array.from({ length: 12_345 }, (_, i) => `memo-${String(i).padStart(5, '0')}`);
      for (let start = 0; start < ids.length; start += 3_000) {
        await commitPage(db.kysely, db.dialect, { ...page, now: 3_000, records: ids.slice(start, start + 3_000).map(record) });
      }
      const seen = new SeenIds();
      // Every seventh record is missing from the read, across all chunk boundaries.
      for (const [i, id] of ids.entries()) if (i % 7 !== 0) seen.add(id);
      const mark = { businessId: tenant.businessId, syncId: page.syncId, owner: 'me', leaseUntil: 62_000, resource: 'memos', now: 4_000, seen };
      expect(await markMissingDeleted(db.kysely, mark)).toBe(Math.ceil(ids.length / 7));
      const deleted = await db.kysely.selectFrom('ramp_records').select('id').where('business_id', '=', tenant.businessId).where('deleted_at', 'is not', null).orderBy('id').execute();
      expect(deleted.map((row) => row.id)).toEqual(ids.filter((_, i) => i % 7 === 0));
    });

    it('changes nothing without the lease', async () => {
      const tenant = await createTenant(db);
      const page = await claimed(tenant.businessId, 'vendors');
      await commitPage(db.kysely, db.dialect, { ...page, now: 3_000, records: [record('v1')] });
      const mark = { businessId: tenant.businessId, syncId: page.syncId, owner: 'someone else', leaseUntil: 62_000, resource: 'vendors', now: 4_000, seen: new Set<string>() };
      await expect(markMissingDeleted(db.kysely, mark)).rejects.toBeInstanceOf(LeaseLostError);
      expect(await deletedOf(tenant.businessId)).toEqual({ 'vendors/v1': null });
    });
  });
}
