/**
 * @module The chart-of-accounts feature's engine: queueing upload and migration jobs (after checking
 * the accounting connection accepts writes, so a direct one is refused at once with a 409), claiming
 * and running them here, the scheduler tick that resumes jobs whose process died, backups, and the
 * chart as Ramp holds it.
 */
import type { Logger } from 'pino';
import { ApiError } from '../core/errors.ts';
import type { Db } from '../db/database.ts';
import type { RampClient } from '../ramp/ramp-client.ts';
import { activeAccountingConnection, chartIsWritable, recordSeenConnection, seenConnection, type SeenConnection } from './accounting-connection.ts';
import { desiredFromHeld, type DesiredChart, type HeldChart } from './chart-model.ts';
import { readHeldChart } from './chart-reader.ts';
import { runClaimedChartJob } from './chart-job-runner.ts';
import { claimChartJob, getBackup, getChartJob, insertBackup, insertChartJob, activeChartJob, latestChartJob, type ChartBackupRow, type ChartJobRow } from './chart-jobs-repo.ts';
import type { AccountingProvider } from '../ramp/endpoints/accounting-chart.ts';
import { CoalescedPass } from '../support/coalesced-pass.ts';
import { withScopeRefusal } from './scope-refusal.ts';

export interface ChartServiceDeps {
  readonly db: Db;
  readonly client: RampClient;
  readonly log: Logger;
  readonly now: () => number;
}

export interface ChartServiceOptions {
  readonly owner: string;
  readonly leaseMs?: number;
  readonly tickMs?: number;
  readonly maxConcurrent?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type HeldChartRead = { connection: AccountingProvider | null; chart: HeldChart };
interface SharedChartRead {
  readers: number;
  readonly read: Promise<HeldChartRead>;
}
const FINISHED = new Set(['completed', 'partial', 'failed']);

export class ChartService {
  readonly #deps: ChartServiceDeps;
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #tickMs: number;
  readonly #maxConcurrent: number;
  readonly #running = new Map<string, Promise<unknown>>();
  /** The chart read under way per business, shared by the GETs that arrive meanwhile. */
  readonly #chartReads = new Map<string, SharedChartRead>();
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  /** Claims runnable jobs; a kick during a claim pass (a job queued meanwhile) makes it look again. */
  readonly #claims: CoalescedPass;

  constructor(deps: ChartServiceDeps, options: ChartServiceOptions) {
    this.#deps = deps;
    this.#owner = options.owner;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#tickMs = options.tickMs ?? 5_000;
    this.#maxConcurrent = options.maxConcurrent ?? 2;
    this.#claims = new CoalescedPass(() => this.#drain(), (error) => this.#deps.log.error({ err: error }, 'could not claim a chart job'));
  }

  /** The active connection, which must accept chart writes: 409 with what to change in Ramp otherwise. */
  async #writableConnection(businessId: string): Promise<AccountingProvider> {
    const { client, db, now } = this.#deps;
    const active = await activeAccountingConnection(client, businessId);
    if (!active) {
      await recordSeenConnection(db.kysely, businessId, null, null, now());
      throw new ApiError('accounting_connection_missing');
    }
    const writable = await chartIsWritable(client, db.kysely, businessId, active.id);
    await recordSeenConnection(db.kysely, businessId, active, writable, now());
    if (!writable) {
      throw new ApiError('accounting_connection_read_only', `${new ApiError('accounting_connection_read_only').detail} (active connection: ${active.remote_provider_name ?? active.id})`);
    }
    return active;
  }

