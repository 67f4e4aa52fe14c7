/**
 * @module Command line of the schema derivation (see `lib/ramp-schemas.ts`):
 * `node bin/run-ts.js scripts/ramp-schemas.ts [--check]`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA_DIR, deriveRampSchemas, differingFiles, readSpec } from './lib/ramp-schemas.ts';

function main(): void {
  const files = deriveRampSchemas(readSpec());
  if (process.argv.includes('--check')) {
    const differing = differingFiles(files, SCHEMA_DIR);
    process.stdout.write(differing.length === 0 ? 'ramp-schemas/ is up to date\n' : `ramp-schemas/ differs: ${differing.join(', ')}\n`);
    process.exitCode = differing.length === 0 ? 0 : 1;
    return;
  }
  rmSync(SCHEMA_DIR, { recursive: true, force: true });
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [name, content] of files) writeFileSync(join(SCHEMA_DIR, name), content);
  process.stdout.write(`wrote ${files.size} files to ramp-schemas/\n`);
}

main();
