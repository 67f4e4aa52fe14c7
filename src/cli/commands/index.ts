/**
 * @module The CLI's command table: "word" or "word subword" → handler. Handlers are imported on use,
 * so `ramp-connect emulator` does not load the whole service (it must start in under a second).
 */
import { optionKinds, type OptionTable } from '../args.ts';
import type { Command } from './command.ts';

export type { Command, CommandInput } from './command.ts';

export const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./process.ts')).serveCommand,
  emulator: async () => (await import('./emulator.ts')).emulatorCommand,
  migrate: async () => (await import('./process.ts')).migrateCommand,
  'business create': async () => (await import('./tenancy.ts')).businessCreate,
  'user create': async () => (await import('./tenancy.ts')).userCreate,
  'token create': async () => (await import('./tenancy.ts')).tokenCreate,
  'token list': async () => (await import('./tokens.ts')).tokenList,
  'token revoke': async () => (await import('./tokens.ts')).tokenRevoke,
  'connections list': async () => (await import('./connections.ts')).connectionsList,
  sync: async () => {
    // The CLI's sync uses the same token lifecycle as a server replica (refreshes are leased and
    // fenced) and writes its events to the outbox for the replicas to deliver.
    const [{ makeSyncCommand }, { createTokenRuntime }] = await Promise.all([import('./sync.ts'), import('../../features.ts')]);
    const runtimes = new WeakMap<object, ReturnType<typeof createTokenRuntime>>();
    const runtime = (ctx: Parameters<typeof createTokenRuntime>[0]) => {
      let existing = runtimes.get(ctx);
      if (!existing) runtimes.set(ctx, (existing = createTokenRuntime(ctx, undefined)));
      return existing;
    };
    return makeSyncCommand((ctx) => runtime(ctx).tokens, { makeEvents: (ctx) => runtime(ctx).eventing.sink });
  },
  'accounting backup': async () => {
    const [{ makeAccountingBackupCommand }, { createTokenRuntime }] = await Promise.all([import('./accounting.ts'), import('../../features.ts')]);
    return makeAccountingBackupCommand((ctx) => createTokenRuntime(ctx, undefined).tokens);
  },
  'accounting migrate': async () => {
    const [{ makeAccountingMigrateCommand }, { createTokenRuntime }] = await Promise.all([import('./accounting.ts'), import('../../features.ts')]);
    return makeAccountingMigrateCommand((ctx) => createTokenRuntime(ctx, undefined).tokens);
  },
  'keys rotate': async () => (await import('./keys.ts')).keysRotate,
  'keys status': async () => (await import('./keys.ts')).keysStatus,
};

/**
 * The one table of options: what each command takes (README "CLI") and whether each is a boolean
 * (`--all`) or takes a value (`--business ID`). `--json` and `--help` (GLOBAL_OPTIONS) go with every
 * command. How argv is split, and what a command refuses before it runs, both come from here
 * (args.ts): an option missing here is refused, never silently ignored.
 */
export const COMMAND_OPTIONS: Record<keyof typeof COMMANDS, OptionTable> = {
  serve: {},
  emulator: { port: 'value' },
  migrate: {},
  'business create': { name: 'value' },
  'user create': { email: 'value', business: 'value', role: 'value' },
  'token create': { user: 'value', demo: 'boolean', shell: 'boolean', name: 'value', 'expires-in-days': 'value', permission: 'value' },
  'token list': { user: 'value', demo: 'boolean', business: 'value', all: 'boolean' },
  'token revoke': { id: 'value' },
  'connections list': {},
  sync: { business: 'value' },
  'accounting backup': { business: 'value' },
  'accounting migrate': { business: 'value', to: 'value', backup: 'value' },
  'keys rotate': { 'remove-old': 'boolean' },
  'keys status': {},
};

export const GLOBAL_OPTIONS: OptionTable = { json: 'boolean', help: 'boolean' };

/** Each option name's kind, for splitting argv before the command is known (throws at load if a name has two kinds). */
export const OPTION_KINDS = optionKinds([GLOBAL_OPTIONS, ...Object.values(COMMAND_OPTIONS)]);
