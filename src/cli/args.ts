/**
 * @module A small argv parser: positional words, then `--option value`, `--option=value` and boolean
 * `--option`. Which options exist and which are boolean come from one table per command
 * (commands/index.ts); this module derives from it how argv is split and what a command refuses.
 */
import { canonicalUuid, uuidError } from '../core/uuid.ts';
import { CliError } from './output.ts';

/** A `boolean` option stands alone (`--all`); a `value` option takes the next word or `=value`. */
export type OptionKind = 'boolean' | 'value';

/** The options one command takes, by name (without the leading `--`). */
export type OptionTable = Readonly<Record<string, OptionKind>>;

export interface ParsedArgs {
  readonly positionals: string[];
  /** `true` for an option given without a value (a boolean, or a value option missing its value: `checkOptions` refuses that). */
  readonly flags: Record<string, string | boolean>;
}

/**
 * Each option name's kind across every table. argv is split before the command is known (its words
 * may come after options), so a name must be of one kind in every command; a table breaking that is
 * a programming error, thrown when the CLI loads.
 */
export function optionKinds(tables: readonly OptionTable[]): ReadonlyMap<string, OptionKind> {
  const kinds = new Map<string, OptionKind>();
  for (const table of tables) {
    for (const [name, kind] of Object.entries(table)) {
      const known = kinds.get(name);
      if (known !== undefined && known !== kind) throw new Error(`CLI option --${name} is ${known} in one command and ${kind} in another`);
      kinds.set(name, kind);
    }
  }
  return kinds;
}

/**
 * Splits argv. A boolean option never takes the next word, so `token create --demo x` leaves `x`
 * positional; any other name (a value option, or one no command takes) takes the next word unless it
 * is another option, so a misspelt option's value is not mistaken for a command word.
 */
export function parseArgs(argv: readonly string[], kinds: ReadonlyMap<string, OptionKind>): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (eq !== -1) flags[name] = arg.slice(eq + 1);
    else if (kinds.get(name) === 'boolean') flags[name] = true;
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) flags[name] = true;
      else {
        flags[name] = value;
        i++;
      }
    }
  }
  return { positionals, flags };
}

/**
 * Refuses (exit 2) an option the command does not take, a boolean given a value and a value option
 * given none, before the command runs: a misspelt option silently ignored would run the command
 * without it (`token create --expires-in-day 7` made a 365-day token).
 */
export function checkOptions(command: string, flags: Record<string, string | boolean>, table: OptionTable): void {
  for (const [name, value] of Object.entries(flags)) {
    const kind = Object.hasOwn(table, name) ? table[name] : undefined;
    if (kind === undefined) throw new CliError(`${command} does not take --${name}; run ramp-connect --help`, 2);
    if (kind === 'boolean' && value !== true) throw new CliError(`--${name} takes no value`, 2);
    if (kind === 'value' && value === true) throw new CliError(`--${name} needs a value`, 2);
  }
}

export function requireFlag(flags: Record<string, string | boolean>, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') throw new CliError(`--${name} is required`, 2);
  return value;
}

/**
 * A required UUID option in the hyphenated lower-case form rows are stored in, as the HTTP API's
 * validator returns it (upper case, the 32-digit simple form and `urn:uuid:` accepted), so the CLI
 * finds the same row the API does; anything else is a usage error naming what is wrong.
 */
export function requireUuid(flags: Record<string, string | boolean>, name: string, what: string): string {
  const value = requireFlag(flags, name);
  const error = uuidError(value);
  if (error !== undefined) throw new CliError(`--${name} must be a ${what} UUID (${error})`, 2);
  return canonicalUuid(value);
}

export function optionalInt(flags: Record<string, string | boolean>, name: string): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n)) throw new CliError(`--${name} must be a whole number`, 2);
  return n;
}
