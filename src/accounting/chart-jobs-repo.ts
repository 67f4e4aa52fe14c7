/**
 * @module The `accounting_chart_jobs` and `accounting_chart_backups` tables. At most one job per
 * business is queued or running (partial unique index); claiming uses the one claim statement
 * (src/core/claim-due.ts), so a job whose process died is taken again once its lease expires and
 * resumes (docs/guarantees.md#chart-of-accounts). Every statement is tenant-scoped or addresses one
 * row by id.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { claimDue } from '../core/claim-due.ts';
import type { Dialect } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { AccountingChartBackupsTable, AccountingChartJobsTable, ChartJobKind, ChartJobStatus } from './chart-jobs-schema.ts';
import { emptyProgress } from './chart-progress.ts';

export type ChartJobRow = Selectable<AccountingChartJobsTable>;
export type ChartBackupRow = Selectable<AccountingChartBackupsTable>;

export interface NewChartJob {
  readonly businessId: string;
  readonly kind: ChartJobKind;
  readonly connectionId: string | null;
  readonly backupId?: string;
  readonly targetProviderName?: string;
  readonly desired: string;
}

export async function activeChartJob(db: Kysely<Database>, businessId: string): Promise<ChartJobRow | undefined> {
  return db.selectFrom('accounting_chart_jobs').selectAll().where('business_id', '=', businessId).where('status', 'in', ['queued', 'running']).executeTakeFirst();
}

/** Queues a job; undefined when one is already queued or running for the business. */
export async function insertChartJob(db: Kysely<Database>, job: NewChartJob, now: number): Promise<ChartJobRow | undefined> {
  return db
    .insertInto('accounting_chart_jobs')
    .values({
      id: randomUUID(),
      business_id: job.businessId,
      kind: job.kind,
      status: 'queued',
      connection_id: job.connectionId,
      backup_id: job.backupId ?? null,
      target_provider_name: job.targetProviderName ?? null,
      desired: job.desired,
      progress: JSON.stringify(emptyProgress()),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** The business's newest job of a kind, whatever its status. */
export async function latestChartJob(db: Kysely<Database>, businessId: string, kind: ChartJobKind): Promise<ChartJobRow | undefined> {
  return db.selectFrom('accounting_chart_jobs').selectAll().where('business_id', '=', businessId).where('kind', '=', kind).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}

export async function getChartJob(db: Kysely<Database>, businessId: string, jobId: string): Promise<ChartJobRow | undefined> {
  return db.selectFrom('accounting_chart_jobs').selectAll().where('business_id', '=', businessId).where('id', '=', jobId).executeTakeFirst();
}

export interface ChartClaimInput {
  readonly owner: string;
  readonly now: number;
  readonly leaseMs: number;
  readonly jobId?: string;
  readonly excludeIds?: readonly string[];
}

/** Claims one runnable job (queued, or running with an expired lease). */
export async function claimChartJob(db: Kysely<Database>, dialect: Dialect, input: ChartClaimInput): Promise<ChartJobRow | undefined> {
  const { owner, now, leaseMs } = input;
  const exclude = input.excludeIds && input.excludeIds.length > 0 ? input.excludeIds : null;
  const runnable = (w: any) => w.or([w('status', '=', 'queued'), w.and([w('status', '=', 'running'), w('lease_until', '<', now)])]);
  return claimDue(db, dialect, {
    table: 'accounting_chart_jobs',
    key: 'id',
    due: (q) => {
      let candidates = q.where(runnable).orderBy('created_at').limit(1);
      if (input.jobId !== undefined) candidates = candidates.where('id', '=', input.jobId);
      if (exclude) candidates = candidates.where('id', 'not in', exclude);
      return candidates;
    },
    set: { status: 'running', lease_owner: owner, lease_until: now + leaseMs, started_at: sql<number>`coalesce(started_at, ${now})`, updated_at: now },
    recheck: (q) => q.where(runnable),
  })
    .returningAll()
    .executeTakeFirst();
}

/** Saves progress and extends the lease; false when the lease was lost (another process holds the job). */
export async function saveChartProgress(db: Kysely<Database>, jobId: string, owner: string, progress: string, until: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('accounting_chart_jobs')
    .set({ progress, lease_until: until, updated_at: now })
    .where('id', '=', jobId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function finishChartJob(
  db: Kysely<Database>,
  input: { jobId: string; owner: string; status: Extract<ChartJobStatus, 'completed' | 'partial' | 'failed'>; progress: string; errorCode: string | null; error: string | null; now: number },
): Promise<ChartJobRow | undefined> {
  return db
    .updateTable('accounting_chart_jobs')
    .set({ status: input.status, progress: input.progress, error_code: input.errorCode, error: input.error, finished_at: input.now, updated_at: input.now, lease_owner: null, lease_until: null })
    .where('id', '=', input.jobId)
    .where('lease_owner', '=', input.owner)
    .where('status', '=', 'running')
    .returningAll()
    .executeTakeFirst();
}

/** Gives a running job back (this process is stopping): any replica may claim it at once. */
export async function releaseChartJob(db: Kysely<Database>, jobId: string, owner: string, now: number): Promise<void> {
  await db.updateTable('accounting_chart_jobs').set({ lease_until: now - 1, updated_at: now }).where('id', '=', jobId).where('lease_owner', '=', owner).where('status', '=', 'running').execute();
}

export async function insertBackup(db: Kysely<Database>, input: { businessId: string; connectionId: string; remoteProviderName: string | null; chart: string }, now: number): Promise<ChartBackupRow> {
  return db
    .insertInto('accounting_chart_backups')
    .values({ id: randomUUID(), business_id: input.businessId, connection_id: input.connectionId, remote_provider_name: input.remoteProviderName, chart: input.chart, created_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getBackup(db: Kysely<Database>, businessId: string, backupId: string): Promise<ChartBackupRow | undefined> {
  return db.selectFrom('accounting_chart_backups').selectAll().where('business_id', '=', businessId).where('id', '=', backupId).executeTakeFirst();
}

export async function latestBackup(db: Kysely<Database>, businessId: string): Promise<ChartBackupRow | undefined> {
  return db.selectFrom('accounting_chart_backups').selectAll().where('business_id', '=', businessId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}
