#!/usr/bin/env node
// Runs vitest and ends with the plain line CI reads: "N passed, N failed, N skipped".
// (vitest's own summary is not among the formats CI parses.) The line is honest whenever vitest failed:
// the tally comes from scripts/run-tests-reporter.js (tests skipped by a failing hook count as failed,
// unhandled errors count), files that never finished because the run crashed count as failed, and a
// non-zero vitest exit with nothing else to show still prints at least 1 failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// A private state file, so a run-tests.js started by a test cannot overwrite the outer run's.
const dir = mkdtempSync(join(tmpdir(), 'run-tests-'));
const stateFile = join(dir, 'state.json');
const reporter = fileURLToPath(new URL('./run-tests-reporter.js', import.meta.url));
const result = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', `--reporter=${reporter}`, ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, RUN_TESTS_STATE: stateFile } },
);
const state = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : undefined;
rmSync(dir, { recursive: true, force: true });

let passed = 0;
let failed = 0;
let skipped = 0;
for (const tally of Object.values(state?.finished ?? {})) {
  passed += tally.passed;
  failed += tally.failed;
  skipped += tally.skipped;
}
failed += state?.unhandled ?? 0;
if (state && !state.complete) {
  const unfinished = state.files.filter((file) => !(file in state.finished));
  failed += unfinished.length;
  process.stdout.write(`\nvitest stopped before the end (${describeExit(result)}); unfinished files count as failed: ${unfinished.join(', ') || '(none)'}\n`);
}
// vitest failed for a reason none of the above caught (crash before any report, bad config, …).
if ((result.status !== 0 || !state?.complete) && failed === 0) failed = 1;

process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(result.status === 0 && failed === 0 ? 0 : 1);

function describeExit(r) {
  if (r.error) return r.error.message;
  return r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
}
