/**
 * @module A record's large array fields stored apart, in parts (migration 0017_record_parts): written
 * while Ramp's page streams in, switched to at the page commit, spliced back for readers, and swept
 * when no record uses them.
 *
 * Life of a generation: the sync writes a record read's parts under a fresh generation before the
 * page commits (src/ramp/kept-array-scanner.ts hands them over, ~256 KB each). The commit upserts the
 * record with `parts_generation` = that generation when the record changed, then deletes every
 * generation of those records that no row points to (the replaced one, or the new one when the
 * record was unchanged), in the same transaction: a reader that reads the row and its parts in one
 * transaction (`readInSnapshot`) sees one whole generation. A page whose read failed after some parts
 * were written leaves parts no record points to; each sync sweeps those of its business at its start.
 */
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { PartSink } from '../ramp/kept-array-scanner.ts';
import './sync-schema.ts';

/** Writes parts for `businessId`, each in its own statement (a part is ~256 KB; the page commits later). */
export function partSink(db: Kysely<Database>, businessId: string, now: () => number): PartSink {
  return {
    async write({ generation, field, partNo, text }) {
      await db.insertInto('ramp_record_parts').values({ business_id: businessId, generation, field, part_no: partNo, text, created_at: now() }).execute();
    },
  };
}

/** The `parts_generation` of each of `ids` (of one resource) that has one. */
export async function partsGenerationsOf(trx: Kysely<Database>, businessId: string, resource: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await trx
    .selectFrom('ramp_records')
    .select('parts_generation')
    .where('business_id', '=', businessId)
    .where('resource', '=', resource)
    .where('id', 'in', ids)
    .where('parts_generation', 'is not', null)
    .execute();
  return new Set(rows.map((row) => row.parts_generation!));
}

/** A part whose generation no record of the business points to. */
function noRecordPointsTo(businessId: string) {
  return ({ not, exists, selectFrom }: ExpressionBuilder<Database, 'ramp_record_parts'>) =>
    not(exists(selectFrom('ramp_records').select(sql.lit(1).as('one')).where('ramp_records.business_id', '=', businessId).whereRef('ramp_records.parts_generation', '=', 'ramp_record_parts.generation')));
}

/** Deletes the parts of `generations` that no record of the business points to (inside the page commit). */
export async function dropUnusedGenerations(trx: Kysely<Database>, businessId: string, generations: Iterable<string>): Promise<void> {
  const candidates = [...new Set(generations)];
  if (candidates.length === 0) return;
  await trx
    .deleteFrom('ramp_record_parts')
    .where('business_id', '=', businessId)
    .where('generation', 'in', candidates)
    .where(noRecordPointsTo(businessId))
    .execute();
}

/**
 * Deletes the business's parts written before `before` that no record points to: reads that failed
 * after writing some parts. Run by a sync as it starts (`before` = its start), when no other process
 * may write this business's records; parts written since (its own) are never touched.
 */
export async function sweepOrphanParts(db: Kysely<Database>, businessId: string, before: number): Promise<number> {
  const result = await db
    .deleteFrom('ramp_record_parts')
    .where('business_id', '=', businessId)
    .where('created_at', '<', before)
    .where(noRecordPointsTo(businessId))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A stored row as readers select it: its `data` and the generation of its parts, if any. */
export interface RowWithParts {
  readonly data: string;
  readonly parts_generation: string | null;
}

/**
 * `rows` with each record's parts spliced back into `data` (as the fields Ramp sent, after the
 * others). Call inside the transaction that read the rows (`readInSnapshot`), so the parts are the
 * ones the rows point to.
 */
export async function spliceParts<T extends RowWithParts>(trx: Kysely<Database>, businessId: string, rows: readonly T[]): Promise<T[]> {
  const generations = [...new Set(rows.flatMap((row) => (row.parts_generation === null ? [] : [row.parts_generation])))];
  if (generations.length === 0) return [...rows];
  const parts = await trx
    .selectFrom('ramp_record_parts')
    .select(['generation', 'field', 'text'])
    .where('business_id', '=', businessId)
    .where('generation', 'in', generations)
    .orderBy('generation')
    .orderBy('field')
    .orderBy('part_no')
    .execute();
  const fields = new Map<string, Map<string, string[]>>();
  for (const part of parts) {
    let byField = fields.get(part.generation);
    if (!byField) fields.set(part.generation, (byField = new Map()));
    let texts = byField.get(part.field);
    if (!texts) byField.set(part.field, (texts = []));
    texts.push(part.text);
  }
  return rows.map((row) => {
    const byField = row.parts_generation === null ? undefined : fields.get(row.parts_generation);
    if (!byField) return row;
    // `data` is a JSON object with at least its `id`: each field goes in before its closing brace.
    let data = row.data.slice(0, row.data.lastIndexOf('}'));
    for (const [field, texts] of byField) data += `,${JSON.stringify(field)}:${texts.join('')}`;
    return { ...row, data: `${data}}` };
  });
}

/**
 * Runs `read` in one transaction whose reads all see the same committed state (PostgreSQL's
 * `repeatable read`; an SQLite transaction reads one snapshot), so rows and their parts agree.
 */
export function readInSnapshot<T>(db: Kysely<Database>, read: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.transaction().setIsolationLevel('repeatable read').execute(read);
}
