/**
 * @module Stores one page of Ramp records, atomically with the stream's cursor and the sync's
 * progress, and only while this process still holds the sync's lease.
 *
 * In one transaction:
 * 1. fence: extend the lease `WHERE lease_owner = me` — if another process took the sync over, the
 *    transaction rolls back and nothing of this page is stored (the lease is a fencing token);
 * 2. insert new records and rewrite those whose hash differs (`ON CONFLICT DO UPDATE … WHERE`:
 *    idempotent, so a page read twice stores nothing twice); the database's trigger appends `state`
 *    and `amount_cents` changes to `ramp_record_changes` (migration 0005, e.g. PENDING → CLEARED);
 * 3. advance the cursor and the progress.
 * The cursor therefore never runs ahead of the stored records, and never behind them.
 */
import { hash } from 'node:crypto';
import { CompiledQuery, type Kysely } from 'kysely';
import type { Dialect } from '../db/database.ts';
import { namedStatement } from '../db/named-statements.ts';
import type { Database } from '../db/schema.ts';
import { dropUnusedGenerations, partsGenerationsOf } from './record-parts.ts';
import type { RecordColumns, SyncResource } from './record-projection.ts';
import { saveCursor, type StreamCursor } from './stream-cursor.ts';
import type { SyncProgress } from './sync-progress.ts';
import './sync-schema.ts';

export interface PreparedRecord {
  readonly id: string;
  /** Ramp's object as JSON text, and its hash (`hashData`), which tells a changed record from a re-read one. */
  readonly data: string;
  readonly hash: string;
  readonly columns: RecordColumns;
  /** The generation of the parts holding its array fields stored apart (record-parts.ts); none when absent. */
  readonly partsGeneration?: string | null;
}

export interface PageCommit {
  readonly businessId: string;
  readonly syncId: string;
  readonly owner: string;
  readonly leaseUntil: number;
  readonly resource: SyncResource;
  readonly streamKey: string;
  readonly records: readonly PreparedRecord[];
  readonly cursor: StreamCursor;
  /** When the read of these records began (the stream run's start); defaults to `now`. */
  readonly readAt?: number;
  /** Called inside the transaction with this page's counts; returns the progress to store. */
  readonly progress: (counts: { changed: number }) => SyncProgress;
  readonly now: number;
}

/** The sync was claimed by another process: this one must stop writing. */
export class LeaseLostError extends Error {
  constructor(syncId: string) {
    super(`lease on sync ${syncId} was lost`);
    this.name = 'LeaseLostError';
  }
}

const RECORD_COLUMNS = [
  'business_id', 'resource', 'id', 'data', 'data_hash', 'amount_cents', 'currency', 'occurred_at', 'state', 'user_id', 'card_id',
  'department_id', 'link_id', 'deleted_at', 'first_synced_at', 'updated_at', 'last_sync_id', 'sync_status', 'ramp_read_at', 'parts_generation',
  'ready_episode',
] as const;
/** Everything but the key and `first_synced_at` is rewritten when a record changed (`ready_episode` by `readyEpisodeSet`). */
const UPDATED_COLUMNS = RECORD_COLUMNS.filter((column) => !['business_id', 'resource', 'id', 'first_synced_at'].includes(column));
/** Columns the INSERT writes as literals, not parameters: a listed record is not deleted, a new one is in its first episode. */
const LITERAL_COLUMNS: Partial<Record<(typeof RECORD_COLUMNS)[number], string>> = { deleted_at: 'null', ready_episode: '0' };

/**
 * The readiness episode (sync-schema.ts) moves on when this read finds the object ready to sync and the
 * stored one was not: Ramp re-opened it after it was synced (by mark-synced, whose local mark sets
 * SYNCED, or by anyone), or it became ready for the first time. A read that finds it synced, or ready
 * again as stored, keeps the episode, so mark-synced's keys stay the same for retries within one.
 */
function readyEpisodeSet(dialect: Dialect): string {
  const notReady = `"ramp_records"."sync_status" ${dialect === 'postgres' ? 'is distinct from' : 'is not'} 'SYNC_READY'`;
  return `"ready_episode" = case when excluded."sync_status" = 'SYNC_READY' and ${notReady} then "ramp_records"."ready_episode" + 1 else "ramp_records"."ready_episode" end`;
}
/** Rows per INSERT: 3,800 parameters, well under SQLite's 32,766 and PostgreSQL's 65,535. */
const UPSERT_CHUNK = 200;
const upsertSqlCache = new Map<string, string>();

/**
 * The multi-row upsert's SQL, built once per dialect and row count. This is the sync's hot path
 * (100k records in seconds); building it through Kysely's query builder for every chunk cost more
 * than executing it. The text is fixed, values are always bound parameters.
 */
