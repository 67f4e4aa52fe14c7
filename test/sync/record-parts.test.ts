/**
 * A statement's lines are stored apart, in parts written while Ramp's page streams in
 * (src/sync/record-parts.ts, src/ramp/kept-array-scanner.ts), on both dialects: read back they are
 * exactly Ramp's statement; an unchanged statement keeps its parts and leaves none behind; a changed
 * one moves to a new generation and the old parts go; parts of a read that never committed are swept
 * by the next sync; a reader never sees a record without its lines while a commit replaces them.
 * Parts of 512 bytes make each statement of the seeded business several parts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateSyncConfig } from '../../src/connections/sync-config.ts';
import { upsertRecords } from '../../src/sync/page-commit.ts';
import { partSink, readInSnapshot, spliceParts, sweepOrphanParts } from '../../src/sync/record-parts.ts';
import { listRecords, type StoredRecord } from '../../src/sync/records-query.ts';
import { withStoredParts } from '../../src/sync/sync-runner.ts';
import { StoredParts } from '../../src/ramp/kept-array-scanner.ts';
import { EMPTY_COLUMNS } from '../../src/ramp/resource-descriptors.ts';
import { request } from '../helpers/http.ts';
import type { Tenant } from '../helpers/tenants.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { connectedTenant, control, startDataApp, startSync, waitForSync, type DataTestApp } from './helpers.ts';

const PART_BYTES = 512;
const SEED = { transactions: 150, reimbursements: 4, bills: 3, vendors: 3, cards: 4, users: 4 };

async function readStatements(t: DataTestApp, tenant: Tenant): Promise<Map<string, any>> {
  const res = await request(`${t.url}/api/v1/ramp/statements?limit=100`, { headers: tenant.headers });
  expect(res.status, res.text).toBe(200);
  return new Map((res.body as { items: any[] }).items.map((item) => [item.id, item]));
}

/** Ramp's statements, as our read API shows them (its money fields added). */
async function rampStatements(t: DataTestApp, rampBusinessId: string): Promise<Map<string, any>> {
  const list = (await control(t.emulator, 'GET', `/records/statements?business_id=${rampBusinessId}`)) as any[];
  return new Map(list.map((s) => [s.id, { ...s, amount_cents: s.ending_balance.amount, currency: s.ending_balance.currency_code }]));
}

interface PartsState {
  /** Record id → its generation. */
  generations: Map<string, string>;
  /** Generation → number of parts. */
  parts: Map<string, number>;
}

