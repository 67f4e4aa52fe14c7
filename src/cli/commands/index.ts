/** @module The CLI's command table: "word" or "word subword" → handler. */
import type { Config } from '../../config/config.ts';
import { businessCreate, tokenCreate, userCreate } from './tenancy.ts';
import { emulatorCommand, migrateCommand, serveCommand } from './process.ts';
import { keysRotate, keysStatus } from './keys.ts';
import { connectionsList } from './connections.ts';

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
  'keys rotate': keysRotate,
  'keys status': keysStatus,
};
