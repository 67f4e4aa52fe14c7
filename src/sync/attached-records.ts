/**
 * @module Receipts and memos follow their transaction (sync-plan.ts `AttachedFilter`): when the
 * config filters transactions, a page of them keeps only those whose transaction (`link_id`) is
 * stored for the business. Ramp cannot apply the filter itself — its receipts list takes no card,
 * user or department — and a receipt of a transaction the config leaves out would be a document
 * with nothing to attach to in the books.
 *
 * Transactions are read before receipts and memos (resource-descriptors.ts order), so the check sees
 * this sync's transactions. A dropped record counts as listed (sync-runner.ts adds it to the read's
 * ids before the check), so it never marks a stored one deleted.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { PreparedRecord } from './page-commit.ts';
import type { AttachedFilter } from './sync-plan.ts';
import './sync-schema.ts';

/** Ids per `IN (…)`: far under both databases' parameter limits. */
const LOOKUP_CHUNK = 500;

/** `records` without those whose owner is not stored (or, naming none, that `keepUnlinked` refuses). */
export async function keepAttached(db: Kysely<Database>, businessId: string, filter: AttachedFilter, records: readonly PreparedRecord[]): Promise<PreparedRecord[]> {
  const owners = [...new Set(records.flatMap((record) => (record.columns.link_id === null ? [] : [record.columns.link_id])))];
  const stored = new Set<string>();
  for (let start = 0; start < owners.length; start += LOOKUP_CHUNK) {
    const rows = await db
      .selectFrom('ramp_records')
      .select('id')
      .where('business_id', '=', businessId)
      .where('resource', '=', filter.resource)
      .where('id', 'in', owners.slice(start, start + LOOKUP_CHUNK))
      .execute();
    for (const row of rows) stored.add(row.id);
  }
  return records.filter((record) => (record.columns.link_id === null ? filter.keepUnlinked(record.columns) : stored.has(record.columns.link_id)));
}
