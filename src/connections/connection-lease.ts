/**
 * @module The cross-process refresh lease on a connection row (docs/guarantees.md#g18). Its statements
 * are called through `ConnectionStore`, the one owner of the row.
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

/** How often a replica waiting for another's lease re-reads the row. */
export const LEASE_POLL_MS = 25;

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
  // A finished attempt clears its id (committed, or released with a known outcome), so an id still on
  // the row is one that never finished — whoever holds the lease now: our own scheduler's claim takes
  // the lease before this, so the owner says nothing about whose attempt that was.
  return { row: leased, attemptId, previousAttemptInterrupted: row.refresh_attempt_id !== null };
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
