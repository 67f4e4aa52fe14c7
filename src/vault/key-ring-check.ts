/**
 * @module Startup check that the configured key ring reads what is stored (docs/guarantees.md#g16:
 * a missing or wrong key → the process does not start). Every key id that rows use must be in
 * the ring, and must unwrap the data key of at least one of a few of its rows.
 *
 * Why at startup: a server that ran on would answer `credentials_corrupt` for every connection it
 * touched and mark each `needs_reauth` — customers reconnecting over an operator's configuration
 * mistake (e.g. an old key dropped from ENCRYPTION_KEYS before `keys rotate` finished). The error names
 * key ids only, never key material.
 */
import type { Kysely } from 'kysely';
import { ConfigError } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import { ENCRYPTED_TABLES } from './encrypted-tables.ts';
import { keyUsage } from './rewrap.ts';
import { CredentialsCorruptError, type Vault } from './vault.ts';

/** Rows tried per key id: one tampered row must not stop a server whose key is right. */
const SAMPLE_ROWS = 5;

export async function assertKeyRingReadsStoredRows(db: Db, vault: Vault): Promise<void> {
  const k = db.kysely as Kysely<any>;
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const kid of Object.keys(await keyUsage(db)).sort()) {
    let outcome: 'ok' | 'unknown_key' | 'unreadable' = 'unreadable';
    for (const t of ENCRYPTED_TABLES) {
      const rows = await k.selectFrom(t.table).selectAll().where('data_key_kid', '=', kid).limit(SAMPLE_ROWS).execute();
      for (const row of rows) {
        try {
          vault.unwrap(t.scope(row), row.data_key);
          outcome = 'ok';
          break;
        } catch (error) {
          if (!(error instanceof CredentialsCorruptError)) throw error;
          if (error.reason === 'unknown_key') outcome = 'unknown_key';
        }
      }
      if (outcome !== 'unreadable') break;
    }
    if (outcome === 'unknown_key') missing.push(kid);
    else if (outcome === 'unreadable') wrong.push(kid);
  }
  const problems = [
    ...(missing.length > 0 ? [`stored rows use key id(s) ${missing.join(', ')}, which the key ring does not have (add them back, then run keys rotate)`] : []),
    ...(wrong.length > 0 ? [`key id(s) ${wrong.join(', ')} do not decrypt the rows stored under them (wrong key material for that id?)`] : []),
  ];
  if (problems.length > 0) throw new ConfigError(`Encryption keys: ${problems.join('; ')}. Not starting: serving would mark those connections needs_reauth.`);
}
