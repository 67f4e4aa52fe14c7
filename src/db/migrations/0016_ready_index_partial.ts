/**
 * @module The ready feed's index on `ramp_records` holds only the records Ramp lists as
 * `SYNC_READY` (issue 13).
 *
 * Why: the feed (src/accounting/ready-feed.ts) only ever asks for `sync_status = 'SYNC_READY'`, yet the
 * full index took an entry for every record a sync writes, at a random place, and was the costliest of
 * the table's indexes to keep during a sync's bulk writes (bench/upsert-write.ts, 93k records: 1.1 s
 * CPU and 300 MB of WAL of 6 s and 1.27 GB). Ready objects are the few waiting for the books. Both
 * planners use a partial index whose condition the query's WHERE repeats.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('ramp_records_sync_status_idx').execute();
  await sql`create index ramp_records_ready_idx on ramp_records (business_id, resource, occurred_at, id) where sync_status = 'SYNC_READY'`.execute(db);
}
