/**
 * @module The chart-of-accounts feature (src/accounting): upload and migration jobs, and chart backups.
 *
 * A job holds the chart the product wants (`desired`, JSON) and its progress; at most one job per
 * business is queued or running (`accounting_chart_jobs_one_active_idx`), claimed with a lease like
 * a sync so a job whose process died is resumed by another. A backup is the chart Ramp held for one
 * accounting connection, kept so a migration can rebuild it on the next connection. The last accounting
 * connection seen on Ramp (`accounting_connection_seen`) is what `GET /api/v1/ramp/status` shows.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('accounting_chart_backups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('connection_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('remote_provider_name', 'varchar(255)')
    .addColumn('chart', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('accounting_chart_backups_business_idx').on('accounting_chart_backups').columns(['business_id', 'created_at']).execute();

  await db.schema
    .createTable('accounting_chart_jobs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('connection_id', 'varchar(64)')
    .addColumn('backup_id', 'varchar(36)')
    .addColumn('target_provider_name', 'varchar(255)')
    .addColumn('desired', 'text', (c) => c.notNull())
    .addColumn('progress', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_until', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('error_code', 'varchar(64)')
    .addColumn('error', 'text')
    .execute();
  await sql`create unique index accounting_chart_jobs_one_active_idx on accounting_chart_jobs (business_id) where status in ('queued', 'running')`.execute(db);
  await db.schema.createIndex('accounting_chart_jobs_runnable_idx').on('accounting_chart_jobs').columns(['status', 'lease_until']).execute();
  await db.schema.createIndex('accounting_chart_jobs_business_idx').on('accounting_chart_jobs').columns(['business_id', 'created_at']).execute();

  await db.schema
    .createTable('accounting_connection_seen')
    .addColumn('business_id', 'varchar(36)', (c) => c.primaryKey().references('businesses.id').onDelete('cascade'))
    .addColumn('connection_id', 'varchar(64)')
    .addColumn('remote_provider_name', 'varchar(255)')
    // 1: an API connection (chart writable), 0: direct (read-only), null: not probed.
    .addColumn('writable', 'integer')
    .addColumn('checked_at', 'bigint', (c) => c.notNull())
    .execute();
}
