/**
 * @module Process assembly for `ramp-connect serve`: configuration, database and migrations, the
 * in-process Ramp emulator (when `RAMP_ENV=emulator`), features, the HTTP server, graceful shutdown.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppContext } from './app-context.ts';
import type { Config } from './config/config.ts';
import { openDatabase } from './db/database.ts';
import { assertDurableCommits } from './db/durability.ts';
import { migrateToLatest } from './db/migrate.ts';
import { startEmulator, type RunningEmulator } from './emulator/index.ts';
import { emulatorDefaultApp } from './emulator/default-app.ts';
import { buildApp } from './http/app.ts';
import { createLogger } from './logging/logger.ts';
import { bootstrapDemo } from './tenancy/demo-bootstrap.ts';
import { assembleFeatures, type Features } from './features.ts';

export interface StartedServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly ctx: AppContext;
  readonly emulator: RunningEmulator | undefined;
  readonly features: Features;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Called with the demo business created on a first start (the CLI prints instructions; tests don't). */
  onDemoBusiness?: (demo: { readonly id: string; readonly name: string }) => void;
  /** Clock override (tests with simulated time). */
  now?: () => number;
}

/**
 * A shutdown step slower than this is logged at warn with its name: a slow close is otherwise a
 * process that simply does not exit, with nothing to say which step it is waiting on.
 */
const SLOW_CLOSE_STEP_MS = 5_000;

interface Closer {
  readonly name: string;
  readonly fn: () => Promise<void> | void;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<StartedServer> {
  const log = options.log ?? createLogger(config.logLevel);
  const closers: Closer[] = [];
  const onClose = (fn: Closer['fn'], name = 'unnamed') => void closers.push({ name, fn });
  const close = async () => {
    for (const { name, fn } of closers.splice(0).reverse()) {
      const started = performance.now();
      try {
        await fn();
      } catch (error) {
        log.warn({ err: error, step: name }, 'error during shutdown');
      }
      const ms = Math.round(performance.now() - started);
      if (ms >= SLOW_CLOSE_STEP_MS) log.warn({ step: name, ms }, 'slow shutdown step');
      else log.debug({ step: name, ms }, 'shutdown step done');
    }
  };
  try {
    const db = openDatabase(config.databaseUrl);
    onClose(() => db.close(), 'database');
    await assertDurableCommits(db);
    await migrateToLatest(db);

    let emulator: RunningEmulator | undefined;
    if (config.startEmulator) {
      emulator = await startEmulator({ port: config.emulatorPort, defaultRedirectUris: [`${config.publicUrl}/api/v1/ramp/callback`] });
      onClose(() => emulator!.close(), 'in-process Ramp emulator');
      log.info({ url: emulator.url }, 'Ramp emulator listening');
    }

    const ctx: AppContext = { config, db, log, now: options.now ?? Date.now, onClose };
    const features = await assembleFeatures(ctx, { emulator });
    const app = await buildApp(ctx, features.routes);
    // Waits for requests in flight; new ones are answered 503 meanwhile.
    onClose(() => app.close(), 'http server');
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host}:${port}`;
    await features.start();

    const demo = await bootstrapDemo(db.kysely);
    if (demo) options.onDemoBusiness?.({ id: demo.id, name: demo.name });
    return { app, url, ctx, emulator, features, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What a start-up banner shows about the emulator: its URL and its ready-made app. */
export interface EmulatorFacts {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** The emulator this server talks to (in-process, or one run with `ramp-connect emulator`) and its default app. */
export function emulatorFacts(config: Config, running: RunningEmulator | undefined): EmulatorFacts | undefined {
  if (running) return { url: running.url, clientId: running.defaultApp.client_id, clientSecret: running.defaultApp.client_secret };
  if (config.rampEnv !== 'emulator') return undefined;
  const app = emulatorDefaultApp();
  return { url: config.rampHosts.production.apiBaseUrl, clientId: app.clientId, clientSecret: app.clientSecret };
}
