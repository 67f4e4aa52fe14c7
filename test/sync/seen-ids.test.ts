/** The compact set of ids a full read returned (src/sync/seen-ids.ts): every added id is found, others are not. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idHash, SeenIds } from '../../src/sync/seen-ids.ts';

describe('seen ids', () => {
  it('finds every id added, before and after more are added, and none of 100,000 others', () => {
    const seen = new SeenIds();
    const added = Array.from({ length: 50_000 }, () => randomUUID());
    for (const id of added.slice(0, 25_000)) seen.add(id);
    expect(added.slice(0, 25_000).every((id) => seen.has(id))).toBe(true);
    expect(seen.has(added[30_000]!)).toBe(false);
    for (const id of added.slice(25_000)) seen.add(id);
    expect(added.every((id) => seen.has(id))).toBe(true);
    expect(Array.from({ length: 100_000 }, () => randomUUID()).filter((id) => seen.has(id))).toEqual([]);
    expect(new SeenIds().has('x')).toBe(false);
  });

  it('hashes are whole numbers a double holds exactly, and differ for ids one character apart', () => {
    for (const id of ['', 'a', 'b', 'ab', 'ba', randomUUID()]) {
      const h = idHash(id);
      expect(Number.isSafeInteger(h)).toBe(true);
    }
    expect(new Set(['ab', 'ba', 'aa', 'bb', 'a', 'b'].map(idHash)).size).toBe(6);
  });
});
