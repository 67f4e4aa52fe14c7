/**
 * The chaos run at CI size (see test/chaos/chaos.ts): 3 replicas on PostgreSQL, SIGKILLs during a mixed
 * workload with two key rotations, then the invariants. `npm run test:chaos -- --full` runs it for 10 minutes.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/test-db.ts';
import { runChaos } from './chaos.ts';

describe.runIf(DIALECTS.includes('postgres'))('chaos: random SIGKILLs of replicas', () => {
  it('keeps every invariant', async () => {
    const report = await runChaos({ durationS: 30, replicas: 3, tenants: 10, killEveryMs: 4_000 });
    process.stdout.write(`chaos: ${report.requests} requests, ${report.kills} kills, ${report.keyRotations} key rotations, ${report.refreshGrants} refreshes, ${report.events} events, ${report.needsReauth.length} needs_reauth\n`);
    expect(report.kills).toBeGreaterThanOrEqual(3);
    expect(report.keyRotations).toBe(2);
    expect(report.serverErrors).toEqual([]);
    expect(report.undecryptable).toEqual([]);
    expect(report.refreshTokenMismatches).toEqual([]);
    // Ramp's grace (30 s) covers a replica killed between Ramp's answer and the commit: no grant is lost.
    expect(report.needsReauth).toEqual([]);
    expect(report.stuckLeases).toEqual([]);
    expect(report.undelivered).toBe(0);
    expect(report.receiverMissing).toBe(0);
    expect(report.connections).toBeGreaterThan(0);
  }, 240_000);
});
