/**
 * @module Deletions of full-read resources (src/ramp/resource-descriptors.ts `missing-from-full-read`):
 * Ramp lists no deletions, so a stored record that a complete read of its resource no longer returns
 * is marked `deleted_at` (kept, hidden from reads unless asked for). The caller passes the ids of a
 * complete read only — every stream of the resource read to its last page in this run — so a
 * partial or failed read never deletes anything.
 *
 * The stored ids are read in chunks in id order, and each chunk's missing ids updated in one
 * statement: no round trip per record, and memory does not grow with the resource.
 * Fenced like a page commit (page-commit.ts): a process that lost the sync's lease changes nothing.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { LeaseLostError } from './page-commit.ts';
import './sync-schema.ts';

/** Ids per UPDATE … WHERE id IN (…): well under both dialects' parameter limits. */
const CHUNK = 500;
/** Stored ids read at a time (in primary-key order, `id > last`). */
const READ_CHUNK = 5_000;

export interface MissingRecordsMark {
  readonly businessId: string;
  readonly syncId: string;
  readonly owner: string;
  readonly leaseUntil: number;
  readonly resource: string;
  /** Every id the complete read returned (a `Set`, or the compact seen-ids.ts). */
  readonly seen: { has(id: string): boolean };
  readonly now: number;
}

/** Marks the resource's stored, undeleted records outside `seen` deleted; returns how many. */
export async function markMissingDeleted(db: Kysely<Database>, mark: MissingRecordsMark): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const fenced = await trx
      .updateTable('syncs')
      .set({ lease_until: mark.leaseUntil, updated_at: mark.now })
      .where('id', '=', mark.syncId)
      .where('lease_owner', '=', mark.owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(fenced.numUpdatedRows) !== 1) throw new LeaseLostError(mark.syncId);
    let deleted = 0;
    for (let after: string | null = null; ; ) {
      let query = trx
        .selectFrom('ramp_records')
        .select('id')
        .where('business_id', '=', mark.businessId)
        .where('resource', '=', mark.resource)
        .where('deleted_at', 'is', null);
      if (after !== null) query = query.where('id', '>', after);
      const ids = (await query.orderBy('id').limit(READ_CHUNK).execute()).map((row) => row.id);
      const missing = ids.filter((id) => !mark.seen.has(id));
      for (let start = 0; start < missing.length; start += CHUNK) {
        await trx
          .updateTable('ramp_records')
          .set({ deleted_at: mark.now, updated_at: mark.now, last_sync_id: mark.syncId })
          .where('business_id', '=', mark.businessId)
          .where('resource', '=', mark.resource)
          .where('id', 'in', missing.slice(start, start + CHUNK))
          .execute();
      }
      deleted += missing.length;
      if (ids.length < READ_CHUNK) return deleted;
      after = ids.at(-1)!;
    }
  });
}
