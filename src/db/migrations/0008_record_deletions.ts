/**
 * @module Records Ramp no longer lists, and the transaction a record belongs to (issue 13).
 *
 * - `deleted_at`: set when a complete full read of the resource no longer returns the record
 *   (src/sync/record-deletions.ts); cleared when Ramp lists it again. Reads hide such records unless
 *   asked for them.
 * - `link_id`: the transaction a receipt or memo belongs to, for the read API's `transaction_id`
 *   filter. Indexed only where set: most records (transactions themselves) have none, and an index
 *   entry per transaction would slow the sync's bulk writes for nothing.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ramp_records').addColumn('deleted_at', 'bigint').execute();
  await db.schema.alterTable('ramp_records').addColumn('link_id', 'varchar(64)').execute();
  await sql`create index ramp_records_link_idx on ramp_records (business_id, resource, link_id) where link_id is not null`.execute(db);
}
