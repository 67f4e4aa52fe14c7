/**
 * @module URLs under a connection's Ramp API base, and the check that keeps every outbound request
 * there. The base is fixed per environment in configuration; nothing a caller or a Ramp answer says
 * may move a request (and its bearer token) to another origin or outside `/developer/v1/`
 * (docs/guarantees.md#g36: build from `new URL(base)`, then assert the origin).
 */

interface ApiBase {
  readonly origin: string;
  /** `/developer/v1/` under the base's own path (the emulator serves sandbox under `/sandbox`). */
  readonly prefix: string;
}

/** Parsed bases: there are as many as configured environments, and the proxy needs one per request. */
const parsedBases = new Map<string, ApiBase>();

function apiBase(apiBaseUrl: string): ApiBase {
  let base = parsedBases.get(apiBaseUrl);
  if (!base) {
    const url = new URL(apiBaseUrl);
    base = { origin: url.origin, prefix: `${url.pathname.replace(/\/+$/, '')}/developer/v1/` };
    if (parsedBases.size < 64) parsedBases.set(apiBaseUrl, base);
  }
  return base;
}

/**
 * `https://api.ramp.com` + `transactions` → `https://api.ramp.com/developer/v1/transactions`.
 * `relativePath` is ours (a constant) or a proxy target proxy-path.ts has already checked; it may
 * carry a query string.
 */
export function developerUrl(apiBaseUrl: string, relativePath: string): URL {
  const base = apiBase(apiBaseUrl);
  return new URL(`${base.origin}${base.prefix}${relativePath}`);
}

/** The `/developer/v1/` path prefix under a base. */
export function developerPrefix(apiBaseUrl: string): string {
  return apiBase(apiBaseUrl).prefix;
}

/**
 * True when `candidate` is on the base's origin, under its `/developer/v1/` path, and carries no
 * userinfo. `page.next` is followed verbatim (docs/ramp-behaviour.md#pagination) only when this holds.
 */
export function isUnderApiBase(candidate: string | URL, apiBaseUrl: string): boolean {
  let url: URL;
  try {
    url = typeof candidate === 'string' ? new URL(candidate) : candidate;
  } catch {
    return false;
  }
  const base = apiBase(apiBaseUrl);
  if (url.origin !== base.origin || url.username !== '' || url.password !== '') return false;
  // Compare the serialised path, which new URL has already dot-segment-normalised.
  return url.pathname.startsWith(base.prefix) && !/%2e|%2f|%5c/i.test(url.pathname);
}
