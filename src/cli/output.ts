/** @module CLI output: JSON when stdout is not a TTY (or with `--json`), readable text otherwise; errors are one line on stderr. */

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

export function wantsJson(flags: Record<string, string | boolean>): boolean {
  return flags.json === true || !process.stdout.isTTY;
}

export function printResult(value: unknown, flags: Record<string, string | boolean>): void {
  if (wantsJson(flags)) {
    process.stdout.write(`${JSON.stringify(value)}\n`);
    return;
  }
  if (Array.isArray(value)) {
    // A blank line between items: each is several `key: value` lines.
    process.stdout.write(value.length === 0 ? '(none)\n' : `${value.map(formatObject).join('\n\n')}\n`);
    return;
  }
  process.stdout.write(`${formatObject(value)}\n`);
}

function formatObject(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  return Object.entries(value)
    .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join('\n');
}
