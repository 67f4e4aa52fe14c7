/**
 * @module OpenAPI 3.1 generated from the route schemas (`@fastify/swagger`), served at `/openapi.json`,
 * plus a `/docs` page that renders it with a few lines of local script (no CDN). Operation names,
 * tags and the proxy's path parameter come from one table (openapi-operations.ts); `servers` is the
 * configured `PUBLIC_URL`.
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
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
    // `servers` is set here rather than in `openapi` above, where @fastify/swagger would strip its path from every route's.
    transformObject: (document) => {
      const openapiObject = 'openapiObject' in document ? document.openapiObject : {};
      const paths = nameOperations((openapiObject.paths ?? {}) as Parameters<typeof nameOperations>[0]);
      return { ...openapiObject, servers: [{ url: publicUrl }], paths } as typeof openapiObject;
    },
  });
}

export function docsRoutes(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_HTML));
}
