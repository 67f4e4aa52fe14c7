/**
 * PostgreSQL stores the synced records' text LZ4-compressed (migration 0019): new values of
 * `ramp_records.data` and `ramp_record_parts.text` over the TOAST threshold are compressed with LZ4, and
 * read back byte for byte. (Skipped without PostgreSQL; SQLite does not compress.)
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, PG_URL } from '../helpers/test-db.ts';

describe.skipIf(!PG_URL)('postgres: records compressed with LZ4', () => {
  let t: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    t = await openTestDb('postgres');
  });
  afterAll(async () => t?.cleanup());

  it('a transaction-sized record and a statement part are stored LZ4-compressed and read back exactly', async () => {
    const db = t.db.kysely;
    const businessId = randomUUID();
    await db.insertInto('businesses').values({ id: businessId, name: 'b', created_at: 0 } as never).execute();
    // ~3 KB of JSON: over the ~2 KB threshold at which PostgreSQL compresses a row's values.
    const data = JSON.stringify({ id: 'txn', memo: 'lunch with the team '.repeat(150) });
    await db.insertInto('ramp_records').values({ business_id: businessId, resource: 'transactions', id: 'txn', data, data_hash: 'h', occurred_at: 0, first_synced_at: 0, updated_at: 0 } as never).execute();
    const text = JSON.stringify(Array.from({ length: 4000 }, (_, i) => ({ id: `line-${i}`, amount: i })));
    await db.insertInto('ramp_record_parts').values({ business_id: businessId, generation: 'g', field: 'statement_lines', part_no: 0, text, created_at: 0 } as never).execute();

    const record = await sql<{ data: string; method: string | null }>`select data, pg_column_compression(data) as method from ramp_records where business_id = ${businessId}`.execute(db);
    expect(record.rows).toEqual([{ data, method: 'lz4' }]);
    const part = await sql<{ text: string; method: string | null }>`select text, pg_column_compression(text) as method from ramp_record_parts where business_id = ${businessId}`.execute(db);
    expect(part.rows).toEqual([{ text, method: 'lz4' }]);
  });
});
