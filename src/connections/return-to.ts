/**
 * @module Where the browser goes after the OAuth redirect. RFC 9700 §4.11: a client must not be an open
 * redirector, so `return_to` must be an absolute http(s) URL under one of the configured prefixes
 * (same origin, path prefix), with no credentials and nothing a browser might read differently.
 */

export function isAllowedReturnTo(candidate: string, allowlist: readonly string[]): boolean {
  // Backslashes, whitespace and control characters are read differently by browsers and URL parsers.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (candidate.length > 2048 || /[\\\s\u0000-\u001f\u007f]/.test(candidate)) return false;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') return false;
  // Compare the parsed, normalised form so "/./", "/../" and percent-encoded tricks cannot escape a prefix.
  return allowlist.some((prefix) => {
    const allowed = new URL(prefix);
    return url.origin === allowed.origin && url.pathname.startsWith(allowed.pathname);
  });
}

/** `return_to` with the outcome appended as query parameters. */
export function withOutcome(returnTo: string, params: Record<string, string>): string {
  const url = new URL(returnTo);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}
