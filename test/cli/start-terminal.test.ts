/**
 * `ramp-connect serve` in a terminal (a pseudo-terminal from util-linux `script`, so stdout is a TTY as
 * under `npm start`): the start-up block comes first with the URLs, the emulator's ready-made app and the
 * first-token command, and pino's lines follow it pretty-printed, not as JSON. Then that command,
 * `token create --demo`, gives a token the API accepts for the demo business, and reuses its owner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from '../../src/emulator/default-app.ts';
import { BIN, runCli } from '../helpers/processes.ts';
import { freePort } from '../helpers/test-server.ts';

const SCRIPT = '/usr/bin/script';

describe.runIf(existsSync(SCRIPT))('serve on a terminal, then token create --demo', () => {
  let dir: string;
  let env: Record<string, string>;
  let child: ChildProcess;
  let output = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rc-tty-'));
    const port = await freePort();
    env = {
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      PORT: String(port),
      EMULATOR_PORT: String(await freePort()),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      RAMP_ENV: 'emulator',
      LOG_LEVEL: 'info',
    };
    // `script -qfec CMD /dev/null`: run CMD on a new pseudo-terminal, copy what it prints to our stdout.
    child = spawn(SCRIPT, ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} serve`, '/dev/null'], {
      env: { ...process.env, ...env, TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
  }, 30_000);
  afterAll(async () => {
    if (child.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM'); // the group: script and the serve it started
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the start-up block first, then pretty log lines (no JSON)', async () => {
    await expect.poll(() => output, { timeout: 30_000, interval: 100 }).toMatch(/Server listening/);
    const text = stripVTControlCharacters(output.replace(/\r/g, ''));
    const block = text.slice(0, text.indexOf('Logs:'));
    expect(block).toContain(`Web page + API    ${env.PUBLIC_URL}/`);
    expect(block).toContain(`${env.PUBLIC_URL}/docs`);
    expect(block).toContain(`Ramp emulator     http://127.0.0.1:${env.EMULATOR_PORT}`);
    expect(block).toContain(`Client ID       ${DEFAULT_CLIENT_ID}`);
    expect(block).toContain(`Client Secret   ${DEFAULT_CLIENT_SECRET}`);
    expect(block).toContain('npx ramp-connect token create --demo');
    expect(block).toContain('Created the business "Demo business"');
    // Every log line comes after the block (even those written while the server started), pretty-printed.
    expect(block).not.toMatch(/INFO|WARN/);
    const logs = text.slice(text.indexOf('Logs:')).split('\n').slice(1).filter((line) => line.trim() !== '');
    expect(logs.some((line) => /^\[\d\d:\d\d:\d\d\] INFO: Ramp emulator listening/.test(line))).toBe(true);
    expect(logs.filter((line) => line.trimStart().startsWith('{'))).toEqual([]);
  });

  it('token create --demo gives a token for the demo business, and reuses its owner', async () => {
    const first = await runCli(['token', 'create', '--demo'], env);
    expect(first.code, first.stderr).toBe(0);
    const created = JSON.parse(first.stdout);
    expect(created.token).toMatch(/^dz_/);
    const businesses = await fetch(`${env.PUBLIC_URL}/api/v1/businesses`, { headers: { authorization: `Bearer ${created.token}` } });
    expect(businesses.status).toBe(200);
    const { items } = (await businesses.json()) as { items: { id: string; name: string; role: string }[] };
    expect(items).toEqual([expect.objectContaining({ id: created.business_id, name: 'Demo business', role: 'owner' })]);

    const second = JSON.parse((await runCli(['token', 'create', '--demo'], env)).stdout);
    expect(second).toMatchObject({ business_id: created.business_id, user_id: created.user_id });
    expect(second.token).not.toBe(created.token);

    const both = await runCli(['token', 'create', '--demo', '--user', created.user_id], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('either --user or --demo');
  });
});
