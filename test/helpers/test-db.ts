/**
 * @module Fresh databases for tests, on both dialects (Kysely-style matrix). SQLite always; PostgreSQL
 * when TEST_DATABASE_URL is set (CI sets it, and `CI=true` without it is a failure, not a skip).
 * Each PostgreSQL test database is created new and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Db, type Dialect } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

export const PG_URL = process.env.TEST_DATABASE_URL;

if (process.env.CI === 'true' && !PG_URL) {
  throw new Error('CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests would be skipped');
}

export const DIALECTS: Dialect[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestDatabase {
  readonly url: string;
  readonly dialect: Dialect;
  /** Only for SQLite: the file, so tests can grep it. */
  readonly file?: string;
  drop(): Promise<void>;
}

/** Creates an empty database (not opened) and returns its URL; `serverUrl` names the PostgreSQL server. */
export async function createTestDatabase(dialect: Dialect, serverUrl: string | undefined = PG_URL): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'rc-test-'));
    const file = join(dir, 'test.sqlite');
    return { url: `sqlite:${file}`, dialect, file, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (!serverUrl) throw new Error('no PostgreSQL server: set TEST_DATABASE_URL');
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = `rc_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dialect,
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A created, migrated and opened database; `cleanup` closes and drops it. */
export async function openTestDb(dialect: Dialect): Promise<{ db: Db; test: TestDatabase; cleanup(): Promise<void> }> {
  const test = await createTestDatabase(dialect);
  const db = openDatabase(test.url);
  await migrateToLatest(db);
  return {
    db,
    test,
    cleanup: async () => {
      await db.close();
      await test.drop();
    },
  };
}
