// StrykerJS for `npm run mutate -- <target>` (scripts/mutate.js sets MUTATE_TARGET). Not part of npm test.
import { currentTarget } from './scripts/mutation-targets.js';

const target = currentTarget();

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: target.mutate,
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 60_000,
  timeoutFactor: 3,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${target.name}/index.html` },
  jsonReporter: { fileName: `reports/mutation/${target.name}/mutation.json` },
  tempDirName: `.stryker-tmp/${target.name}`,
  incremental: false,
  cleanTempDir: true,
  ignorePatterns: ['data', 'dist', 'reports', 'test-artifacts', 'bench/out', '.stryker-tmp'],
};
