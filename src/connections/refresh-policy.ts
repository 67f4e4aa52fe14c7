/**
 * @module When a token counts as fresh and when to refresh it.
 * Callers always get a token valid for at least `MIN_VALIDITY_MS` (5 min; a fifth of the lifetime for
 * tokens shorter than 25 min). The scheduler refreshes
 * earlier, at 80% of the token's lifetime (at least 10 min before expiry), so idle connections stay fresh:
 * 1-hour auth-code tokens at ~48 min, 10-day client-credentials tokens at day 8 (Ramp docs: "implement
 * refresh logic before expiration rather than waiting for 401 errors").
 */

export const MIN_VALIDITY_MS = 5 * 60_000;
const PROACTIVE_MARGIN_MS = 10 * 60_000;

/**
 * The last moment a token issued at `issuedAt` is handed out: while it has `MIN_VALIDITY_MS` left, or a
 * fifth of its lifetime when Ramp issues tokens shorter than 25 minutes (docs/guarantees.md#g28:
 * a 120 s token is handed out until 24 s before expiry; with a flat 5 minutes it would never be fresh
 * and every call would refresh it). An unknown issue time is treated as a long-lived token.
 */
export function freshUntil(issuedAt: number | null, expiresAt: number | null): number {
  if (expiresAt === null) return Number.NEGATIVE_INFINITY;
  const lifetime = issuedAt === null ? Number.POSITIVE_INFINITY : expiresAt - issuedAt;
  return expiresAt - Math.min(MIN_VALIDITY_MS, Math.max(0, Math.round(lifetime * 0.2)));
}

/** Token is good enough to hand out right now. */
export function isFresh(issuedAt: number | null, expiresAt: number | null, now: number): boolean {
  return now <= freshUntil(issuedAt, expiresAt);
}

/**
 * When the proactive scheduler should refresh a token issued at `issuedAt` that expires at `expiresAt`:
 * at 80% of its lifetime and at least 10 minutes before expiry, but never before half of the lifetime
 * has passed, so a short token (120 s: due at 60 s) is not due the moment it is issued.
 */
export function nextRefreshAt(issuedAt: number, expiresAt: number): number {
  const lifetime = expiresAt - issuedAt;
  return expiresAt - Math.min(Math.max(PROACTIVE_MARGIN_MS, Math.round(lifetime * 0.2)), Math.round(lifetime / 2));
}
