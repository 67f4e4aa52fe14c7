/**
 * @module The statements behind the connection row's refresh lease, its needs-reauth mark and the
 * proactive-refresh claim. Only `ConnectionStore` calls them: it is the one owner of the row
 * (docs/guarantees.md#g18).
 *
 * A replica may call Ramp's token endpoint for a connection only while it holds the lease:
 * `UPDATE … SET lease_owner = me, lease_until = now + ttl WHERE lease is free RETURNING *` — one
 * atomic statement on both SQLite and PostgreSQL, so exactly one replica wins. The TTL is longer than
 * the token request timeout plus the write, so a lease only expires when its holder died; the row's
 * `version` then fences out a holder that comes back late. Unlike a Redis `SET NX PX` lock, the
 * lease has an owner, lives in the same row as the tokens, and needs no extra service.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { RampConnectionsTable } from '../db/schema.ts';
import { claimDue } from '../core/claim-due.ts';

export interface Lease {
  /** The row as it is under our lease (re-read by the claiming statement itself). */
  readonly row: RampConnectionsTable;
  readonly attemptId: string;
  /** A previous attempt started and never finished: Ramp may have rotated the refresh token then. */
  readonly previousAttemptInterrupted: boolean;
}

export async function acquireLease(db: Db, row: RampConnectionsTable, owner: string, ttlMs: number, now: number): Promise<Lease | undefined> {
  const attemptId = randomUUID();
  const leased = await db.kysely
    .updateTable('ramp_connections')
    .set({ lease_owner: owner, lease_until: now + ttlMs, refresh_attempt_id: attemptId, refresh_attempt_at: now })
    .where('id', '=', row.id)
    .where('status', '=', 'connected')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]))
    .returningAll()
    .executeTakeFirst();
  if (!leased) return undefined;
  return { row: leased, attemptId, previousAttemptInterrupted: row.refresh_attempt_id !== null && row.lease_owner !== owner };
}

/**
 * Gives the lease back after a failed attempt. `keepAttempt` leaves the attempt id in place when the
 * outcome at Ramp is unknown (timeout, dropped connection): Ramp may have rotated the refresh token.
 */
export async function releaseLease(db: Db, lease: Lease, owner: string, changes: Partial<RampConnectionsTable>, keepAttempt: boolean): Promise<void> {
  await db.kysely
    .updateTable('ramp_connections')
    .set({ lease_owner: null, lease_until: null, ...(keepAttempt ? {} : { refresh_attempt_id: null, refresh_attempt_at: null }), ...changes })
    .where('id', '=', lease.row.id)
    .where('lease_owner', '=', owner)
    .where('version', '=', lease.row.version)
    .execute();
}

/** Identifies this process as a lease owner. */
export function newReplicaId(): string {
  return `${process.pid}-${randomUUID().slice(0, 8)}`;
}

/**
 * Marks the connection `needs_reauth` if it is still connected at `row.version` (a sibling that refreshed
 * meanwhile wins). True only for the one writer whose update took effect: one event per transition.
 */
export async function markNeedsReauth(db: Db, row: RampConnectionsTable, reason: string, message: string, now: number): Promise<boolean> {
  const result = await db.kysely
    .updateTable('ramp_connections')
    .set({ status: 'needs_reauth', status_reason: reason, last_error: message, last_error_at: now, lease_owner: null, lease_until: null, next_refresh_at: null, updated_at: now })
    .where('id', '=', row.id)
    .where('status', '=', 'connected')
    .where('version', '=', row.version)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Leases up to `limit` connections whose `next_refresh_at` has passed to `owner`; returns their business ids. */
export async function claimDueRefreshes(db: Db, owner: string, options: { now: number; leaseMs: number; limit: number }): Promise<string[]> {
  const { now } = options;
  const rows = await claimDue(db.kysely, db.dialect, {
    table: 'ramp_connections',
    key: 'id',
    due: (q) =>
      q
        .where('status', '=', 'connected')
        .where('next_refresh_at', '<=', now)
        .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
        .orderBy('next_refresh_at')
        .limit(options.limit),
    set: { lease_owner: owner, lease_until: now + options.leaseMs },
    recheck: (q) => q.where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)])),
  })
    .returning(['business_id'])
    .execute();
  return rows.map((r) => r.business_id);
}
