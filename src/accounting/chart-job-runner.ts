/**
 * @module Runs one claimed chart job to its end, or until its lease is lost or the process stops.
 *
 * Every run starts from Ramp: it checks the active accounting connection, reads the chart Ramp
 * holds, plans the difference (chart-plan.ts) and writes it (chart-writer.ts). So a job resumed after
 * a crash never repeats a write Ramp already applied, and a PUT of the chart Ramp already holds
 * writes nothing. A migration first moves the business to its new connection, one idempotent step
 * at a time (disconnect the backed-up connection, create the new one), then uploads the backup.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { ApiError, type ErrorCode } from '../core/errors.ts';
import type { Database } from '../db/schema.ts';
import { chartWriteCall, providerFromAnswer, type AccountingProvider } from '../ramp/endpoints/accounting-chart.ts';
import type { RampClient } from '../ramp/ramp-client.ts';
import { activeAccountingConnection, chartIsWritable, recordSeenConnection } from './accounting-connection.ts';
import type { DesiredChart } from './chart-model.ts';
import { isEmptyPlan, planChart, planCounts } from './chart-plan.ts';
import { readHeldChart } from './chart-reader.ts';
import { finishChartJob, releaseChartJob, saveChartProgress, type ChartJobRow } from './chart-jobs-repo.ts';
import { refusedItemCount, refusedKeys, type ChartJobProgress } from './chart-progress.ts';
import { ChartWriter } from './chart-writer.ts';
import { scopeRefusal } from './scope-refusal.ts';

export interface ChartRunnerDeps {
  readonly db: Kysely<Database>;
  readonly client: RampClient;
  readonly log: Logger;
  readonly now: () => number;
  readonly leaseMs: number;
  readonly stopSignal?: AbortSignal;
}

/** Least time between two progress saves within a phase. */
const CHECKPOINT_MS = 250;

class LeaseLost extends Error {}
class Stopped extends Error {}

/** A job that cannot go on, with the catalogue code its view shows. */
class JobFailure extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, detail?: string) {
    super(detail ?? new ApiError(code).detail);
    this.code = code;
  }
}

class ChartJobRun {
  readonly #deps: ChartRunnerDeps;
  readonly #job: ChartJobRow;
  readonly #owner: string;
  readonly #progress: ChartJobProgress;
  #savedAt = 0;

  constructor(deps: ChartRunnerDeps, job: ChartJobRow, owner: string) {
    this.#deps = deps;
    this.#job = job;
    this.#owner = owner;
    this.#progress = JSON.parse(job.progress) as ChartJobProgress;
  }

