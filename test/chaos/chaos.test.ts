/**
 * The chaos run at CI size (see test/chaos/chaos.ts): 3 replicas on PostgreSQL, SIGKILLs during a mixed
 * workload with two key rotations, then the invariants; once with Ramp's refresh-token grace, once with
 * strict rotation. `npm run test:chaos -- --full` runs it for 10 minutes.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../helpers/test-db.ts';
import { runChaos, type ChaosOptions, type ChaosReport } from './chaos.ts';

async function chaos(options: ChaosOptions): Promise<ChaosReport> {
  const report = await runChaos(options);
  process.stdout.write(
    `chaos (${options.rotation ?? 'grace'}): ${report.requests} requests, ${report.kills} kills, ${report.keyRotations} key rotations, ${report.refreshGrants} refreshes, ${report.events} events, ${report.connectedOAuth} OAuth connected, ${report.lostRotations} lost rotations ${JSON.stringify(report.casualties)}, ${report.latentLostRotations.length} not yet retried, ${report.revokePending} disconnects left to the retry pass\n`,
  );
  expect(report.kills).toBeGreaterThanOrEqual(3);
  expect(report.keyRotations).toBe(2);
  expect(report.serverErrors).toEqual([]);
  expect(report.undecryptable).toEqual([]);
  expect(report.refreshTokenMismatches).toEqual([]);
  expect(report.stuckLeases).toEqual([]);
  expect(report.undelivered).toBe(0);
  expect(report.receiverMissing).toBe(0);
  // It did work: tokens were refreshed at Ramp, and OAuth connections came through connected.
  expect(report.refreshGrants).toBeGreaterThan(0);
  expect(report.connectedOAuth).toBeGreaterThan(0);
  // The only casualties: rotations lost to a cut-off attempt, classed as such.
  expect(report.untoleratedCasualties).toEqual([]);
  return report;
}

describe.runIf(DIALECTS.includes('postgres'))('chaos: random SIGKILLs of replicas', () => {
  it('keeps every invariant (Ramp rotation with 30 s grace)', async () => {
    await chaos({ durationS: 30, replicas: 3, tenants: 10, killEveryMs: 4_000 });
  }, 240_000);

  it('keeps every invariant in strict rotation; a lost rotation is classed lost_rotation', async () => {
    await chaos({ durationS: 30, replicas: 3, tenants: 10, killEveryMs: 4_000, rotation: 'strict', leaseMs: 15_000 });
  }, 240_000);
});
