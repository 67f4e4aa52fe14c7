/**
 * @module Control plane: seeded data (`/__emulator/seed`, `/mutate`, `/records/:resource`).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { performance } from 'node:perf_hooks';
import { DEFAULT_ANCHOR_MS, DEMO_COUNTS, type SeedCounts } from '../data/generate.ts';
import { MUTABLE_RESOURCES, MUTATION_KINDS, mutateRecords } from '../data/mutate.ts';
import type { BusinessData } from '../data/store.ts';
import { ControlError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { ObjectTable } from '../data/table.ts';
import { resourceByName } from '../resources/registry.ts';
import type { EmulatorState } from '../state.ts';
import { ControlBody } from './body.ts';

/** Upper bounds keep a typo (1e9 transactions) from taking the process down. */
const COUNT_LIMITS: Record<keyof SeedCounts, [min: number, max: number]> = {
  transactions: [0, 2_000_000],
  reimbursements: [0, 200_000],
  bills: [0, 200_000],
  users: [1, 10_000],
  cards: [1, 50_000],
  departments: [1, 1_000],
  locations: [1, 1_000],
  vendors: [1, 50_000],
};

/** Resources `/delete` can remove without breaking the records that refer to others. */
const DELETABLE_RESOURCES: readonly string[] = ['bills', 'transfers', 'cashbacks', 'merchants'];

function businessIdFrom(value: string | undefined, state: EmulatorState): string {
  if (value === undefined) return state.demoBusinessId;
  if (!isUuid(value)) throw new ControlError(400, 'business_id must be a UUID');
  return value.toLowerCase();
}

function existingBusiness(state: EmulatorState, value: string | undefined): BusinessData {
  const businessId = businessIdFrom(value, state);
  const data = state.businesses.get(businessId);
  if (!data) throw new ControlError(404, `Unknown business ${businessId}`);
  return data;
}

export function registerDataControlRoutes(app: FastifyInstance, state: EmulatorState): void {
  app.post('/seed', async (request) => {
    const body = new ControlBody(request.body);
    const businessId = businessIdFrom(body.string('business_id'), state);
    const seed = body.integer('seed', 0, 2 ** 31 - 1) ?? 1;
    const counts = { ...DEMO_COUNTS };
    for (const [name, [min, max]] of Object.entries(COUNT_LIMITS) as [keyof SeedCounts, [number, number]][]) {
      counts[name] = body.integer(name, min, max) ?? counts[name];
    }
    const anchor = body.string('anchor');
    body.rejectUnknown();
    const anchorMs = anchor === undefined ? DEFAULT_ANCHOR_MS : Date.parse(anchor);
    if (Number.isNaN(anchorMs)) throw new ControlError(400, 'anchor must be an ISO-8601 date-time');
    const started = performance.now();
    state.seedBusiness({ businessId, seed, counts, anchorMs });
    return { business_id: businessId, seed, counts, anchor: new Date(anchorMs).toISOString(), duration_ms: Math.round(performance.now() - started) };
  });

  app.post('/mutate', async (request) => {
    const body = new ControlBody(request.body);
    const data = existingBusiness(state, body.string('business_id'));
    const resource = body.oneOf('resource', MUTABLE_RESOURCES) ?? 'transactions';
    const kind = body.oneOf('kind', MUTATION_KINDS);
    const count = body.integer('count', 1, 100_000) ?? 1;
    body.rejectUnknown();
    if (kind === undefined) throw new ControlError(400, `kind is required (${MUTATION_KINDS.join(', ')})`);
    if (kind === 'archive' && resource !== 'bills') throw new ControlError(400, 'kind archive is for bills only');
    const now = state.clock.now();
    const result = mutateRecords(data, resource, kind, count, now);
    for (const event of result.events) state.webhooks.emit(data.id, event.type, event.objectId, now);
    return { business_id: data.id, resource, kind, ids: result.ids, events: result.events.map((event) => ({ type: event.type, object_id: event.objectId })) };
  });

  /**
   * Deletes records (Ramp deleted them), for tests of how a client notices deletions: the given `ids`,
   * or the first `count` in list order. Only resources no other record refers to by position
   * (transactions find their vendor by index, statements are computed, …).
   */
  app.post('/delete', async (request) => {
    const body = new ControlBody(request.body);
    const data = existingBusiness(state, body.string('business_id'));
    const name = body.string('resource');
    const ids = body.stringArray('ids');
    const count = body.integer('count', 1, 100_000);
    body.rejectUnknown();
    if (name === undefined || !DELETABLE_RESOURCES.includes(name)) throw new ControlError(400, `resource must be one of ${DELETABLE_RESOURCES.join(', ')}`);
    const table = resourceByName(name)!.table(data);
    if (!(table instanceof ObjectTable)) throw new ControlError(400, `${name} cannot be deleted`);
    const chosen = ids ?? Array.from({ length: Math.min(count ?? 1, table.length) }, (_, position) => table.idAt(position));
    data.mutationCount++;
    return { business_id: data.id, resource: name, ids: table.remove(new Set(chosen)) };
  });

  /**
   * Every record of a resource, including declined transactions, in list order — what a client's
   * synced copy is compared against. Streamed as one array, object by object.
   */
  app.get<{ Params: { resource: string }; Querystring: { business_id?: string } }>('/records/:resource', async (request, reply: FastifyReply) => {
    const data = existingBusiness(state, request.query.business_id);
    if (request.params.resource === 'business') return data.profile;
    const resource = resourceByName(request.params.resource);
    if (!resource) throw new ControlError(404, `Unknown resource ${request.params.resource}`);
    const table = resource.table(data);
    const parts: string[] = [];
    for (let position = 0; position < table.length; position++) parts.push(JSON.stringify(table.materialise(position)));
    return reply.type('application/json; charset=utf-8').send(`[${parts.join(',')}]`);
  });

  app.get('/businesses', async () =>
    state.businesses.list().map((data) => ({
      id: data.id,
      name: data.profile.business_name_legal,
      seed: data.seed,
      counts: {
        transactions: data.transactions.length, reimbursements: data.reimbursements.length, bills: data.bills.length, users: data.users.length,
        cards: data.cards.length, departments: data.departments.length, locations: data.locations.length, vendors: data.vendors.length,
      },
    })),
  );
}
