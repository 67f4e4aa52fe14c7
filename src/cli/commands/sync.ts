/**
 * @module `ramp-connect sync --business ID`: runs one sync of a business's Ramp data in this process,
 * against the configured database (README.md#cli). A progress bar on stderr when it is a terminal;
 * the finished sync as JSON on stdout when piped (or with --json). Ctrl-C pauses the sync: its lease is
 * handed back and the next `sync` (or a server replica) resumes it from its cursors.
 *
 * The token source is a parameter so the command does not depend on how tokens are kept:
 * @example COMMANDS.sync = makeSyncCommand((ctx) => new TokenManager(ctx, …));
 */
import type { AppContext } from '../../app-context.ts';
import { getSyncConfig } from '../../connections/sync-config.ts';
import { ApiError } from '../../core/errors.ts';
import { NO_EVENTS, type EventSink } from '../../events/event-sink.ts';
import { syncView } from '../../sync/sync-view.ts';
import { createLogger } from '../../logging/logger.ts';
import { RampClient } from '../../ramp/ramp-client.ts';
import { rampClientLimits } from '../../ramp/shared-rate-limiter.ts';
import { planSync } from '../../sync/sync-plan.ts';
import type { SyncProgress } from '../../sync/sync-progress.ts';
import { SyncService } from '../../sync/sync-service.ts';
import type { AccessTokenProvider } from '../../ramp/access-token-provider.ts';
import { requireUuid } from '../args.ts';
import { CliError, printResult } from '../output.ts';
import type { Command, CommandInput } from './command.ts';
import { withDb } from './with-db.ts';

/** Builds the token source for the command's database and configuration. */
export type AccessTokenProviderFactory = (ctx: AppContext) => AccessTokenProvider | Promise<AccessTokenProvider>;

export interface SyncCommandOptions {
  /** Where `sync.completed` / `sync.failed` go (e.g. the outbox); none by default. */
  readonly makeEvents?: (ctx: AppContext) => EventSink;
  /** Where the progress bar goes; default process.stderr. */
  readonly progressStream?: NodeJS.WriteStream;
}

const BAR_WIDTH = 24;

function progressLine(progress: SyncProgress, totalStreams: number): string {
  const finished = Object.values(progress.streams).filter((status) => status === 'done' || status === 'skipped' || status === 'failed').length;
  const filled = totalStreams === 0 ? BAR_WIDTH : Math.round((finished / totalStreams) * BAR_WIDTH);
  const running = Object.entries(progress.streams).find(([, status]) => status === 'running')?.[0] ?? '';
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${finished}/${totalStreams} · ${progress.records.toLocaleString('en-US')} records · ${progress.pages} pages ${running}`.slice(0, 110);
}

export async function syncCommand(input: CommandInput, makeTokens: AccessTokenProviderFactory, options: SyncCommandOptions = {}): Promise<void> {
  const { flags, config } = input;
  const businessId = requireUuid(flags, 'business', 'business');
  const stream = options.progressStream ?? process.stderr;
  // Logs go to stderr so stdout stays one JSON document.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const closers: (() => Promise<void> | void)[] = [];
  const result = await withDb(config, async (db) => {
    const business = await db.kysely.selectFrom('businesses').select('id').where('id', '=', businessId).executeTakeFirst();
    if (!business) throw new CliError(`no business with id ${businessId}`);
    const ctx: AppContext = { config, db, log, now: Date.now, onClose: (fn) => closers.push(fn) };
    try {
      const tokens = await makeTokens(ctx);
      const client = new RampClient(tokens, { log, ...rampClientLimits(db, config.rampRequestsPer10s, log) });
      const service = new SyncService({ db, client, tokens, events: options.makeEvents?.(ctx) ?? NO_EVENTS, log, now: Date.now });
      const totalStreams = planSync(await getSyncConfig(db.kysely, businessId)).streams.length;
      const interactive = stream.isTTY === true;
      let lastDraw = 0;
      const draw = (progress: SyncProgress, force = false) => {
        if (!interactive || (!force && Date.now() - lastDraw < 100)) return;
        lastDraw = Date.now();
        stream.write(`\r\x1b[2K${progressLine(progress, totalStreams)}`);
      };
      const pause = () => void service.stop();
      process.once('SIGINT', pause);
      try {
        const row = await service.runToCompletion(businessId, 'manual', draw).catch((error: unknown) => {
          // Refused before any sync was created: say so, with the code scripts can match.
          if (error instanceof ApiError && (error.code === 'ramp_not_connected' || error.code === 'reauthorization_required')) {
            throw new CliError(`no sync started: ${error.code}: ${error.detail}`);
          }
          throw error;
        });
        if (interactive) {
          draw(JSON.parse(row.progress) as SyncProgress, true);
          stream.write('\n');
        }
        return row;
      } finally {
        process.off('SIGINT', pause);
      }
    } finally {
      for (const fn of closers.reverse()) await fn();
    }
  });
  printResult(syncView(result), flags);
  if (result.status === 'failed') throw new CliError(`sync failed: ${result.error ?? 'unknown error'}`);
  if (result.status === 'partial') throw new CliError(`sync partial: ${skippedSummary(JSON.parse(result.progress) as SyncProgress)}`);
  if (result.status !== 'completed') throw new CliError('sync paused; run the command again to resume it');
}

/** One line per the CLI's errors: what Ramp refused, and the scope to enable where that is the cause. */
function skippedSummary(progress: SyncProgress): string {
  const parts = progress.skipped.map((s) => (s.missing_scope ? `${s.resource} (enable ${s.missing_scope} in the Ramp app)` : `${s.resource} (${s.detail})`));
  return `Ramp refused ${parts.join(', ')}; everything else was synced`;
}

/** The command-table entry, with the token source bound. */
export function makeSyncCommand(makeTokens: AccessTokenProviderFactory, options: SyncCommandOptions = {}): Command {
  return (input) => syncCommand(input, makeTokens, options);
}
