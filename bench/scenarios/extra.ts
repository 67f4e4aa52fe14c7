/** @module Scenarios contributed by features (proxy, sync throughput), run by bench/run.ts in order. */
import type { Report } from '../run.ts';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../sync-throughput.ts';
import { RUN_TS } from '../lib/processes.ts';
import { PG_SERVER_URL } from '../lib/scratch-db.ts';
import { benchProxy } from './proxy.ts';

export interface ExtraScenario {
  readonly name: string;
  run(input: { quick: boolean; sizes: Record<string, number>; report: Report }): Promise<void>;
}

export const EXTRA_SCENARIOS: ExtraScenario[] = [
  {
    name: 'proxy',
    async run({ sizes, report }) {
      const r = await benchProxy({ durationS: sizes.durationS!, connections: sizes.connections! });
      report({ scenario: 'proxy', figure: `GET /api/v1/ramp/proxy/business req/s (${sizes.connections} conns)`, value: r.proxy.rps, baseline: `direct emulator call ${r.direct.rps} req/s`, ratio: r.ratio, target: '≥ 0.7', pass: r.ratio >= 0.7 });
      report({ scenario: 'proxy', figure: 'same, as a ratio to a bare forwarding proxy (no auth, no checks)', value: r.proxy.rps, baseline: `bare proxy ${r.bare.rps} req/s (${Math.round((r.bare.rps / r.direct.rps) * 100) / 100} of direct)`, ratio: r.ratioToBare });
      report({ scenario: 'proxy', figure: 'proxy p99 ms', value: r.proxy.p99Ms, baseline: `direct p99 ${r.direct.p99Ms} ms, bare proxy p99 ${r.bare.p99Ms} ms` });
    },
  },
  {
    name: 'sync',
    async run({ sizes, report }) {
      for (const dialect of PG_SERVER_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)) {
        const r = await syncInFreshProcess(dialect, sizes.syncTransactions!);
        report({ scenario: 'sync', figure: `${dialect}: full sync of ${sizes.syncTransactions!.toLocaleString('en-US')} transactions, records/s`, value: Math.round(r.recordsPerSecond), baseline: `${r.records} records in ${r.seconds.toFixed(1)} s`, target: '≥ 10,000', pass: r.recordsPerSecond >= 10_000 });
        report({ scenario: 'sync', figure: `${dialect}: sync peak RSS MB`, value: r.peakRssMb, target: '≤ 250', pass: r.peakRssMb <= 250 });
      }
    },
  },
];

/** Each sync runs in its own process, so its peak RSS is its own and not the bench runner's. */
async function syncInFreshProcess(dialect: 'sqlite' | 'postgres', transactions: number): Promise<BenchResult> {
  const script = fileURLToPath(new URL('../sync-throughput.ts', import.meta.url));
  const args = [RUN_TS, script, '--dialect', dialect, '--transactions', String(transactions), ...(dialect === 'postgres' ? ['--database-url', PG_SERVER_URL!] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`sync bench exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as BenchResult;
}
