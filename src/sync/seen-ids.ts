/**
 * @module The ids a full read returned (record-deletions.ts), kept in 8 bytes each: a 1,000,000-
 * transaction business has ~1.3M receipts and memos, ~100 MB as a `Set` of strings, ~10 MB here, so
 * the sync's memory does not grow with the data.
 *
 * Each id is kept as a 53-bit hash (two FNV-1a variants). Two ids with the same hash only hide a
 * deletion (the missing record is taken as seen), never delete a listed record: with 10^6 ids the
 * chance of any such pair is about 10^-4, and the next complete read corrects it.
 */

const TWO_POW_21 = 0x200000;

/** A 53-bit hash of `id` (exact in a double). */
export function idHash(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0) * TWO_POW_21 + ((b >>> 0) & (TWO_POW_21 - 1));
}

export class SeenIds {
  #hashes = new Float64Array(1024);
  #size = 0;
  #sorted = true;

  add(id: string): void {
    if (this.#size === this.#hashes.length) {
      const grown = new Float64Array(this.#hashes.length * 2);
      grown.set(this.#hashes);
      this.#hashes = grown;
    }
    this.#hashes[this.#size++] = idHash(id);
    this.#sorted = false;
  }

  has(id: string): boolean {
    if (!this.#sorted) {
      this.#hashes = this.#hashes.slice(0, this.#size).sort();
      this.#sorted = true;
    }
    const target = idHash(id);
    let low = 0;
    let high = this.#size - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const value = this.#hashes[mid]!;
      if (value === target) return true;
      if (value < target) low = mid + 1;
      else high = mid - 1;
    }
    return false;
  }
}
