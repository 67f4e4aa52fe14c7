/** @module Column types that differ between SQLite and PostgreSQL. */
import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '../database.ts';

/** A growing integer key: SQLite's rowid alias, PostgreSQL's bigserial. */
export function autoIncrementId(dialect: Dialect): RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`bigserial` : sql`integer`;
}

/** Binary data (ciphertexts): `bytea` on PostgreSQL, `blob` on SQLite; both read back as `Uint8Array`. */
export function binary(dialect: Dialect): RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`bytea` : sql`blob`;
}