  async #queue(job: Parameters<typeof insertChartJob>[1]): Promise<ChartJobRow> {
    const row = await insertChartJob(this.#deps.db.kysely, job, this.#deps.now());
    this.#forgetChartRead(job.businessId);
    if (!row) {
      const active = await activeChartJob(this.#deps.db.kysely, job.businessId);
      throw new ApiError('accounting_job_in_progress', active ? `${new ApiError('accounting_job_in_progress').detail} (job ${active.id})` : undefined);
    }
    this.kick();
    return row;
  }

  /** Queues an upload of `desired` to the active connection's chart. */
  async requestUpload(businessId: string, desired: DesiredChart): Promise<ChartJobRow> {
    const active = await withScopeRefusal(() => this.#writableConnection(businessId));
    return this.#queue({ businessId, kind: 'upload', connectionId: active.id, desired: JSON.stringify(desired) });
  }

  /** Stores the chart Ramp holds for the active connection. */
  async backup(businessId: string): Promise<{ backup: ChartBackupRow; chart: HeldChart }> {
    const { client, db, now } = this.#deps;
    const active = await withScopeRefusal(() => activeAccountingConnection(client, businessId));
    await recordSeenConnection(db.kysely, businessId, active, null, now());
    if (!active) throw new ApiError('accounting_connection_missing');
    const chart = await withScopeRefusal(() => readHeldChart(client, businessId, { reads: 0 }));
    const backup = await insertBackup(db.kysely, { businessId, connectionId: active.id, remoteProviderName: active.remote_provider_name, chart: JSON.stringify(chart) }, now());
    return { backup, chart };
  }

  /**
   * Queues a migration to a new API connection named `remoteProviderName`, re-uploading `backupId`.
   * Refused without a backup of the connection that is active now (a backup taken before that
   * connection was disconnected in Ramp also serves). With no connection active there is no chart to
   * lose: without a backup the migration only creates the connection (with a backup, it uploads it too).
   */
  requestMigration(businessId: string, backupId: string | undefined, remoteProviderName: string): Promise<ChartJobRow> {
    return withScopeRefusal(() => this.#requestMigration(businessId, backupId, remoteProviderName));
  }

  async #requestMigration(businessId: string, backupId: string | undefined, remoteProviderName: string): Promise<ChartJobRow> {
    const { client, db, now } = this.#deps;
    const backup = backupId === undefined ? undefined : await getBackup(db.kysely, businessId, backupId);
    if (backupId !== undefined && !backup) throw new ApiError('chart_backup_required', `No backup ${backupId} for this business. ${new ApiError('chart_backup_required').detail}`);
    const active = await activeAccountingConnection(client, businessId);
    await recordSeenConnection(db.kysely, businessId, active, null, now());
    if (active && !backup) throw new ApiError('chart_backup_required');
    if (active && backup && active.id === backup.connection_id) {
      const writable = await chartIsWritable(client, db.kysely, businessId, active.id);
      await recordSeenConnection(db.kysely, businessId, active, writable, now());
      if (!writable) throw new ApiError('accounting_connection_read_only', `${new ApiError('accounting_connection_read_only').detail} (active connection: ${active.remote_provider_name ?? active.id})`);
    } else if (active && backup && active.remote_provider_name !== remoteProviderName) {
      throw new ApiError('chart_backup_required', `The backup is of accounting connection ${backup.connection_id}, but ${active.remote_provider_name ?? active.id} is active now: take a new backup`);
    }
    const empty: DesiredChart = { gl_accounts: [], vendors: [], custom_fields: [] };
    return this.#queue({
      businessId,
      kind: 'migration',
      connectionId: backup?.connection_id ?? null,
      ...(backup ? { backupId: backup.id } : {}),
      targetProviderName: remoteProviderName,
      desired: JSON.stringify(backup ? desiredFromHeld(JSON.parse(backup.chart) as HeldChart) : empty),
    });
  }

