/**
 * The bundle `npm start` runs (scripts/build.js → dist/ramp-connect.js, with the start script's Node
 * flags, so a Node that refuses one fails here), built into a scratch directory:
 * it serves the API and the web page with its assets, runs the lazily loaded CLI commands, and a
 * connection made over HTTP syncs through `ramp-connect sync` from the same bundle.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { TestBrowser } from '../helpers/test-browser.ts';
import { npmStartProgram, runCli, serverJsonLines, startServerProcess, type Program, type ServerProcess } from '../helpers/processes.ts';
import { freePort } from '../helpers/test-server.ts';

const BUILD = fileURLToPath(new URL('../../scripts/build.js', import.meta.url));
// Inside the project, as dist/ is, so the bundle finds node_modules and package.json's "type": "module".
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const ROOT_ASSETS = fileURLToPath(new URL('../../src/web/assets/', import.meta.url));

describe('the built bundle (npm start)', () => {
  let dir: string;
  let outdir: string;
  let program: Program;
  let env: Record<string, string>;
  let server: ServerProcess;
  let emulatorUrl: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rc-bundle-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    outdir = mkdtempSync(join(ARTIFACTS, 'bundle-'));
    const build = spawnSync(process.execPath, [BUILD, '--outdir', outdir], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    program = npmStartProgram(outdir);
    expect(program.filter((arg) => arg.startsWith('--')).length, 'the start script\'s Node flags').toBeGreaterThan(0);
    const port = await freePort();
    const emulatorPort = await freePort();
    emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    env = {
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      PORT: String(port),
      EMULATOR_PORT: String(emulatorPort),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      RAMP_ENV: 'emulator',
      LOG_LEVEL: 'warn',
    };
    server = await startServerProcess(env, 30_000, program);
  });
  afterAll(async () => {
    await server?.stop();
    for (const path of [dir, outdir]) if (path) rmSync(path, { recursive: true, force: true });
  });

  it('serves the API, its OpenAPI document, and the web page with its assets', async () => {
    await serverJsonLines(server, (lines) => lines.some((line) => (line.demo_business as { name?: string } | undefined)?.name === 'Demo business'));
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/assets/app.js">');
    // Every module of the page (app.js imports the others) and the icon browsers ask for.
    for (const name of readdirSync(ROOT_ASSETS).filter((n) => n.endsWith('.js'))) {
      const asset = await fetch(`${server.url}/assets/${name}`);
      expect(asset.status, name).toBe(200);
      expect(asset.headers.get('content-type'), name).toBe('text/javascript; charset=utf-8');
    }
    expect((await fetch(`${server.url}/favicon.ico`)).status).toBe(200);
  });

  /** Runs the bundle's CLI; it must succeed, and its JSON output is returned. */
  const cli = async (...args: string[]) => {
    const result = await runCli(args, env, 60_000, program);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout);
  };
  /** A business with an owner and the owner's API headers, made with the bundle's CLI. */
  const ownedBusiness = async (name: string, email: string) => {
    const business = await cli('business', 'create', '--name', name);
    const user = await cli('user', 'create', '--email', email, '--business', business.id, '--role', 'owner');
    const { token } = await cli('token', 'create', '--user', user.id);
    return { businessId: business.id as string, headers: { authorization: `Bearer ${token}`, 'x-business-id': business.id as string } };
  };

  it('connects over HTTP and syncs with `ramp-connect sync` from the bundle', async () => {
    const { businessId, headers } = await ownedBusiness('Bundle Co.', 'owner@bundle.test');
    const app = await emulatorControl(emulatorUrl).createApp({ grant_types: ['client_credentials'] });
    const connected = await fetch(`${server.url}/api/v1/ramp/connect-with-credentials`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: app.client_id, client_secret: app.client_secret }),
    });
    expect(connected.status, await connected.clone().text()).toBe(201);

    const sync = await cli('sync', '--business', businessId);
    expect(sync).toMatchObject({ status: 'completed', error: null });
    expect(sync.progress.records).toBeGreaterThan(0);
    const connections = await cli('connections', 'list');
    expect(connections).toEqual([expect.objectContaining({ business_id: businessId })]);
  });

  it('`ramp-connect sync` refreshes an expired authorization-code connection with the emulator\'s default app', async () => {
    const { businessId, headers } = await ownedBusiness('Consent Co.', 'owner@consent.test');
    const emulator = emulatorControl(emulatorUrl);
    const start = await fetch(`${server.url}/api/v1/ramp/connect-url`, { headers });
    expect(start.status).toBe(200);
    await emulator.consent({ decision: 'approve', role: 'admin' });
    const browser = new TestBrowser();
    const authorize = await browser.openConnectUrl(((await start.json()) as { connect_url: string }).connect_url);
    const callback = await browser.fetch(authorize.headers.get('location')!);
    expect(callback.status, await callback.clone().text()).toBeLessThan(400);

    // Ramp's clock passes the access token's hour; ours does not, so the sync meets a 401 and must refresh.
    const refreshesBefore = (await emulator.stats()).grants.refresh_token;
    await emulator.clock(2 * 3600);
    const sync = await cli('sync', '--business', businessId);
    expect(sync).toMatchObject({ status: 'completed', error: null });
    expect(sync.progress.records).toBeGreaterThan(0);
    expect((await emulator.stats()).grants.refresh_token).toBe(refreshesBefore + 1);
  });
});
