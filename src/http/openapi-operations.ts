/**
 * @module Names every operation of `/openapi.json` the way the product's FastAPI document does:
 * tag, summary and `operationId` = `{handler name}{path}` with every non-word character replaced by `_`,
 * then `_{method}` (FastAPI's `generate_unique_id`). The product's own reference is the model
 * (seed: tag `ramp`, `connect_with_credentials_api_v1_ramp_connect_with_credentials_post`).
 *
 * One table keyed by `METHOD path` (as the document spells the path), applied to the generated
 * document (`transformObject` in openapi.ts), so route files only describe their schemas: a route
 * moved to another file keeps its name here. A route missing from the table keeps no operationId,
 * and `test/api/openapi.test.ts` fails on it.
 */
import { ErrorBody } from '../core/schemas.ts';
import { RAMP_RESOURCES } from '../ramp/resource-descriptors.ts';

export interface OperationNaming {
  /** The handler's name as FastAPI would know it (a Python function name). */
  readonly name: string;
  readonly tag: string;
  /** Only where the route itself declares none. */
  readonly summary?: string;
  readonly description?: string;
  /** Error answers the route's schema does not declare (documented with the catalogue's body). */
  readonly errors?: readonly number[];
}

/** The proxy's wildcard, which Fastify spells `*`: OpenAPI needs a named path parameter. */
export const PROXY_WILDCARD_PATH = '/api/v1/ramp/proxy/{*}';
export const PROXY_PATH = '/api/v1/ramp/proxy/{path}';

const proxy: OperationNaming = {
  name: 'proxy',
  tag: 'ramp',
  description:
    'Forwards the request to `<Ramp API>/developer/v1/{path}` (query string included) with the connection\'s access token. ' +
    'Only `accept`, `content-type` and `idempotency-key` are forwarded; redirects are not followed; GET and HEAD are retried on 429/5xx. ' +
    "Ramp's own answers (its 4xx included) are passed through.",
  // 404 no connection, 409 it needs re-authorization, 503 the server is shutting down (a read: send it again), 504 Ramp did not answer in time.
  errors: [400, 401, 403, 404, 409, 429, 502, 503, 504],
};

/** FastAPI's and the product's wording for answers a route leaves as "Default Response". */
const RESPONSE_DESCRIPTIONS: Readonly<Record<string, string>> = Object.freeze({
  '302': 'Redirect',
  '400': 'Bad Request - Invalid input',
  '401': 'Unauthorized - Authentication required',
  '403': 'Forbidden - Insufficient permissions',
  '404': 'Not Found',
  '409': 'Conflict - Resource already exists',
  '422': 'Validation Error',
  '429': 'Too Many Requests',
  '502': 'Bad Gateway - Ramp failed',
  '503': 'Service Unavailable',
  '504': 'Gateway Timeout - Ramp did not answer in time',
});

export const OPERATIONS: Readonly<Record<string, OperationNaming>> = Object.freeze({
  'GET /healthz': { name: 'liveness', tag: 'health', summary: 'Liveness: the process answers' },
  'GET /readyz': { name: 'readiness', tag: 'health', summary: 'Readiness: the database answers' },
  'GET /api/v1/businesses': { name: 'list_businesses', tag: 'businesses' },
  'POST /api/v1/businesses': { name: 'create_business', tag: 'businesses' },
  'POST /api/v1/tokens': { name: 'create_token', tag: 'api-tokens' },
  'GET /api/v1/tokens': { name: 'list_tokens', tag: 'api-tokens' },
  'DELETE /api/v1/tokens/{token_id}': { name: 'revoke_token', tag: 'api-tokens' },
  'POST /api/v1/ramp/connect-with-credentials': { name: 'connect_with_credentials', tag: 'ramp' },
  'GET /api/v1/ramp/connect-url': { name: 'get_connect_url', tag: 'ramp' },
  'GET /api/v1/ramp/authorize': { name: 'oauth_launch', tag: 'ramp' },
  'GET /api/v1/ramp/callback': { name: 'oauth_callback', tag: 'ramp' },
  'GET /api/v1/ramp/status': { name: 'get_status', tag: 'ramp' },
  'DELETE /api/v1/ramp/connection': { name: 'disconnect', tag: 'ramp' },
  'GET /api/v1/ramp/sync-config': { name: 'get_sync_config', tag: 'ramp' },
  'PUT /api/v1/ramp/sync-config': { name: 'update_sync_config', tag: 'ramp' },
  'GET /api/v1/ramp/token': { name: 'get_access_token', tag: 'ramp' },
  'POST /api/v1/ramp/sync': { name: 'trigger_sync', tag: 'ramp' },
  'GET /api/v1/ramp/syncs/{id}': { name: 'get_sync', tag: 'ramp' },
  // The read route of every synced resource (src/ramp/resource-descriptors.ts): list_transactions, list_spend_programs, …
  ...Object.fromEntries(RAMP_RESOURCES.map(({ resource }) => [`GET /api/v1/ramp/${resource}`, { name: `list_${resource.replaceAll('-', '_')}`, tag: 'ramp' }])),
  'POST /api/v1/ramp/accounting/mark-synced': { name: 'mark_synced', tag: 'ramp' },
  'GET /api/v1/ramp/accounting/ready': { name: 'list_ready_to_sync', tag: 'ramp' },
  'PUT /api/v1/ramp/accounting/chart': { name: 'put_accounting_chart', tag: 'ramp' },
  'GET /api/v1/ramp/accounting/chart': { name: 'get_accounting_chart', tag: 'ramp' },
  'GET /api/v1/ramp/accounting/chart/jobs/{id}': { name: 'get_accounting_chart_job', tag: 'ramp' },
  'POST /api/v1/ramp/accounting/chart/backups': { name: 'backup_accounting_chart', tag: 'ramp' },
  'POST /api/v1/ramp/accounting/migrations': { name: 'migrate_accounting_connection', tag: 'ramp' },
  'POST /api/v1/ramp/webhooks': { name: 'receive_ramp_webhook', tag: 'ramp' },
  'POST /api/v1/ramp/webhooks/{route_key}': { name: 'receive_ramp_subscription_webhook', tag: 'ramp' },
  [`GET ${PROXY_PATH}`]: proxy,
  [`HEAD ${PROXY_PATH}`]: proxy,
  [`POST ${PROXY_PATH}`]: proxy,
  [`PUT ${PROXY_PATH}`]: proxy,
  [`PATCH ${PROXY_PATH}`]: proxy,
  [`DELETE ${PROXY_PATH}`]: proxy,
  'POST /api/v1/webhooks': { name: 'create_webhook_endpoint', tag: 'webhooks' },
  'GET /api/v1/webhooks': { name: 'list_webhook_endpoints', tag: 'webhooks' },
  'DELETE /api/v1/webhooks/{webhook_id}': { name: 'delete_webhook_endpoint', tag: 'webhooks' },
  'GET /api/v1/webhooks/{webhook_id}/deliveries': { name: 'list_webhook_deliveries', tag: 'webhooks' },
  'GET /api/v1/events': { name: 'list_events', tag: 'webhooks' },
});

