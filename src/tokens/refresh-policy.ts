/**
 * @module When a token counts as fresh and when to refresh it.
 * Callers always get a token valid for at least `MIN_VALIDITY_MS` (5 min). The scheduler refreshes
 * earlier, at 80% of the token's lifetime (at least 10 min before expiry), so idle connections stay fresh:
 * 1-hour auth-code tokens at ~48 min, 10-day client-credentials tokens at day 8 (Ramp docs: "implement
 * refresh logic before expiration rather than waiting for 401 errors").
 */

export const MIN_VALIDITY_MS = 5 * 60_000;
const PROACTIVE_MARGIN_MS = 10 * 60_000;

/** Token is good enough to hand out right now. */
export function isFresh(expiresAt: number | null, now: number): boolean {
  return expiresAt !== null && expiresAt - now >= MIN_VALIDITY_MS;
}

/** When the proactive scheduler should refresh a token issued at `issuedAt` that expires at `expiresAt`. */
export function nextRefreshAt(issuedAt: number, expiresAt: number): number {
  const lifetime = expiresAt - issuedAt;
  return expiresAt - Math.max(PROACTIVE_MARGIN_MS, Math.round(lifetime * 0.2));
}
