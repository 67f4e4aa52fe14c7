/**
 * @module The web page: `GET /` (the HTML shell) and its static assets under `/assets/*` (plain ES
 * modules, CSS, an icon) and `/favicon.ico`. No build step and no CDN: the files in `src/web/` are read once at startup and
 * served from memory with a strict Content-Security-Policy (no inline script or style, no third-party
 * origin), `nosniff`, no framing, and `Cache-Control: no-cache` plus a strong ETag (the names are not
 * fingerprinted, so browsers revalidate and get a 304 when nothing changed). Hidden from OpenAPI.
 *
 * The page talks to the JSON API on the same origin with the API token the user pastes; the token
 * lives in `sessionStorage` and is sent only in the `Authorization` header, never in a URL.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from '../http/app.ts';

export const WEB_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

function load(url: URL): StaticFile {
  const body = readFileSync(url);
  const contentType = CONTENT_TYPES[extname(url.pathname)];
  if (!contentType) throw new Error(`no content type for ${url.pathname}`);
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/** Every servable asset by file name: only what sits in `src/web/assets/` with a known type. */
function loadAssets(): Map<string, StaticFile> {
  const dir = new URL('./assets/', import.meta.url);
  const assets = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    if (/^[a-z0-9-]+\.(js|css|svg)$/.test(name)) assets.set(name, load(new URL(name, dir)));
  }
  return assets;
}

function etagMatches(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag || candidate.trim() === '*');
}

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply {
  reply
    .header('content-security-policy', WEB_CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()')
    .header('cache-control', 'no-cache')
    .header('etag', file.etag);
  if (etagMatches(request, file.etag)) return reply.code(304).send();
  return reply.code(200).type(file.contentType).send(file.body);
}

export const webRoutes: RouteModule = (app: FastifyInstance) => {
  const index = load(new URL('./index.html', import.meta.url));
  const assets = loadAssets();

  // Browsers (and the /docs page) ask for /favicon.ico whatever the page links: the same mark as favicon.svg.
  const favicon = load(new URL('./favicon.ico', import.meta.url));

  app.get('/', { schema: { hide: true } }, async (request, reply) => send(request, reply, index));
  app.get('/favicon.ico', { schema: { hide: true } }, async (request, reply) => send(request, reply, favicon));

  app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const file = assets.get(request.params.name);
    if (!file) return reply.callNotFound();
    return send(request, reply, file);
  });
};
