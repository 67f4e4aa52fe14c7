/**
 * @module What a proxy caller may ask for: a path under `/developer/v1/` and a query string, nothing
 * that could change the origin or climb out of that prefix (docs/guarantees.md#g36,
 * docs/guarantees.md#g36; fastify/fast-proxy #42, where `//10.10.10.10/` became the host).
 *
 * The check is an allowlist on the *raw* request target, before any decoding: segments of
 * unreserved characters only (RFC 3986 §2.3), so `//host`, `..`, `%2e`/`%2f`/`%5c` and every other
 * percent-escape, `\`, `@`, `:`, CR/LF, NUL and absolute URLs are all refused by construction.
 * After building the URL the origin and prefix are asserted again (defence in depth).
 * The OAuth endpoints under the same prefix (`token`, `token/revoke`, `token/pkce`, docs/ramp-behaviour.md#token-endpoint) are not
 * part of the resource API and are refused: a caller must not mint, revoke, or — through a 401 —
 * force refreshes of the connection's tokens.
 */
import { developerPrefix, developerUrl, isUnderApiBase } from './api-base.ts';

export type ProxyTarget = { readonly ok: true; readonly path: string; readonly query: string } | { readonly ok: false; readonly reason: string };

const SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;
/** Visible ASCII except `#`; CR, LF, NUL and spaces are refused raw and percent-encoded. */
const QUERY = /^[\x21\x22\x24-\x7e]*$/;
const MAX_PATH = 512;
const MAX_QUERY = 4096;

/** Splits and checks `<prefix><path>[?query]` taken verbatim from the request line. */
export function parseProxyTarget(rawUrl: string, prefix: string): ProxyTarget {
  if (!rawUrl.startsWith(prefix)) return { ok: false, reason: 'prefix' };
  const rest = rawUrl.slice(prefix.length);
  const q = rest.indexOf('?');
  let path = q === -1 ? rest : rest.slice(0, q);
  const query = q === -1 ? '' : rest.slice(q + 1);
  if (path.endsWith('/')) path = path.slice(0, -1);
  if (path.length === 0 || path.length > MAX_PATH) return { ok: false, reason: 'length' };
  const segments = path.split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment.includes('..')) return { ok: false, reason: 'segment' };
  }
  if (segments[0]!.toLowerCase() === 'token') return { ok: false, reason: 'oauth_endpoint' };
  if (query.length > MAX_QUERY || !QUERY.test(query) || /%(?:00|0a|0d)/i.test(query)) return { ok: false, reason: 'query' };
  return { ok: true, path, query };
}

/** The upstream URL; throws (a bug) if it is not under the base despite the checks above. */
export function proxyUpstreamUrl(apiBaseUrl: string, target: { path: string; query: string }): URL {
  const url = developerUrl(apiBaseUrl, target.query.length > 0 ? `${target.path}?${target.query}` : target.path);
  if (!isUnderApiBase(url, apiBaseUrl) || url.pathname !== `${developerPrefix(apiBaseUrl)}${target.path}`) {
    throw new Error('proxy URL escaped the API base');
  }
  return url;
}
