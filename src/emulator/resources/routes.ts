/**
 * @module Resource routes of one environment (`/developer/v1/...`, docs/ramp-behaviour.md#resources-and-scopes).
 *
 * Lists: `{data, page: {next}}`; single objects by id; the business; accounting syncs. Every
 * handler authorizes first (`bearer-auth.ts`) and reads only the token's business, so another
 * tenant's id is simply not found.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BusinessData } from '../data/store.ts';
import { RAMP_ERROR_CODES, RampApiError } from '../errors.ts';
import type { EnvironmentRouteContext } from '../route-context.ts';
import type { AccessTokenRecord } from '../tokens.ts';
import { registerAccountingChartRoutes } from './accounting-chart-writes.ts';
import { registerAccountingConnectionRoutes } from './accounting-connection.ts';
import { recordAccountingSync } from './accounting-syncs.ts';
import { authorizeResourceRequest } from './bearer-auth.ts';
import type { ResourceDefinition } from './definitions.ts';
import { LIST_RESOURCES, SINGLETONS, pathOf } from './registry.ts';
import type { ListableTable } from '../data/table.ts';
import type { CompiledFilter } from './definitions.ts';
import { collectPage, nextPageUrl, readPageRequest, throwIfInvalid } from './pagination.ts';
import { QueryReader } from './query.ts';

export function registerResourceRoutes(app: FastifyInstance, context: EnvironmentRouteContext): void {
  const { state, environment } = context;

  const businessOf = (token: AccessTokenRecord): BusinessData => {
    const data = state.businesses.get(token.businessId);
    if (!data) throw new RampApiError(404, RAMP_ERROR_CODES.notFound, 'Business not found');
    return data;
  };

  const authorized = (request: FastifyRequest, scope: string): BusinessData => businessOf(authorizeResourceRequest(request, state, environment, scope));

  for (const singleton of SINGLETONS) {
    app.get(`/developer/v1/${singleton.path}`, async (request) => singleton.answer(authorized(request, singleton.scope)));
  }

  for (const resource of LIST_RESOURCES) registerListResource(app, resource, authorized);
  registerVendorContacts(app, authorized);
  registerAccountingConnectionRoutes(app, authorized, () => state.clock.now());
  registerAccountingChartRoutes(app, authorized, () => state.clock.now());

  app.post('/developer/v1/accounting/syncs', async (request, reply) => {
    const data = authorized(request, 'accounting:write');
    const response = recordAccountingSync(data, request.body, state.clock.now());
    return reply.code(201).send(response);
  });
}

type Authorize = (request: FastifyRequest, scope: string) => BusinessData;

/** One page of `table` under `filter`: Ramp's `{data, page: {next}}`. */
function listPage(request: FastifyRequest, table: ListableTable, compile: (query: QueryReader) => CompiledFilter): Record<string, unknown> {
  const query = new QueryReader(new URL(request.url, 'http://emulator.invalid').searchParams);
  const page = readPageRequest(query, table);
  const filter = compile(query);
  throwIfInvalid(query);
  const { positions, hasMore } = collectPage(table, filter, page);
  const items = positions.map((position) => table.materialise(position));
  const lastPosition = positions[positions.length - 1];
  const next = hasMore && lastPosition !== undefined ? nextPageUrl(request, page.pageSize, table.idAt(lastPosition)) : null;
  return { data: items, page: { next } };
}

function notFound(what: string, id: string): RampApiError {
  return new RampApiError(404, RAMP_ERROR_CODES.notFound, `No ${what} with id ${id}`);
}

function registerListResource(app: FastifyInstance, resource: ResourceDefinition, authorized: Authorize): void {
  const path = `/developer/v1/${pathOf(resource)}`;
  const what = resource.name.replace(/^accounting-/, '').replace(/s$/, '');
  app.get(path, async (request) => {
    const data = authorized(request, resource.scope);
    return listPage(request, resource.table(data), (query) => resource.compileFilter(query, data));
  });
  if (resource.byId === false) return;
  app.get<{ Params: { id: string } }>(`${path}/:id`, async (request) => {
    const data = authorized(request, resource.scope);
    const table = resource.table(data);
    const position = table.positionOf(request.params.id.toLowerCase());
    if (position === undefined) throw notFound(what, request.params.id);
    const item = table.materialise(position);
    return resource.detail ? resource.detail(item) : item;
  });
}

/** `GET /vendors/:vendor_id/contacts` and `/contacts/:id`: a vendor's contacts (`vendors:read`). */
function registerVendorContacts(app: FastifyInstance, authorized: Authorize): void {
  const contactsOf = (data: BusinessData, vendorId: string): ListableTable => {
    const table = data.vendorContacts.get(vendorId.toLowerCase());
    if (!table) throw notFound('vendor', vendorId);
    return table;
  };
  app.get<{ Params: { vendorId: string } }>('/developer/v1/vendors/:vendorId/contacts', async (request) => {
    const table = contactsOf(authorized(request, 'vendors:read'), request.params.vendorId);
    return listPage(request, table, () => ({ predicates: [] }));
  });
  app.get<{ Params: { vendorId: string; id: string } }>('/developer/v1/vendors/:vendorId/contacts/:id', async (request) => {
    const table = contactsOf(authorized(request, 'vendors:read'), request.params.vendorId);
    const position = table.positionOf(request.params.id.toLowerCase());
    if (position === undefined) throw notFound('vendor contact', request.params.id);
    return table.materialise(position);
  });
}
