/**
 * A SIGTERM'd `serve` exits while a sync is waiting on Ramp, without waiting for Ramp's answer, and
 * leaves the sync to be resumed, on both dialects.
 *
 * Ramp here is an emulator in this process whose `hang_ms` fault holds every transactions request for
 * ten minutes, and which tells the test when such a request has arrived. So when SIGTERM is sent the
 * sync is provably mid-call, and the only way `serve` can exit before the ten minutes is by aborting
 * that call: the assertion is on what happened (exit, sync state), the guard below only turns a hang
 * into a failure instead of a stuck run. A proxied read held the same way is answered 503 at once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { emulatorControl } from '../helpers/emulator-control.ts';
import { startProbedEmulator, type ProbedEmulator } from '../helpers/probed-emulator.ts';
import { request } from '../helpers/http.ts';
import { startServerProcess, type ServerProcess } from '../helpers/processes.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/test-db.ts';
import { TEST_ENCRYPTION_KEYS, freePort } from '../helpers/test-server.ts';

const HELD_RESOURCE = '/developer/v1/transactions';
/** Far longer than any test here: an exit before it can only come from aborting the held call. */
const HOLD_MS = 10 * 60_000;
/** Only a guard against a stuck run; nothing is measured against it. */
const EXIT_GUARD_MS = 90_000;

