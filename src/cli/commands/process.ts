/** @module `serve` (what `npm start` runs) and `migrate`. */
import { stopOnSignals } from './signals.ts';
import { openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { emulatorFacts, startServer } from '../../server.ts';
import { terminalLogger } from '../../logging/terminal-logger.ts';
import { printResult, wantsJson } from '../output.ts';
import { FIRST_TOKEN_COMMAND, startBanner } from '../start-banner.ts';
import type { CommandInput } from './command.ts';

/**
 * On a terminal: a short block (URLs, the emulator's ready-made app, the command for a first token),
 * then the logs below it, pretty-printed. Piped: one JSON object per line, like pino's own lines, so a
 * log collector reading serve's stdout sees only JSON.
 */
export async function serveCommand({ flags, config }: CommandInput): Promise<void> {
  const json = wantsJson(flags);
  const terminal = json ? undefined : await terminalLogger(config.logLevel);
  let demoBusiness: { id: string; name: string } | undefined;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, {
      log: terminal?.log,
      onDemoBusiness: (demo) => {
        demoBusiness = demo;
        if (json) printResult({ demo_business: demo, next_steps: [FIRST_TOKEN_COMMAND, `open ${config.publicUrl}/ and paste the token`] }, flags);
      },
    });
  } catch (error) {
    // A failed start: its log lines explain why, so they must not stay held.
    terminal?.release();
    throw error;
  }
  const emulator = emulatorFacts(config, server.emulator);
  if (json) {
    const where: Record<string, unknown> = { listening: server.url, web_page: `${config.publicUrl}/`, api_docs: `${config.publicUrl}/docs` };
    if (emulator) Object.assign(where, { emulator: emulator.url, emulator_client_id: emulator.clientId });
    printResult(where, flags);
  } else {
    process.stdout.write(startBanner({ webPage: `${config.publicUrl}/`, apiDocs: `${config.publicUrl}/docs`, emulator, demoBusiness }));
    terminal!.release();
  }
  stopOnSignals(server.close);
}

export async function migrateCommand({ flags, config }: CommandInput): Promise<void> {
  const db = openDatabase(config.databaseUrl, { poolSize: 2 });
  const results = await migrateToLatest(db)
    .then((r) => r.results ?? [])
    .finally(() => db.close());
  printResult({ applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) }, flags);
}
