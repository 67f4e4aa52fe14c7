/**
 * The sync's write path alone (issue 13): `commitPage` of N synthetic records into a fresh database,
 * no Ramp, no HTTP; prints wall and CPU seconds. For A/B of storage changes (indexes, pragmas, commit
 * sizes) on a machine too loaded for the full bench: CPU is the steadier figure, and under
 * `strace -f -c -e trace=pwrite64,pread64` the WAL frames written are exact.
 *
 *   N=300000 MIX=1 BATCH=3200 PRE='pragma cache_size=-32768' D=sqlite node bin/run-ts.js bench/upsert-write.ts
 *
 * MIX=1: the all-resources sync's mix (3/10 with state, user and card like transactions, 2/10 user
 * only like receipts, 2/10 none like memos, 3/10 state only); otherwise every record is a transaction.
 * PRE: SQL statements (`;`-separated) run first, e.g. to swap an index.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createTestDatabase } from '../test/helpers/test-db.ts';
import { commitPage, hashData, type PreparedRecord } from '../src/sync/page-commit.ts';
import { sql } from 'kysely';

const dialect = (process.env.D ?? 'sqlite') as 'sqlite' | 'postgres';
const N = Number(process.env.N ?? 300_000);
const BATCH = Number(process.env.BATCH ?? 3200);
const tdb = await createTestDatabase(dialect);
const db = openDatabase(tdb.url);
await migrateToLatest(db);
const biz = randomUUID();
await db.kysely.insertInto('businesses' as any).values({ id: biz, name: 'b', created_at: 0 } as any).execute();
if (process.env.PRE) for (const s of process.env.PRE.split(';')) await sql.raw(s).execute(db.kysely);
const syncId = randomUUID();
await db.kysely.insertInto('syncs' as any).values({ id: syncId, business_id: biz, status: 'running', trigger: 'manual', lease_owner: 'me', lease_until: 1e15, created_at: 0, updated_at: 0, progress: '{}' } as any).execute();
const pad = 'x'.repeat(1000); // about a transaction's size
const users = Array.from({ length: 4800 }, () => randomUUID());
const cards = Array.from({ length: 8000 }, () => randomUUID());
let k = 0;
function rec(): PreparedRecord {
  k++;
  const kind = process.env.MIX ? (k % 10 < 3 ? 't' : k % 10 < 5 ? 'r' : k % 10 < 7 ? 'm' : 'o') : 't';
  const id = randomUUID();
  const data = JSON.stringify({ id, pad });
  return { id, data, hash: hashData(data), columns: { amount_cents: 1234, currency: 'USD', occurred_at: Date.now() - Math.floor(Math.random() * 3e10), state: kind === 't' || kind === 'o' ? 'CLEARED' : null, user_id: kind === 't' || kind === 'r' ? users[Math.floor(Math.random() * users.length)]! : null, card_id: kind === 't' ? cards[Math.floor(Math.random() * cards.length)]! : null, department_id: null, link_id: null } as any };
}
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let done = 0; done < N; done += BATCH) {
  const records = Array.from({ length: Math.min(BATCH, N - done) }, rec);
  await commitPage(db.kysely, dialect, { businessId: biz, syncId, owner: 'me', leaseUntil: 1e15, resource: 'transactions', streamKey: 'transactions', records, cursor: { v: 1, fingerprint: 'f', completedRunStartedAt: null, run: null } as any, progress: () => ({}) as any, now: Date.now() });
}
const c = process.cpuUsage(c0);
const io = Object.fromEntries(readFileSync('/proc/self/io', 'utf8').trim().split('\n').map((line) => line.split(': ')).map(([k, v]) => [k, Math.round(Number(v) / 1e6)]));
console.log(JSON.stringify({ dialect, N, BATCH, pre: process.env.PRE ?? '', wallS: Math.round(performance.now() - t0) / 1000, userS: c.user / 1e6, sysS: c.system / 1e6, writtenMb: io.wchar, readMb: io.rchar }));
await db.close();
await tdb.drop();
