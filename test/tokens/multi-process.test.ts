/**
 * Real processes on one PostgreSQL database (docs/guarantees.md#g17–#g19):
 *  - 1,000 concurrent GET /api/v1/ramp/token across 2 server processes on an expired token → 1 refresh;
 *  - strict rotation: 10,000 refreshes from 4 workers in 2 processes → no refresh token ever reused;
 *  - kill -9 of the process holding the refresh lease → its lease stands until it lapses (by a clock the
 *    test moves), then another process refreshes.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLease } from '../../src/connections/connection-lease.ts';
import { startServerProcess, type ServerProcess } from '../helpers/processes.ts';
import { createTenant } from '../helpers/tenants.ts';
import { createHarness, harnessEnv, rampAccepts, type Harness } from '../helpers/token-harness.ts';
import { DIALECTS } from '../helpers/test-db.ts';
import { freePort } from '../helpers/test-server.ts';

const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
const WORKER = fileURLToPath(new URL('./refresh-worker.ts', import.meta.url));
const describePg = DIALECTS.includes('postgres') ? describe : describe.skip;

function baseEnv(h: Harness): Record<string, string> {
  return {
    ...harnessEnv(h),
    // 1,000 requests from one API token would otherwise meet our own per-token rate limit.
    RATE_LIMIT_TOKEN_RPS: '0',
    RATE_LIMIT_BUSINESS_RPS: '0',
  };
}

function runWorker(env: Record<string, string>): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; kill(): void; stdout(): string } {
  const child = spawn(process.execPath, [RUN_TS, WORKER], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return {
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
    kill: () => child.kill('SIGKILL'),
    stdout: () => stdout,
  };
}

describePg('postgres: several processes, one database', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('postgres');
    await h.emu.faults({ rate_limit: false, rotation: 'strict' });
  });
  afterAll(async () => h.close());

  it('1,000 concurrent token requests across 2 server processes on an expired token → exactly 1 refresh', async () => {
    const row = await h.connectOAuth();
    const caller = await createTenant(h.db, 'viewer', { businessId: row.business_id, permissions: ['ramp:token'] });
    const servers: ServerProcess[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        servers.push(await startServerProcess({ ...baseEnv(h), PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }));
      }
      await h.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1 }).where('id', '=', row.id).execute();
      const before = (await h.emu.stats()).grants.refresh_token;
      const responses = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => fetch(`${servers[i % 2]!.url}/api/v1/ramp/token`, { headers: caller.headers }).then(async (r) => ({ status: r.status, body: (await r.json()) as { access_token: string } }))),
      );
      expect(responses.filter((r) => r.status !== 200)).toEqual([]);
      expect((await h.emu.stats()).grants.refresh_token).toBe(before + 1);
      const tokens = new Set(responses.map((r) => r.body.access_token));
      expect(tokens.size).toBe(1);
      expect(await rampAccepts(h.emulator.url, [...tokens][0]!)).toBe(true);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }, 120_000);

  // A fixed workload that took 4 min on a busy 2-core machine: its time limit is a safety net, not a speed bound.
  it('strict rotation: 10,000 refreshes from 4 workers in 2 processes never reuse a refresh token', async () => {
    const rows = [];
    for (let i = 0; i < 8; i++) rows.push(await h.connectOAuth());
    const start = await h.emu.stats();
    const target = start.grants.refresh_token + 10_000;
    const env = { ...baseEnv(h), MODE: 'force', WORKERS: '2', TARGET: String(target), BUSINESS_IDS: rows.map((r) => r.business_id).join(',') };
    const results = await Promise.all([runWorker(env).done, runWorker(env).done]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const summaries = results.map((r) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { forced: number; error_count: number });
    expect(summaries.map((s) => s.error_count)).toEqual([0, 0]);
    const end = await h.emu.stats();
    expect(end.grants.refresh_token).toBeGreaterThanOrEqual(target);
    expect(end.refresh_reuse_detected - start.refresh_reuse_detected).toBe(0);
    expect((end.token_errors.invalid_grant ?? 0) - (start.token_errors.invalid_grant ?? 0)).toBe(0);
    // What we stored is exactly Ramp's current refresh token, for every connection.
    const grants = await h.emu.grants();
    const current = new Set(grants.filter((g) => !g.revoked).map((g) => g.current_refresh_token_sha256));
    for (const row of rows) {
      const stored = (await h.store.find(row.business_id))!;
      expect(stored.status).toBe('connected');
      const rt = h.store.open(stored).refreshToken!;
      expect(current.has(createHash('sha256').update(rt).digest('hex'))).toBe(true);
    }
  }, 900_000);

  // No wall-clock bound: the holder's lease is far longer than any test, so only our clock (moved by
  // hand) can see it lapse. Before it lapses nobody may take it; just after, the next caller refreshes.
  it('kill -9 of the lease holder: the lease is honoured until it lapses, then another process refreshes', async () => {
    const row = await h.connectOAuth();
    await h.db.kysely.updateTable('ramp_connections').set({ access_token_expires_at: Date.now() - 1 }).where('id', '=', row.id).execute();
    await h.emu.faults({ hang_ms: 600_000, paths: ['/sandbox/developer/v1/token'] });
    const leaseMs = 600_000;
    const holder = runWorker({ ...baseEnv(h), MODE: 'hold', BUSINESS_IDS: row.business_id, REFRESH_LEASE_MS: String(leaseMs), TOKEN_TIMEOUT_MS: '600000' });
    try {
      for (let i = 0; ; i++) {
        const current = await h.store.find(row.business_id);
        if (current?.lease_owner) break;
        // Up to 60 s: starting a Node process through tsx takes seconds on a busy machine.
        if (i > 1_200) throw new Error(`holder never took the lease: ${holder.stdout()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      holder.kill();
      await holder.done;
    }
    await h.emu.faults({ reset: true });
    await h.emu.faults({ rate_limit: false });
    const orphaned = (await h.store.find(row.business_id))!;
    expect(orphaned.lease_owner).not.toBeNull();
    const leaseUntil = orphaned.lease_until!;
    const before = (await h.emu.stats()).grants.refresh_token;
    // A millisecond before it lapses the dead holder's lease still stands: no one may take it. The
    // statement is given that instant: a running clock set 1 ms short may pass it on a busy machine.
    expect(await acquireLease(h.db, orphaned, 'probe', 1_000, leaseUntil - 1)).toBeUndefined();
    // Once it has lapsed (by our clock, and by Ramp's), the next caller takes it over and refreshes.
    await h.advance(leaseUntil + 1_000 - (Date.now() + h.clock.offsetMs));
    const access = await h.manager.getAccess(row.business_id);
    expect(await rampAccepts(h.emulator.url, access.accessToken)).toBe(true);
    expect((await h.emu.stats()).grants.refresh_token).toBe(before + 1);
    const stored = (await h.store.find(row.business_id))!;
    expect(stored).toMatchObject({ status: 'connected', lease_owner: null });
  }, 120_000);
});
