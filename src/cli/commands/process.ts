/** @module Long-running commands: `serve`, `emulator`, and `migrate`. */
import { openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { startEmulator } from '../../emulator/index.ts';
import { startServer } from '../../server.ts';
import { optionalInt } from '../args.ts';
import { printResult } from '../output.ts';
import type { CommandInput } from './index.ts';

function stopOnSignals(close: () => Promise<void>): void {
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      void close().finally(() => process.exit(0));
    });
  }
}

export async function serveCommand({ config }: CommandInput): Promise<void> {
  const server = await startServer(config, { announce: (text) => process.stdout.write(`${text}\n`) });
  process.stdout.write(`ramp-connect listening on ${server.url} (web page: ${config.publicUrl}/, API docs: ${config.publicUrl}/docs)\n`);
  stopOnSignals(server.close);
}

export async function emulatorCommand({ flags, config }: CommandInput): Promise<void> {
  const port = optionalInt(flags, 'port') ?? config.emulatorPort;
  const emulator = await startEmulator({ port, defaultRedirectUris: [`${config.publicUrl}/api/v1/ramp/callback`] });
  printResult(
    { url: emulator.url, sandbox_url: `${emulator.url}/sandbox`, client_id: emulator.defaultApp.client_id, client_secret: emulator.defaultApp.client_secret, business_id: emulator.demoBusinessId },
    flags,
  );
  stopOnSignals(emulator.close);
}

export async function migrateCommand({ flags, config }: CommandInput): Promise<void> {
  const db = openDatabase(config.databaseUrl, { poolSize: 2 });
  const results = await migrateToLatest(db)
    .then((r) => r.results ?? [])
    .finally(() => db.close());
  printResult({ applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) }, flags);
}
