/**
 * @module The sync feature's engine room: queueing syncs (manual, automatic, webhook), claiming and
 * running them in this process, the scheduler tick, and the numbers the status page shows.
 *
 * Any replica may run any business's sync; the `syncs` lease (syncs-repo.ts) makes sure one does.
 * A sync whose process died is claimed again once its lease expires and resumes from its cursors.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { getSyncConfig } from '../connections/sync-config.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { RampClient } from '../ramp/ramp-client.ts';
import type { AccessTokenProvider } from '../ramp/access-token-provider.ts';
import { CoalescedPass } from '../support/coalesced-pass.ts';
import { claimDueAutoSyncs, scheduleNextAutoSync } from './auto-sync-claim.ts';
import { DEFAULT_RUNNER_SETTINGS, runClaimedSync, type SyncRunnerDeps, type SyncRunnerSettings } from './sync-runner.ts';
import type { SyncProgress } from './sync-progress.ts';
import type { SyncTrigger } from './sync-schema.ts';
import { claimSync, getSync, latestCompletedAt, latestFinished, markFollowUp, requestSync, type SyncRow } from './syncs-repo.ts';
import { lastSyncView } from './sync-view.ts';
import type { SyncSummary } from '../connections/connect-services.ts';

/** Records a webhook event for a business inside `trx`; false when the business had it already (a retry or replay). */
export type FirstTimeForBusiness = (trx: Kysely<Database>, businessId: string) => Promise<boolean>;

export interface SyncServiceDeps {
  readonly db: Db;
  readonly client: RampClient;
  readonly tokens: AccessTokenProvider;
  readonly events: EventSink;
  readonly log: Logger;
  readonly now: () => number;
}

export interface SyncServiceOptions extends Partial<SyncRunnerSettings> {
  /** Identifies this process in leases. */
  readonly owner?: string;
  /** Syncs this process runs at once. */
  readonly maxConcurrent?: number;
  /** Scheduler period: due automatic syncs, and syncs whose process died. */
  readonly tickMs?: number;
  /**
   * How many intervals until a business's next automatic sync (default 1): more while its Ramp webhook
   * subscription is healthy, since events bring changes and polling is only the backstop.
   */
  readonly autoSyncPace?: (businessId: string) => Promise<number>;
}

