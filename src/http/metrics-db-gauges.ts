/**
 * @module Gauges read from the database when `/metrics` is scraped: connections by status, the sync
 * queue, the outbound webhook backlog, and PostgreSQL's connection pool. The database is shared by
 * every replica, so these are the deployment's figures (each replica reports the same values; use
 * `max` across replicas, not `sum`); the counters in registry.ts are this process's own.
 *
 * These are the only queries that count across businesses, on purpose: aggregates for the operator,
 * no id leaves them. Each reads an index that leads with `status` (migrations 0002–0004).
 * A registry per app (not the process registry) because tests run several apps, each on its own database.
 */
import { Gauge, Registry } from 'prom-client';
import type { Db } from '../db/database.ts';
import type {} from '../events/events-schema.ts';
import type {} from '../sync/sync-schema.ts';

export class DbGauges {
  readonly registry = new Registry();
  readonly #db: Db;
  readonly #now: () => number;
  readonly #up: Gauge;
  readonly #connections: Gauge<'status'>;
  readonly #syncs: Gauge<'status'>;
  readonly #oldestQueued: Gauge;
  readonly #backlog: Gauge;
  readonly #backlogOldest: Gauge;
  readonly #dead: Gauge;
  readonly #pool: Gauge<'state'> | undefined;
  readonly #poolMax: Gauge | undefined;

  constructor(db: Db, now: () => number) {
    this.#db = db;
    this.#now = now;
    const registers = [this.registry];
    this.#up = new Gauge({ name: 'ramp_connect_metrics_db_up', help: '1 when the database answered this scrape\'s queries; 0 and no database gauges otherwise', registers });
    this.#connections = new Gauge({ name: 'ramp_connect_connections', help: 'Ramp connections by status (all businesses)', labelNames: ['status'] as const, registers });
    this.#syncs = new Gauge({ name: 'ramp_connect_syncs_active', help: 'Syncs queued or running (all businesses)', labelNames: ['status'] as const, registers });
    this.#oldestQueued = new Gauge({ name: 'ramp_connect_sync_oldest_queued_seconds', help: 'Age of the oldest queued sync, 0 when none waits', registers });
    this.#backlog = new Gauge({ name: 'ramp_connect_webhook_backlog', help: 'Outbound webhook deliveries not yet delivered (pending, retries included)', registers });
    this.#backlogOldest = new Gauge({ name: 'ramp_connect_webhook_backlog_oldest_seconds', help: 'Age of the oldest pending outbound webhook delivery, 0 when none', registers });
    this.#dead = new Gauge({ name: 'ramp_connect_webhook_deliveries_dead', help: 'Outbound webhook deliveries that gave up after every attempt', registers });
    if (db.pool) {
      this.#pool = new Gauge({ name: 'ramp_connect_db_pool_connections', help: 'PostgreSQL pool connections of this process: total, idle, and queries waiting for one', labelNames: ['state'] as const, registers });
      this.#poolMax = new Gauge({ name: 'ramp_connect_db_pool_max', help: 'PostgreSQL pool size limit of this process', registers });
    }
  }

  /** Reads the figures and returns them in Prometheus text format. A database failure gives `ramp_connect_metrics_db_up 0`. */
  async metrics(): Promise<string> {
    this.#readPool();
    try {
      await this.#read();
      this.#up.set(1);
    } catch {
      for (const gauge of [this.#connections, this.#syncs, this.#oldestQueued, this.#backlog, this.#backlogOldest, this.#dead]) gauge.reset();
      this.#up.set(0);
    }
    return this.registry.metrics();
  }

  #readPool(): void {
    const pool = this.#db.pool;
    if (!pool || !this.#pool) return;
    this.#pool.set({ state: 'total' }, pool.totalCount);
    this.#pool.set({ state: 'idle' }, pool.idleCount);
    this.#pool.set({ state: 'waiting' }, pool.waitingCount);
    this.#poolMax?.set(pool.options.max ?? 10);
  }

  async #read(): Promise<void> {
    const db = this.#db.kysely;
    const now = this.#now();
    const [connections, syncs, deliveries] = await Promise.all([
      db.selectFrom('ramp_connections').select((eb) => ['status', eb.fn.countAll<number>().as('n')]).groupBy('status').execute(),
      db
        .selectFrom('syncs')
        .select((eb) => ['status', eb.fn.countAll<number>().as('n'), eb.fn.min<number>('created_at').as('oldest')])
        .where('status', 'in', ['queued', 'running'])
        .groupBy('status')
        .execute(),
      db
        .selectFrom('webhook_deliveries')
        .select((eb) => ['status', eb.fn.countAll<number>().as('n'), eb.fn.min<number>('created_at').as('oldest')])
        .where('status', 'in', ['pending', 'dead'])
        .groupBy('status')
        .execute(),
    ]);
    const count = <R extends { status: string; n: number | string }>(rows: R[], status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    const age = (rows: { status: string; oldest: number | string | null }[], status: string) => {
      const oldest = rows.find((r) => r.status === status)?.oldest;
      return oldest === undefined || oldest === null ? 0 : Math.max(0, (now - Number(oldest)) / 1000);
    };
    // Every status is always reported, 0 included, so a series does not vanish when it empties.
    for (const status of ['connected', 'needs_reauth', 'revoke_pending']) this.#connections.set({ status }, count(connections, status));
    for (const status of ['queued', 'running']) this.#syncs.set({ status }, count(syncs, status));
    this.#oldestQueued.set(age(syncs, 'queued'));
    this.#backlog.set(count(deliveries, 'pending'));
    this.#backlogOldest.set(age(deliveries, 'pending'));
    this.#dead.set(count(deliveries, 'dead'));
  }
}
