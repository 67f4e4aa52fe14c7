/**
 * @module A stand-in for the sync and transaction endpoints, written from the README's contract only
 * (`POST /api/v1/ramp/sync` → 202 `{sync_id, status}`, `GET /api/v1/ramp/syncs/{id}` with the
 * `SyncProgress` fields, `GET /api/v1/ramp/transactions` → `{items, next_cursor, has_more}` with
 * `limit`, `cursor`, `from_date`, `to_date`). It lets the page's sync, paging, filter and chart code run
 * in a browser whatever state the real endpoints are in; the real ones are exercised by web.test.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { RouteModule } from '../../src/http/app.ts';

export interface StubTransaction {
  id: string;
  amount_cents: number;
  currency: string;
  merchant_name: string;
  user_transaction_time: string;
  state: string;
}

const MERCHANTS = ['Delta Air Lines', 'Figma', 'Amazon Web Services', 'Blue Bottle Coffee', 'Uber', 'WeWork', 'Staples', 'Notion Labs', 'Hilton Hotels', 'Sweetgreen'];
const STATES = ['CLEARED', 'CLEARED', 'CLEARED', 'PENDING', 'DECLINED'];

/** `count` transactions over the `days` days before `anchor`, newest first; deterministic. */
export function stubTransactions(count: number, anchor = Date.parse('2026-09-30T18:00:00Z'), days = 21): StubTransaction[] {
  const out: StubTransaction[] = [];
  for (let i = 0; i < count; i++) {
    const at = anchor - Math.floor((i * days * 86_400_000) / count) - (i % 5) * 3_600_000;
    out.push({
      id: `tx_${String(i).padStart(4, '0')}`,
      amount_cents: i % 17 === 16 ? -4_250 : 500 + ((i * 7_919) % 180_000),
      currency: i % 13 === 12 ? 'EUR' : 'USD',
      merchant_name: MERCHANTS[i % MERCHANTS.length]!,
      user_transaction_time: new Date(at).toISOString(),
      state: STATES[i % STATES.length]!,
    });
  }
  return out;
}

const STREAMS = ['transactions', 'reimbursements', 'bills', 'users'];

export interface DataStub {
  readonly routes: RouteModule;
  /** Calls per route, to assert what the page asked for. */
  readonly calls: { method: string; url: string }[];
}

/**
 * A sync advances by one step per read of its status (`statusReads` reads to finish), not with the wall
 * clock: on a busy machine the page may poll late, and a clock-driven stub could then finish before the
 * page ever saw it midway. `outlier`: one USD transaction of that many cents on the first page (a day far
 * above the rest).
 */
export function dataContractStub(options: { transactions: number; statusReads: number; outlier?: number; days?: number }): DataStub {
  const all = stubTransactions(options.transactions, undefined, options.days);
  if (options.outlier !== undefined) all[3] = { ...all[3]!, amount_cents: options.outlier, currency: 'USD', merchant_name: 'Wire to Acme Holdings' };
  const syncs = new Map<string, { reads: number }>();
  const synced = new Set<string>();
  const calls: { method: string; url: string }[] = [];
  let nextId = 1;

  const syncView = (id: string, businessId: string) => {
    const sync = syncs.get(id)!;
    sync.reads += 1;
    const fraction = Math.min(1, sync.reads / options.statusReads);
    const finished = Math.floor(fraction * STREAMS.length);
    const streams = Object.fromEntries(STREAMS.map((s, i) => [s, i < finished ? 'done' : i === finished ? 'running' : 'pending']));
    const records = Math.round(all.length * fraction);
    if (fraction >= 1) synced.add(businessId);
    return {
      sync_id: id,
      status: fraction >= 1 ? 'completed' : fraction < 0.1 ? 'queued' : 'running',
      progress: { pages: Math.ceil(records / 25), records, changed: records, resources: {}, streams, errors: [], not_supported: [] },
    };
  };

  const routes: RouteModule = (app: FastifyInstance) => {
    const auth = { auth: { kind: 'business' as const, minRole: 'viewer' as const } };
    const businessOf = (headers: Record<string, unknown>) => String(headers['x-business-id']).toLowerCase();
    app.addHook('onRequest', async (request) => {
      if (request.url.startsWith('/api/v1/ramp/')) calls.push({ method: request.method, url: request.url });
    });

    app.get('/api/v1/ramp/status', { config: auth }, async (request) => {
      const done = synced.has(businessOf(request.headers));
      const now = Date.now();
      return {
        status: 'connected',
        connection_id: 'c0ffee00-0000-4000-8000-000000000001',
        auth_method: 'oauth',
        environment: 'sandbox',
        client_id: 'ramp_id_stub',
        scopes: ['business:read', 'transactions:read'],
        access_token_expires_at: new Date(now + 3_600_000).toISOString(),
        last_refreshed_at: new Date(now - 120_000).toISOString(),
        last_sync_at: done ? new Date(now - 5_000).toISOString() : null,
        transaction_count: done ? all.length : 0,
        last_error: null,
        status_reason: null,
        connected_at: new Date(now - 86_400_000).toISOString(),
      };
    });

    app.post('/api/v1/ramp/sync', { config: auth }, async (_request, reply) => {
      const id = `5c5c0000-0000-4000-8000-${String(nextId++).padStart(12, '0')}`;
      syncs.set(id, { reads: 0 });
      return reply.code(202).send({ sync_id: id, status: 'queued' });
    });

    app.get<{ Params: { id: string } }>('/api/v1/ramp/syncs/:id', { config: auth }, async (request, reply) => {
      if (!syncs.has(request.params.id)) return reply.code(404).send({ detail: 'Sync not found', code: 'sync_not_found' });
      return syncView(request.params.id, businessOf(request.headers));
    });

    app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/ramp/transactions', { config: auth }, async (request, reply) => {
      const q = request.query;
      const limit = Number(q.limit ?? 50);
      const from = q.from_date ? Date.parse(q.from_date) : -Infinity;
      const to = q.to_date ? Date.parse(q.to_date) : Infinity;
      if (Number.isNaN(from) || Number.isNaN(to)) return reply.code(422).send({ detail: [{ type: 'datetime_from_date_parsing', loc: ['query', 'from_date'], msg: 'Input should be a valid datetime', input: q.from_date }] });
      const items = synced.has(businessOf(request.headers)) ? all.filter((t) => Date.parse(t.user_transaction_time) >= from && Date.parse(t.user_transaction_time) <= to) : [];
      const start = q.cursor ? Number(Buffer.from(q.cursor, 'base64url').toString('utf8')) : 0;
      const page = items.slice(start, start + limit);
      const more = start + limit < items.length;
      return { items: page, next_cursor: more ? Buffer.from(String(start + limit)).toString('base64url') : null, has_more: more };
    });
  };
  return { routes, calls };
}
