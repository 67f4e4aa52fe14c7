/**
 * @module A TokenManager wired to a real database and a real emulator, without the HTTP server, with a
 * controllable clock and a recording event sink. Connections are made through Ramp's real grants.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../../src/app-context.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ConnectionStore } from '../../src/connections/connection-store.ts';
import type { Db, Dialect } from '../../src/db/database.ts';
import type { RampConnectionsTable } from '../../src/db/schema.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import type { EventSink, EventType } from '../../src/events/event-sink.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { RampOAuthClient } from '../../src/oauth/ramp-oauth-client.ts';
import { RefreshScheduler } from '../../src/tokens/refresh-scheduler.ts';
import { TokenManager, type TokenManagerOptions } from '../../src/tokens/token-manager.ts';
import { parseKeyRing, staticKeyRing } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { emulatorControl } from './emulator-control.ts';
import { startServerProcess, type ServerProcess } from './processes.ts';
import { createTenant } from './tenants.ts';
import { openTestDb } from './test-db.ts';
import { TEST_ENCRYPTION_KEYS, freePort } from './test-server.ts';

const REDIRECT = 'http://127.0.0.1:1/api/v1/ramp/callback';

export class RecordingEvents implements EventSink {
  readonly events: { businessId: string; type: EventType; data: Record<string, unknown> }[] = [];
  async emit(businessId: string, type: EventType, data: Record<string, unknown>): Promise<void> {
    this.events.push({ businessId, type, data });
  }
  count(type: EventType, businessId?: string): number {
    return this.events.filter((e) => e.type === type && (businessId === undefined || e.businessId === businessId)).length;
  }
}

export interface Harness {
  readonly db: Db;
  readonly databaseUrl: string;
  readonly emulator: RunningEmulator;
  readonly emu: ReturnType<typeof emulatorControl>;
  readonly ctx: AppContext;
  readonly store: ConnectionStore;
  readonly manager: TokenManager;
  readonly scheduler: RefreshScheduler;
  readonly events: RecordingEvents;
  readonly clock: { offsetMs: number };
  /** Moves our clock and the emulator's together. */
  advance(ms: number): Promise<void>;
  connectOAuth(): Promise<RampConnectionsTable>;
  connectClientCredentials(): Promise<RampConnectionsTable>;
  newManager(options?: Partial<TokenManagerOptions>): TokenManager;
  close(): Promise<void>;
}

export async function createHarness(
  dialect: Dialect,
  options: { manager?: Partial<TokenManagerOptions>; emulator?: RunningEmulator; databaseUrl?: string; accessTokenTtlS?: number } = {},
): Promise<Harness> {
  const emulator = options.emulator ?? (await startEmulator({ port: 0, defaultRedirectUris: [REDIRECT], ...(options.accessTokenTtlS ? { accessTokenTtlS: options.accessTokenTtlS } : {}) }));
  const { db, test, cleanup } = await openTestDb(dialect);
  const clock = { offsetMs: 0 };
  const config = loadConfig({ RAMP_ENV: 'emulator', RAMP_API_BASE_URL: emulator.url, ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, PUBLIC_URL: 'http://127.0.0.1:1' });
  const ctx: AppContext = { config, db, log: createLogger('silent'), now: () => Date.now() + clock.offsetMs, onClose: () => {} };
  const store = new ConnectionStore(db, new Vault(staticKeyRing(parseKeyRing(TEST_ENCRYPTION_KEYS))), ctx.now);
  const oauth = new RampOAuthClient({ timeoutMs: 5_000 });
  const oauthApp = { clientId: emulator.defaultApp.client_id, clientSecret: emulator.defaultApp.client_secret };
  const events = new RecordingEvents();
  const newManager = (extra: Partial<TokenManagerOptions> = {}) => new TokenManager({ ctx, store, oauth, oauthApp, events, leaseMs: 10_000, ...options.manager, ...extra });
  const manager = newManager();
  const scheduler = new RefreshScheduler({ ctx, manager, batchSize: 100 });
  const emu = emulatorControl(emulator.url);
  const apiBase = `${emulator.url}/sandbox`;

  return {
    db,
    databaseUrl: test.url,
    emulator,
    emu,
    ctx,
    store,
    manager,
    scheduler,
    events,
    clock,
    newManager,
    advance: async (ms) => {
      clock.offsetMs += ms;
      await emu.clock(ms / 1000);
    },
    async connectOAuth() {
      const tenant = await createTenant(db, 'owner');
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      await emu.consent({ decision: 'approve', role: 'admin' });
      const url = new URL(`${apiBase}/v1/authorize`);
      for (const [k, v] of Object.entries({ response_type: 'code', client_id: oauthApp.clientId, redirect_uri: REDIRECT, scope: 'business:read transactions:read', state: 'test-state', code_challenge: challenge, code_challenge_method: 'S256' })) url.searchParams.set(k, v);
      const res = await fetch(url, { redirect: 'manual' });
      const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
      const tokens = await oauth.exchangeCode(apiBase, oauthApp, { code, redirectUri: REDIRECT, codeVerifier: verifier });
      if (!tokens.ok) throw new Error(`exchange failed: ${tokens.failure.code}`);
      const created = await store.create({ businessId: tenant.businessId, environment: 'sandbox', authMethod: 'oauth', clientId: oauthApp.clientId, requestedScopes: ['business:read'], tokens: tokens.tokens, createdByTokenId: null, replaceConnected: true });
      if (!('created' in created)) throw new Error('conflict');
      return created.created;
    },
    async connectClientCredentials() {
      const tenant = await createTenant(db, 'owner');
      const app = await emu.createApp({ grant_types: ['client_credentials'], allowed_scopes: ['business:read', 'transactions:read'] });
      const client = { clientId: app.client_id, clientSecret: app.client_secret };
      const tokens = await oauth.clientCredentials(apiBase, client, ['business:read', 'transactions:read']);
      if (!tokens.ok) throw new Error(`client credentials failed: ${tokens.failure.code}`);
      const created = await store.create({ businessId: tenant.businessId, environment: 'sandbox', authMethod: 'client_credentials', clientId: app.client_id, clientSecret: app.client_secret, requestedScopes: ['business:read', 'transactions:read'], tokens: tokens.tokens, createdByTokenId: null, replaceConnected: false });
      if (!('created' in created)) throw new Error('conflict');
      return created.created;
    },
    close: async () => {
      await cleanup();
      if (!options.emulator) await emulator.close();
    },
  };
}

/** True when the emulator accepts the token for a resource call right now. */
export async function rampAccepts(emulatorUrl: string, accessToken: string): Promise<boolean> {
  const res = await fetch(`${emulatorUrl}/sandbox/developer/v1/business`, { headers: { authorization: `Bearer ${accessToken}` } });
  await res.text();
  return res.status === 200;
}

/** The environment of a `ramp-connect` process on the harness's database, emulator and keys; scheduler off. */
export function harnessEnv(h: Harness): Record<string, string> {
  return {
    DATABASE_URL: h.databaseUrl,
    RAMP_ENV: 'emulator',
    RAMP_API_BASE_URL: h.emulator.url,
    RAMP_CLIENT_ID: h.emulator.defaultApp.client_id,
    RAMP_CLIENT_SECRET: h.emulator.defaultApp.client_secret,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    LOG_LEVEL: 'warn',
    REFRESH_INTERVAL_MS: '0',
  };
}

/** A `serve` process on the harness's database and emulator, on a free port (`extra` overrides). */
export async function serveOnHarness(h: Harness, extra: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  return startServerProcess({ ...harnessEnv(h), PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...extra });
}
