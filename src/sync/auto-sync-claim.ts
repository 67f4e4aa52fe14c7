/**
 * @module Automatic syncs on each business's interval (`ramp_sync_configs.next_auto_sync_at`, set by
 * the sync-config feature). Several replicas tick; exactly one queues each due sync.
 *
 * The claim is one statement: `UPDATE … SET next_auto_sync_at = now + claim WHERE business_id IN
 * (SELECT … due … LIMIT n [FOR UPDATE SKIP LOCKED]) AND next_auto_sync_at <= now RETURNING` — the
 * due time doubles as a lease, so a replica that dies after claiming is replaced a minute later.
 * After queueing, the next due time is set from the business's interval.
 */
import type { Kysely } from 'kysely';
import { claimDue } from '../core/claim-due.ts';
import type { SyncConfig } from '../connections/sync-config.ts';
import { DEFAULT_SYNC_CONFIG } from '../connections/sync-config.ts';
import type { Dialect } from '../db/database.ts';
import type { Database } from '../db/schema.ts';

const CLAIM_MS = 60_000;
const BATCH = 20;

export interface DueAutoSync {
  readonly businessId: string;
  readonly config: SyncConfig;
  /** The claim's value of `next_auto_sync_at`; the follow-up write only happens if it is unchanged. */
  readonly claimedUntil: number;
}

export async function claimDueAutoSyncs(db: Kysely<Database>, dialect: Dialect, now: number): Promise<DueAutoSync[]> {
  const rows = await claimDue(db, dialect, {
    table: 'ramp_sync_configs',
    key: 'business_id',
    due: (q) => q.where('next_auto_sync_at', '<=', now).orderBy('next_auto_sync_at').limit(BATCH),
    set: { next_auto_sync_at: now + CLAIM_MS },
    recheck: (q) => q.where('next_auto_sync_at', '<=', now),
  })
    .returning(['business_id', 'config'])
    .execute();
  return rows.map((row) => {
    let stored: Partial<SyncConfig> = {};
    try {
      stored = JSON.parse(row.config) as Partial<SyncConfig>;
    } catch {
      // an unreadable config is the default one
    }
    return { businessId: row.business_id, config: { ...DEFAULT_SYNC_CONFIG, ...stored }, claimedUntil: now + CLAIM_MS };
  });
}

/**
 * After queueing (or deciding not to): the next due time (`pace` intervals ahead), or none when auto sync is off. Skipped
 * when the configuration was saved meanwhile (it set its own due time).
 */
export async function scheduleNextAutoSync(db: Kysely<Database>, due: DueAutoSync, now: number, pace = 1): Promise<void> {
  const { config } = due;
  const next = config.sync_enabled && config.auto_sync_enabled ? now + config.auto_sync_interval_hours * 3_600_000 * pace : null;
  await db
    .updateTable('ramp_sync_configs')
    .set({ next_auto_sync_at: next })
    .where('business_id', '=', due.businessId)
    .where('next_auto_sync_at', '=', due.claimedUntil)
    .execute();
}
