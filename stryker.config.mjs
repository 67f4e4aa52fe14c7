// StrykerJS for `npm run mutate -- <target>` (scripts/mutate.js sets MUTATE_TARGET). Not part of npm test.
import { writeFileSync } from 'node:fs';
import { currentTarget } from './scripts/mutation-targets.js';

const target = currentTarget();

// The typescript checker type-checks each mutant; with the whole project (src, test, bench) as roots it
// was the bottleneck (~6 mutants a minute on a busy machine). Rooted at the mutated files, tsc checks
// only what they import: a mutant that breaks its own folder's types is still caught. One file per
// target, so two targets can run side by side without one rewriting the other's roots.
const TSCONFIG = `tsconfig.mutate.${target.label}.json`;
writeFileSync(TSCONFIG, `${JSON.stringify({ extends: './tsconfig.json', include: target.mutate }, null, 2)}\n`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: TSCONFIG,
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: target.mutate,
  coverageAnalysis: 'perTest',
  ignoreStatic: target.ignoreStatic ?? false,
  concurrency: 1,
  timeoutMS: 60_000,
  timeoutFactor: 3,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${target.label}/index.html` },
  jsonReporter: { fileName: `reports/mutation/${target.label}/mutation.json` },
  tempDirName: `.stryker-tmp/${target.label}`,
  // Off by default (a full, honest run). MUTATE_INCREMENTAL=1 reuses this target's previous results for
  // mutants whose code and covering tests did not change, and re-tests the rest (new tests included).
  incremental: process.env.MUTATE_INCREMENTAL === '1',
  incrementalFile: `reports/mutation/${target.label}/stryker-incremental.json`,
  cleanTempDir: true,
  // Anchored at the root: a bare 'data' also dropped src/emulator/data/ from the sandbox, so every test
  // file that starts the emulator failed to import and Stryker silently ran none of its tests.
  ignorePatterns: ['/data', '/dist', '/reports', '/test-artifacts', '/bench/out', '/.stryker-tmp'],
};
