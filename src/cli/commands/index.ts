/**
 * @module The CLI's command table: "word" or "word subword" → handler. Handlers are imported on use,
 * so `ramp-connect emulator` does not load the whole service (it must start in under a second).
 */
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
 * The options each command takes (README "CLI"), besides `--json` and `--help`, which all take. Any
 * other is refused before the command runs: a misspelt option silently ignored would run the command
 * without it (`token create --expires-in-day 7` made a 365-day token).
 */
export const COMMAND_OPTIONS: Record<keyof typeof COMMANDS, readonly string[]> = {
  serve: [],
  emulator: ['port'],
  migrate: [],
  'business create': ['name'],
  'user create': ['email', 'business', 'role'],
  'token create': ['user', 'demo', 'shell', 'name', 'expires-in-days', 'permission'],
  'token list': ['user', 'demo', 'business', 'all'],
  'token revoke': ['id'],
  'connections list': [],
  sync: ['business'],
  'accounting backup': ['business'],
  'accounting migrate': ['business', 'to', 'backup'],
  'keys rotate': ['remove-old'],
  'keys status': [],
};

export const GLOBAL_OPTIONS: readonly string[] = ['json', 'help'];
