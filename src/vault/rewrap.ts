/**
 * @module Online key rotation: rewraps every row's data key under the active KEK, in batches, with a
 * compare-and-set on the old wrapped bytes so a row rewritten meanwhile is never clobbered (it is picked
 * up again on the next pass). Idempotent and resumable: a killed run just leaves rows for the next one.
 */
import type { Kysely } from 'kysely';
import type { Db } from '../db/database.ts';
import { ENCRYPTED_TABLES } from './encrypted-tables.ts';
import { CredentialsCorruptError, type Vault } from './vault.ts';

export interface RewrapResult {
  rewrapped: number;
  /** Rows whose data key could not be unwrapped (unknown key or tampered); left untouched. */
  corrupt: number;
}

export async function rewrapAll(db: Db, vault: Vault, options: { batchSize?: number } = {}): Promise<RewrapResult> {
  const k = db.kysely as Kysely<any>;
  const batchSize = options.batchSize ?? 500;
  const result: RewrapResult = { rewrapped: 0, corrupt: 0 };
  for (const t of ENCRYPTED_TABLES) {
    const skip = new Set<string>();
    for (;;) {
      const active = vault.activeKid;
      const rows = await k
        .selectFrom(t.table)
        .selectAll()
        .where('data_key_kid', '!=', active)
        .$if(skip.size > 0, (q) => q.where(t.idColumn, 'not in', [...skip]))
        .orderBy(t.idColumn)
        .limit(batchSize)
        .execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        const id = row[t.idColumn] as string;
        try {
          const next = vault.rewrap(t.scope(row), row.data_key);
          if (!next) continue;
          const updated = await k
            .updateTable(t.table)
            .set({ data_key: next.wrapped, data_key_kid: next.kid })
            .where(t.idColumn, '=', id)
            .where('data_key', '=', row.data_key)
            .executeTakeFirst();
          if (Number(updated.numUpdatedRows) === 1) result.rewrapped++;
        } catch (error) {
          if (!(error instanceof CredentialsCorruptError)) throw error;
          skip.add(id);
          result.corrupt++;
        }
      }
    }
  }
  return result;
}

/** Rows per key id, per table: a key with no rows can be removed. */
export async function keyUsage(db: Db): Promise<Record<string, Record<string, number>>> {
  const k = db.kysely as Kysely<any>;
  const usage: Record<string, Record<string, number>> = {};
  for (const t of ENCRYPTED_TABLES) {
    const rows = await k.selectFrom(t.table).select(['data_key_kid', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('data_key_kid').execute();
    for (const row of rows) {
      usage[row.data_key_kid] ??= {};
      usage[row.data_key_kid]![t.table] = Number(row.n);
    }
  }
  return usage;
}
