/**
 * @module The cookie that binds an OAuth flow to the browser that started it (docs/guarantees.md#g41).
 * `__Host-` keeps it to our exact origin (no Domain, Path=/, Secure); `HttpOnly` hides it from scripts;
 * `SameSite=Lax` still sends it on Ramp's top-level redirect back to our callback. It lives as long as
 * a pending state (10 minutes). Browsers accept `Secure` cookies from http://localhost and 127.0.0.1,
 * so the same attributes work on a loopback PUBLIC_URL.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATE_TTL_MS } from '../connections/oauth-state.ts';

export const OAUTH_BROWSER_COOKIE = '__Host-ramp_oauth_browser';

/** The cookie's value in the request, if present (the first one when repeated). */
export function readBrowserSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === OAUTH_BROWSER_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function setBrowserSecret(reply: FastifyReply, secret: string): FastifyReply {
  const maxAge = Math.floor(STATE_TTL_MS / 1000);
  return reply.header('set-cookie', `${OAUTH_BROWSER_COOKIE}=${secret}; Max-Age=${maxAge}; Path=/; Secure; HttpOnly; SameSite=Lax`);
}