/**
 * FastAPI's `generate_unique_id`: `re.sub(r"\W", "_", name + path)` + `_` + method.
 * @example fastApiOperationId('connect_with_credentials', '/api/v1/ramp/connect-with-credentials', 'post')
 *   // 'connect_with_credentials_api_v1_ramp_connect_with_credentials_post'
 */
export function fastApiOperationId(name: string, path: string, method: string): string {
  return `${name}${path}`.replace(/[^A-Za-z0-9_]/g, '_') + `_${method.toLowerCase()}`;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface OperationObject {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; description?: string; [key: string]: unknown }[];
  [key: string]: unknown;
}
type PathItem = Partial<Record<(typeof METHODS)[number], OperationObject>> & Record<string, unknown>;

/**
 * Applies the table to a generated document's `paths` (returns new path items; the input's operation
 * objects, which @fastify/swagger shares between the methods of one route, are not changed).
 */
export function nameOperations(paths: Readonly<Record<string, PathItem>>): Record<string, PathItem> {
  const out: Record<string, PathItem> = {};
  for (const [rawPath, item] of Object.entries(paths)) {
    const path = rawPath === PROXY_WILDCARD_PATH ? PROXY_PATH : rawPath;
    const named: PathItem = { ...item };
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const copy: OperationObject = { ...operation };
      if (path !== rawPath) copy.parameters = (operation.parameters ?? []).map((p) => (p.in === 'path' && p.name === '*' ? { ...p, name: 'path', description: 'Path under `/developer/v1/`, e.g. `transactions` or `business`' } : p));
      const naming = OPERATIONS[`${method.toUpperCase()} ${path}`];
      if (naming) {
        copy.operationId = fastApiOperationId(naming.name, path, method);
        copy.tags = [naming.tag];
        if (naming.summary !== undefined && copy.summary === undefined) copy.summary = naming.summary;
        if (naming.description !== undefined && copy.description === undefined) copy.description = naming.description;
        if (naming.errors) copy.responses = { ...(copy.responses as object), ...errorAnswers(naming.errors) };
      }
      copy.responses = describeResponses(copy.responses as Record<string, { description?: string }> | undefined);
      named[method] = copy;
    }
    out[path] = named;
  }
  return out;
}

function errorAnswers(statuses: readonly number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const status of statuses) out[status] = { description: RESPONSE_DESCRIPTIONS[status] ?? 'Error', content: { 'application/json': { schema: ErrorBody } } };
  return out;
}

function describeResponses(responses: Record<string, { description?: string }> | undefined): Record<string, { description?: string }> | undefined {
  if (!responses) return responses;
  const out: Record<string, { description?: string }> = {};
  for (const [status, response] of Object.entries(responses)) {
    const fallback = status.startsWith('2') ? 'Successful Response' : RESPONSE_DESCRIPTIONS[status];
    out[status] = response.description === 'Default Response' && fallback ? { ...response, description: fallback } : response;
  }
  return out;
}
