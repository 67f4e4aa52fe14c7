/**
 * @module Seeded pseudo-random numbers for deterministic demo data.
 *
 * `sfc32` (Chris Doty-Humphrey's Small Fast Counter) is tiny, fast and good enough for test data;
 * it is NOT used for anything secret (tokens use `crypto.randomBytes`, see `ids.ts`). The state is
 * derived from SHA-256 of a label so that the same (business, seed, stream) always yields the same
 * sequence — "same seed → same ids and amounts".
 */
import { createHash } from 'node:crypto';

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(label: string) {
    const digest = createHash('sha256').update(label, 'utf8').digest();
    this.#a = digest.readUInt32LE(0);
    this.#b = digest.readUInt32LE(4);
    this.#c = digest.readUInt32LE(8);
    this.#d = digest.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.nextUint32(); // warm up
  }

  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A version-4-shaped UUID drawn from this sequence. */
  uuid(): string {
    const w0 = this.nextUint32();
    const w1 = this.nextUint32();
    const w2 = this.nextUint32();
    const w3 = this.nextUint32();
    const b = (word: number, shift: number): string => HEX_BYTE[(word >>> shift) & 0xff]!;
    return (
      b(w0, 24) + b(w0, 16) + b(w0, 8) + b(w0, 0) + '-' +
      b(w1, 24) + b(w1, 16) + '-' +
      HEX_BYTE[0x40 | ((w1 >>> 8) & 0x0f)]! + b(w1, 0) + '-' +
      HEX_BYTE[0x80 | ((w2 >>> 24) & 0x3f)]! + b(w2, 16) + '-' +
      b(w2, 8) + b(w2, 0) + b(w3, 24) + b(w3, 16) + b(w3, 8) + b(w3, 0)
    );
  }
}

/** A version-4-shaped UUID derived from a label: ids that need no storage (receipts, statements). */
export function derivedUuid(label: string): string {
  const hex = createHash('sha256').update(label, 'utf8').digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
