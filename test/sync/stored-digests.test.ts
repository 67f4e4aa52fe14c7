/**
 * Digests that are stored and compared later (records' `data_hash`, API tokens' `digest`) must not change
 * with how they are computed: FIPS 180 vectors, and UTF-8 for text beyond ASCII.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestApiToken } from '../../src/auth/api-token-format.ts';
import { hashData } from '../../src/sync/page-commit.ts';

describe('stored digests', () => {
  it('hashData is SHA-1 of the UTF-8 text, in hex', () => {
    expect(hashData('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    const text = JSON.stringify({ merchant_name: 'Café Zürich — 東京', amount: 12.3 });
    expect(hashData(text)).toBe(createHash('sha1').update(text, 'utf8').digest('hex'));
  });

  it('digestApiToken is SHA-256 of the UTF-8 token, in hex', () => {
    expect(digestApiToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(digestApiToken('dz_é')).toBe(createHash('sha256').update('dz_é', 'utf8').digest('hex'));
  });
});
