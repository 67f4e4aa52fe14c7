/** @module `serve` (what `npm start` runs) and `migrate`. */
import { stopOnSignals } from './signals.ts';
import { openDatabase } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { startServer } from '../../server.ts';
import { printResult, wantsJson } from '../output.ts';
import type { CommandInput } from './command.ts';

/**
 * Prints where the service listens and, on a first start, how to get a token for the demo business:
 * readable lines on a terminal, one JSON object per line when piped (README.md#cli: every command), so a
 * log collector reading serve's stdout sees only JSON beside pino's lines.
 */
export async function serveCommand({ flags, config }: CommandInput): Promise<void> {
  const json = wantsJson(flags);
  const server = await startServer(config, {
    onDemoBusiness: (demo) => {
      const steps = [
        `npx ramp-connect user create --email you@example.com --business ${demo.id} --role owner`,
        'npx ramp-connect token create --user <the id printed above>',
        `open ${config.publicUrl}/ and paste the token`,
      ];
      if (json) printResult({ demo_business: demo, next_steps: steps }, flags);
      else process.stdout.write(`Created a demo business "${demo.name}" (${demo.id}).\nGet an API token for it:\n  ${steps[0]}\n  ${steps[1]}\nThen ${steps[2]}.\n`);
    },
  });
  const where = { listening: server.url, web_page: `${config.publicUrl}/`, api_docs: `${config.publicUrl}/docs` };
  if (json) printResult(where, flags);
  else process.stdout.write(`ramp-connect listening on ${where.listening} (web page: ${where.web_page}, API docs: ${where.api_docs})\n`);
  stopOnSignals(server.close);
}

export async function migrateCommand({ flags, config }: CommandInput): Promise<void> {
  const db = openDatabase(config.databaseUrl, { poolSize: 2 });
  const results = await migrateToLatest(db)
    .then((r) => r.results ?? [])
    .finally(() => db.close());
  printResult({ applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) }, flags);
}
