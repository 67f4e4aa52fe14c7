/** @module Scenarios contributed by features (proxy, sync throughput), run by bench/run.ts in order. */
import type { Report } from '../run.ts';
import { benchSync } from '../sync-throughput.ts';
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
      report({ scenario: 'proxy', figure: 'proxy p99 ms', value: r.proxy.p99Ms, baseline: `direct p99 ${r.direct.p99Ms} ms` });
    },
  },
  {
    name: 'sync',
    async run({ sizes, report }) {
      for (const dialect of PG_SERVER_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)) {
        const r = await benchSync({ dialect, transactions: sizes.syncTransactions!, ...(dialect === 'postgres' ? { databaseUrl: PG_SERVER_URL } : {}) });
        report({ scenario: 'sync', figure: `${dialect}: full sync of ${sizes.syncTransactions!.toLocaleString('en-US')} transactions, records/s`, value: Math.round(r.recordsPerSecond), baseline: `${r.records} records in ${r.seconds.toFixed(1)} s`, target: '≥ 10,000', pass: r.recordsPerSecond >= 10_000 });
        report({ scenario: 'sync', figure: `${dialect}: sync peak RSS MB`, value: r.peakRssMb, target: '≤ 250', pass: r.peakRssMb <= 250 });
      }
    },
  },
];
