/**
 * @module URLs under a connection's Ramp API base, and the check that keeps every outbound request
 * there. The base is fixed per environment in configuration; nothing a caller or a Ramp answer says
 * may move a request (and its bearer token) to another origin or outside `/developer/v1/`
 * (security-reliability.md §4 "SSRF": build from `new URL(base)`, then assert the origin).
 */

/** `https://api.ramp.com` + `transactions` → `https://api.ramp.com/developer/v1/transactions`. */
export function developerUrl(apiBaseUrl: string, relativePath: string): URL {
  const base = new URL(apiBaseUrl);
  const url = new URL(base.href);
  url.pathname = `${developerPrefix(base)}${relativePath}`;
  url.search = '';
  url.hash = '';
  return url;
}

/** `/developer/v1/` under the base's own path (the emulator serves sandbox under `/sandbox`). */
export function developerPrefix(base: URL): string {
  return `${base.pathname.replace(/\/+$/, '')}/developer/v1/`;
}

/**
 * True when `candidate` is on the base's origin, under its `/developer/v1/` path, and carries no
 * userinfo. `page.next` is followed verbatim (B6) only when this holds.
 */
export function isUnderApiBase(candidate: string | URL, apiBaseUrl: string): boolean {
  let url: URL;
  try {
    url = typeof candidate === 'string' ? new URL(candidate) : candidate;
  } catch {
    return false;
  }
  const base = new URL(apiBaseUrl);
  if (url.origin !== base.origin || url.username !== '' || url.password !== '') return false;
  // Compare the serialised path, which new URL has already dot-segment-normalised.
  return url.pathname.startsWith(developerPrefix(base)) && !/%2e|%2f|%5c/i.test(url.pathname);
}
