/**
 * @module One set of migrations for both dialects, applied in order and idempotently
 * (`ramp-connect migrate`, and `serve` on start). Concurrent replicas are serialised by Kysely's migration lock.
 */
import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Db, Dialect } from './database.ts';
import { MIGRATIONS } from './migrations/index.ts';

export function migrationProvider(dialect: Dialect) {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      const out: Record<string, Migration> = {};
      for (const [name, module] of Object.entries(MIGRATIONS)) out[name] = { up: (db) => module.up(db, dialect) };
      return out;
    },
  };
}

/** Applies pending migrations; throws with the failing migration's name on error. */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db: db.kysely, provider: migrationProvider(db.dialect) });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${result.error instanceof Error ? result.error.message : String(result.error)}`, {
      cause: result.error,
    });
  }
  return result;
}
