/**
 * @module The accounting ready feed (README "The accounting loop"): each synced record's accounting
 * readiness (`sync_status`, projected by src/ramp/resource-descriptors.ts), indexed for the feed, and
 * the failures the product reported through mark-synced, shown on the feed until a later success.
 *
 * Records synced before this migration get their readiness from their stored object: Ramp's
 * `sync_status` verbatim for transactions, reimbursements, transfers and cashbacks. Bills and bill
 * payments are read in full by every sync, which rewrites a record whose readiness differs.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

/** Readiness of the records stored before the column existed, from Ramp's `sync_status` in their object. */
export async function backfillSyncStatus(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const field = dialect === 'postgres' ? sql`(data::jsonb ->> 'sync_status')` : sql`json_extract(data, '$.sync_status')`;
  await sql`update ramp_records set sync_status = ${field}
    where sync_status is null and resource in ('transactions', 'reimbursements', 'transfers', 'cashbacks')
      and ${field} in ('NOT_SYNC_READY', 'SYNC_READY', 'SYNCED')`.execute(db);
}

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema.alterTable('ramp_records').addColumn('sync_status', 'varchar(16)').execute();
  await backfillSyncStatus(db, dialect);
  await db.schema.createIndex('ramp_records_sync_status_idx').on('ramp_records').columns(['business_id', 'resource', 'sync_status', 'occurred_at', 'id']).execute();

  await db.schema
    .createTable('ramp_accounting_sync_failures')
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('resource', 'varchar(32)', (c) => c.notNull())
    .addColumn('object_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('sync_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('failed_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ramp_accounting_sync_failures_pk', ['business_id', 'resource', 'object_id'])
    .execute();
}
