/**
 * @module `ramp-connect accounting backup --business ID` and
 * `ramp-connect accounting migrate --business ID --to NAME [--backup BACKUP_ID]` (README.md#the-accounting-loop):
 * the migration Ramp's accounting guide describes, run in this process. `migrate` takes a backup of
 * the chart Ramp holds unless one is given, then disconnects that connection, creates the new one
 * and uploads the backup (src/accounting). A migration already under way for the business (this
 * command was stopped, or its process died) is resumed instead of started again, and one that already
 * finished onto the active connection is not run twice. The finished job is printed as JSON.
 */
import type { AppContext } from '../../app-context.ts';
import { activeChartJob } from '../../accounting/chart-jobs-repo.ts';
import { heldCounts } from '../../accounting/chart-model.ts';
import { ChartService } from '../../accounting/chart-service.ts';
import { ApiError } from '../../core/errors.ts';
import { createLogger } from '../../logging/logger.ts';
import { RampClient } from '../../ramp/ramp-client.ts';
import { rampClientLimits } from '../../ramp/shared-rate-limiter.ts';
import { processOwnerId } from '../../sync/sync-service.ts';
import { requireFlag, requireUuid } from '../args.ts';
import { CliError, printResult } from '../output.ts';
import type { Command, CommandInput } from './command.ts';
import type { AccessTokenProviderFactory } from './sync.ts';
import { withDb } from './with-db.ts';

async function withChartService<T>(input: CommandInput, makeTokens: AccessTokenProviderFactory, run: (service: ChartService, businessId: string, ctx: AppContext) => Promise<T>): Promise<T> {
  const { flags, config } = input;
  const businessId = requireUuid(flags, 'business', 'business');
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const closers: (() => Promise<void> | void)[] = [];
  return withDb(config, async (db) => {
    const business = await db.kysely.selectFrom('businesses').select('id').where('id', '=', businessId).executeTakeFirst();
    if (!business) throw new CliError(`no business with id ${businessId}`);
    const ctx: AppContext = { config, db, log, now: Date.now, onClose: (fn) => closers.push(fn) };
    try {
      const tokens = await makeTokens(ctx);
      const client = new RampClient(tokens, { log, ...rampClientLimits(db, config.rampRequestsPer10s, log) });
      const service = new ChartService({ db, client, log, now: Date.now }, { owner: processOwnerId() });
      const pause = () => void service.stop();
      process.once('SIGINT', pause);
      try {
        return await run(service, businessId, ctx);
      } finally {
        process.off('SIGINT', pause);
      }
    } finally {
      for (const fn of closers.reverse()) await fn();
    }
  });
}

/** A backup of the active connection's chart; undefined when no connection is active (nothing to lose). */
async function backupUnlessNoConnection(service: ChartService, businessId: string): Promise<string | undefined> {
  try {
    return (await service.backup(businessId)).backup.id;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'accounting_connection_missing') return undefined;
    throw error;
  }
}

export function makeAccountingBackupCommand(makeTokens: AccessTokenProviderFactory): Command {
  return async (input) => {
    const result = await withChartService(input, makeTokens, async (service, businessId) => {
      const { backup, chart } = await service.backup(businessId);
      return { backup_id: backup.id, connection_id: backup.connection_id, remote_provider_name: backup.remote_provider_name, counts: heldCounts(chart) };
    });
    printResult(result, input.flags);
  };
}

export function makeAccountingMigrateCommand(makeTokens: AccessTokenProviderFactory): Command {
  return async (input) => {
    const target = requireFlag(input.flags, 'to');
    const given = typeof input.flags.backup === 'string' ? input.flags.backup : undefined;
    const job = await withChartService(input, makeTokens, async (service, businessId, ctx) => {
      const active = await activeChartJob(ctx.db.kysely, businessId);
      if (active && active.kind !== 'migration') throw new CliError(`a chart upload (job ${active.id}) is under way for this business; wait for it to finish`);
      let jobId = active?.id;
      const done = jobId ? undefined : await service.finishedMigrationTo(businessId, target);
      if (done) {
        process.stderr.write(`already migrated to ${target} (job ${done.id})\n`);
        return done;
      }
      if (!jobId) {
        const backupId = given ?? (await backupUnlessNoConnection(service, businessId));
        process.stderr.write(backupId ? `chart backed up as ${backupId}\n` : 'no accounting connection is active: nothing to back up\n');
        jobId = (await service.requestMigration(businessId, backupId, target)).id;
      } else {
        process.stderr.write(`resuming migration ${jobId}\n`);
      }
      return service.runToCompletion(businessId, jobId);
    });
    const progress = JSON.parse(job.progress) as Record<string, unknown>;
    printResult({ id: job.id, status: job.status, backup_id: job.backup_id, new_connection_id: progress.new_connection_id, progress, error: job.error }, input.flags);
    if (job.status === 'failed') throw new CliError(`migration failed: ${job.error ?? 'unknown error'}`);
    if (job.status === 'partial') throw new CliError('migration finished, but Ramp refused some items (see progress.refused)');
    if (job.status !== 'completed') throw new CliError('migration paused; run the command again to resume it');
  };
}
