/**
 * @module Resource routes of one environment (`/developer/v1/...`, ramp-and-dayzero-api.md B7).
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
import { recordAccountingSync } from './accounting-syncs.ts';
import { authorizeResourceRequest } from './bearer-auth.ts';
import { LIST_RESOURCES, type ResourceDefinition } from './definitions.ts';
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

  app.get('/developer/v1/business', async (request) => authorized(request, 'business:read').profile);

  for (const resource of LIST_RESOURCES) registerListResource(app, resource, authorized);

  app.post('/developer/v1/accounting/syncs', async (request, reply) => {
    const data = authorized(request, 'accounting:write');
    const response = recordAccountingSync(data, request.body, state.clock.now());
    return reply.code(201).send(response);
  });
}

function registerListResource(app: FastifyInstance, resource: ResourceDefinition, authorized: (request: FastifyRequest, scope: string) => BusinessData): void {
  app.get(`/developer/v1/${resource.name}`, async (request) => {
    const data = authorized(request, resource.scope);
    const table = resource.table(data);
    const query = new QueryReader(new URL(request.url, 'http://emulator.invalid').searchParams);
    const page = readPageRequest(query, table);
    const filter = resource.compileFilter(query, data);
    throwIfInvalid(query);
    const { positions, hasMore } = collectPage(table, filter, page);
    const items = positions.map((position) => table.materialise(position));
    const lastPosition = positions[positions.length - 1];
    const next = hasMore && lastPosition !== undefined ? nextPageUrl(request, page.pageSize, table.idAt(lastPosition)) : null;
    return { data: items, page: { next } };
  });

  app.get<{ Params: { id: string } }>(`/developer/v1/${resource.name}/:id`, async (request) => {
    const data = authorized(request, resource.scope);
    const table = resource.table(data);
    const position = table.positionOf(request.params.id.toLowerCase());
    if (position === undefined) throw new RampApiError(404, RAMP_ERROR_CODES.notFound, `No ${resource.name.replace(/s$/, '')} with id ${request.params.id}`);
    return table.materialise(position);
  });
}