function upsertSql(dialect: Dialect, rows: number): string {
  const key = `${dialect}:${rows}`;
  let text = upsertSqlCache.get(key);
  if (text === undefined) {
    let n = 0;
    const placeholder = () => (dialect === 'postgres' ? `$${++n}` : '?');
    const tuples = Array.from({ length: rows }, () => `(${RECORD_COLUMNS.map((column) => LITERAL_COLUMNS[column] ?? placeholder()).join(', ')})`);
    const set = UPDATED_COLUMNS.map((c) => (c === 'ready_episode' ? readyEpisodeSet(dialect) : `"${c}" = excluded."${c}"`));
    text =
      `insert into "ramp_records" (${RECORD_COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(', ')} ` +
      `on conflict ("business_id", "resource", "id") do update set ${set.join(', ')} ` +
      // A record read again unchanged is not rewritten (and not counted, nor logged as a change),
      // unless it had been marked deleted (listed again, it is back: `deleted_at` null) or its
      // accounting readiness differs from what Ramp lists (set by mark-synced before Ramp's lists showed it).
      `where ("ramp_records"."data_hash" <> excluded."data_hash" or "ramp_records"."deleted_at" is not null ` +
      `or "ramp_records"."sync_status" ${dialect === 'postgres' ? 'is distinct from' : 'is not'} excluded."sync_status") ` +
      // A read that began before the stored one saw an older Ramp: a sync page read before a webhook's
      // fetch, or two fetches of one object committing in the wrong order, never undo the newer state
      // (a late `authorized` never overwrites a `cleared`; docs/guarantees.md#ramp-webhooks).
      `and ("ramp_records"."ramp_read_at" is null or excluded."ramp_read_at" >= "ramp_records"."ramp_read_at")`;
    // Full chunks are most of a large sync: parsed once per connection on PostgreSQL.
    if (rows === UPSERT_CHUNK) namedStatement(text);
    upsertSqlCache.set(key, text);
  }
  return text;
}

/** One-shot `crypto.hash` (Node ≥ 20.12): 1.9 µs for a 1.2 KB record against 3.6 µs with a Hash object. */
export function hashData(data: string): string {
  return hash('sha1', data, 'hex');
}

/** What the shared upsert needs: whose records, of which resource, read when, by which sync (null: a webhook). */
export interface RecordUpsert {
  readonly businessId: string;
  readonly resource: SyncResource;
  readonly records: readonly PreparedRecord[];
  readonly syncId: string | null;
  readonly now: number;
  readonly readAt: number;
}

/**
 * The one upsert of Ramp records, used by the sync's pages and by webhook fetches
 * (src/ramp-webhooks/event-processor.ts): returns how many rows it wrote.
 */
export async function upsertRecords(trx: Kysely<Database>, dialect: Dialect, page: RecordUpsert): Promise<number> {
  if (page.records.length === 0) return 0;
  // The same id twice in one page keeps the last copy (one statement may not touch a row twice).
  const records = [...new Map(page.records.map((record) => [record.id, record])).values()];
  let written = 0;
  for (let start = 0; start < records.length; start += UPSERT_CHUNK) {
    const chunk = records.slice(start, start + UPSERT_CHUNK);
    const params: unknown[] = [];
    for (const record of chunk) {
      const { columns } = record;
      // In RECORD_COLUMNS order, `deleted_at` and `ready_episode` left out (literals in the SQL).
      params.push(
        page.businessId, page.resource, record.id, record.data, record.hash, columns.amount_cents, columns.currency, columns.occurred_at,
        columns.state, columns.user_id, columns.card_id, columns.department_id, columns.link_id, page.now, page.now, page.syncId, columns.sync_status, page.readAt,
        record.partsGeneration ?? null,
      );
    }
    // Records with parts (a statement or two per page): the generations they pointed to before this write.
    const withParts = chunk.filter((record) => record.partsGeneration);
    const replaced = await partsGenerationsOf(trx, page.businessId, page.resource, withParts.map((record) => record.id));
    const result = await trx.executeQuery(CompiledQuery.raw(upsertSql(dialect, chunk.length), params));
    written += Number(result.numAffectedRows ?? 0n);
    // The replaced generations, or the new ones of records that were unchanged (not rewritten).
    await dropUnusedGenerations(trx, page.businessId, [...replaced, ...withParts.map((record) => record.partsGeneration!)]);
  }
  return written;
}

/** Stores a page (see the module comment). Throws `LeaseLostError` when the lease is gone. */
export async function commitPage(db: Kysely<Database>, dialect: Dialect, page: PageCommit): Promise<{ changed: number }> {
  return db.transaction().execute(async (trx) => {
    const fenced = await trx
      .updateTable('syncs')
      .set({ lease_until: page.leaseUntil, updated_at: page.now })
      .where('id', '=', page.syncId)
      .where('lease_owner', '=', page.owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(fenced.numUpdatedRows) !== 1) throw new LeaseLostError(page.syncId);
    const changed = await upsertRecords(trx, dialect, { ...page, readAt: page.readAt ?? page.now });
    await saveCursor(trx, page.businessId, page.streamKey, page.cursor, page.now);
    const progress = page.progress({ changed });
    await trx.updateTable('syncs').set({ progress: JSON.stringify(progress) }).where('id', '=', page.syncId).execute();
    return { changed };
  });
}

/** The Ramp business a business is connected to, for mapping webhooks (docs/ramp-behaviour.md#webhooks payloads name Ramp's business). */
export async function linkRampBusiness(db: Kysely<Database>, businessId: string, rampBusinessId: string, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('ramp_business_links').where('business_id', '=', businessId).where('ramp_business_id', '!=', rampBusinessId).execute();
    await trx
      .insertInto('ramp_business_links')
      .values({ ramp_business_id: rampBusinessId, business_id: businessId, updated_at: now })
      .onConflict((oc) => oc.columns(['ramp_business_id', 'business_id']).doUpdateSet({ updated_at: now }))
      .execute();
  });
}
