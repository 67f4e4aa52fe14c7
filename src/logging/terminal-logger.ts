/**
 * @module The log for a person at a terminal: pino's records pretty-printed (time, level, message,
 * fields), held back until `release()` so that `serve` can print its start-up block first and the logs
 * follow under it. Piped output keeps pino's JSON lines (createLogger); this is only for a TTY.
 *
 * Why `pino-pretty`'s `prettyFactory` in this thread rather than `pino.transport({ target: 'pino-pretty' })`:
 * the transport runs in a worker thread with its own V8 heap (tens of MB of resident memory, which
 * `npm start` is tuned to keep low) and writes asynchronously, so it could not hold lines back and then
 * order them after the block. Formatting costs a little CPU per line, only in a terminal.
 */
import type { Logger } from 'pino';
import { createLogger } from './logger.ts';

export interface HeldLogger {
  readonly log: Logger;
  /** Writes what was held back, then lets every later line through as it comes. */
  release(): void;
}

export async function terminalLogger(level: string, out: NodeJS.WritableStream = process.stdout): Promise<HeldLogger> {
  const { prettyFactory, isColorSupported } = await import('pino-pretty');
  // One line per record: a request's fields on its own line, not spread over eight.
  const pretty = prettyFactory({ colorize: isColorSupported, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true });
  let held: string[] | null = [];
  const destination = {
    write(line: string): void {
      const text = pretty(line);
      if (held) held.push(text);
      else out.write(text);
    },
  };
  return {
    log: createLogger(level, destination),
    release() {
      if (!held) return;
      const lines = held;
      held = null;
      for (const text of lines) out.write(text);
    },
  };
}
