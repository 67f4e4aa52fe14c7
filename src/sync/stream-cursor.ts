/**
 * @module A stream's cursor (table `sync_cursors`): the incremental watermark and, while a run is in
 * progress, the `page.next` link each of its segments continues from. It is written in the same transaction as the
 * page's records (page-commit.ts), so after a crash the run resumes exactly after the last page that
 * was stored: no gap, and no page stored twice.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import './sync-schema.ts';

/**
 * A range of `user_transaction_time` read as its own keyset chain. Large full reads are split into
 * several, read concurrently (segments.ts); everything else is one unbounded segment.
 */
export interface RunSegment {
  /** ISO `from_date` (inclusive), null = unbounded. */
  readonly from: string | null;
  /** ISO `to_date` (inclusive), null = unbounded. */
  readonly to: string | null;
  /** The next page to read (Ramp's `page.next`, verbatim); null before its first page is stored. */
  readonly next: string | null;
  readonly done: boolean;
}

export interface StreamRun {
  /** Our clock when the run started; becomes the watermark when it completes. */
  readonly startedAt: number;
  /** ISO `updated_after` the run reads with (null: everything). */
  readonly updatedAfter: string | null;
  readonly segments: readonly RunSegment[];
}

export interface StreamCursor {
  readonly v: 1;
  readonly fingerprint: string;
  /** Start of the last completed run; the next incremental run reads `updated_after` = this − overlap. */
  readonly completedRunStartedAt: number | null;
  readonly run: StreamRun | null;
}

export function freshCursor(fingerprint: string): StreamCursor {
  return { v: 1, fingerprint, completedRunStartedAt: null, run: null };
}

function isCursor(value: unknown): value is StreamCursor {
  const c = value as Partial<StreamCursor> | null;
  return typeof c === 'object' && c !== null && c.v === 1 && typeof c.fingerprint === 'string' && (c.run === null || Array.isArray(c.run?.segments));
}

export async function loadCursor(db: Kysely<Database>, businessId: string, key: string): Promise<StreamCursor | undefined> {
  const row = await db.selectFrom('sync_cursors').select('cursor').where('business_id', '=', businessId).where('resource', '=', key).executeTakeFirst();
  if (!row) return undefined;
  try {
    const parsed: unknown = JSON.parse(row.cursor);
    return isCursor(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function saveCursor(db: Kysely<Database>, businessId: string, key: string, cursor: StreamCursor, now: number): Promise<void> {
  await db
    .insertInto('sync_cursors')
    .values({ business_id: businessId, resource: key, cursor: JSON.stringify(cursor), updated_at: now })
    .onConflict((oc) => oc.columns(['business_id', 'resource']).doUpdateSet({ cursor: JSON.stringify(cursor), updated_at: now }))
    .execute();
}
