/**
 * @module `ramp-connect/client`: a typed client for product teams, `openapi-fetch` over the types
 * generated from this service's own `/openapi.json` (schema.ts, `npm run gen:client`). Paths, bodies,
 * query parameters and answers are checked by TypeScript; each call resolves to `{ data }` or
 * `{ error }` (the catalogue's `{detail, code}`, or FastAPI's 422 list) with the `response`.
 *
 * @example
 * import { createRampConnectClient } from 'ramp-connect/client';
 * const api = createRampConnectClient({ baseUrl: 'http://127.0.0.1:8080', token: process.env.DZ_TOKEN!, businessId });
 * const { data, error } = await api.GET('/api/v1/ramp/transactions', { params: { query: { limit: 50 } } });
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './schema.ts';

export type { components, operations, paths };

export type RampConnectClient = Client<paths>;

export interface RampConnectClientOptions {
  /** Where the service listens, e.g. `http://127.0.0.1:8080` (no trailing path). */
  readonly baseUrl: string;
  /** An API token `dz_…` (`ramp-connect token create`). Sent as `Authorization: Bearer`; never logged. */
  readonly token: string;
  /** The business the calls act on (`x-business-id`); needed by every `/api/v1/ramp/*` and webhook route. */
  readonly businessId?: string;
  /** A custom fetch (tests, proxies, retries). */
  readonly fetch?: (input: Request) => Promise<Response>;
}

/** A client bound to one token and (optionally) one business. Make another for another business: it is cheap. */
export function createRampConnectClient(options: RampConnectClientOptions): RampConnectClient {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
  if (options.businessId !== undefined) headers['x-business-id'] = options.businessId;
  return createClient<paths>({ baseUrl: options.baseUrl, headers, ...(options.fetch ? { fetch: options.fetch } : {}) });
}

/** Shapes product code often names. */
export type ConnectionStatus = operations['get_status_api_v1_ramp_status_get']['responses'][200]['content']['application/json'];
export type RampRecord = components['schemas']['RampRecord'];
