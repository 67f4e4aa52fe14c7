/**
 * @module Configuration, parsed once at boot from the environment into a frozen object
 * (names and defaults: README.md#configuration).
 */

export type RampEnvSetting = 'emulator' | 'sandbox' | 'production';
export type RampEnvironment = 'sandbox' | 'production';

export interface RampHosts {
  /** Base of `/developer/v1/...` (token, revoke, resources). */
  readonly apiBaseUrl: string;
  /** Base of `/v1/authorize`. */
  readonly appBaseUrl: string;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly rampEnv: RampEnvSetting;
  /** Environment of new connections and of our OAuth app. */
  readonly defaultEnvironment: RampEnvironment;
  readonly rampHosts: Readonly<Record<RampEnvironment, RampHosts>>;
  readonly emulatorPort: number;
  /** Run the Ramp emulator inside this process (RAMP_ENV=emulator without a RAMP_API_BASE_URL override). */
  readonly startEmulator: boolean;
  readonly publicUrl: string;
  readonly rampClientId: string | undefined;
  readonly rampClientSecret: string | undefined;
  readonly rampScopes: readonly string[];
  readonly encryptionKeys: string | undefined;
  readonly dataDir: string;
  readonly returnToAllowlist: readonly string[];
  readonly logLevel: string;
  /** Proactive refresh scheduler period per replica; 0 turns it off. */
  readonly refreshIntervalMs: number;
  /** Lease on a connection row while refreshing; must exceed the token request timeout plus the write. */
  readonly refreshLeaseMs: number;
  /** Our own ceiling on calls to Ramp per connection per 10 s (Ramp allows 200); 0 turns it off (benchmarks). */
  readonly rampRequestsPer10s: number;
  /** Bearer token `GET /metrics` requires; unset, `/metrics` does not exist (404). */
  readonly metricsToken: string | undefined;
  /** Ramp webhook subscriptions per connection (src/ramp-webhooks; README "Ramp webhooks"). */
  readonly rampWebhooks: {
    /** `false`: never subscribe (polling only; the `RAMP_WEBHOOK_SECRET` fallback route still works). */
    readonly subscribe: boolean;
    /** How often an active subscription is checked at Ramp. */
    readonly reconcileMs: number;
    /** A subscription still unverified this long after its creation is re-created. */
    readonly pendingTimeoutMs: number;
    /** Automatic syncs run this many times less often while the subscription is healthy. */
    readonly slowPollFactor: number;
  };
  /**
   * Outbound webhooks may be registered for and delivered to private, loopback and link-local addresses
   * (src/events/private-address.ts). `WEBHOOK_ALLOW_PRIVATE_URLS`; default on in emulator mode only.
   */
  readonly webhookAllowPrivateUrls: boolean;
  /** Our API's own limits (0 rps disables a limit). */
  readonly rateLimit: { readonly perTokenRps: number; readonly perTokenBurst: number; readonly perBusinessRps: number; readonly perBusinessBurst: number };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * The read scopes of every resource the sync can read (src/ramp/resource-descriptors.ts; a test keeps
 * the two equal) plus `accounting:write` for marking objects synced (docs/ramp-behaviour.md#product-api)
 * and `accounting:read` for the chart of accounts and the accounting connection (docs/ramp-behaviour.md#chart-of-accounts).
 */
export const DEFAULT_SCOPES = [
  'business:read',
  'entities:read',
  'departments:read',
  'locations:read',
  'users:read',
  'spend_programs:read',
  'limits:read',
  'cards:read',
  'merchants:read',
  'vendors:read',
  'transactions:read',
  'reimbursements:read',
  'bills:read',
  'transfers:read',
  'cashbacks:read',
  'statements:read',
  'receipts:read',
  'memos:read',
  'accounting:read',
  'accounting:write',
] as const;

const REAL_HOSTS: Record<RampEnvironment, RampHosts> = {
  production: { apiBaseUrl: 'https://api.ramp.com', appBaseUrl: 'https://app.ramp.com' },
  sandbox: { apiBaseUrl: 'https://demo-api.ramp.com', appBaseUrl: 'https://demo.ramp.com' },
};

function port(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${name} must be a port number (0-65535), got "${raw}"`);
  return n;
}

function nonNegative(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a whole number ≥ 0, got "${raw}"`);
  return n;
}

/** A duration that has no "off": 0 would be a lease no one ever holds. */
function positive(name: string, raw: string | undefined, fallback: number): number {
  const n = nonNegative(name, raw, fallback);
  if (n === 0) throw new ConfigError(`${name} must be a whole number ≥ 1, got "${raw}"`);
  return n;
}

/** A guessable metrics token would expose the deployment's figures: at least 16 characters. */
function metricsToken(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 16 || /\s/.test(raw)) throw new ConfigError('METRICS_TOKEN must be at least 16 characters without spaces (e.g. openssl rand -hex 24)');
  return raw;
}

/** `true` or `false`; unset or empty is the default. Anything else stops the server rather than guess. */
function flag(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function url(name: string, raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
    return raw.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const rampEnv = (env.RAMP_ENV || 'emulator') as RampEnvSetting;
  if (!['emulator', 'sandbox', 'production'].includes(rampEnv)) {
    throw new ConfigError(`RAMP_ENV must be emulator, sandbox or production, got "${rampEnv}"`);
  }
  const emulatorPort = port('EMULATOR_PORT', env.EMULATOR_PORT, 8081);
  const defaultEnvironment: RampEnvironment = rampEnv === 'production' ? 'production' : 'sandbox';

  let rampHosts: Record<RampEnvironment, RampHosts>;
  if (rampEnv === 'emulator') {
    // The emulator serves production at its root and sandbox under /sandbox (src/emulator).
    const root = url('RAMP_API_BASE_URL', env.RAMP_API_BASE_URL || `http://127.0.0.1:${emulatorPort}`);
    const appRoot = url('RAMP_APP_BASE_URL', env.RAMP_APP_BASE_URL || root);
    rampHosts = {
      production: { apiBaseUrl: root, appBaseUrl: appRoot },
      sandbox: { apiBaseUrl: `${root}/sandbox`, appBaseUrl: `${appRoot}/sandbox` },
    };
  } else {
    rampHosts = { ...REAL_HOSTS };
    rampHosts[rampEnv] = {
      apiBaseUrl: env.RAMP_API_BASE_URL ? url('RAMP_API_BASE_URL', env.RAMP_API_BASE_URL) : REAL_HOSTS[rampEnv].apiBaseUrl,
      appBaseUrl: env.RAMP_APP_BASE_URL ? url('RAMP_APP_BASE_URL', env.RAMP_APP_BASE_URL) : REAL_HOSTS[rampEnv].appBaseUrl,
    };
  }

  const publicUrl = url('PUBLIC_URL', env.PUBLIC_URL || `http://127.0.0.1:${port('PORT', env.PORT, 8080)}`);
  const scopes = (env.RAMP_SCOPES || DEFAULT_SCOPES.join(' ')).split(/[\s,]+/).filter(Boolean);
  const allowlist = (env.RETURN_TO_ALLOWLIST || '').split(',').map((s) => s.trim()).filter(Boolean);

  return Object.freeze({
    port: port('PORT', env.PORT, 8080),
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || 'sqlite:./data/ramp-connect.sqlite',
    rampEnv,
    defaultEnvironment,
    rampHosts: Object.freeze(rampHosts),
    emulatorPort,
    startEmulator: rampEnv === 'emulator' && !env.RAMP_API_BASE_URL,
    publicUrl,
    rampClientId: env.RAMP_CLIENT_ID || undefined,
    rampClientSecret: env.RAMP_CLIENT_SECRET || undefined,
    rampScopes: Object.freeze(scopes),
    encryptionKeys: env.ENCRYPTION_KEYS || undefined,
    dataDir: env.DATA_DIR || './data',
    // return_to must be on this list (exact origin + path prefix); our own page is always allowed.
    returnToAllowlist: Object.freeze([`${publicUrl}/`, ...allowlist]),
    logLevel: env.LOG_LEVEL || 'info',
    refreshIntervalMs: nonNegative('REFRESH_INTERVAL_MS', env.REFRESH_INTERVAL_MS, 5_000),
    refreshLeaseMs: positive('REFRESH_LEASE_MS', env.REFRESH_LEASE_MS, 30_000),
    rampRequestsPer10s: nonNegative('RAMP_RATE_LIMIT_PER_10S', env.RAMP_RATE_LIMIT_PER_10S, 180),
    metricsToken: metricsToken(env.METRICS_TOKEN),
    rampWebhooks: Object.freeze({
      subscribe: env.RAMP_WEBHOOK_SUBSCRIBE !== 'off',
      reconcileMs: Math.max(1, nonNegative('RAMP_WEBHOOK_RECONCILE_MS', env.RAMP_WEBHOOK_RECONCILE_MS, 15 * 60_000)),
      pendingTimeoutMs: Math.max(1, nonNegative('RAMP_WEBHOOK_PENDING_TIMEOUT_MS', env.RAMP_WEBHOOK_PENDING_TIMEOUT_MS, 5 * 60_000)),
      slowPollFactor: Math.max(1, nonNegative('RAMP_WEBHOOK_SLOW_POLL_FACTOR', env.RAMP_WEBHOOK_SLOW_POLL_FACTOR, 4)),
    }),
    // Development and tests deliver to receivers on loopback; a deployment (sandbox, production) must not.
    webhookAllowPrivateUrls: flag('WEBHOOK_ALLOW_PRIVATE_URLS', env.WEBHOOK_ALLOW_PRIVATE_URLS, rampEnv === 'emulator'),
    rateLimit: Object.freeze({
      perTokenRps: nonNegative('RATE_LIMIT_TOKEN_RPS', env.RATE_LIMIT_TOKEN_RPS, 200),
      perTokenBurst: nonNegative('RATE_LIMIT_TOKEN_BURST', env.RATE_LIMIT_TOKEN_BURST, 400),
      perBusinessRps: nonNegative('RATE_LIMIT_BUSINESS_RPS', env.RATE_LIMIT_BUSINESS_RPS, 500),
      perBusinessBurst: nonNegative('RATE_LIMIT_BUSINESS_BURST', env.RATE_LIMIT_BUSINESS_BURST, 1000),
    }),
  });
}
