/**
 * @module Control plane: the customer's side of Ramp's accounting (`/__emulator/accounting/...`).
 *
 * - `POST /accounting/connections`: link a connection as if set up in Ramp's UI (a *direct* one,
 *   QuickBooks/NetSuite style, or an API one); the active one is unlinked first, its chart kept.
 * - `GET /accounting/connections`: every connection with its kind and chart size.
 * - `POST /accounting/code`: people coding objects with the active chart, optionally marking them ready.
 * - `POST /accounting/ready`: people marking transactions or reimbursements ready to sync;
 *   `POST /accounting/unready` takes it back (a clean start for a test).
 * - `POST /accounting/reopen`: Ramp re-opening synced transactions or reimbursements (ready to sync
 *   again, as after an edit in Ramp).
 * - `GET /accounting/sync-failures`: the failures reported through `accounting/syncs` (Ramp shows
 *   them to the customer as Export Errors; its API has no route for them).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { generateAccountingSetup } from '../data/accounting.ts';
import { chartOf, emptyChart } from '../data/accounting-book.ts';
import { CODABLE_RESOURCES, READY_RESOURCES, codeObjects, markReady, reopenSynced, unmarkReady } from '../data/accounting-codings.ts';
import { formatRampTime } from '../data/models.ts';
import type { BusinessData } from '../data/store.ts';
import { ControlError } from '../errors.ts';
import { isUuid, newUuid } from '../ids.ts';
import type { EmulatorState } from '../state.ts';
import { ControlBody } from './body.ts';

function business(state: EmulatorState, value: string | undefined): BusinessData {
  if (value !== undefined && !isUuid(value)) throw new ControlError(400, 'business_id must be a UUID');
  const data = state.businesses.get(value?.toLowerCase() ?? state.demoBusinessId);
  if (!data) throw new ControlError(404, `Unknown business ${value}`);
  return data;
}

function connectionView(data: BusinessData): Record<string, unknown>[] {
  return data.accounting.all().map((record) => ({
    ...record.wire,
    kind: record.kind,
    chart: { gl_accounts: record.chart.accounts.length, vendors: record.chart.vendors.length, fields: record.chart.fields.length, field_options: record.chart.options.length },
  }));
}

export function registerAccountingControlRoutes(app: FastifyInstance, state: EmulatorState): void {
  app.post('/accounting/connections', async (request, reply) => {
    const body = new ControlBody(request.body);
    const data = business(state, body.string('business_id'));
    const kind = body.oneOf('kind', ['direct', 'api'] as const) ?? 'direct';
    const name = body.string('remote_provider_name', { nonEmpty: true }) ?? (kind === 'direct' ? 'QuickBooks Online' : 'Developer API');
    const chart = body.oneOf('chart', ['generated', 'empty'] as const) ?? (kind === 'direct' ? 'generated' : 'empty');
    body.rejectUnknown();
    const now = state.clock.now();
    const at = formatRampTime(now);
    const active = data.accounting.active;
    if (active) data.accounting.disconnect(active);
    const salt = `connection:${data.accounting.all().length}:`;
    const setup = generateAccountingSetup(data.id, data.seed, data.vendors, data.anchorMs, salt, name);
    data.accounting.link({
      kind,
      chart: chart === 'generated' ? chartOf(setup) : emptyChart(),
      wire: { id: newUuid(), remote_provider_name: name, status: 'linked', is_active: true, created_at: at, last_linked_at: at },
    });
    return reply.code(201).send(connectionView(data)[0]);
  });

  app.get<{ Querystring: { business_id?: string } }>('/accounting/connections', async (request) => ({ connections: connectionView(business(state, request.query.business_id)) }));

  app.post('/accounting/code', async (request) => {
    const body = new ControlBody(request.body);
    const data = business(state, body.string('business_id'));
    const resource = body.oneOf('resource', CODABLE_RESOURCES) ?? 'transactions';
    const ids = body.stringArray('ids');
    const count = body.integer('count', 1, 100_000) ?? 1;
    const glAccountId = body.string('gl_account_id');
    const fieldOptionIds = body.stringArray('field_option_ids');
    const markReadyFlag = body.boolean('mark_ready') ?? resource !== 'bills';
    body.rejectUnknown();
    if (resource === 'bills' && markReadyFlag) throw new ControlError(400, 'Bills become ready to sync by themselves: mark_ready applies to transactions and reimbursements');
    const now = state.clock.now();
    const result = codeObjects(data, { resource, ids, count, glAccountId, fieldOptionIds, markReady: markReadyFlag }, now);
    for (const event of result.events) state.webhooks.emit(data.id, event.type, event.objectId, now);
    return { business_id: data.id, resource, ids: result.ids, codings: result.codings, events: result.events.map((event) => ({ type: event.type, object_id: event.objectId })) };
  });

  // Ready (a person marking) and reopen (Ramp re-opening synced objects) take the same body and answer alike.
  const toReadyRoute = (move: typeof markReady) => async (request: FastifyRequest) => {
    const body = new ControlBody(request.body);
    const data = business(state, body.string('business_id'));
    const resource = body.oneOf('resource', READY_RESOURCES) ?? 'transactions';
    const ids = body.stringArray('ids');
    const count = body.integer('count', 1, 100_000) ?? 1;
    body.rejectUnknown();
    const now = state.clock.now();
    const result = move(data, resource, ids, count, now);
    for (const event of result.events) state.webhooks.emit(data.id, event.type, event.objectId, now);
    return { business_id: data.id, resource, ids: result.ids, events: result.events.map((event) => ({ type: event.type, object_id: event.objectId })) };
  };

  app.post('/accounting/ready', toReadyRoute(markReady));

  app.post('/accounting/unready', async (request) => {
    const body = new ControlBody(request.body);
    const data = business(state, body.string('business_id'));
    const resource = body.oneOf('resource', READY_RESOURCES) ?? 'transactions';
    const ids = body.stringArray('ids');
    body.rejectUnknown();
    return { business_id: data.id, resource, ids: unmarkReady(data, resource, ids, state.clock.now()) };
  });

  app.post('/accounting/reopen', toReadyRoute(reopenSynced));

  app.get<{ Querystring: { business_id?: string } }>('/accounting/sync-failures', async (request) => ({
    failures: [...business(state, request.query.business_id).accountingSyncFailures.values()],
  }));
}
