/**
 * @module Shared setup for the Ramp data tests: a fresh database (either dialect), an emulator, our
 * app with the Ramp data feature listening on loopback, and emulator control-plane helpers.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../src/app-context.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Db, Dialect } from '../../src/db/database.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import type { EventSink, EventType } from '../../src/events/event-sink.ts';
import { buildApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { rampDataFeature, type RampDataFeature, type RampDataOptions } from '../../src/http/routes/ramp-data/feature.ts';
import { ClientCredentialsTokenProvider } from '../helpers/cc-token-provider.ts';
import { request } from '../helpers/http.ts';
import { openTestDb, type TestDatabase } from '../helpers/test-db.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';

export class RecordingEventSink implements EventSink {
  readonly events: { businessId: string; type: EventType; data: Record<string, unknown> }[] = [];
  async emit(businessId: string, type: EventType, data: Record<string, unknown>): Promise<void> {
    this.events.push({ businessId, type, data });
  }
}

export interface DataTestApp {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly db: Db;
  readonly database: TestDatabase;
  readonly ctx: AppContext;
  readonly emulator: RunningEmulator;
  readonly tokens: ClientCredentialsTokenProvider;
  readonly events: RecordingEventSink;
  readonly feature: RampDataFeature;
  close(): Promise<void>;
}

export async function startDataApp(dialect: Dialect, options: RampDataOptions & { emulator?: RunningEmulator; scheduler?: boolean } = {}): Promise<DataTestApp> {
  const emulator = options.emulator ?? (await startEmulator({ port: 0 }));
  const { db, test, cleanup } = await openTestDb(dialect);
  const closers: (() => Promise<void> | void)[] = [];
  const ctx: AppContext = { config: loadConfig({ RAMP_ENV: 'sandbox' }), db, log: createLogger('silent'), now: Date.now, onClose: (fn) => closers.push(fn) };
  const tokens = new ClientCredentialsTokenProvider();
  const events = new RecordingEventSink();
  const feature = rampDataFeature({ ctx, tokens, events }, { ...options, sync: { tickMs: 200, ...options.sync } });
  const app = await buildApp(ctx, feature.routes);
  await app.listen({ port: 0, host: '127.0.0.1' });
  // The scheduler runs as in production, unless a test needs to be the only one claiming syncs.
  if (options.scheduler !== false) await feature.start();
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url, app, db, database: test, ctx, emulator, tokens, events, feature,
    close: async () => {
      for (const fn of closers.reverse()) await fn();
      await app.close();
      await cleanup();
      if (!options.emulator) await emulator.close();
    },
  };
}

/** A tenant connected to its own emulator business through its own client-credentials app. */
export async function connectedTenant(t: DataTestApp, seed: Record<string, unknown> = {}, role: 'owner' | 'admin' | 'member' | 'viewer' = 'owner'): Promise<Tenant & { rampBusinessId: string; clientId: string }> {
  const tenant = await createTenant(t.db, role);
  const rampBusinessId = randomUUID();
  await control(t.emulator, 'POST', '/seed', { business_id: rampBusinessId, ...seed });
  const app = await control(t.emulator, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], environment: 'sandbox' });
  t.tokens.connect(tenant.businessId, { client_id: app.client_id, client_secret: app.client_secret, apiBaseUrl: `${t.emulator.url}/sandbox` });
  return { ...tenant, rampBusinessId, clientId: app.client_id };
}

export async function control(emulator: RunningEmulator, method: string, path: string, json?: unknown): Promise<any> {
  const response = await request(`${emulator.url}/__emulator${path}`, json === undefined ? { method } : { method, json });
  if (response.status >= 400) throw new Error(`emulator ${method} ${path} → ${response.status} ${response.text}`);
  return response.body;
}

/** Polls a sync until it ends. */
export async function waitForSync(t: DataTestApp, tenant: Tenant, syncId: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(`${t.url}/api/v1/ramp/syncs/${syncId}`, { headers: tenant.headers });
    if (res.status !== 200) throw new Error(`GET sync → ${res.status} ${res.text}`);
    if (res.body.status === 'completed' || res.body.status === 'partial' || res.body.status === 'failed') return res.body;
    if (Date.now() > deadline) throw new Error(`sync ${syncId} still ${res.body.status}: ${JSON.stringify(res.body.progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startSync(t: DataTestApp, tenant: Tenant): Promise<any> {
  const res = await request(`${t.url}/api/v1/ramp/sync`, { method: 'POST', headers: tenant.headers });
  if (res.status !== 202) throw new Error(`POST sync → ${res.status} ${res.text}`);
  return res.body;
}

/** Every stored record of a resource: id → amount_cents, currency (and state). */
export async function storedRecords(db: Db, businessId: string, resource: string): Promise<Map<string, { amount: number | null; currency: string | null; state: string | null; data: any }>> {
  const rows = await db.kysely.selectFrom('ramp_records').select(['id', 'amount_cents', 'currency', 'state', 'data']).where('business_id', '=', businessId).where('resource', '=', resource).execute();
  return new Map(rows.map((row) => [row.id, { amount: row.amount_cents === null ? null : Number(row.amount_cents), currency: row.currency, state: row.state, data: JSON.parse(row.data) }]));
}

/** The emulator's records of a resource: id → record. */
export async function emulatorRecords(emulator: RunningEmulator, rampBusinessId: string, resource: string): Promise<Map<string, any>> {
  const list = (await control(emulator, 'GET', `/records/${resource}?business_id=${rampBusinessId}`)) as any[];
  return new Map(list.map((record) => [record.id, record]));
}

/** Minor-unit exponents of the currencies the emulator seeds (ISO 4217); computed apart from src/ramp/money.ts. */
const EXPONENT: Record<string, number> = { USD: 2, EUR: 2, GBP: 2, CAD: 2, JPY: 0 };

function exponent(currency: string): number {
  expect(EXPONENT, `the emulator seeds ${currency}: its exponent belongs here`).toHaveProperty(currency);
  return EXPONENT[currency]!;
}

/**
 * Ramp's decimal (a JSON number) → integer minor units by moving the point in its text: no float
 * arithmetic and nothing of src/ramp/money.ts. Ramp's decimals carry at most the currency's digits.
 */
export function minorUnitsOf(amount: number, currency: string): number {
  const digits = exponent(currency);
  const text = String(amount);
  expect(text, `${currency} ${text}: a plain decimal`).toMatch(/^-?\d+(\.\d+)?$/);
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  expect(fraction.length, `${currency} ${text}: at most ${digits} decimals`).toBeLessThanOrEqual(digits);
  const minor = BigInt(`${whole}${fraction.padEnd(digits, '0')}`);
  return Number(text.startsWith('-') ? -minor : minor);
}