  get #signal(): AbortSignal | undefined {
    return this.#deps.stopSignal;
  }

  /**
   * Saves progress and renews the lease. Progress is for the job's view only (a resumed run plans
   * from Ramp, not from it), so between phases it is written at most every CHECKPOINT_MS: a
   * durable write per 500-item batch would cost more than the batch. A save that finds the lease
   * lost stops the run; one skipped here follows a save that found it held moments ago.
   */
  async checkpoint(force = false): Promise<void> {
    if (this.#deps.stopSignal?.aborted) throw new Stopped();
    const now = this.#deps.now();
    if (!force && now - this.#savedAt < CHECKPOINT_MS) return;
    if (!(await saveChartProgress(this.#deps.db, this.#job.id, this.#owner, JSON.stringify(this.#progress), now + this.#deps.leaseMs, now))) throw new LeaseLost();
    this.#savedAt = now;
  }

  async run(): Promise<ChartJobRow | undefined> {
    const { db, log, now } = this.#deps;
    this.#progress.runs++;
    // Long reads (a chart of 10,000 accounts is 100 pages) renew the lease between checkpoints too.
    const heartbeat = setInterval(() => void this.checkpoint(true).catch(() => {}), Math.max(50, Math.floor(this.#deps.leaseMs / 3)));
    heartbeat.unref();
    try {
      const connectionId = this.#job.kind === 'migration' ? await this.#switchConnection() : this.#job.connection_id;
      await this.#upload(connectionId);
      this.#progress.phase = 'done';
      const status = refusedItemCount(this.#progress) > 0 || this.#progress.unchangeable.length > 0 ? 'partial' : 'completed';
      return await finishChartJob(db, { jobId: this.#job.id, owner: this.#owner, status, progress: JSON.stringify(this.#progress), errorCode: null, error: null, now: now() });
    } catch (error) {
      if (error instanceof LeaseLost) return undefined;
      if (error instanceof Stopped || this.#deps.stopSignal?.aborted) {
        await releaseChartJob(db, this.#job.id, this.#owner, now());
        return undefined;
      }
      const refused = scopeRefusal(error);
      const failure = refused instanceof JobFailure ? refused : refused instanceof ApiError ? new JobFailure(refused.code, refused.detail) : undefined;
      if (!failure) log.error({ err: error, job_id: this.#job.id }, 'chart job failed');
      return finishChartJob(db, {
        jobId: this.#job.id,
        owner: this.#owner,
        status: 'failed',
        progress: JSON.stringify(this.#progress),
        errorCode: failure?.code ?? 'internal_error',
        error: failure?.message ?? 'The chart job stopped on an unexpected error',
        now: now(),
      });
    } finally {
      clearInterval(heartbeat);
    }
  }

  async #connection(): Promise<AccountingProvider | null> {
    const provider = await activeAccountingConnection(this.#deps.client, this.#job.business_id, this.#signal);
    this.#progress.ramp_calls.reads++;
    return provider;
  }

  /** Migration: from the backed-up connection to a new one named `target_provider_name`; returns the new one's id. */
  async #switchConnection(): Promise<string> {
    const { client } = this.#deps;
    const businessId = this.#job.business_id;
    const target = this.#job.target_provider_name ?? '';
    let active = await this.#connection();
    if (active && active.id === this.#job.connection_id) {
      this.#progress.phase = 'disconnecting';
      await this.checkpoint(true);
      const answer = await client.call(businessId, chartWriteCall('DELETE', 'connection'), this.#signal ? { signal: this.#signal } : {});
      this.#progress.ramp_calls.writes++;
      if (!answer.ok && answer.refusal.status !== 404) throw new JobFailure('accounting_connection_read_only', `Ramp refused to disconnect the accounting connection (${answer.refusal.message ?? answer.refusal.status}); disconnect it in Ramp (Settings → Accounting) and run the migration again`);
      active = null;
    }
    if (!active) {
      this.#progress.phase = 'connecting';
      await this.checkpoint(true);
      const answer = await client.call(businessId, chartWriteCall('POST', 'connection', { remote_provider_name: target }), this.#signal ? { signal: this.#signal } : {});
      this.#progress.ramp_calls.writes++;
      if (!answer.ok) throw new JobFailure('accounting_connection_changed', `Ramp refused to create the accounting connection: ${answer.refusal.message ?? answer.refusal.status}`);
      active = providerFromAnswer(answer.value) ?? (await this.#connection());
      if (!active) throw new JobFailure('accounting_connection_missing');
    } else if (active.id !== this.#progress.new_connection_id && active.remote_provider_name !== target) {
      // Someone linked another connection meanwhile: not ours to upload into.
      throw new JobFailure('accounting_connection_changed');
    }
    this.#progress.new_connection_id = active.id;
    await recordSeenConnection(this.#deps.db, businessId, active, true, this.#deps.now());
    await this.checkpoint(true);
    return active.id;
  }

  async #upload(connectionId: string | null): Promise<void> {
    const { client, db, now } = this.#deps;
    const businessId = this.#job.business_id;
    const active = await this.#connection();
    if (!active || active.id !== connectionId) throw new JobFailure('accounting_connection_changed');
    this.#progress.phase = 'reading';
    await this.checkpoint(true);
    const held = await readHeldChart(client, businessId, this.#progress.ramp_calls, this.#signal);
    const desired = JSON.parse(this.#job.desired) as DesiredChart;
    const plan = planChart(desired, held, refusedKeys(this.#progress));
    this.#progress.planned = planCounts(plan);
    this.#progress.unchangeable = plan.unchangeable.map((u) => ({ ...u }));
    this.#progress.phase = 'writing';
    await this.checkpoint(true);
    if (isEmptyPlan(plan)) return;
    const writable = await chartIsWritable(client, db, businessId, active.id, this.#signal);
    await recordSeenConnection(db, businessId, active, writable, now());
    if (!writable) throw new JobFailure('accounting_connection_read_only');
    await new ChartWriter({ client, businessId, progress: this.#progress, ...(this.#signal ? { signal: this.#signal } : {}), checkpoint: () => this.checkpoint() }).apply(plan);
  }
}

/** Runs a claimed job; the finished row, or undefined when the lease was lost or the process is stopping. */
export function runClaimedChartJob(deps: ChartRunnerDeps, job: ChartJobRow, owner: string): Promise<ChartJobRow | undefined> {
  return new ChartJobRun(deps, job, owner).run();
}