for (const dialect of DIALECTS) {
  describe(`${dialect}: SIGTERM to serve in the middle of a sync`, () => {
    let database: TestDatabase;
    let db: Db;
    let emulator: ProbedEmulator;
    const servers: ServerProcess[] = [];

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      db = openDatabase(database.url);
      await migrateToLatest(db);
      emulator = await startProbedEmulator();
    });
    afterAll(async () => {
      await Promise.all(servers.map((server) => server.stop('SIGKILL')));
      await emulator?.close();
      await db?.close();
      await database?.drop();
    });

    async function serve(): Promise<ServerProcess> {
      const port = await freePort();
      const server = await startServerProcess({
        DATABASE_URL: database.url,
        RAMP_ENV: 'emulator',
        RAMP_API_BASE_URL: emulator.url,
        RAMP_CLIENT_ID: emulator.running.defaultApp.client_id,
        RAMP_CLIENT_SECRET: emulator.running.defaultApp.client_secret,
        ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: 'info',
        REFRESH_INTERVAL_MS: '0',
      });
      servers.push(server);
      return server;
    }

    /** SIGTERM, then the exit code; fails (rather than hangs) if the process is still there after the guard. */
    async function terminate(server: ServerProcess): Promise<number | null> {
      const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
      server.child.kill('SIGTERM');
      let guard: NodeJS.Timeout | undefined;
      const stuck = new Promise<'stuck'>((resolve) => (guard = setTimeout(() => resolve('stuck'), EXIT_GUARD_MS)));
      const outcome = await Promise.race([exited, stuck]);
      clearTimeout(guard);
      if (outcome === 'stuck') throw new Error(`serve did not exit after SIGTERM: ${server.output().slice(-2000)}`);
      return outcome;
    }

    /** A new tenant connected with client credentials through a fresh `serve`. */
    async function connectedServe(): Promise<{ tenant: Tenant; control: ReturnType<typeof emulatorControl>; server: ServerProcess }> {
      const tenant = await createTenant(db, 'owner');
      const control = emulatorControl(emulator.url);
      const rampApp = await control.createApp({ grant_types: ['client_credentials'] });
      const server = await serve();
      const connected = await request(`${server.url}/api/v1/ramp/connect-with-credentials`, {
        method: 'POST',
        headers: tenant.headers,
        json: { client_id: rampApp.client_id, client_secret: rampApp.client_secret },
      });
      expect(connected.status, connected.text).toBe(201);
      return { tenant, control, server };
    }

    const syncRow = (id: string) => db.kysely.selectFrom('syncs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    it('exits without waiting for Ramp, and another serve resumes the same sync where it stopped', async () => {
      const { tenant, control, server: doomed } = await connectedServe();

      await control.faults({ hang_ms: HOLD_MS, paths: [HELD_RESOURCE, `/sandbox${HELD_RESOURCE}`] });
      const started = await request(`${doomed.url}/api/v1/ramp/sync`, { method: 'POST', headers: { ...tenant.headers, 'idempotency-key': randomUUID() } });
      expect(started.status, started.text).toBe(202);
      const syncId = started.body.sync_id as string;
      // The streams before transactions have been read; the transactions read is now held at "Ramp".
      await expect.poll(() => emulator.requests(HELD_RESOURCE).open, { timeout: 60_000, interval: 20 }).toBeGreaterThan(0);

      expect(await terminate(doomed)).toBe(0);
      // Ramp would have held the call for minutes more: serve gave it up rather than wait for it (a call
      // that timed out or was retried would have logged "Ramp call failed").
      expect(doomed.output()).not.toContain('Ramp call failed');
      const paused = await syncRow(syncId);
      expect(paused.status).toBe('running');
      // Handed back at once, not left to a lease that runs out later.
      expect(paused.lease_until!).toBeLessThan(Date.now());
      // What was stored before the stop is kept: the streams before transactions, their records.
      const pausedProgress = JSON.parse(paused.progress) as { records: number; streams: Record<string, string> };
      expect(pausedProgress.streams.business).toBe('done');
      expect(pausedProgress.records).toBeGreaterThan(1);
      expect(doomed.output()).toContain('sync paused; it resumes where it is claimed next');

      await control.faults({ hang_ms: 0, paths: null });
      const readsBefore = (await control.stats()).endpoints;
      const rescuer = await serve();
      let view: { id: string; status: string; progress: { records: number; streams: Record<string, string> } } | undefined;
      await expect
        .poll(async () => {
          view = (await request(`${rescuer.url}/api/v1/ramp/syncs/${syncId}`, { headers: tenant.headers })).body;
          return view?.status;
        }, { timeout: 60_000, interval: 100 })
        .toBe('completed');
      expect(view!.id).toBe(syncId);
      expect(view!.progress.records).toBeGreaterThan(pausedProgress.records);
      expect(view!.progress.streams.transactions).toBe('done');
      // A stream marked done before the stop is not read again.
      const readsAfter = (await control.stats()).endpoints;
      const businessReads = (endpoints: Record<string, number>) => Object.entries(endpoints).filter(([key]) => key.endsWith('/developer/v1/business')).reduce((n, [, c]) => n + c, 0);
      expect(businessReads(readsBefore)).toBeGreaterThan(0);
      expect(businessReads(readsAfter)).toBe(businessReads(readsBefore));
      expect(await terminate(rescuer)).toBe(0);
    }, 240_000);

    it('a proxied read held at Ramp is answered 503 with Retry-After and serve exits; a proxied write gets Ramp\'s answer first', async () => {
      const { tenant, control, server: reader } = await connectedServe();
      await control.faults({ hang_ms: HOLD_MS, paths: ['/developer/v1/business/balance', '/sandbox/developer/v1/business/balance'] });
      const read = request(`${reader.url}/api/v1/ramp/proxy/business/balance`, { headers: tenant.headers });
      await expect.poll(() => emulator.requests('/developer/v1/business/balance').open, { timeout: 60_000, interval: 20 }).toBeGreaterThan(0);
      const exit = terminate(reader);
      const answer = await read;
      expect(answer.status, answer.text).toBe(503);
      expect(answer.body).toEqual({ detail: 'This server is shutting down; send the request again', code: 'service_unavailable' });
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(await exit).toBe(0);

      // A write is not given up: Ramp holds it 5 s, SIGTERM comes meanwhile, the caller still gets Ramp's
      // own answer (whatever it is), and serve exits after it. Same database: the connection is there.
      const writer = await serve();
      await control.faults({ hang_ms: 5_000, paths: ['/developer/v1/memos', '/sandbox/developer/v1/memos'] });
      const write = request(`${writer.url}/api/v1/ramp/proxy/memos`, { method: 'POST', headers: tenant.headers, json: {} });
      await expect.poll(() => emulator.requests('/developer/v1/memos').open, { timeout: 60_000, interval: 20 }).toBeGreaterThan(0);
      const writerExit = terminate(writer);
      const written = await write;
      expect(written.status, written.text).not.toBe(503);
      expect(written.status).toBeLessThan(500);
      // ... and ends its socket with it: left open, the close would wait out the 72 s keep-alive timeout.
      expect(written.headers.get('connection')).toBe('close');
      expect(await writerExit).toBe(0);
      await control.faults({ hang_ms: 0, paths: null });
    }, 240_000);
  });
}
