import { defineConfig } from 'vitest/config';

// Integration tests start real servers (emulator, API) on loopback and talk to real SQLite/PostgreSQL,
// so files run in parallel forks but tests inside a file run in order.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    // A bound for a hung test, not a speed check: the slowest tests take ~20 s beside two CPU burners
    // (npm run test:under-load), and four timed out at 30 s on a machine loaded three times over
    // (a 1M-record sync bench and StrykerJS beside the burners, 2026-12-07).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // expect.poll gives up after 1 s by default: too short on a busy 2-core machine (a browser repaint or
    // an audit row after the answer can take longer). Polls still end as soon as the condition holds.
    expect: { poll: { timeout: 15_000 } },
  },
});
