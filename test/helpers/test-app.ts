/**
 * @module The foundation app alone (no emulator, no features) on a fresh database, listening on
 * loopback. For tests of validation, auth and tenancy.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/app-context.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Db, Dialect } from '../../src/db/database.ts';
import { buildApp, type RouteModule } from '../../src/http/app.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { openTestDb, type TestDatabase } from './test-db.ts';

export interface TestApp {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly db: Db;
  readonly ctx: AppContext;
  readonly database: TestDatabase;
  close(): Promise<void>;
}

export async function startTestApp(dialect: Dialect, extraRoutes: RouteModule[] = []): Promise<TestApp> {
  const { db, test, cleanup } = await openTestDb(dialect);
  const ctx: AppContext = { config: loadConfig({ RAMP_ENV: 'sandbox', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }), db, log: createLogger('silent'), now: Date.now, onClose: () => {} };
  const app = await buildApp(ctx, extraRoutes).catch(async (error: unknown) => {
    await cleanup(); // a route refused at startup must not leave its database behind
    throw error;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    app,
    db,
    ctx,
    database: test,
    close: async () => {
      await app.close();
      await cleanup();
    },
  };
}
