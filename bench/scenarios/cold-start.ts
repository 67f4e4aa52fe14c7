/** (f) Cold start: `ramp-connect serve` on an empty data directory (migrations, key file, emulator) until /readyz answers. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer } from '../lib/processes.ts';

export async function benchColdStart(runs: number): Promise<{ medianMs: number; runsMs: number[] }> {
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'rc-cold-'));
    const server = await startServer({ DATA_DIR: dir, DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, RAMP_ENV: 'emulator', EMULATOR_PORT: String(await freePort()) });
    runsMs.push(Math.round(server.readyMs));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...runsMs].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)]!, runsMs };
}
