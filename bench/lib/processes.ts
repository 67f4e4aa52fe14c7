/** @module Child processes for the bench: our server, a bare Fastify baseline, RSS readings. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { npmStartProgram } from '../../test/helpers/processes.ts';
import { freePort } from '../../test/helpers/test-server.ts';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/ramp-connect.js', import.meta.url));
export const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
const BUILD = fileURLToPath(new URL('../../scripts/build.js', import.meta.url));
let bundleBuilt = false;

/** How `npm start` runs the service: its Node flags and the esbuild bundle in dist/, rebuilt once per bench run. */
export function bundledProgram(): readonly string[] {
  if (!bundleBuilt) {
    const build = spawnSync(process.execPath, [BUILD], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    bundleBuilt = true;
  }
  return npmStartProgram();
}

export { freePort } from '../../test/helpers/test-server.ts';

export interface Proc {
  readonly child: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
  rssMb(): number;
}

/** Spawns `args` and waits until `${url}${readyPath}` answers 200; returns how long that took. */
export async function spawnUntilReady(args: string[], env: Record<string, string>, url: string, readyPath: string, timeoutMs = 60_000): Promise<Proc & { readyMs: number }> {
  const started = performance.now();
  // BENCH_CPU_PROFILE_DIR=<dir> writes a V8 CPU profile of every child process there (open in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process exited: ${output.slice(-1500)}`);
    try {
      if ((await fetch(`${url}${readyPath}`)).ok) break;
    } catch {
      // not up yet
    }
    if (performance.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`not ready in time: ${output.slice(-1500)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = performance.now() - started;
  return {
    child,
    url,
    readyMs,
    rssMb: () => rssMbOf(child.pid!),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

/** Resident set size of a process, from /proc (Linux). */
export function rssMbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

/** Peak RSS (VmHWM) of a process. */
export function peakRssMbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

/** CPU seconds (user + system) a process has used so far (/proc/<pid>/stat, clock ticks of 10 ms). */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Bytes a process has written through write/pwrite so far, in MB (/proc/<pid>/io `wchar`): the storage's write amplification. */
export function writtenMbOf(pid: number): number {
  const wchar = /wchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? '0';
  return Math.round(Number(wchar) / 1e6);
}

export async function startServer(env: Record<string, string>, port?: number): Promise<Proc & { readyMs: number }> {
  port ??= await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Our own per-token rate limit would cap a single-token load test; the bench measures the service itself.
  return spawnUntilReady([...bundledProgram(), 'serve'], { LOG_LEVEL: 'warn', RATE_LIMIT_TOKEN_RPS: '0', RATE_LIMIT_BUSINESS_RPS: '0', ...env, PORT: String(port), PUBLIC_URL: url }, url, '/readyz');
}

export async function startBareServer(): Promise<Proc> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return spawnUntilReady([RUN_TS, fileURLToPath(new URL('./bare-server.ts', import.meta.url)), String(port)], {}, url, '/json');
}

/** bare-proxy.ts in front of `upstream`, forwarding with `token`; ready once `readyPath` answers through it. */
export async function startBareProxy(upstream: string, token: string, readyPath: string): Promise<Proc> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return spawnUntilReady([RUN_TS, fileURLToPath(new URL('./bare-proxy.ts', import.meta.url)), String(port), upstream, token], {}, url, readyPath);
}

export async function startEmulatorProcess(): Promise<Proc> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return spawnUntilReady([BIN, 'emulator', '--port', String(port)], {}, url, '/__emulator/stats');
}
