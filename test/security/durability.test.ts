/**
 * Checklist #40: the server refuses to start on settings that could lose an acknowledged commit —
 * SQLite without WAL + synchronous=FULL, PostgreSQL with synchronous_commit=off.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { assertDurableCommits } from '../../src/db/durability.ts';
import { createTestDatabase, DIALECTS } from '../helpers/test-db.ts';

for (const dialect of DIALECTS) {
  describe(`${dialect}: durable commits are checked at startup`, () => {
    it('passes as openDatabase configures it, fails once durability is switched off', async () => {
      const test = await createTestDatabase(dialect);
      const db = openDatabase(test.url);
      let other: ReturnType<typeof openDatabase> | undefined;
      try {
        await assertDurableCommits(db);
        if (dialect === 'sqlite') {
          await sql`pragma synchronous = NORMAL`.execute(db.kysely);
          await expect(assertDurableCommits(db)).rejects.toThrow(/journal_mode=wal, synchronous=1; WAL with synchronous=FULL/);
        } else {
          const name = new URL(test.url).pathname.slice(1);
          await sql.raw(`alter database ${name} set synchronous_commit = off`).execute(db.kysely);
          // New sessions take the database's setting.
          other = openDatabase(test.url);
          await expect(assertDurableCommits(other)).rejects.toThrow(/synchronous_commit=off/);
        }
      } finally {
        await other?.close();
        await db.close();
        await test.drop();
      }
    });
  });
}
