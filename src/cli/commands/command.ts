/** @module What a CLI command is given and what it is; its own module so commands need not import the table that loads them. */
import type { Config } from '../../config/config.ts';

export interface CommandInput {
  readonly flags: Record<string, string | boolean>;
  readonly config: Config;
}

export type Command = (input: CommandInput) => Promise<void>;
