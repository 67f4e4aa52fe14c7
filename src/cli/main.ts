/**
 * @module `ramp-connect`: the command line (contract: README.md#cli). Prints JSON when stdout
 * is not a TTY (or with --json); exits non-zero with a one-line error on stderr on failure.
 */
import { loadConfig, ConfigError } from '../config/config.ts';
import { ApiError } from '../core/errors.ts';
import { checkOptions, parseArgs } from './args.ts';
import { COMMAND_OPTIONS, COMMANDS, GLOBAL_OPTIONS, OPTION_KINDS } from './commands/index.ts';
import { CliError } from './output.ts';

export const USAGE = `usage: ramp-connect <command> [options]

  serve                                   run the API and web page (what npm start runs)
  emulator [--port N]                     run the Ramp emulator on its own
  migrate                                 apply database migrations (idempotent)
  business create --name NAME
  user create --email E --business ID --role owner|admin|member|viewer
  token create --user ID | --demo [--shell] [--name N] [--expires-in-days D] [--permission ramp:token]
  token list --user ID | --demo | --business ID [--all]
  token revoke --id ID
  connections list
  sync --business ID
  accounting backup --business ID
  accounting migrate --business ID --to NAME [--backup ID]
  keys rotate [--remove-old]
  keys status

Options: --json forces JSON output.`;

export async function main(argv: readonly string[]): Promise<void> {
  try {
    const { positionals, flags } = parseArgs(argv, OPTION_KINDS);
    if (flags.help === true) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    // No command is a usage error: the usage goes to stderr, so a script piping stdout sees nothing.
    if (positionals.length === 0) {
      process.stderr.write(`${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    const twoWords = positionals.slice(0, 2).join(' ');
    const name = COMMANDS[twoWords] ? twoWords : positionals[0]!;
    const load = COMMANDS[name];
    if (!load) throw new CliError(`unknown command "${positionals.join(' ')}"; run ramp-connect --help`, 2);
    // No command takes words beyond its name: a stray one (`sync now --business …`) is a mistake, not ignored.
    const extra = positionals.slice(name.split(' ').length);
    if (extra.length > 0) throw new CliError(`${name} takes no further words (got "${extra.join(' ')}"); run ramp-connect --help`, 2);
    checkOptions(name, flags, { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[name] });
    const config = loadConfig();
    const command = await load();
    await command({ flags, config });
  } catch (error) {
    process.stderr.write(`ramp-connect: ${describe(error)}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : 1;
  }
}

function describe(error: unknown): string {
  if (error instanceof CliError || error instanceof ConfigError) return error.message;
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error) return error.message.split('\n')[0]!;
  return String(error);
}
