/**
 * @module The `syncs` table: requesting a sync (at most one queued-or-running per business, enforced
 * by the partial unique index `syncs_one_active_idx`), claiming one to run, keeping its lease, and
 * finishing it. Every statement is tenant-scoped or addresses one sync by id.
 *
 * Claiming is one portable statement, `UPDATE … WHERE id IN (SELECT … LIMIT 1) AND <still runnable>
 * RETURNING *`, with `FOR UPDATE SKIP LOCKED` on PostgreSQL so replicas do not queue on each other's
 * candidates; the repeated condition makes the update a compare-and-set on both dialects. A running
 * sync whose lease expired (its process died) is runnable again and resumes from its cursors.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { claimDue } from '../core/claim-due.ts';
import type { Dialect } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { emptyProgress } from './sync-progress.ts';
import type { SyncsTable, SyncStatus, SyncTrigger } from './sync-schema.ts';

export type SyncRow = Selectable<SyncsTable>;

export async function findActiveSync(db: Kysely<Database>, businessId: string): Promise<SyncRow | undefined> {
  return db.selectFrom('syncs').selectAll().where('business_id', '=', businessId).where('status', 'in', ['queued', 'running']).executeTakeFirst();
}

/** Queues a sync unless one is queued or running; either way returns the active one. */
export async function requestSync(db: Kysely<Database>, businessId: string, trigger: SyncTrigger, now: number): Promise<{ sync: SyncRow; created: boolean }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const id = randomUUID();
    const inserted = await db
      .insertInto('syncs')
      .values({ id, business_id: businessId, status: 'queued', trigger, progress: JSON.stringify(emptyProgress()), follow_up: 0, created_at: now, updated_at: now })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { sync: inserted, created: true };
    const active = await findActiveSync(db, businessId);
    if (active) return { sync: active, created: false };
    // The active sync finished between the two statements: try again.
  }
  throw new Error('could not queue a sync');
}

export async function getSync(db: Kysely<Database>, businessId: string, syncId: string): Promise<SyncRow | undefined> {
  return db.selectFrom('syncs').selectAll().where('business_id', '=', businessId).where('id', '=', syncId).executeTakeFirst();
}

/** When data was last synced: the newest completed or partial sync (a partial one stored all it could read). */
export async function latestCompletedAt(db: Kysely<Database>, businessId: string): Promise<number | null> {
  const row = await db
    .selectFrom('syncs')
    .select((eb) => eb.fn.max('finished_at').as('at'))
    .where('business_id', '=', businessId)
    .where('status', 'in', ['completed', 'partial'])
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? null : Number(row.at);
}

/** The business's most recent finished sync (completed, partial or failed). */
export async function latestFinished(db: Kysely<Database>, businessId: string): Promise<(SyncRow & { status: 'completed' | 'partial' | 'failed'; finished_at: number }) | undefined> {
  const row = await db
    .selectFrom('syncs')
    .selectAll()
    .where('business_id', '=', businessId)
    .where('status', 'in', ['completed', 'partial', 'failed'])
    .where('finished_at', 'is not', null)
    .orderBy('finished_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row as (SyncRow & { status: 'completed' | 'partial' | 'failed'; finished_at: number }) | undefined;
}

export interface ClaimInput {
  readonly owner: string;
  readonly now: number;
  readonly leaseMs: number;
  readonly businessId?: string;
  readonly excludeIds?: readonly string[];
}

/** The claim statement (see the module comment); exported so tests can check its SQL per dialect. */
export function claimSyncQuery(db: Kysely<Database>, dialect: Dialect, input: ClaimInput) {
  const { owner, now, leaseMs, businessId } = input;
  const exclude = input.excludeIds && input.excludeIds.length > 0 ? input.excludeIds : null;
  const runnable = (w: any) => w.or([w('status', '=', 'queued'), w.and([w('status', '=', 'running'), w('lease_until', '<', now)])]);
  return claimDue(db, dialect, {
    table: 'syncs',
    key: 'id',
    as: 'candidate',
    due: (q) => {
      let candidates = q.where(runnable).orderBy('created_at').limit(1);
      if (businessId !== undefined) candidates = candidates.where('business_id', '=', businessId);
      if (exclude) candidates = candidates.where('id', 'not in', exclude);
      return candidates;
    },
    set: { status: 'running', lease_owner: owner, lease_until: now + leaseMs, started_at: sql<number>`coalesce(started_at, ${now})`, updated_at: now },
    recheck: (q) => q.where(runnable),
  }).returningAll();
}

/** Claims one runnable sync (optionally of one business) for `owner` until `now + leaseMs`. */
export async function claimSync(db: Kysely<Database>, dialect: Dialect, input: ClaimInput): Promise<SyncRow | undefined> {
  return claimSyncQuery(db, dialect, input).executeTakeFirst();
}

/** Extends the lease; false when it was lost (another process claimed the sync). */
export async function renewLease(db: Kysely<Database>, syncId: string, owner: string, until: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('syncs')
    .set({ lease_until: until, updated_at: now })
    .where('id', '=', syncId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives a running sync back (this process is shutting down): any replica may claim it at once. */
export async function releaseLease(db: Kysely<Database>, syncId: string, owner: string, now: number): Promise<void> {
  await db.updateTable('syncs').set({ lease_until: now - 1, updated_at: now }).where('id', '=', syncId).where('lease_owner', '=', owner).where('status', '=', 'running').execute();
}

/**
 * Marks a running sync that a webhook arrived for, so it is followed by another incremental sync.
 * False when no sync is running (the caller queues one instead).
 */
export async function markFollowUp(db: Kysely<Database>, businessId: string, now: number): Promise<boolean> {
  const result = await db.updateTable('syncs').set({ follow_up: 1, updated_at: now }).where('business_id', '=', businessId).where('status', '=', 'running').executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Ends a sync held by `owner`; queues the follow-up sync a webhook asked for, in the same
 * transaction. Returns the final row, or undefined when the lease had been lost.
 */
export async function finishSync(
  db: Kysely<Database>,
  input: { syncId: string; owner: string; status: Extract<SyncStatus, 'completed' | 'partial' | 'failed'>; progress: string; error: string | null; now: number },
): Promise<SyncRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('syncs')
      .set({ status: input.status, progress: input.progress, error: input.error, finished_at: input.now, updated_at: input.now, lease_owner: null, lease_until: null })
      .where('id', '=', input.syncId)
      .where('lease_owner', '=', input.owner)
      .where('status', '=', 'running')
      .returningAll()
      .executeTakeFirst();
    if (row && row.follow_up === 1) await requestSync(trx, row.business_id, 'webhook', input.now);
    return row;
  });
}
