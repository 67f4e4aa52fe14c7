/**
 * Checklist #1: 1e5 connect sessions — every `state` and PKCE verifier carries 32 random bytes (≥ 16
 * required), none repeats, and the challenge is the S256 of its verifier (RFC 7636 §4.2).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newAuthorizationSecrets } from '../../src/connections/oauth-state.ts';

describe('authorization secrets', () => {
  it('100,000 sessions: 43-character base64url state and verifier (32 bytes), no collision, S256 challenge', () => {
    const seen = new Set<string>();
    let failures = 0;
    for (let i = 0; i < 100_000; i++) {
      const { state, codeVerifier, codeChallenge } = newAuthorizationSecrets();
      if (!/^[A-Za-z0-9_-]{43}$/.test(state) || !/^[A-Za-z0-9_-]{43}$/.test(codeVerifier)) failures++;
      if (Buffer.from(state, 'base64url').length !== 32 || Buffer.from(codeVerifier, 'base64url').length !== 32) failures++;
      if (i % 1000 === 0 && codeChallenge !== createHash('sha256').update(codeVerifier, 'ascii').digest('base64url')) failures++;
      seen.add(state);
      seen.add(codeVerifier);
    }
    expect(failures).toBe(0);
    expect(seen.size).toBe(200_000);
  });
});
