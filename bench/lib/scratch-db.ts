/** @module Scratch databases for the bench: a temp SQLite file, or a new database on a PostgreSQL server. */
import type { Dialect } from '../../src/db/database.ts';
import { createTestDatabase } from '../../test/helpers/test-db.ts';

export const PG_SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;

export async function scratchDatabase(dialect: Dialect): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'postgres' && !PG_SERVER_URL) throw new Error('set BENCH_DATABASE_URL or TEST_DATABASE_URL for PostgreSQL figures');
  return createTestDatabase(dialect, PG_SERVER_URL);
}
