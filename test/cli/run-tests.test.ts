/**
 * `scripts/run-tests.js` must never print "0 failed" for a run vitest failed. Each case runs the script in
 * a child process over tiny fixture files (test/fixtures/run-tests/, their own vitest config) and reads
 * its closing line: an unhandled rejection, a failing beforeAll (vitest counts its tests as skipped), a
 * failing afterAll or beforeEach, and vitest's main process killed mid-run (no final report). Also: one progress
 * line per finished file.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

interface Run {
  code: number;
  output: string;
  closing: { passed: number; failed: number; skipped: number };
}

const CONFIG = 'test/fixtures/run-tests/vitest.config.ts';

function runTests(...fixtures: string[]): Promise<Run> {
  return runTestsWith({}, '--config', CONFIG, ...fixtures);
}

function runTestsWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['scripts/run-tests.js', ...args],
      { env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const output = stdout + stderr;
        const match = /\n(\d+) passed, (\d+) failed, (\d+) skipped\n$/.exec(stdout);
        if (!match) return reject(new Error(`no closing line in:\n${output}`));
        const [passed, failed, skipped] = match.slice(1).map(Number) as [number, number, number];
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output, closing: { passed, failed, skipped } });
      },
    );
    child.stdin?.end();
  });
}

describe('run-tests.js closing line', () => {
  it('counts passing tests and exits 0 when all pass, with one progress line per file', async () => {
    const run = await runTests('passing.fixture');
    expect(run.closing).toEqual({ passed: 2, failed: 0, skipped: 0 });
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/\[1\/1 files, \d+:\d\d\] ok {3}test\/fixtures\/run-tests\/passing\.fixture\.ts · \d+\.\d s · 2 passed, 0 failed, 0 skipped/);
  });

  it('names the files still running when no file finished for a while', async () => {
    const run = await runTestsWith({ RUN_TESTS_HEARTBEAT_MS: '500' }, '--config', CONFIG, 'slow.fixture');
    expect(run.closing).toEqual({ passed: 1, failed: 0, skipped: 0 });
    expect(run.output).toMatch(/\[0\/1 files, \d+:\d\d\] still running: test\/fixtures\/run-tests\/slow\.fixture\.ts \(\d+ s\)/);
  });

  it('counts an unhandled error as a failure although every test passed', async () => {
    const run = await runTests('unhandled.fixture');
    expect(run.closing).toEqual({ passed: 1, failed: 1, skipped: 0 });
    expect(run.code).toBe(1);
  });

  it('counts the tests a failing beforeAll kept from running as failed, not skipped', async () => {
    const run = await runTests('before-all.fixture', 'passing.fixture');
    expect(run.closing).toEqual({ passed: 2, failed: 2, skipped: 1 });
    expect(run.code).toBe(1);
  });

  it('counts a failing afterAll as one failure', async () => {
    const run = await runTests('after-all.fixture');
    expect(run.closing).toEqual({ passed: 1, failed: 1, skipped: 0 });
    expect(run.code).toBe(1);
  });

  it('counts a test whose beforeEach failed as failed', async () => {
    const run = await runTests('before-each.fixture');
    expect(run.closing).toEqual({ passed: 0, failed: 1, skipped: 0 });
    expect(run.code).toBe(1);
  });

  it('counts the files of a crashed run that never finished as failed', async () => {
    const run = await runTests('crash.fixture');
    expect(run.closing.failed).toBeGreaterThanOrEqual(1);
    expect(run.code).toBe(1);
    expect(run.output).toContain('vitest stopped before the end (killed by SIGKILL)');
    expect(run.output).toContain('test/fixtures/run-tests/crash.fixture.ts');
  });

  it('prints 1 failed when vitest fails before any report (a config that does not exist)', async () => {
    const run = await runTestsWith({}, '--config', 'test/fixtures/run-tests/no-such.config.ts');
    expect(run.closing).toEqual({ passed: 0, failed: 1, skipped: 0 });
    expect(run.code).toBe(1);
  });
});
