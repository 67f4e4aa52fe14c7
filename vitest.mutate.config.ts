import { defineConfig } from 'vitest/config';
// @ts-expect-error plain JS table shared with stryker.config.mjs and scripts/mutate.js
import { currentTarget } from './scripts/mutation-targets.js';

// Used only by `npm run mutate`: the test files of one mutation target (see scripts/mutation-targets.js).
export default defineConfig({
  test: {
    include: currentTarget().tests as string[],
    // Lets a test shrink a loop that only costs time per mutant (e.g. vault.test.ts's nonce count).
    env: { MUTATION_RUN: '1' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