export function processOwnerId(): string {
  return `${hostname().slice(0, 32)}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SyncService {
  readonly #deps: SyncServiceDeps;
  readonly #settings: SyncRunnerSettings;
  readonly #owner: string;
  readonly #maxConcurrent: number;
  readonly #tickMs: number;
  readonly #pace: ((businessId: string) => Promise<number>) | undefined;
  readonly #running = new Map<string, Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;
  /** Claims runnable syncs; a kick during a claim pass (a sync queued meanwhile) makes it look again. */
  readonly #claims: CoalescedPass;
  /** The scheduler's tick, one at a time, so `stop()` can wait for the one under way. */
  readonly #ticks: CoalescedPass;
  readonly #stop = new AbortController();

  constructor(deps: SyncServiceDeps, options: SyncServiceOptions = {}) {
    this.#deps = deps;
    this.#settings = {
      pageSize: options.pageSize ?? DEFAULT_RUNNER_SETTINGS.pageSize,
      leaseMs: options.leaseMs ?? DEFAULT_RUNNER_SETTINGS.leaseMs,
      overlapMs: options.overlapMs ?? DEFAULT_RUNNER_SETTINGS.overlapMs,
      resumes: options.resumes ?? DEFAULT_RUNNER_SETTINGS.resumes,
      resumePauseMs: options.resumePauseMs ?? DEFAULT_RUNNER_SETTINGS.resumePauseMs,
      partBytes: options.partBytes ?? DEFAULT_RUNNER_SETTINGS.partBytes,
    };
    this.#owner = options.owner ?? processOwnerId();
    this.#maxConcurrent = options.maxConcurrent ?? 2;
    this.#tickMs = options.tickMs ?? 5_000;
    this.#pace = options.autoSyncPace;
    this.#claims = new CoalescedPass(() => this.#drain(), (error) => this.#deps.log.error({ err: error }, 'could not claim a sync'));
    this.#ticks = new CoalescedPass(() => this.tick(), (error) => this.#deps.log.error({ err: error }, 'sync scheduler tick failed'));
  }

  #runnerDeps(onProgress?: (progress: SyncProgress) => void): SyncRunnerDeps {
    const { db, client, tokens, events, log, now } = this.#deps;
    return { db: db.kysely, dialect: db.dialect, client, tokens, events, log, now, settings: this.#settings, stopSignal: this.#stop.signal, ...(onProgress ? { onProgress } : {}) };
  }

  /**
   * Someone asked for a sync: queues one (or returns the one already queued or running) and starts it
   * here if there is room. Refuses at once, queueing nothing, when the business's stored connection
   * cannot give a token (`ramp_not_connected`, `reauthorization_required`): such a sync would only fail
   * at its first token. Automatic and webhook syncs are queued by `tick` and `syncForRampBusiness`.
   */
  async requestSync(businessId: string, trigger: SyncTrigger): Promise<{ sync: SyncRow; created: boolean }> {
    await this.#deps.tokens.assertConnected(businessId);
    const result = await requestSync(this.#deps.db.kysely, businessId, trigger, this.#deps.now());
    this.kick();
    return result;
  }

  getSync(businessId: string, syncId: string): Promise<SyncRow | undefined> {
    return getSync(this.#deps.db.kysely, businessId, syncId);
  }

  /** Claims and starts runnable syncs while this process has room; never throws. */
  kick(): void {
    this.#claims.kick();
  }

  async #drain(): Promise<void> {
    const { db, now } = this.#deps;
    while (!this.#stop.signal.aborted && this.#running.size < this.#maxConcurrent) {
      const sync = await claimSync(db.kysely, db.dialect, { owner: this.#owner, now: now(), leaseMs: this.#settings.leaseMs, excludeIds: [...this.#running.keys()] });
      if (!sync) return;
      const task = runClaimedSync(this.#runnerDeps(), sync, this.#owner)
        .catch((error: unknown) => this.#deps.log.error({ err: error, sync_id: sync.id }, 'sync runner failed'))
        .finally(() => {
          this.#running.delete(sync.id);
          this.kick();
        });
      this.#running.set(sync.id, task);
    }
  }

  /**
   * Runs a sync for one business in this process until it ends (CLI, benchmarks). Joins the sync
   * already queued or running; if another process holds it, waits for that process to finish or
   * for its lease to expire, then takes over. Refuses like `requestSync` when the connection cannot
   * give a token, creating no sync.
   */
  async runToCompletion(businessId: string, trigger: SyncTrigger, onProgress?: (progress: SyncProgress) => void): Promise<SyncRow> {
    const { db, now } = this.#deps;
    await this.#deps.tokens.assertConnected(businessId);
    const { sync } = await requestSync(db.kysely, businessId, trigger, now());
    for (;;) {
      const claimed = await claimSync(db.kysely, db.dialect, { owner: this.#owner, now: now(), leaseMs: this.#settings.leaseMs, businessId });
      if (claimed) {
        const finished = await runClaimedSync(this.#runnerDeps(onProgress), claimed, this.#owner);
        if (finished && finished.id === sync.id) return finished;
        if (this.#stop.signal.aborted) return (await getSync(db.kysely, businessId, sync.id)) ?? claimed;
        continue;
      }
      const current = await getSync(db.kysely, businessId, sync.id);
      if (!current) throw new Error(`sync ${sync.id} disappeared`);
      if (current.status === 'completed' || current.status === 'partial' || current.status === 'failed') return current;
      if (onProgress) onProgress(JSON.parse(current.progress) as SyncProgress);
      await sleep(Math.min(500, Math.max(50, (current.lease_until ?? now()) - now() + 10)));
    }
  }

  /** Queues due automatic syncs (one replica per due sync) and picks up orphaned ones. */
  async tick(): Promise<void> {
    const { db, now, log } = this.#deps;
    const due = await claimDueAutoSyncs(db.kysely, db.dialect, now());
    for (const item of due) {
      // Closing: the rest of the claim lapses and another replica (or the next start) queues them.
      if (this.#stop.signal.aborted) break;
      try {
        if (item.config.sync_enabled && item.config.auto_sync_enabled) await requestSync(db.kysely, item.businessId, 'auto', now());
        await scheduleNextAutoSync(db.kysely, item, now(), this.#pace ? await this.#pace(item.businessId) : 1);
      } catch (error) {
        log.error({ err: error, business_id: item.businessId }, 'could not queue an automatic sync');
      }
    }
    this.kick();
  }

  /**
   * A Ramp webhook for a Ramp business: an incremental sync for each business connected to it (one
   * queued, or a follow-up after the running one), unless `firstTime` says the business had this event
   * before. `firstTime` records the event in the same transaction as the sync is queued, so a failure
   * leaves neither and Ramp's retry of the event is not mistaken for a repeat.
   */
  async syncForRampBusiness(rampBusinessId: string, firstTime: FirstTimeForBusiness): Promise<{ scheduled: number; repeated: number }> {
    const { db, now } = this.#deps;
    const links = await db.kysely.selectFrom('ramp_business_links').select('business_id').where('ramp_business_id', '=', rampBusinessId).execute();
    let scheduled = 0;
    let repeated = 0;
    for (const { business_id: businessId } of links) {
      const config = await getSyncConfig(db.kysely, businessId);
      if (!config.sync_enabled) continue;
      const queued = await db.kysely.transaction().execute(async (trx) => {
        if (!(await firstTime(trx, businessId))) return false;
        if (!(await markFollowUp(trx, businessId, now()))) await requestSync(trx, businessId, 'webhook', now());
        return true;
      });
      if (queued) scheduled++;
      else repeated++;
    }
    if (scheduled > 0) this.kick();
    return { scheduled, repeated };
  }

  async summary(businessId: string): Promise<SyncSummary> {
    const db = this.#deps.db.kysely;
    const row = await db
      .selectFrom('ramp_records')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('business_id', '=', businessId)
      .where('resource', '=', 'transactions')
      .executeTakeFirst();
    const last = await latestCompletedAt(db, businessId);
    const finished = await latestFinished(db, businessId);
    return { transaction_count: Number(row?.n ?? 0), last_sync_at: last === null ? null : new Date(last).toISOString(), last_sync: finished ? lastSyncView(finished) : null };
  }

  /** Starts the scheduler; stop with `stop()`. */
  start(): void {
    if (this.#timer || this.#stop.signal.aborted) return;
    this.#timer = setInterval(() => this.#ticks.kick(), this.#tickMs);
    this.#timer.unref();
    this.#ticks.kick();
  }

  /**
   * Stops scheduling and claiming; running syncs are paused and handed back (another replica resumes
   * them). Resolves once they have let go: their Ramp calls are aborted, not waited out.
   */
  async stop(): Promise<void> {
    this.#stop.abort();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    // The passes first: a claim pass that was mid-claim may still start a sync (its runner sees the
    // abort at once and releases the lease), and that sync must be in the set awaited below.
    await Promise.all([this.#ticks.stop(), this.#claims.stop()]);
    await Promise.allSettled([...this.#running.values()]);
  }
}
