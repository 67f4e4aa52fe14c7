/**
 * @module OpenAPI 3.1 generated from the route schemas (`@fastify/swagger`), served at `/openapi.json`,
 * plus a `/docs` page that renders it with a few lines of local script (no CDN).
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { DOCS_HTML } from './docs-page.ts';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ramp-connect',
        version: '0.1.0',
        description: 'Connect a business to Ramp (OAuth 2.0 authorization code or client credentials), keep tokens fresh, proxy and sync Ramp data.',
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
  });
}

export function docsRoutes(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_HTML));
}
