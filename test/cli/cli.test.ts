/**
 * From a fresh data directory: `ramp-connect serve` (what `npm start` runs), then the CLI's
 * `business create`, `user create` and `token create` give a token that `GET /api/v1/businesses`
 * accepts over real HTTP. Also: JSON output when piped, one-line errors and non-zero exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_OPTIONS, COMMANDS } from '../../src/cli/commands/index.ts';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from '../../src/emulator/default-app.ts';
import { runCli, serverJsonLines, startServerProcess, type ServerProcess } from '../helpers/processes.ts';
import { freePort } from '../helpers/test-server.ts';

describe('CLI and npm start, end to end', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServerProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rc-cli-'));
    const port = await freePort();
    env = {
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      PORT: String(port),
      EMULATOR_PORT: String(await freePort()),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      RAMP_ENV: 'emulator',
      LOG_LEVEL: 'warn',
    };
    server = await startServerProcess(env);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints where it listens and first-run instructions with the demo business, as JSON lines when piped', async () => {
    const lines = await serverJsonLines(server, (l) => l.some((line) => 'listening' in line) && l.some((line) => 'demo_business' in line));
    expect(lines).toContainEqual({
      listening: server.url,
      web_page: `${env.PUBLIC_URL}/`,
      api_docs: `${env.PUBLIC_URL}/docs`,
      emulator: `http://127.0.0.1:${env.EMULATOR_PORT}`,
      emulator_client_id: DEFAULT_CLIENT_ID,
    });
    // Piped output is what log collectors keep: the emulator's client id, never its secret.
    expect(server.output()).not.toContain(DEFAULT_CLIENT_SECRET);
    const demo = lines.find((line) => 'demo_business' in line)!;
    expect(demo.demo_business).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Demo business' });
    expect(demo.next_steps as string[]).toContain('npx ramp-connect token create --demo');
    // Nothing but JSON on stdout when piped (pino's lines included).
    expect(server.output().split('\n').filter((line) => line !== '' && !line.startsWith('{'))).toEqual([]);
  });

  it('business → user → token gives a token the API accepts', async () => {
    const business = await runCli(['business', 'create', '--name', 'Acme'], env);
    expect(business.code, business.stderr).toBe(0);
    const { id: businessId, name } = JSON.parse(business.stdout);
    expect(name).toBe('Acme');

    const user = await runCli(['user', 'create', '--email', 'Owner@Example.com', '--business', businessId, '--role', 'owner'], env);
    expect(user.code, user.stderr).toBe(0);
    const { id: userId } = JSON.parse(user.stdout);

    const token = await runCli(['token', 'create', '--user', userId, '--name', 'laptop', '--expires-in-days', '30'], env);
    expect(token.code, token.stderr).toBe(0);
    const created = JSON.parse(token.stdout);
    expect(created.token).toMatch(/^dz_/);
    expect(created.token_info).toMatchObject({ name: 'laptop', token_type: 'api' });

    const res = await fetch(`${server.url}/api/v1/businesses`, { headers: { authorization: `Bearer ${created.token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { id: string; role: string }[] };
    expect(body.items).toEqual([expect.objectContaining({ id: businessId, role: 'owner' })]);
  });

  it('fails with a one-line error and a non-zero exit', async () => {
    for (const args of [['user', 'create', '--email', 'x@y.z', '--business', 'nope', '--role', 'owner'], ['token', 'create'], ['frobnicate'], ['user', 'create', '--email', 'a@b.c', '--business', '00000000-0000-4000-8000-000000000000', '--role', 'owner']]) {
      const result = await runCli(args, env);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^ramp-connect: /);
    }
  });

  it('refuses an option the command does not take (a typo is never ignored), with exit 2 and nothing done', async () => {
    const business = JSON.parse((await runCli(['business', 'create', '--name', 'Typo Co'], env)).stdout);
    const user = JSON.parse((await runCli(['user', 'create', '--email', 'typo@example.com', '--business', business.id, '--role', 'owner'], env)).stdout);
    // A misspelt --expires-in-days would otherwise make a 365-day token without a word.
    const token = await runCli(['token', 'create', '--user', user.id, '--expires-in-day', '7'], env);
    expect(token.code).toBe(2);
    expect(token.stderr).toBe('ramp-connect: token create does not take --expires-in-day; run ramp-connect --help\n');
    expect(token.stdout).toBe('');
    const sync = await runCli(['sync', '--busines', business.id], env);
    expect(sync.code).toBe(2);
    expect(sync.stderr).toBe('ramp-connect: sync does not take --busines; run ramp-connect --help\n');
    // A stray word is refused too, not silently dropped (`token create 7` would otherwise make a token).
    const stray = await runCli(['token', 'create', 'now', '--user', user.id], env);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toBe('ramp-connect: token create takes no further words (got "now"); run ramp-connect --help\n');
    expect(stray.stdout).toBe('');
    // Each documented option is still taken, and --json everywhere.
    const ok = await runCli(['token', 'create', '--user', user.id, '--name', 'n', '--expires-in-days', '7', '--permission', 'ramp:token', '--json'], env);
    expect(ok.code, ok.stderr).toBe(0);
    const demo = await runCli(['token', 'create', '--demo', '--shell'], env);
    expect(demo.code, demo.stderr).toBe(0);
    const port = await runCli(['emulator', '--port', '99999'], env);
    expect(port.code).toBe(2);
    expect(port.stderr).toBe('ramp-connect: --port must be a port number (0-65535), got 99999\n');
    const listed = await runCli(['connections', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(Object.keys(COMMAND_OPTIONS).sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  it('refuses a boolean option given a value and a value option given none, with exit 2 and nothing done', async () => {
    // --demo=yes once read as "not --demo": the command went on without it.
    for (const [args, message] of [
      [['token', 'create', '--demo=yes'], '--demo takes no value'],
      [['token', 'list', '--demo', '--all=false'], '--all takes no value'],
      [['keys', 'status', '--json=1'], '--json takes no value'],
      [['business', 'create', '--name'], '--name needs a value'],
      [['token', 'create', '--name', '--demo'], '--name needs a value'],
    ] as const) {
      const result = await runCli([...args], env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toBe(`ramp-connect: ${message}\n`);
      expect(result.stdout, args.join(' ')).toBe('');
    }
    // A boolean option never takes the next word as its value.
    const listed = await runCli(['token', 'list', '--all', '--demo'], env);
    expect(listed.code, listed.stderr).toBe(0);
  });

  it('no command is a usage error: the usage on stderr, exit 2; --help prints it on stdout, exit 0', async () => {
    const bare = await runCli([], env);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^usage: ramp-connect <command>/);
    const help = await runCli(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toBe(bare.stderr);
  });

  it('connections list prints JSON when piped', async () => {
    const result = await runCli(['connections', 'list'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([]);
  });

  it('migrate is idempotent', async () => {
    const result = await runCli(['migrate'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ applied: [] });
  });
});
