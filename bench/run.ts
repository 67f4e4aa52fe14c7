/**
 * `npm run bench`: every figure as a ratio to a baseline measured in the same run, loopback only,
 * bounded in time. Prints a table and writes bench/results.json.
 *
 *   npm run bench                  full sizes (about 5–8 minutes on 2 cores)
 *   npm run bench -- --quick       reduced sizes (CI smoke)
 *   npm run bench -- --only token,claim
 *   npm run bench -- --only sync-million --million   the 1,000,000-transaction sync on SQLite (opt-in)
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PG_SERVER_URL } from './lib/scratch-db.ts';
import { benchClaim } from './scenarios/claim.ts';
import { benchColdStart } from './scenarios/cold-start.ts';
import { benchStampede } from './scenarios/stampede.ts';
import { benchTokenHotPath } from './scenarios/token-hot-path.ts';
import { EXTRA_SCENARIOS } from './scenarios/extra.ts';

interface Row {
  scenario: string;
  figure: string;
  value: number | string;
  baseline?: string;
  ratio?: number;
  target?: string;
  pass?: boolean;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1]! : args[args.indexOf(onlyArg) + 1]!).split(',') : undefined;
const wanted = (name: string) => !only || only.includes(name);
const sizes = quick
  ? { durationS: 2, connections: 50, callers: 200, claimConnections: 5_000, coldRuns: 1, syncTransactions: 5_000 }
  : { durationS: 10, connections: 100, callers: 1_000, claimConnections: 100_000, coldRuns: 3, syncTransactions: 100_000 };

export type Report = (row: Row) => void;
const rows: Row[] = [];
const report: Report = (row) => {
  rows.push(row);
  process.stderr.write(`  ${row.scenario}: ${row.figure} = ${row.value}${row.ratio !== undefined ? ` (ratio ${row.ratio})` : ''}\n`);
};

async function main(): Promise<void> {
  const errors: string[] = [];
  const run = async (name: string, fn: () => Promise<void>) => {
    if (!wanted(name)) return;
    process.stderr.write(`[bench] ${name}…\n`);
    try {
      await fn();
    } catch (error) {
      errors.push(`${name}: ${(error as Error).message}`);
      report({ scenario: name, figure: 'error', value: (error as Error).message.slice(0, 120) });
    }
  };

  await run('token', async () => {
    const r = await benchTokenHotPath({ durationS: sizes.durationS, connections: sizes.connections });
    report({ scenario: 'token', figure: `GET /api/v1/ramp/token req/s (${sizes.connections} conns)`, value: r.token.rps, baseline: `bare Fastify ${r.bare.rps} req/s`, ratio: r.ratio, target: '≥ 0.6', pass: r.ratio >= 0.6 });
    report({ scenario: 'token', figure: 'p99 latency ms at 1,000 connections', value: r.token1000.p99Ms, baseline: `p50 ${r.token1000.p50Ms} ms, ${r.token1000.rps} req/s` });
  });
  if (PG_SERVER_URL) {
    await run('stampede', async () => {
      const r = await benchStampede(sizes.callers);
      report({ scenario: 'stampede', figure: `Ramp refresh calls for ${r.callers} callers on 2 replicas (PostgreSQL)`, value: r.refreshCalls, target: '= 1', pass: r.refreshCalls === 1 && r.failures === 0 });
      report({ scenario: 'stampede', figure: 'caller wait p99 ms', value: r.p99Ms, baseline: `p50 ${r.p50Ms} ms` });
    });
  }
  for (const dialect of PG_SERVER_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)) {
    await run('claim', async () => {
      const r = await benchClaim(dialect, sizes.claimConnections);
      report({ scenario: 'claim', figure: `${dialect}: claim batch of 100 among ${r.connections.toLocaleString('en-US')} connections, median ms`, value: r.medianBatchMs, baseline: `p99 ${r.p99BatchMs} ms over ${r.batches} batches` });
      report({ scenario: 'claim', figure: `${dialect}: server RSS MB with ${r.connections.toLocaleString('en-US')} connections`, value: r.serverRssMb });
    });
  }
  for (const extra of EXTRA_SCENARIOS) {
    if (extra.optIn !== undefined && !args.includes(`--${extra.optIn}`)) continue;
    await run(extra.name, () => extra.run({ quick, sizes, report }));
  }
  await run('cold-start', async () => {
    const r = await benchColdStart(sizes.coldRuns);
    report({ scenario: 'cold-start', figure: 'serve on an empty data dir until /readyz, ms (median)', value: r.medianMs, baseline: `runs ${r.runsMs.join(', ')}` });
  });

  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform };
  const out = { ran_at: new Date().toISOString(), quick, machine, rows, errors };
  // Only a complete full-size run replaces bench/results.json; partial or quick runs go to bench/out/.
  const complete = !quick && !only;
  const target = complete ? new URL('./results.json', import.meta.url) : new URL('./out/last-partial.json', import.meta.url);
  mkdirSync(fileURLToPath(new URL('./out/', import.meta.url)), { recursive: true });
  writeFileSync(fileURLToPath(target), `${JSON.stringify(out, null, 2)}\n`);
  printTable(rows, machine);
  if (errors.length > 0) {
    process.stderr.write(`bench errors:\n${errors.join('\n')}\n`);
    process.exitCode = 1;
  }
}

function printTable(all: Row[], machine: Record<string, unknown>): void {
  const lines = ['| scenario | figure | value | baseline | ratio | target |', '|---|---|---|---|---|---|'];
  for (const r of all) lines.push(`| ${r.scenario} | ${r.figure} | ${r.value} | ${r.baseline ?? ''} | ${r.ratio ?? ''} | ${r.target ?? ''}${r.pass === undefined ? '' : r.pass ? ' ✓' : ' ✗'} |`);
  process.stdout.write(`${lines.join('\n')}\n\nMachine: ${machine.cpus} × ${machine.cpu}, ${machine.memory_gb} GB, Node ${machine.node}\n`);
}

await main();
