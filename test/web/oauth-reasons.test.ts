/**
 * The words the page shows for `?ramp=error&reason=…` (src/web/assets/format.js). Each reason the
 * callback sends (src/connections/connect-service.ts) has its own text: `revocation_pending` (an earlier
 * disconnect not yet confirmed by Ramp) was sent as `already_connected` and read "connected by someone
 * else at the same time", which was not what happened.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: browser JavaScript without type declarations
import { OAUTH_REASONS, oauthReasonText } from '../../src/web/assets/format.js';

const text = oauthReasonText as (reason: string) => string;

describe('OAuth outcome reasons on the page', () => {
  it('has a text of its own for every reason the callback sends', () => {
    const sent = ['access_denied', 'invalid_scope', 'authorization_expired', 'app_misconfigured', 'already_connected', 'revocation_pending', 'ramp_unavailable', 'authorization_failed'];
    expect(Object.keys(OAUTH_REASONS as Record<string, string>).sort()).toEqual([...sent].sort());
    expect(new Set(sent.map(text)).size).toBe(sent.length);
  });

  it('a pending revocation says the previous connection is still being disconnected, not that someone else connected', () => {
    expect(text('revocation_pending')).toMatch(/previous Ramp connection is still being disconnected/);
    expect(text('revocation_pending')).not.toMatch(/someone else/);
    expect(text('already_connected')).toMatch(/someone else/);
  });
});
