/**
 * Checklist #40: the server refuses to start on settings that could lose an acknowledged commit —
 * SQLite without WAL + synchronous=FULL, PostgreSQL with synchronous_commit=off. The check itself on
 * both dialects, and `ramp-connect serve` refusing a PostgreSQL database set to lose commits (SQLite's
 * settings are `serve`'s own: openDatabase sets them, nothing outside can turn them off).
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { assertDurableCommits } from '../../src/db/durability.ts';
import { runCli, startServerProcess } from '../helpers/processes.ts';
import { createTestDatabase, DIALECTS } from '../helpers/test-db.ts';
import { TEST_ENCRYPTION_KEYS, freePort } from '../helpers/test-server.ts';

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

describe.runIf(DIALECTS.includes('postgres'))('postgres: `serve` checks durability before serving', () => {
  it('exits 1 naming synchronous_commit when the database drops commits on a crash; starts once it does not', async () => {
    const test = await createTestDatabase('postgres');
    const admin = openDatabase(test.url);
    const name = new URL(test.url).pathname.slice(1);
    const env = async () => {
      const port = await freePort();
      // RAMP_API_BASE_URL: no in-process emulator (its port could be taken); nothing here calls Ramp.
      return { DATABASE_URL: test.url, RAMP_ENV: 'emulator', RAMP_API_BASE_URL: 'http://127.0.0.1:9', ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' };
    };
    try {
      await sql.raw(`alter database ${name} set synchronous_commit = off`).execute(admin.kysely);
      const refused = await runCli(['serve'], await env(), 60_000);
      expect(refused.code, refused.stdout + refused.stderr).toBe(1);
      expect(refused.stderr).toMatch(/synchronous_commit=off/);
      await sql.raw(`alter database ${name} reset synchronous_commit`).execute(admin.kysely);
      const server = await startServerProcess(await env());
      await server.stop();
    } finally {
      await admin.close();
      await test.drop();
    }
  }, 120_000);
});
