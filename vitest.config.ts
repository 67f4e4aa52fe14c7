import { defineConfig } from 'vitest/config';

// Integration tests start real servers (emulator, API) on loopback and talk to real SQLite/PostgreSQL,
// so files run in parallel forks but tests inside a file run in order.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
