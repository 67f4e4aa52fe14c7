/**
 * README's "First hour", run as written: its ```sh blocks are taken from README.md itself, so the README
 * and this test cannot drift. The first block (`npm start`) runs in the background; the second (token,
 * connect with the emulator's app, sync, list transactions) runs in bash once the service is ready. Only
 * the environment differs from a reader's: free ports, a scratch data directory, and the README's
 * `http://127.0.0.1:8080` replaced by the server's address. `npm install` is given (node_modules exist).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/test-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README_URL = 'http://127.0.0.1:8080';

/** The ```sh blocks of the README section with this heading. */
function shellBlocks(heading: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`README has no "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('README "First hour", as written', () => {
  let dir: string;
  let env: Record<string, string>;
  let url: string;
  let service: ChildProcess;
  let serviceOutput = '';
  const blocks = shellBlocks('First hour');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rc-readme-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      PORT: String(port),
      EMULATOR_PORT: String(await freePort()),
      PUBLIC_URL: url,
      RAMP_ENV: 'emulator',
      LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    if (service?.pid !== undefined && service.exitCode === null && service.signalCode === null) {
      const exited = new Promise((resolve) => service.once('exit', resolve));
      process.kill(-service.pid, 'SIGTERM'); // its group: bash, npm and the node it started
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has the two blocks: start the service, then use it', () => {
    expect(blocks).toHaveLength(2);
    expect(blocks[0]!.trim()).toBe('npm start');
    expect(blocks[1]).toContain('token create --demo');
    expect(blocks[1]).toContain('connect-with-credentials');
  });

  it('runs them: a token, a connection with the emulator\'s app, a sync, transactions', async () => {
    service = spawn('bash', ['-c', blocks[0]!], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    service.stdout!.on('data', (d) => (serviceOutput += d));
    service.stderr!.on('data', (d) => (serviceOutput += d));
    await expect
      .poll(
        async () => {
          if (service.exitCode !== null) throw new Error(`npm start exited ${service.exitCode}: ${serviceOutput.slice(-2000)}`);
          return fetch(`${url}/readyz`).then((r) => r.status, () => 0);
        },
        { timeout: 60_000, interval: 200 },
      )
      .toBe(200);

    const script = `set -euo pipefail\n${blocks[1]!.replaceAll(README_URL, url)}`;
    const run = spawnSync('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
    expect(run.status, `${run.stderr}\n${run.stdout}`).toBe(0);
    const out = run.stdout;
    // connect-with-credentials answered with the new connection; the sync completed; the list has records.
    expect(out).toMatch(/"status":"connected"/);
    expect(out).toMatch(/"auth_method":"client_credentials"/);
    expect(out).toMatch(/"status":"completed"/);
    // The list is curl's last answer, on the last line; a record may itself hold an `{"items": …}` (line items).
    const list = JSON.parse(out.trim().split('\n').at(-1)!) as { items: { amount_cents: number }[] };
    expect(list.items).toHaveLength(5);
    expect(Number.isInteger(list.items[0]!.amount_cents)).toBe(true);
    // No command failed on the way (a failure is a one-line "ramp-connect: …" on stderr); the sync's own
    // log lines (streams skipped for scopes the default connect does not ask for) may be there.
    expect(run.stderr).not.toMatch(/^ramp-connect:/m);
  });
});
