/**
 * @module Ramp data sync: the synced records, their change history, sync runs, per-stream cursors,
 * and which Ramp business each of our businesses is connected to (for webhooks).
 *
 * `ramp_records` keeps Ramp's object verbatim (`data`, JSON text) plus the columns the read API
 * filters and sorts on; every index leads with `business_id` because every query is tenant-scoped.
 * At most one queued-or-running sync per business is enforced by a partial unique index, so two
 * replicas (or a double click) cannot start two.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';
import { autoIncrementId } from './column-types.ts';

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('ramp_records')
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('resource', 'varchar(32)', (c) => c.notNull())
    .addColumn('id', 'varchar(64)', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('data_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('amount_cents', 'bigint')
    .addColumn('currency', 'varchar(3)')
    // Epoch ms of the record's own time (transaction time, created_at, …); 0 when it has none.
    .addColumn('occurred_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('state', 'varchar(32)')
    .addColumn('user_id', 'varchar(64)')
    .addColumn('card_id', 'varchar(64)')
    .addColumn('department_id', 'varchar(64)')
    .addColumn('first_synced_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_sync_id', 'varchar(36)')
    .addPrimaryKeyConstraint('ramp_records_pk', ['business_id', 'resource', 'id'])
    .execute();
  // List order (newest first) and date filters; the other filters narrow the same scan.
  await db.schema.createIndex('ramp_records_time_idx').on('ramp_records').columns(['business_id', 'resource', 'occurred_at', 'id']).execute();
  await db.schema.createIndex('ramp_records_state_idx').on('ramp_records').columns(['business_id', 'resource', 'state', 'occurred_at']).execute();
  await db.schema.createIndex('ramp_records_user_idx').on('ramp_records').columns(['business_id', 'resource', 'user_id', 'occurred_at']).execute();
  await db.schema.createIndex('ramp_records_card_idx').on('ramp_records').columns(['business_id', 'resource', 'card_id', 'occurred_at']).execute();

  await db.schema
    .createTable('ramp_record_changes')
    .addColumn('id', autoIncrementId(dialect), (c) => c.primaryKey())
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('resource', 'varchar(32)', (c) => c.notNull())
    .addColumn('record_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('sync_id', 'varchar(36)')
    .addColumn('field', 'varchar(32)', (c) => c.notNull())
    .addColumn('old_value', 'text')
    .addColumn('new_value', 'text')
    .addColumn('changed_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ramp_record_changes_record_idx').on('ramp_record_changes').columns(['business_id', 'resource', 'record_id']).execute();

  await db.schema
    .createTable('syncs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('trigger', 'varchar(16)', (c) => c.notNull())
    .addColumn('progress', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_until', 'bigint')
    // A webhook arrived while this sync was running: run another incremental one after it.
    .addColumn('follow_up', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();
  await sql`create unique index syncs_one_active_idx on syncs (business_id) where status in ('queued', 'running')`.execute(db);
  await db.schema.createIndex('syncs_business_idx').on('syncs').columns(['business_id', 'created_at']).execute();
  await db.schema.createIndex('syncs_runnable_idx').on('syncs').columns(['status', 'lease_until']).execute();

  await db.schema
    .createTable('sync_cursors')
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    // A stream: a resource, or a resource under one filter value (e.g. `transactions card_id=…`).
    .addColumn('resource', 'varchar(160)', (c) => c.notNull())
    .addColumn('cursor', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_cursors_pk', ['business_id', 'resource'])
    .execute();

  await db.schema
    .createTable('ramp_business_links')
    .addColumn('ramp_business_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ramp_business_links_pk', ['ramp_business_id', 'business_id'])
    .execute();
  await db.schema.createIndex('ramp_business_links_business_idx').on('ramp_business_links').column('business_id').execute();
}
