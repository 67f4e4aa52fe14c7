/**
 * @module Shared setup of the Ramp webhook tests: our full server on loopback (either dialect) beside
 * the emulator, tenants connected through their own client-credentials apps (each its own Ramp
 * business), the emulator's webhook control plane, and polling for a condition.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Dialect } from '../../src/db/database.ts';
import type { SubscriptionRow } from '../../src/ramp-webhooks/subscription-store.ts';
import { TEST_SCOPES } from '../helpers/cc-token-provider.ts';
import { request } from '../helpers/http.ts';
import { createTenant, type Tenant } from '../helpers/tenants.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

export const SMALL_SEED = { transactions: 30, reimbursements: 5, bills: 5, users: 4, cards: 4, departments: 2, locations: 2, vendors: 5 };

export async function control(t: TestServer, method: string, path: string, json?: unknown): Promise<any> {
  const response = await request(`${t.emulator.url}/__emulator${path}`, json === undefined ? { method } : { method, json });
  if (response.status >= 400) throw new Error(`emulator ${method} ${path} → ${response.status} ${response.text}`);
  return response.body;
}

/** Our server with Ramp's retries scaled down (base 20 ms) and no rate limits in the way of bulk tests. */
export async function startWebhookServer(dialect: Dialect, env: Record<string, string> = {}, shared: Partial<Parameters<typeof startTestServer>[0]> = {}): Promise<TestServer> {
  const t = await startTestServer({ dialect, env: { RAMP_WEBHOOK_SUBSCRIBE: 'on', RAMP_RATE_LIMIT_PER_10S: '0', RATE_LIMIT_TOKEN_RPS: '0', RATE_LIMIT_BUSINESS_RPS: '0', ...env }, ...shared });
  await control(t, 'POST', '/faults', { rate_limit: false });
  await control(t, 'POST', '/ramp-webhooks/config', { base_delay_ms: 20 });
  return t;
}

export type ConnectedTenant = Tenant & { rampBusinessId: string };

/** A tenant connected (client credentials) to its own seeded Ramp business. */
export async function connectTenant(t: TestServer, seed: Record<string, unknown> = SMALL_SEED): Promise<ConnectedTenant> {
  const tenant = await createTenant(t.server.ctx.db, 'owner');
  const rampBusinessId = randomUUID();
  await control(t, 'POST', '/seed', { business_id: rampBusinessId, ...seed });
  const app = await control(t, 'POST', '/apps', { business_id: rampBusinessId, grant_types: ['client_credentials'], allowed_scopes: TEST_SCOPES, environment: 'sandbox' });
  const res = await request(`${t.url}/api/v1/ramp/connect-with-credentials`, {
    method: 'POST',
    headers: tenant.headers,
    json: { client_id: app.client_id, client_secret: app.client_secret, scopes: TEST_SCOPES },
  });
  expect(res.status, res.text).toBe(201);
  return { ...tenant, rampBusinessId };
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function subscriptionRow(t: TestServer, businessId: string): Promise<SubscriptionRow | undefined> {
  return t.server.ctx.db.kysely.selectFrom('ramp_webhook_subscriptions').selectAll().where('business_id', '=', businessId).executeTakeFirst();
}

export async function waitActive(t: TestServer, tenant: ConnectedTenant): Promise<SubscriptionRow> {
  return waitFor(`subscription of ${tenant.businessId} active`, async () => {
    const row = await subscriptionRow(t, tenant.businessId);
    return row?.status === 'active' ? row : undefined;
  });
}

/** The emulator's subscriptions of a Ramp business. */
export async function emulatorSubscriptions(t: TestServer, rampBusinessId: string): Promise<any[]> {
  const body = await control(t, 'GET', '/ramp-webhooks');
  return (body.subscriptions as any[]).filter((s) => s.business_id === rampBusinessId);
}

export function sign(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

export function countRows(t: TestServer, table: 'ramp_webhook_events' | 'ramp_records', businessId: string): Promise<number> {
  return t.server.ctx.db.kysely
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('business_id', '=', businessId)
    .executeTakeFirstOrThrow()
    .then((row) => Number(row.n));
}

/** Every processed event: none left due. */
export async function waitProcessed(t: TestServer, businessId: string, expected: number, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    `${expected} processed events`,
    async () => {
      const row = await t.server.ctx.db.kysely
        .selectFrom('ramp_webhook_events')
        .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.count<number | string>('processed_at').as('done')])
        .where('business_id', '=', businessId)
        .executeTakeFirstOrThrow();
      return Number(row.n) >= expected && Number(row.done) === Number(row.n);
    },
    timeoutMs,
  );
}

/**
 * A load balancer in front of our replicas, on loopback: what Ramp calls (PUBLIC_URL). It spreads
 * requests round-robin over `targets`, and while `down` answers 503 itself, as a real front end does
 * when no replica is healthy (a receiver outage).
 */
export interface FrontProxy {
  readonly url: string;
  targets: string[];
  down: boolean;
  /** Requests forwarded to each target. */
  readonly forwarded: Map<string, number>;
  refused: number;
  close(): Promise<void>;
}

export async function startFrontProxy(port: number): Promise<FrontProxy> {
  const { createServer } = await import('node:http');
  let next = 0;
  const proxy: FrontProxy = {
    url: `http://127.0.0.1:${port}`,
    targets: [],
    down: false,
    forwarded: new Map(),
    refused: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (proxy.down || proxy.targets.length === 0) {
        proxy.refused++;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"detail":"no healthy replica"}');
        return;
      }
      const target = proxy.targets[next++ % proxy.targets.length]!;
      proxy.forwarded.set(target, (proxy.forwarded.get(target) ?? 0) + 1);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) headers[name] = value;
      const body = Buffer.concat(chunks);
      fetch(`${target}${req.url}`, { method: req.method!, headers, ...(body.length > 0 ? { body } : {}) })
        .then(async (answer) => {
          const text = await answer.text();
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return proxy;
}
