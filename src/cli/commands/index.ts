/** @module The CLI's command table: "word" or "word subword" → handler. */
import type { Config } from '../../config/config.ts';
import { businessCreate, tokenCreate, userCreate } from './tenancy.ts';
import { emulatorCommand, migrateCommand, serveCommand } from './process.ts';
import { keysRotate, keysStatus } from './keys.ts';
import { connectionsList } from './connections.ts';
import { makeSyncCommand } from './sync.ts';
import { createTokenRuntime } from '../../features.ts';

export interface CommandInput {
  readonly flags: Record<string, string | boolean>;
  readonly config: Config;
}

export type Command = (input: CommandInput) => Promise<void>;

export const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  emulator: emulatorCommand,
  migrate: migrateCommand,
  'business create': businessCreate,
  'user create': userCreate,
  'token create': tokenCreate,
  'connections list': connectionsList,
  // The CLI's sync uses the same token lifecycle as a server replica (refreshes are leased and fenced),
  // and writes its events to the outbox for the replicas to deliver.
  sync: makeSyncCommand((ctx) => createTokenRuntime(ctx, undefined).tokens, { makeEvents: (ctx) => createTokenRuntime(ctx, undefined).eventing.sink }),
  'keys rotate': keysRotate,
  'keys status': keysStatus,
};
