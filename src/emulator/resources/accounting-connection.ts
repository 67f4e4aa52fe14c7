/**
 * @module The accounting connection routes of Ramp's document:
 * - `GET accounting/connection` (deprecated by Ramp): the active `AccountingProvider`, or `{message}`
 *   (`ApiEmptyResponse`) when there is none.
 * - `GET accounting/all-connections`: `{connections: [...]}`, newest first.
 * - `POST accounting/connection` `{remote_provider_name, reactivate?}` → 201: links a new API
 *   connection with an empty chart; with `reactivate: true` (deprecated) an earlier unlinked API
 *   connection of that name is reactivated instead, with its chart. 400 while one is active.
 * - `DELETE accounting/connection` → 204: unlinks the active API connection and so clears the chart
 *   the read routes show; 404 without one; a direct connection is refused (400), since the route
 *   "only allows disconnecting API based connections".
 * - `POST accounting/connection/{id}/reactivate` → 200: relinks it, its chart restored; 400 while
 *   another is active or for a direct one (those are linked only in Ramp's UI); 404 if unknown.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { emptyChart } from '../data/accounting-book.ts';
import { formatRampTime } from '../data/models.ts';
import type { BusinessData } from '../data/store.ts';
import { RAMP_ERROR_CODES, RampApiError } from '../errors.ts';
import { newUuid } from '../ids.ts';
import { BodyProblems, checkObject } from './body-rules.ts';

type Authorize = (request: FastifyRequest, scope: string) => BusinessData;

function alreadyActive(data: BusinessData): RampApiError {
  const active = data.accounting.active!;
  return new RampApiError(
    400,
    RAMP_ERROR_CODES.invalidInput,
    `The business already has an active accounting connection (${active.wire.id}, ${active.wire.remote_provider_name ?? 'unnamed'}); only one can be active: disconnect it first`,
  );
}

export function registerAccountingConnectionRoutes(app: FastifyInstance, authorized: Authorize, now: () => number): void {
  app.get('/developer/v1/accounting/connection', async (request) => {
    const data = authorized(request, 'accounting:read');
    return data.accounting.active?.wire ?? { message: 'No accounting connection' };
  });

  app.get('/developer/v1/accounting/all-connections', async (request) => {
    const data = authorized(request, 'accounting:read');
    return { connections: data.accounting.all().map((record) => record.wire) };
  });

  app.post('/developer/v1/accounting/connection', async (request, reply) => {
    const data = authorized(request, 'accounting:write');
    const problems = new BodyProblems();
    const body = checkObject(request.body, { remote_provider_name: { kind: 'string', required: true, nonEmpty: true }, reactivate: { kind: 'boolean' } }, problems);
    problems.throwIfAny();
    if (data.accounting.active) throw alreadyActive(data);
    const name = body!.remote_provider_name as string;
    const at = formatRampTime(now());
    if (body!.reactivate === true) {
      const previous = data.accounting.inactiveNamed(name);
      if (previous && previous.kind === 'api') {
        data.accounting.reactivate(previous, at);
        return reply.code(201).send(previous.wire);
      }
    }
    const record = {
      kind: 'api' as const,
      chart: emptyChart(),
      wire: { id: newUuid(), remote_provider_name: name, status: 'linked' as const, is_active: true, created_at: at, last_linked_at: at },
    };
    data.accounting.link(record);
    return reply.code(201).send(record.wire);
  });

  app.delete('/developer/v1/accounting/connection', async (request, reply) => {
    const data = authorized(request, 'accounting:write');
    const active = data.accounting.active;
    if (!active) throw new RampApiError(404, RAMP_ERROR_CODES.notFound, 'No active accounting connection');
    if (active.kind === 'direct') {
      throw new RampApiError(400, RAMP_ERROR_CODES.invalidInput, `The active accounting connection (${active.wire.remote_provider_name ?? 'direct'}) is a direct connection: only API connections can be disconnected through the API`);
    }
    data.accounting.disconnect(active);
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/developer/v1/accounting/connection/:id/reactivate', async (request) => {
    const data = authorized(request, 'accounting:write');
    const record = data.accounting.get(request.params.id.toLowerCase());
    if (!record) throw new RampApiError(404, RAMP_ERROR_CODES.notFound, `No accounting connection with id ${request.params.id}`);
    if (record.wire.is_active) return record.wire;
    if (data.accounting.active) throw alreadyActive(data);
    if (record.kind === 'direct') {
      throw new RampApiError(400, RAMP_ERROR_CODES.invalidInput, `Accounting connection ${record.wire.id} is a direct connection: it can only be linked again in Ramp`);
    }
    data.accounting.reactivate(record, formatRampTime(now()));
    return record.wire;
  });
}