async function partsState(t: DataTestApp, businessId: string): Promise<PartsState> {
  const records = await t.db.kysely.selectFrom('ramp_records').select(['id', 'parts_generation']).where('business_id', '=', businessId).where('resource', '=', 'statements').execute();
  const parts = await t.db.kysely
    .selectFrom('ramp_record_parts')
    .select(['generation', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('business_id', '=', businessId)
    .groupBy('generation')
    .execute();
  return { generations: new Map(records.map((r) => [r.id, r.parts_generation!])), parts: new Map(parts.map((p) => [p.generation, Number(p.n)])) };
}

/**
 * Every statement points to a generation with parts, and no part belongs to no statement. (A statement
 * of a quiet period may have lines that fit in one part: the seeded data differ from run to run.)
 */
function expectPartsTidy(state: PartsState): void {
  for (const [id, generation] of state.generations) expect(state.parts.get(generation), `statement ${id}`).toBeGreaterThanOrEqual(1);
  expect([...state.parts.keys()].sort()).toEqual([...new Set(state.generations.values())].sort());
}

describe('a record with parts', () => {
  const columns = EMPTY_COLUMNS;
  it('is stored without them, pointing to their generation; its hash changes when only the lines do, not when only the generation does', () => {
    const record = (hash: string, generation = 'g1') => withStoredParts('s1', { id: 's1', end_date: '2026-11-30', statement_lines: new StoredParts(generation, 2, hash, 10) }, columns);
    const stored = record('aaa');
    expect(JSON.parse(stored.data)).toEqual({ id: 's1', end_date: '2026-11-30' });
    expect(stored.partsGeneration).toBe('g1');
    expect(record('bbb').hash).not.toBe(stored.hash);
    expect(record('aaa', 'g2').hash).toBe(stored.hash);
  });
});

for (const dialect of DIALECTS) {
  describe(`${dialect}: statement lines stored in parts`, () => {
    let t: DataTestApp;
    let tenant: Tenant & { rampBusinessId: string };
    beforeAll(async () => {
      // Four syncs of ~80 Ramp calls each (statements are read in 14-day windows): our 180-per-10-s limiter would hold the third.
      t = await startDataApp(dialect, { sync: { partBytes: PART_BYTES }, client: { rateLimit: { limit: 10_000, windowMs: 10_000 } }, scheduler: false });
      await control(t.emulator, 'POST', '/faults', { rate_limit: false });
      tenant = await connectedTenant(t, SEED);
      await updateSyncConfig(t.db.kysely, tenant.businessId, { sync_statements: true }, Date.now());
    });
    afterAll(async () => t?.close());

    const sync = async () => {
      const done = await waitForSync(t, tenant, (await startSync(t, tenant)).sync_id);
      expect(done.status, `${done.error} ${JSON.stringify(done.progress.errors)}`).toBe('completed');
      return done;
    };

    it('a synced statement reads back exactly as Ramp sent it, its lines from several parts', async () => {
      await sync();
      const theirs = await rampStatements(t, tenant.rampBusinessId);
      expect(theirs.size).toBeGreaterThan(1);
      expect(await readStatements(t, tenant)).toEqual(theirs);
      const state = await partsState(t, tenant.businessId);
      expect(state.generations.size).toBe(theirs.size);
      expectPartsTidy(state);
      expect(Math.max(...state.parts.values())).toBeGreaterThan(1);
    });

    it('a page of statements ends once the text it spliced back reaches the budget; following the cursor reads each whole, once, in order', async () => {
      const read = (maxChars: number, after?: StoredRecord) =>
        listRecords(t.db.kysely, { businessId: tenant.businessId, resource: 'statements', filters: {}, limit: 50, after: after && { key: after.occurred_at, id: after.id } }, maxChars);
      const all = await read(Number.POSITIVE_INFINITY);
      expect(all.hasMore).toBe(false);
      expect(all.rows.length).toBeGreaterThan(2);
      const walk = async (maxChars: number) => {
        const pages: StoredRecord[][] = [];
        for (let page = await read(maxChars); ; page = await read(maxChars, page.rows.at(-1))) {
          pages.push(page.rows);
          if (!page.hasMore) return pages;
        }
      };
      // One character: every page holds its one statement (never none), the last says no more.
      const single = await walk(1);
      expect(single.map((rows) => rows.length)).toEqual(all.rows.map(() => 1));
      expect(single.flat()).toEqual(all.rows);
      // Exactly the first two statements' text: the first page ends after the second.
      const [first, second] = all.rows;
      const pairs = await walk(first!.data.length + second!.data.length);
      expect(pairs[0]!.map((row) => row.id)).toEqual([first!.id, second!.id]);
      expect(pairs.flat()).toEqual(all.rows);
    });

    it('a second sync of unchanged statements rewrites none and leaves no parts behind', async () => {
      const before = await partsState(t, tenant.businessId);
      const second = await sync();
      expect(second.progress.resources.statements.changed).toBe(0);
      const after = await partsState(t, tenant.businessId);
      expect(after).toEqual(before);
    });

    it('a statement that changed moves to a new generation, and the parts it replaced are deleted', async () => {
      const before = await partsState(t, tenant.businessId);
      await control(t.emulator, 'POST', '/mutate', { business_id: tenant.rampBusinessId, resource: 'transactions', kind: 'amount', count: 10 });
      const third = await sync();
      expect(third.progress.resources.statements.changed).toBeGreaterThan(0);
      const after = await partsState(t, tenant.businessId);
      const moved = [...after.generations].filter(([id, generation]) => before.generations.get(id) !== generation);
      expect(moved.length).toBe(third.progress.resources.statements.changed);
      for (const [id] of moved) expect(after.parts.has(before.generations.get(id)!), `old parts of ${id}`).toBe(false);
      expectPartsTidy(after);
      expect(await readStatements(t, tenant)).toEqual(await rampStatements(t, tenant.rampBusinessId));
    });

    it('parts of a read that never committed are swept when the next sync starts; the statements keep theirs', async () => {
      const sink = partSink(t.db.kysely, tenant.businessId, () => Date.now() - 1_000);
      const orphan = randomUUID();
      for (let partNo = 0; partNo < 3; partNo++) await sink.write({ generation: orphan, field: 'statement_lines', partNo, text: '[1,' });
      expect((await partsState(t, tenant.businessId)).parts.get(orphan)).toBe(3);
      await sync();
      const after = await partsState(t, tenant.businessId);
      expect(after.parts.has(orphan)).toBe(false);
      expectPartsTidy(after);
      expect(await readStatements(t, tenant)).toEqual(await rampStatements(t, tenant.rampBusinessId));
    });

    it('the sweep deletes only unused parts written before its cut-off: a read under way keeps its parts', async () => {
      const cutOff = Date.now();
      const [earlier, during] = [randomUUID(), randomUUID()];
      await partSink(t.db.kysely, tenant.businessId, () => cutOff - 1).write({ generation: earlier, field: 'statement_lines', partNo: 0, text: '[1]' });
      await partSink(t.db.kysely, tenant.businessId, () => cutOff).write({ generation: during, field: 'statement_lines', partNo: 0, text: '[1]' });
      expect(await sweepOrphanParts(t.db.kysely, tenant.businessId, cutOff)).toBe(1);
      const parts = (await partsState(t, tenant.businessId)).parts;
      expect([parts.has(earlier), parts.has(during)]).toEqual([false, true]);
      expect(await sweepOrphanParts(t.db.kysely, tenant.businessId, cutOff + 1)).toBe(1);
      expectPartsTidy(await partsState(t, tenant.businessId));
    });

    it('a reader sees a statement with its whole lines while a commit replaces them', async () => {
      const [id, generation] = [...(await partsState(t, tenant.businessId)).generations][0]!;
      const expected = (await readStatements(t, tenant)).get(id);
      const replaced = await readInSnapshot(t.db.kysely, async (trx) => {
        const rows = await trx.selectFrom('ramp_records').select(['data', 'parts_generation']).where('business_id', '=', tenant.businessId).where('resource', '=', 'statements').where('id', '=', id).execute();
        expect(rows[0]!.parts_generation).toBe(generation);
        if (dialect === 'postgres') {
          // Another session replaces the lines and commits between the reader's two reads.
          const next = randomUUID();
          await partSink(t.db.kysely, tenant.businessId, Date.now).write({ generation: next, field: 'statement_lines', partNo: 0, text: '[]' });
          await t.db.kysely.transaction().execute((other) =>
            upsertRecords(other, t.db.dialect, {
              businessId: tenant.businessId, resource: 'statements', syncId: null, now: Date.now(), readAt: Date.now(),
              records: [{ id, data: JSON.stringify({ id }), hash: 'replaced', columns: EMPTY_COLUMNS, partsGeneration: next }],
            }),
          );
          expect((await t.db.kysely.selectFrom('ramp_record_parts').select('generation').where('generation', '=', generation).execute()).length).toBe(0);
        }
        return spliceParts(trx, tenant.businessId, rows);
      });
      const { amount_cents: _cents, currency: _currency, ...ramp } = expected;
      expect(JSON.parse(replaced[0]!.data)).toEqual(ramp);
    });
  });
}
