/**
 * Webhook signatures, pure: sign → verify round trip, and every reason a receiver must reject
 * (tampered body, wrong secret, old or future timestamp, malformed header), plus the secret format.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/events/signature.ts';
import { newWebhookSecret, parseSignatureHeader, signWebhook } from '../../src/events/signature.ts';

const secret = newWebhookSecret();
const body = JSON.stringify({ id: 'e1', type: 'connection.created', data: { x: 1 } });
const now = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('webhook signatures', () => {
  it('secrets are whsec_ + 32 random bytes, all distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const s = newWebhookSecret();
      expect(s).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      seen.add(s);
    }
    expect(seen.size).toBe(1000);
  });

  it('header is t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const header = signWebhook(secret, body, now);
    const t = Math.floor(now / 1000);
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${expected}`);
    expect(parseSignatureHeader(header)).toEqual({ timestampS: t, v1: [expected] });
  });

  it('verifies its own signature within the tolerance, either side', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhookSignature(secret, header, body, { now })).toBe(true);
    expect(verifyWebhookSignature(secret, header, body, { now: now + 299_000 })).toBe(true);
    expect(verifyWebhookSignature(secret, header, body, { now: now - 299_000 })).toBe(true);
  });

  it('rejects a tampered body, a wrong secret and a tampered signature', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhookSignature(secret, header, body.replace('"x":1', '"x":2'), { now })).toBe(false);
    expect(verifyWebhookSignature(secret, header, `${body} `, { now })).toBe(false);
    expect(verifyWebhookSignature(newWebhookSecret(), header, body, { now })).toBe(false);
    const flipped = header.slice(0, -1) + (header.endsWith('0') ? '1' : '0');
    expect(verifyWebhookSignature(secret, flipped, body, { now })).toBe(false);
  });

  it('rejects a replay older (or newer) than the tolerance, and a re-stamped header', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhookSignature(secret, header, body, { now: now + 301_000 })).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, { now: now - 301_000 })).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, { now: now + 3_600_000, toleranceS: 3_600 })).toBe(true);
    // Moving t forward without re-signing breaks the HMAC: the timestamp is signed.
    const restamped = header.replace(/^t=\d+/, `t=${Math.floor(now / 1000) + 600}`);
    expect(verifyWebhookSignature(secret, restamped, body, { now: now + 600_000 })).toBe(false);
  });

  it('rejects malformed headers without throwing', () => {
    for (const bad of [undefined, null, '', 'garbage', 't=abc,v1=00', `v1=${'a'.repeat(64)}`, `t=${now / 1000}`, `t=1,v1=${'z'.repeat(64)}`, 'x'.repeat(10_000)]) {
      expect(verifyWebhookSignature(secret, bad, body, { now })).toBe(false);
    }
    expect(verifyWebhookSignature('', signWebhook('', body, now), body, { now })).toBe(false);
  });

  it('accepts any of several v1 signatures (room for secret rotation)', () => {
    const header = signWebhook(secret, body, now);
    const other = signWebhook(newWebhookSecret(), body, now).split(',')[1];
    expect(verifyWebhookSignature(secret, `${header.split(',')[0]},${other},${header.split(',')[1]}`, body, { now })).toBe(true);
  });
});
