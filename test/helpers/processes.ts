/** @module Running the real `ramp-connect` command as child processes (CLI tests, multi-replica tests). */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/ramp-connect.js', import.meta.url));

/** What runs `ramp-connect`: Node's arguments before the command's (the sources through tsx by default). */
export type Program = readonly string[];

/**
 * Node's arguments in package.json's `start` script (`… && node <flags> dist/ramp-connect.js serve`), with
 * the bundle taken from `outdir`: tests and the bench run the service exactly as `npm start` does.
 */
export function npmStartProgram(outdir = fileURLToPath(new URL('../../dist/', import.meta.url))): Program {
  const start = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const match = /(?:^|&& )node ((?:--[\w-]+(?:=\S+)? )*)dist\/ramp-connect\.js serve$/.exec(start);
  if (!match) throw new Error(`package.json's start script is not "… node [flags] dist/ramp-connect.js serve": ${start}`);
  return [...match[1]!.trim().split(' ').filter(Boolean), join(outdir, 'ramp-connect.js')];
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000, program: Program = [BIN]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...program, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The JSON objects `serve` has printed (piped, it prints JSON lines: its own and pino's), once `until`
 * holds for them: /readyz can answer before serve has printed what follows `listen`.
 */
export async function serverJsonLines(server: ServerProcess, until: (lines: Record<string, unknown>[]) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    if (until(lines)) return lines;
    if (Date.now() > deadline) throw new Error(`serve did not print the expected lines: ${server.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `ramp-connect serve` and waits until /readyz answers. */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 30_000, program: Program = [BIN]): Promise<ServerProcess> {
  // Ramp webhook subscriptions off unless asked for, as in test-server.ts: these tests count Ramp calls.
  const child = spawn(process.execPath, [...program, 'serve'], { env: { ...process.env, RAMP_WEBHOOK_SUBSCRIBE: 'off', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output.slice(-2000)}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become ready: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
