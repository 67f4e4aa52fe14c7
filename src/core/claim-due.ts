/**
 * @module The one claim statement every multi-replica queue uses (proactive refreshes, automatic syncs,
 * queued syncs, webhook deliveries): pick a batch of due rows and lease them in a single
 * `WITH due AS MATERIALIZED (SELECT key … ORDER BY … LIMIT n [FOR UPDATE SKIP LOCKED]) UPDATE … WHERE key IN due`.
 *
 * Why this shape (docs/guarantees.md#claims):
 * - MATERIALIZED: inside `WHERE key IN (…)` PostgreSQL may rescan a `LIMIT n … SKIP LOCKED` subquery
 *   once per outer row, each rescan skipping the rows it has just locked, so one claim could take every
 *   due row. A materialized CTE runs once. SQLite (≥ 3.35) accepts the same syntax.
 * - SKIP LOCKED (PostgreSQL only; SQLite has a single writer): replicas claiming at the same moment take
 *   disjoint batches instead of queueing behind each other's locks.
 * - The caller's re-check runs on the row itself, so a claim another replica committed meanwhile makes
 *   the row drop out instead of being taken twice.
 */
import type { Kysely, SelectQueryBuilder, UpdateObject, UpdateQueryBuilder, UpdateResult } from 'kysely';
import type { Dialect } from '../db/database.ts';
import type { Database } from '../db/schema.ts';

export interface ClaimDueSpec<TB extends keyof Database & string> {
  readonly table: TB;
  /** The column the due set is matched on (the primary key). */
  readonly key: keyof Database[TB] & string;
  /** Narrows the candidate select: the due condition, ordering and batch size. */
  readonly due: (candidates: SelectQueryBuilder<Database, TB, object>) => SelectQueryBuilder<Database, TB, object>;
  /** The lease (or state change) the claim writes. */
  readonly set: UpdateObject<Database, TB, TB>;
  /** Conditions re-checked on each row at update time. */
  readonly recheck: (update: UpdateQueryBuilder<Database, TB, TB, UpdateResult>) => UpdateQueryBuilder<Database, TB, TB, UpdateResult>;
  /** The CTE's name; `due` unless a caller's SQL reads better with another. */
  readonly as?: string;
}

/** The claim statement without `RETURNING`: callers add the columns they need and execute it. */
export function claimDue<TB extends keyof Database & string>(db: Kysely<Database>, dialect: Dialect, spec: ClaimDueSpec<TB>): UpdateQueryBuilder<Database, TB, TB, UpdateResult> {
  const name = spec.as ?? 'due';
  const key: string = spec.key;
  const table: string = spec.table;
  const k = db as unknown as Kysely<any>;
  const claim = k
    .with(
      (cte) => cte(name).materialized(),
      (qb) => {
        const candidates = spec.due(qb.selectFrom(table).select(key) as any) as any;
        return dialect === 'postgres' ? candidates.forUpdate().skipLocked() : candidates;
      },
    )
    .updateTable(table)
    .set(spec.set as any)
    .where(key, 'in', (eb: any) => eb.selectFrom(name).select(`${name}.${key}`));
  return spec.recheck(claim as any);
}
