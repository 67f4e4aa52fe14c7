/**
 * @module The ready feed's read: the synced objects of one kind Ramp holds as `SYNC_READY`
 * (projected into `ramp_records.sync_status` by every path that stores a record), tenant-scoped,
 * newest first, keyset-paginated on `(occurred_at, id)` like the read API (src/core/pagination.ts),
 * each with its codings in the product's ids and the last failure the product reported for it.
 */
import { sql, type Kysely } from 'kysely';
import type { Cursor } from '../core/pagination.ts';
import type { Database } from '../db/schema.ts';
import { recordView, type StoredRecord } from '../sync/records-query.ts';
import { recordCodings } from './ready-codings.ts';
import type { ReadyKind } from './ready-types.ts';
import './ready-schema.ts';

export interface ReadyRow extends StoredRecord {
  readonly failure_message: string | null;
  readonly failure_sync_type: string | null;
  readonly failed_at: number | null;
}

/** Up to `limit + 1` ready objects after `after`, so the caller can tell whether more exist. */
export async function listReady(db: Kysely<Database>, businessId: string, kind: ReadyKind, limit: number, after: Cursor | undefined): Promise<ReadyRow[]> {
  let query = db
    .selectFrom('ramp_records as r')
    .leftJoin('ramp_accounting_sync_failures as f', (join) =>
      join.onRef('f.business_id', '=', 'r.business_id').onRef('f.resource', '=', 'r.resource').onRef('f.object_id', '=', 'r.id'))
    .select(['r.id', 'r.data', 'r.amount_cents', 'r.currency', 'r.occurred_at', 'r.deleted_at', 'f.message as failure_message', 'f.sync_type as failure_sync_type', 'f.failed_at'])
    .where('r.business_id', '=', businessId)
    .where('r.resource', '=', kind.resource)
    // A literal, not a parameter: a PostgreSQL generic plan (which a prepared statement may switch to)
    // can use the partial ready index (migration 0016) only when the query repeats the index's
    // condition as written; SQLite also plans with bound values (sqlite.org/partialindex.html §2.1).
    // Held by test/accounting/ready-index.test.ts.
    .where('r.sync_status', '=', sql.lit('SYNC_READY'))
    .where('r.deleted_at', 'is', null);
  if (after !== undefined) {
    const key = Number(after.key);
    query = query.where((eb) => eb.or([eb('r.occurred_at', '<', key), eb.and([eb('r.occurred_at', '=', key), eb('r.id', '<', after.id)])]));
  }
  const rows = await query.orderBy('r.occurred_at', 'desc').orderBy('r.id', 'desc').limit(limit + 1).execute();
  return rows.map((row) => ({
    ...row,
    amount_cents: row.amount_cents === null ? null : Number(row.amount_cents),
    occurred_at: Number(row.occurred_at),
    deleted_at: null,
    failed_at: row.failed_at === null ? null : Number(row.failed_at),
  }));
}

/** One feed item: what to post to the books, how to mark it, and Ramp's object as synced. */
export function readyItemView(kind: ReadyKind, row: ReadyRow): Record<string, unknown> {
  const record = recordView(kind.resource, row);
  return {
    id: row.id,
    type: kind.type,
    sync_type: kind.syncType,
    amount_cents: row.amount_cents,
    currency: row.currency,
    occurred_at: row.occurred_at > 0 ? new Date(row.occurred_at).toISOString() : null,
    codings: recordCodings(record),
    last_sync_failure:
      row.failure_message === null ? null : { message: row.failure_message, sync_type: row.failure_sync_type, failed_at: new Date(row.failed_at ?? 0).toISOString() },
    record,
  };
}
