/** @module Opens and migrates the configured database for one CLI command, and always closes it. */
import type { Config } from '../../config/config.ts';
import { openDatabase, type Db } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';

export async function withDb<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = openDatabase(config.databaseUrl, { poolSize: 2 });
  try {
    await migrateToLatest(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}
