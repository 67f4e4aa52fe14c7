/**
 * @module Proactive refresh: every replica periodically claims connections whose `next_refresh_at` has
 * passed and refreshes them, so idle connections stay fresh and callers rarely wait for a refresh.
 *
 * The claim is one statement that leases a batch (src/core/claim-due.ts: `FOR UPDATE SKIP LOCKED` on
 * PostgreSQL, so two replicas take disjoint batches; SQLite has a single writer). It reads through the
 * `(status, next_refresh_at)` index: the cost follows the due set, not the number of connections.
 */
import type { AppContext } from '../app-context.ts';
import { claimDueRefreshes, releaseClaims } from '../connections/connection-store.ts';
import { deleteExpiredAuthorizations } from '../connections/oauth-state.ts';
import type { TokenManager } from './token-manager.ts';

export interface SchedulerOptions {
  readonly ctx: AppContext;
  readonly manager: TokenManager;
  readonly intervalMs?: number;
  readonly batchSize?: number;
  readonly concurrency?: number;
  readonly leaseMs?: number;
}

export interface SchedulerRun {
  readonly claimed: number;
  readonly refreshed: number;
  readonly failed: number;
}

export class RefreshScheduler {
  readonly #o: SchedulerOptions;
  #timer: NodeJS.Timeout | undefined;
  readonly #runs = new Set<Promise<unknown>>();
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#stopped = false;
    const interval = this.#o.intervalMs ?? 5_000;
    const tick = () => {
      if (this.#stopped) return;
      this.runOnce()
        .catch((error) => this.#o.ctx.log.error({ err: error }, 'refresh scheduler run failed'))
        .finally(() => {
          // Jitter keeps replicas from polling in lockstep.
          if (!this.#stopped) this.#timer = setTimeout(tick, interval * (0.75 + Math.random() * 0.5)).unref();
        });
    };
    this.#timer = setTimeout(tick, Math.random() * interval).unref();
  }

  /**
   * Starts no new refresh and waits only for those already at Ramp (at most `concurrency`): a batch of
   * 100 behind a slow token endpoint would otherwise outlast a shutdown's grace period, and a process
   * killed mid-refresh may lose a rotated refresh token (docs/guarantees.md#g20).
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await Promise.allSettled([...this.#runs]);
  }

  /** Leases up to `batchSize` due connections for this replica and returns their business ids. */
  async claimDue(): Promise<string[]> {
    const { db, now } = this.#o.ctx;
    return claimDueRefreshes(db, this.#o.manager.replicaId, { now: now(), leaseMs: this.#o.leaseMs ?? 30_000, limit: this.#o.batchSize ?? 100 });
  }

  async runOnce(): Promise<SchedulerRun> {
    const run = this.#runOnce();
    this.#runs.add(run);
    try {
      return await run;
    } finally {
      this.#runs.delete(run);
    }
  }

  async #runOnce(): Promise<SchedulerRun> {
    const claimed = await this.claimDue();
    let refreshed = 0;
    let failed = 0;
    const queue = [...claimed];
    const worker = async () => {
      for (let id = this.#next(queue); id !== undefined; id = this.#next(queue)) {
        const outcome = await this.#o.manager.refreshIfDue(id);
        if (outcome === 'refreshed') refreshed++;
        else if (outcome === 'failed') failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency ?? 8, queue.length) }, worker));
    // Stopped mid-batch: the claims not worked on go back now rather than lapse after `leaseMs`.
    if (queue.length > 0) await releaseClaims(this.#o.ctx.db, this.#o.manager.replicaId, queue);
    await deleteExpiredAuthorizations(this.#o.ctx.db, this.#o.ctx.now());
    return { claimed: claimed.length, refreshed, failed };
  }

  #next(queue: string[]): string | undefined {
    return this.#stopped ? undefined : queue.shift();
  }
}
