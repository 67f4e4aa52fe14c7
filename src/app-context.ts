/**
 * @module What every route and background job is given: configuration, database, logger, clock, and
 * the services later features add. Built once per process by `src/server.ts` (or a test).
 */
import type { Logger } from 'pino';
import type { Config } from './config/config.ts';
import type { Db } from './db/database.ts';

export interface AppContext {
  readonly config: Config;
  readonly db: Db;
  readonly log: Logger;
  /** Epoch milliseconds; tests substitute a fake clock. */
  readonly now: () => number;
  /** Called on shutdown, last registered first; `name` says which step it is in the shutdown log. */
  readonly onClose: (fn: () => Promise<void> | void, name?: string) => void;
}
