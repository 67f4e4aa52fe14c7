/**
 * @module OpenAPI 3.1 generated from the route schemas (`@fastify/swagger`), served at `/openapi.json`,
 * plus a `/docs` page that renders it with a few lines of local script (no CDN). Operation names,
 * tags and the proxy's path parameter come from one table (openapi-operations.ts); `servers` is the
 * configured `PUBLIC_URL`. Every TypeBox schema with an `$id` is a component of that name, a route's
 * own request body and answers included, as FastAPI names its models (`RampApiCredentialsRequest`,
 * `HTTPValidationError`): @fastify/swagger names only the `$id`s nested in a route's schema and inlines
 * the route's top-level ones, so those are marked before conversion and hoisted after (`hoistComponents`).
 */
import { isDeepStrictEqual } from 'node:util';
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { DOCS_HTML } from './docs-page.ts';
import { nameOperations } from './openapi-operations.ts';

export async function registerOpenApi(app: FastifyInstance, publicUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ramp-connect',
        version: '0.1.0',
        description: 'Connect a business to Ramp (OAuth 2.0 authorization code or client credentials), keep tokens fresh, proxy and sync Ramp data.',
        // Private code (package.json `UNLICENSED`); SPDX has no identifier for that, hence a LicenseRef.
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API token `dz_…`' },
          business: { type: 'apiKey', in: 'header', name: 'x-business-id', description: 'Business UUID' },
        },
      },
      security: [{ bearer: [], business: [] }],
    },
    // Keep schema `$id`s as component names instead of def-0, def-1, …
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    hideUntagged: true,
    transform: ({ schema, url }) => ({ schema: markTopLevelComponents(schema), url }),
    // `servers` is set here rather than in `openapi` above, where @fastify/swagger would strip its path from every route's.
    transformObject: (document) => {
      const openapiObject = 'openapiObject' in document ? document.openapiObject : {};
      const paths = nameOperations((openapiObject.paths ?? {}) as Parameters<typeof nameOperations>[0]);
      const schemas = { ...(openapiObject.components?.schemas ?? {}) } as Record<string, unknown>;
      const hoisted = hoistComponents(paths, schemas) as typeof paths;
      return { ...openapiObject, servers: [{ url: publicUrl }], paths: hoisted, components: { ...openapiObject.components, schemas: sortedByName(schemas) } } as typeof openapiObject;
    },
  });
}

export function docsRoutes(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_HTML));
}

/** Marks the component name of a schema whose `$id` @fastify/swagger would drop (a route's top-level body or answer). */
const COMPONENT = 'x-ramp-connect-component';

function marked(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || typeof (schema as { $id?: unknown }).$id !== 'string') return schema;
  return { ...schema, [COMPONENT]: (schema as { $id: string }).$id };
}

/** A copy of the route's schema (never the route's own, which validation and serialisation use). */
function markTopLevelComponents(schema: FastifySchema): FastifySchema {
  if (!schema) return schema; // a route without a schema (@fastify/swagger passes it as it is)
  const out: FastifySchema = { ...schema };
  if (schema.body !== undefined) out.body = marked(schema.body);
  if (typeof schema.response === 'object' && schema.response !== null) {
    out.response = Object.fromEntries(Object.entries(schema.response).map(([status, answer]) => [status, marked(answer)]));
  }
  return out;
}

/**
 * Replaces every marked schema under `node` (and any schema still carrying its TypeBox `$id`, as the
 * error answers added by openapi-operations.ts do) with a `$ref` to `components.schemas[name]`, adding it
 * there. Two different schemas under one name are a programming error: the document is refused.
 */
export function hoistComponents(node: unknown, schemas: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((item) => hoistComponents(item, schemas));
  if (typeof node !== 'object' || node === null) return node;
  const { [COMPONENT]: mark, ...rest } = node as Record<string, unknown>;
  const name = typeof mark === 'string' ? mark : typeof rest.$id === 'string' ? rest.$id : undefined;
  if (name !== undefined) delete rest.$id;
  const inner = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, hoistComponents(value, schemas)]));
  if (name === undefined) return inner;
  const existing = schemas[name];
  if (existing !== undefined && !isDeepStrictEqual(existing, inner)) throw new Error(`OpenAPI: two different schemas are named ${name}`);
  schemas[name] = inner;
  return { $ref: `#/components/schemas/${name}` };
}

function sortedByName(schemas: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
