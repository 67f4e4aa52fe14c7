/**
 * @module PostgreSQL compresses the synced records' text with LZ4 instead of its default pglz (issue 13).
 *
 * Why: a value over ~2 KB (a transaction averages 2.0 KB of JSON, a statement part 256 KB) is
 * compressed on insert, and pglz is the slower codec: in a 100k-transaction sync of every resource
 * (308k records, bench/sync-throughput.ts, two alternating runs each) the PostgreSQL backends used
 * 14.1 and 14.1 s of CPU with pglz, 13.5 and 12.6 s with LZ4 (the sync 20.6–21.2 s against
 * 19.8–21.0 s). Only values written from now on are affected; old ones are read as they are
 * (postgresql.org/docs/current/storage-toast.html).
 * Skipped on SQLite, which does not compress, and on a PostgreSQL older than 14 or built without LZ4
 * (`default_toast_compression` then offers no `lz4`).
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

const COLUMNS = [
  ['ramp_records', 'data'],
  ['ramp_record_parts', 'text'],
] as const;

export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  const { rows } = await sql<{ lz4: boolean }>`select coalesce(bool_or('lz4' = any(enumvals)), false) as lz4 from pg_settings where name = 'default_toast_compression'`.execute(db);
  if (!rows[0]?.lz4) return;
  for (const [table, column] of COLUMNS) await sql.raw(`alter table ${table} alter column ${column} set compression lz4`).execute(db);
}
