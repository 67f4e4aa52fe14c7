/**
 * @module Local Ramp emulator: OAuth authorization server + Developer API resource server.
 *
 * Faithful to `docs/ramp-behaviour.md` and programmable through
 * `/__emulator/*` for tests. Production routes are served at the root, sandbox routes under
 * `/sandbox`. It shares no code with the rest of `src/`, so a client bug cannot hide behind an
 * emulator bug.
 *
 * @example
 * const emulator = await startEmulator({ port: 0 });
 * const tokenUrl = `${emulator.url}/sandbox/developer/v1/token`;
 * // … use emulator.defaultApp.client_id / client_secret …
 * await emulator.close();
 */
import type { FastifyInstance } from 'fastify';
import { performance } from 'node:perf_hooks';
import { createEmulatorFastify } from './app.ts';
import type { Environment } from './apps.ts';
import { emulatorDefaultApp } from './default-app.ts';
import { DEFAULT_REDIRECT_URIS, EmulatorState } from './state.ts';

export interface EmulatorOptions {
  /** 0 = random free port. Default 8081 (README.md#configuration). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Fastify/pino request logging; off by default. Credentials are never logged. */
  logger?: boolean;
  /** Access-token lifetime for authorization-code and refresh grants; default 3600 s. */
  accessTokenTtlS?: number;
  /** Client-credentials access-token lifetime; default 864000 s (10 days). */
  clientCredentialsTtlS?: number;
  /**
   * The rate-limit windows' clock in ms (default `performance.now`, real time). In-process tests pass a
   * clock they move by hand, so what a window admits never depends on how fast the machine is.
   */
  rateLimitClock?: () => number;
}

export interface RunningEmulator {
  /** e.g. `http://127.0.0.1:8081`, no trailing slash. Sandbox routes are under `${url}/sandbox`. */
  url: string;
  defaultApp: {
    client_id: string;
    client_secret: string;
    redirect_uris: string[];
    environment: 'sandbox' | 'production';
    business_id: string;
  };
  demoBusinessId: string;
  close(): Promise<void>;
}

export const DEFAULT_EMULATOR_PORT = 8081;

const states = new WeakMap<FastifyInstance, EmulatorState>();

/** The emulator state behind an app built by `buildEmulatorApp` (for in-process tooling). */
export function emulatorStateOf(app: FastifyInstance): EmulatorState | undefined {
  return states.get(app);
}

function positiveOr(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`"${name}" must be a positive number of seconds`);
  return value;
}

/** Builds the Fastify app (not listening). Accepts `defaultRedirectUris` like `startEmulator`. */
export async function buildEmulatorApp(opts: EmulatorOptions & { defaultRedirectUris?: string[] } = {}): Promise<FastifyInstance> {
  const defaultApp = emulatorDefaultApp();
  const state = new EmulatorState({
    accessTokenTtlS: positiveOr(opts.accessTokenTtlS, 3600, 'accessTokenTtlS'),
    clientCredentialsTtlS: positiveOr(opts.clientCredentialsTtlS, 864_000, 'clientCredentialsTtlS'),
    defaultRedirectUris: opts.defaultRedirectUris ?? DEFAULT_REDIRECT_URIS,
    defaultClientId: defaultApp.clientId,
    defaultClientSecret: defaultApp.clientSecret,
    ...(opts.rateLimitClock ? { rateLimitClock: opts.rateLimitClock } : {}),
  });
  const app = await createEmulatorFastify({ state, logger: opts.logger ?? false });
  states.set(app, state);
  return app;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Builds the app, listens, and describes how to reach it. */
export async function startEmulator(opts: EmulatorOptions & { defaultRedirectUris?: string[] } = {}): Promise<RunningEmulator> {
  const started = performance.now();
  const app = await buildEmulatorApp(opts);
  const host = opts.host ?? '127.0.0.1';
  try {
    await app.listen({ port: opts.port ?? DEFAULT_EMULATOR_PORT, host });
  } catch (error) {
    await app.close(); // e.g. EADDRINUSE: do not leave a half-started app behind
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (opts.port ?? DEFAULT_EMULATOR_PORT);
  const state = states.get(app)!;
  const defaultApp = state.defaultApp;
  app.log.info({ startup_ms: Math.round(performance.now() - started) }, 'Ramp emulator listening');
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}`,
    defaultApp: {
      client_id: defaultApp.clientId,
      client_secret: defaultApp.clientSecret,
      redirect_uris: [...defaultApp.redirectUris],
      environment: defaultApp.environment as Environment,
      business_id: defaultApp.businessId,
    },
    demoBusinessId: state.demoBusinessId,
    close: () => (closing ??= app.close()),
  };
}
