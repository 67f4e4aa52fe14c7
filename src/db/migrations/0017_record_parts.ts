/**
 * @module Large array fields of a record stored apart, in parts (issue 13).
 *
 * Why: a `Statement` lists every line of its period (`statement_lines`, ~11 MB at 1,000,000
 * transactions, growing with the business). The sync streams such an array to `ramp_record_parts` in
 * parts of ~256 KB while Ramp's page arrives (src/ramp/kept-array-scanner.ts) and never holds it whole,
 * so its memory stays flat in the data. A record read writes its parts under a fresh `generation`;
 * the page commit points the record at it (`parts_generation`) and deletes the generation it replaced,
 * so readers see one complete generation or the other. Parts of a read that never committed (a
 * retried or cut page) belong to no record and are swept (src/sync/record-parts.ts).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ramp_records').addColumn('parts_generation', 'varchar(36)').execute();
  // The sweep asks which generations records still use: only the few records with parts are indexed.
  await sql`create index ramp_records_parts_idx on ramp_records (business_id, parts_generation) where parts_generation is not null`.execute(db);
  await db.schema
    .createTable('ramp_record_parts')
    .addColumn('business_id', 'varchar(36)', (c) => c.notNull().references('businesses.id').onDelete('cascade'))
    .addColumn('generation', 'varchar(36)', (c) => c.notNull())
    // The record's field the part belongs to (`statement_lines`).
    .addColumn('field', 'varchar(64)', (c) => c.notNull())
    .addColumn('part_no', 'integer', (c) => c.notNull())
    // A slice of the field's JSON text, cut after a comma between elements; the parts joined in order are the array.
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ramp_record_parts_pk', ['business_id', 'generation', 'field', 'part_no'])
    .execute();
}