  /**
   * The finished migration to `remoteProviderName` whose new connection is the active one: running
   * the same migration again then has nothing to do (the CLI's re-run after a stop).
   */
  async finishedMigrationTo(businessId: string, remoteProviderName: string): Promise<ChartJobRow | undefined> {
    const job = await latestChartJob(this.#deps.db.kysely, businessId, 'migration');
    if (!job || job.status !== 'completed' || job.target_provider_name !== remoteProviderName) return undefined;
    const active = await activeAccountingConnection(this.#deps.client, businessId);
    return active && active.id === (JSON.parse(job.progress) as { new_connection_id: string | null }).new_connection_id ? job : undefined;
  }

  getJob(businessId: string, jobId: string): Promise<ChartJobRow | undefined> {
    return getChartJob(this.#deps.db.kysely, businessId, jobId);
  }

  /**
   * The chart as Ramp holds it now, with the active connection. A whole chart is up to ~500 Ramp calls,
   * so a GET that arrives while a read of the same business is under way shares it instead of starting
   * another: members reloading at once cost one read, not one each, of the connection's rate budget.
   * A read that began before a chart job was queued or ended here is not shared with later arrivals.
   */
  chart(businessId: string): Promise<HeldChartRead> {
    const shared = this.#chartReads.get(businessId);
    if (shared) {
      shared.readers++;
      return shared.read;
    }
    const entry: SharedChartRead = { readers: 1, read: this.#readChart(businessId).finally(() => this.#forgetChartRead(businessId, entry)) };
    this.#chartReads.set(businessId, entry);
    return entry.read;
  }

  /** How many GETs share the chart read of `businessId` under way now (0: none under way). */
  chartReaders(businessId: string): number {
    return this.#chartReads.get(businessId)?.readers ?? 0;
  }

  /** Later GETs start a read of their own (after a job was queued or ended: what Ramp holds changed). */
  #forgetChartRead(businessId: string, entry?: SharedChartRead): void {
    if (entry === undefined || this.#chartReads.get(businessId) === entry) this.#chartReads.delete(businessId);
  }

  async #readChart(businessId: string): Promise<HeldChartRead> {
    const { client, db, now } = this.#deps;
    const connection = await withScopeRefusal(() => activeAccountingConnection(client, businessId));
    await recordSeenConnection(db.kysely, businessId, connection, null, now());
    const chart = connection ? await withScopeRefusal(() => readHeldChart(client, businessId, { reads: 0 })) : { gl_accounts: [], vendors: [], custom_fields: [] };
    return { connection, chart };
  }

  seenConnection(businessId: string): Promise<SeenConnection | null> {
    return seenConnection(this.#deps.db.kysely, businessId);
  }


  #runnerDeps() {
    const { db, client, log, now } = this.#deps;
    return { db: db.kysely, client, log, now, leaseMs: this.#leaseMs, stopSignal: this.#stop.signal };
  }

  /** Claims and starts runnable jobs while this process has room; never throws. */
  kick(): void {
    this.#claims.kick();
  }

  async #drain(): Promise<void> {
    const { db, now } = this.#deps;
    while (!this.#stop.signal.aborted && this.#running.size < this.#maxConcurrent) {
      const job = await claimChartJob(db.kysely, db.dialect, { owner: this.#owner, now: now(), leaseMs: this.#leaseMs, excludeIds: [...this.#running.keys()] });
      if (!job) return;
      const task = runClaimedChartJob(this.#runnerDeps(), job, this.#owner)
        .catch((error: unknown) => this.#deps.log.error({ err: error, job_id: job.id }, 'chart job runner failed'))
        .finally(() => {
          this.#forgetChartRead(job.business_id);
          this.#running.delete(job.id);
          this.kick();
        });
      this.#running.set(job.id, task);
    }
  }

  /** Runs one job in this process until it ends (CLI); waits out another process's lease, then takes over. */
  async runToCompletion(businessId: string, jobId: string, onProgress?: (job: ChartJobRow) => void): Promise<ChartJobRow> {
    const { db, now } = this.#deps;
    for (;;) {
      const claimed = await claimChartJob(db.kysely, db.dialect, { owner: this.#owner, now: now(), leaseMs: this.#leaseMs, jobId });
      if (claimed) {
        const finished = await runClaimedChartJob(this.#runnerDeps(), claimed, this.#owner).finally(() => this.#forgetChartRead(businessId));
        if (finished) return finished;
      }
      const current = await getChartJob(db.kysely, businessId, jobId);
      if (!current) throw new Error(`chart job ${jobId} disappeared`);
      if (FINISHED.has(current.status)) return current;
      if (this.#stop.signal.aborted) return current;
      onProgress?.(current);
      await sleep(Math.min(500, Math.max(50, (current.lease_until ?? now()) - now() + 10)));
    }
  }

  /** Starts the scheduler: picks up queued jobs and jobs whose process died. */
  start(): void {
    if (this.#timer || this.#stop.signal.aborted) return;
    this.#timer = setInterval(() => this.kick(), this.#tickMs);
    this.#timer.unref();
    this.kick();
  }

  /** Stops claiming; running jobs are paused and handed back, their Ramp calls aborted, not waited out. */
  async stop(): Promise<void> {
    this.#stop.abort();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    // A claim pass that was mid-claim may still start a job (it sees the abort at once): await it first,
    // so that job is in the set awaited below.
    await this.#claims.stop();
    await Promise.allSettled([...this.#running.values()]);
  }
}
