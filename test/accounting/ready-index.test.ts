/**
 * The ready feed reads through its partial index (migration 0016): the index holds only `SYNC_READY`
 * records, and a PostgreSQL generic plan can use it only when the query repeats that condition
 * literally (a parameter's value is unknown there; SQLite plans with the bound value, so only the SQL
 * text shows it). Red when ready-feed.ts binds 'SYNC_READY' as a parameter or the index's condition
 * changes.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { listReady } from '../../src/accounting/ready-feed.ts';
import { readyKindOfType } from '../../src/accounting/ready-types.ts';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { Database } from '../../src/db/schema.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/test-db.ts';

describe.each(DIALECTS)('ready feed index (%s)', (dialect) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** The feed's own query, compiled by a Kysely that records what it runs, on a migrated database. */
  async function feedQuery(): Promise<{ test: TestDatabase; kysely: Kysely<Database>; query: CompiledQuery }> {
    const test = await createTestDatabase(dialect);
    cleanups.push(() => test.drop());
    const db = openDatabase(test.url);
    await migrateToLatest(db);
    await db.close();
    const ran: CompiledQuery[] = [];
    const log = (event: { query: CompiledQuery }) => void ran.push(event.query);
    const kysely =
      dialect === 'sqlite'
        ? new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(test.file!) }), log })
        : new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: test.url, max: 1 }) }), log });
    cleanups.push(() => kysely.destroy());
    await listReady(kysely, 'b-1', readyKindOfType('transactions'), 50, undefined);
    expect(ran).toHaveLength(1);
    return { test, kysely, query: ran[0]! };
  }

  it('the query names SYNC_READY literally and the planner picks ramp_records_ready_idx', async () => {
    const { kysely, query } = await feedQuery();
    expect(query.sql).toContain(`'SYNC_READY'`);
    expect(query.parameters).not.toContain('SYNC_READY');
    let plan: string;
    if (dialect === 'sqlite') {
      const rows = await kysely.executeQuery<{ detail: string }>({ ...query, sql: `explain query plan ${query.sql}` });
      plan = rows.rows.map((row) => row.detail).join('\n');
    } else {
      // An empty table is cheapest to scan: forbid that, so the plan shows which index is usable.
      plan = await kysely.connection().execute(async (conn) => {
        await sql`set enable_seqscan = off`.execute(conn);
        const rows = await conn.executeQuery<{ 'QUERY PLAN': string }>({ ...query, sql: `explain ${query.sql}` });
        return rows.rows.map((row) => row['QUERY PLAN']).join('\n');
      });
    }
    expect(plan).toContain('ramp_records_ready_idx');
  });
});
