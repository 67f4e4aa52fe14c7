/** @module `serve` (what `npm start` runs) and `migrate`. */
import { stopOnSignals } from './signals.ts';
import { openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { startServer } from '../../server.ts';
import { printResult } from '../output.ts';
import type { CommandInput } from './index.ts';

export async function serveCommand({ config }: CommandInput): Promise<void> {
  const server = await startServer(config, { announce: (text) => process.stdout.write(`${text}\n`) });
  process.stdout.write(`ramp-connect listening on ${server.url} (web page: ${config.publicUrl}/, API docs: ${config.publicUrl}/docs)\n`);
  stopOnSignals(server.close);
}

export async function migrateCommand({ flags, config }: CommandInput): Promise<void> {
  const db = openDatabase(config.databaseUrl, { poolSize: 2 });
  const results = await migrateToLatest(db)
    .then((r) => r.results ?? [])
    .finally(() => db.close());
  printResult({ applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) }, flags);
}
