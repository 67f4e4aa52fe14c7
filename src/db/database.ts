/**
 * @module Opens the database named by a URL: `sqlite:<path>` (embedded, one replica) or
 * `postgres://…` (several replicas may share it). Both speak the same Kysely schema.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { withNamedStatements } from './named-statements.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /** PostgreSQL's connection pool, for metrics (SQLite has one connection and no pool). */
  readonly pool?: PoolStats;
  close(): Promise<void>;
}

export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  readonly options: { readonly max?: number | undefined };
}

// int8 columns hold epoch milliseconds, well inside Number's exact range; pg returns them as strings by default.
pg.types.setTypeParser(20, Number);

export function dialectOf(url: string): Dialect {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres';
  if (url.startsWith('sqlite:')) return 'sqlite';
  throw new TypeError(`DATABASE_URL must start with "sqlite:" or "postgres://", got "${url.split(':')[0]}:"`);
}

export function openDatabase(url: string, options: { poolSize?: number } = {}): Db {
  const dialect = dialectOf(url);
  if (dialect === 'postgres') {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
    // A broken idle connection must not crash the process; the next query gets a fresh one.
    pool.on('error', () => {});
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withNamedStatements(pool) }) });
    return { kysely, dialect, pool, close: () => kysely.destroy() };
  }
  const path = url.slice('sqlite:'.length);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new BetterSqlite3(path === '' ? ':memory:' : path);
  // WAL lets readers run beside the single writer; synchronous=FULL so an acknowledged token rotation
  // survives power loss, not just a process crash (sqlite.org/pragma.html#pragma_synchronous).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // Checkpoint every ~40 MB of WAL instead of SQLite's default 4 MB: a sync rewrites the same index
  // pages commit after commit, and each checkpoint copies them back (and fsyncs) once. Measured on a
  // 100k-record sync's writes: 5.5 s → 4.1 s (issue #6 notes). The WAL is truncated back to this
  // size after a checkpoint (sqlite.org/pragma.html#pragma_journal_size_limit).
  sqlite.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  // A multi-row upsert keeps a statement journal (to undo just that statement on a conflict error)
  // with the original of every page it changes; in a temp file that was ~2M pwrite calls for a
  // 93k-record sync, most of the write path's system time. In memory it is bounded by one
  // statement's pages (sqlite.org/tempfiles.html#stmtjrnl, pragma.html#pragma_temp_store).
  sqlite.pragma('temp_store = MEMORY');
  // A page commit touches every secondary index of ramp_records at random places; with SQLite's
  // default 2 MB cache those pages are spilled mid-transaction and read back (sqlite.org/pragma.html#pragma_cache_size).
  sqlite.pragma(`cache_size = -${CACHE_KIB}`);
  sqlite.pragma(`journal_size_limit = ${WAL_AUTOCHECKPOINT_PAGES * 4096}`);
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { kysely, dialect, close: () => kysely.destroy() };
}

const WAL_AUTOCHECKPOINT_PAGES = 10_000;
const CACHE_KIB = 32 * 1024;
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every statement anew, and on a hot route `prepare` costs as much as
 * running the query. Statements are reusable in better-sqlite3 and Kysely runs one query at a time
 * per connection, so prepared statements are cached by SQL text (small LRU).
 */
function withStatementCache(db: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (text: string) => {
    // Kysely opens SQLite transactions with a deferred BEGIN. Ours all write, and a deferred
    // transaction that reads first cannot upgrade to a writer once another process committed
    // (SQLITE_BUSY_SNAPSHOT, which busy_timeout does not retry); BEGIN IMMEDIATE takes the write lock
    // up front and waits for it instead.
    const source = /^begin$/i.test(text.trim()) ? 'begin immediate' : text;
    let statement = cache.get(source);
    if (statement) {
      cache.delete(source);
    } else {
      statement = db.prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    }
    cache.set(source, statement);
    return statement;
  };
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'prepare') return prepare;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
