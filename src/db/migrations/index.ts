/** @module The ordered list of migrations. Names sort in application order; never rename one that shipped. */
import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';
import * as m0001 from './0001_foundation.ts';

export interface DialectMigration {
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

export const MIGRATIONS: Record<string, DialectMigration> = {
  '0001_foundation': m0001,
};
