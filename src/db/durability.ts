/**
 * @module Startup check that an acknowledged commit survives a crash or power cut
 * (docs/guarantees.md#g40): a rotated refresh token that is acknowledged and then lost is a
 * grant lost for good under strict rotation.
 * - SQLite: WAL with `synchronous=FULL` (set by openDatabase; sqlite.org/pragma.html#pragma_synchronous).
 * - PostgreSQL: `synchronous_commit` not `off` (PostgreSQL docs, "Non-Durable Settings"); any other
 *   value waits at least for the local WAL flush. Checked, not set: a startup `options` parameter
 *   would be refused by PgBouncer in transaction mode.
 */
import { sql } from 'kysely';
import { ConfigError } from '../config/config.ts';
import type { Db } from './database.ts';

export async function assertDurableCommits(db: Db): Promise<void> {
  if (db.dialect === 'postgres') {
    const { rows } = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db.kysely);
    const setting = rows[0]?.synchronous_commit;
    if (setting === 'off') throw new ConfigError('PostgreSQL has synchronous_commit=off: a crash could lose acknowledged token rotations. Set it to on (ALTER DATABASE … SET synchronous_commit = on, or in postgresql.conf)');
    return;
  }
  const [{ journal_mode: journal } = { journal_mode: '' }] = (await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db.kysely)).rows;
  const [{ synchronous } = { synchronous: -1 }] = (await sql<{ synchronous: number }>`pragma synchronous`.execute(db.kysely)).rows;
  // An in-memory database (tests) has no journal on disk to check.
  if (journal === 'memory') return;
  if (journal !== 'wal' || synchronous < 2) throw new ConfigError(`SQLite runs with journal_mode=${journal}, synchronous=${synchronous}; WAL with synchronous=FULL (2) or EXTRA (3) is required so acknowledged token rotations survive a power cut`);
}
