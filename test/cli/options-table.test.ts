/**
 * The CLI's one table of options (src/cli/commands/index.ts) against what describes it: every option a
 * command takes is in its `--help` usage line and in README's CLI table, and nothing there names an
 * option the command would refuse. (How argv is split and what a command refuses come from the table
 * itself; test/cli/cli.test.ts runs the real CLI for those.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optionKinds } from '../../src/cli/args.ts';
import { COMMAND_OPTIONS, COMMANDS } from '../../src/cli/commands/index.ts';
import { USAGE } from '../../src/cli/main.ts';

const commands = Object.keys(COMMANDS);

/** The options named on each documented line, by the command the line starts with. */
function optionsByCommand(lines: readonly string[]): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const line of lines) {
    // The longest command the line starts with: `accounting migrate …` is not `migrate`.
    const command = commands.filter((c) => line === c || line.startsWith(`${c} `)).sort((a, b) => b.length - a.length)[0];
    if (command === undefined) continue;
    const options = found.get(command) ?? new Set<string>();
    for (const match of line.matchAll(/--([a-z][a-z-]*)/g)) options.add(match[1]!);
    found.set(command, options);
  }
  return found;
}

function expectSameAsTable(documented: Map<string, Set<string>>): void {
  for (const command of commands) {
    expect([...(documented.get(command) ?? ['(command not documented)'])].sort(), command).toEqual(Object.keys(COMMAND_OPTIONS[command]!).sort());
  }
}

describe('the CLI options table', () => {
  it('is what --help shows, command by command', () => {
    // Usage lines: `  token create --user ID | --demo …`, each command on its own line.
    expectSameAsTable(optionsByCommand(USAGE.split('\n').map((line) => line.trim().split(/ {2,}/)[0]!)));
  });

  it("is what README's CLI table shows, command by command", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('\n## CLI\n'), readme.indexOf('\n## ', readme.indexOf('\n## CLI\n') + 1));
    // The first cell of each row: | `token list --user ID \| --demo …` | what it does |
    const cells = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!.replaceAll('\\|', '|'));
    expectSameAsTable(optionsByCommand(cells));
  });

  it('gives each option name one kind in every command (argv is split before the command is known)', () => {
    expect(() => optionKinds([{ all: 'boolean' }, { all: 'value' }])).toThrow('CLI option --all is boolean in one command and value in another');
    expect(() => optionKinds(Object.values(COMMAND_OPTIONS))).not.toThrow();
  });
});
