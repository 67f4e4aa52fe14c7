/**
 * `npm run test:chaos` (CI size) and `npm run test:chaos -- --full` (10 minutes, 3 replicas); add
 * `--strict` for Ramp's strict refresh-token rotation (no grace).
 * Needs PostgreSQL: TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).
 */
import { runChaos } from './chaos.ts';

const full = process.argv.includes('--full');
const report = await runChaos({
  durationS: full ? 600 : 45,
  replicas: 3,
  tenants: full ? 40 : 12,
  killEveryMs: full ? 8_000 : 5_000,
  ...(process.argv.includes('--strict') ? { rotation: 'strict' as const, leaseMs: 15_000 } : {}),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
const failed =
  report.serverErrors.length > 0 ||
  report.undecryptable.length > 0 ||
  report.refreshTokenMismatches.length > 0 ||
  report.stuckLeases.length > 0 ||
  report.undelivered > 0 ||
  report.receiverMissing > 0 ||
  report.untoleratedCasualties.length > 0 ||
  report.refreshGrants === 0 ||
  report.connectedOAuth === 0;
process.stdout.write(`${failed ? 0 : 1} passed, ${failed ? 1 : 0} failed\n`);
process.exit(failed ? 1 : 0);
