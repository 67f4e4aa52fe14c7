/**
 * @module Reads a Ramp list page as it streams in, handing chosen array fields of each record to a
 * sink in bounded parts instead of keeping them, and parses the rest.
 *
 * Why: a `Statement` carries every line of its period in `statement_lines` (docs/ramp-behaviour.md,
 * statements): ~11 MB of JSON for one statement of a business with 1,000,000 transactions, and it
 * grows with the business. Held whole, a page of it cost the sync ~80 MB of peak memory (body bytes,
 * their text, the stored copy, its UTF-8); streamed in parts, the sync holds one part at a time and
 * its memory stays flat in the size of the data (issue 13).
 *
 * The page is scanned byte by byte (JSON's structural characters are ASCII, so a UTF-8 byte stream
 * can be cut at them): an array under one of `keys` directly in a record of `data` goes to the sink
 * in parts of about `partBytes`, cut after a comma between two of its elements, so the parts joined
 * are exactly Ramp's text of the array. Each part's elements are checked with JSON.parse; everything
 * else (the outline, with `null` where a kept array was) is parsed whole at the end. A malformed page
 * is refused with a SyntaxError.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';

/** Where the parts of kept arrays go; a failure here is the caller's, not Ramp's (`PartSinkError`). */
export interface PartSink {
  write(part: { readonly generation: string; readonly field: string; readonly partNo: number; readonly text: string }): Promise<void>;
}

/** A kept array, in the record where it was: stored in parts under `generation`. */
export class StoredParts {
  constructor(
    /** Shared by every kept array of one record read. */
    readonly generation: string,
    readonly parts: number,
    /** SHA-1 (hex) of the array's text. */
    readonly hash: string,
    readonly bytes: number,
  ) {}
}

/** The sink failed while a page was read: rethrown as is by the client, never retried as Ramp's fault. */
export class PartSinkError extends Error {
  constructor(cause: unknown) {
    super('storing a part of a Ramp page failed', { cause });
    this.name = 'PartSinkError';
  }
}

/** The kept arrays' text is cut into parts of about this many bytes (one element past it at most). */
export const PART_BYTES = 256 * 1024;
/** The largest outline (the page without its kept arrays) this reads: a page of 100 plain records is well under. */
export const MAX_OUTLINE_BYTES = 16 * 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** Keys longer than this are not collected (none of ours is). */
const MAX_KEY_BYTES = 64;

interface Container {
  readonly object: boolean;
  /** The member name it is the value of (null for an array element or the page itself). */
  readonly key: string | null;
}

interface Cut {
  readonly record: number;
  readonly key: string;
  readonly parts: StoredParts;
}

function malformed(why: string): never {
  throw new SyntaxError(`Ramp page is not valid JSON: ${why}`);
}

export class KeptArrayScanner {
  readonly #keys: ReadonlySet<string>;
  readonly #sink: PartSink;
  readonly #partBytes: number;

  readonly #stack: Container[] = [];
  #inString = false;
  #escaped = false;
  #collectingKey = false;
  #keyBytes: number[] = [];
  #expectKey = false;
  #valueExpected = false;
  #lastKey: string | null = null;
  /** Index of the current record in `data` (commas seen at its level since it opened). */
  #record = -1;
  #recordGeneration: string | null = null;
  #recordKeys = new Set<string>();

  #outline: Buffer[] = [];
  #outlineBytes = 0;
  readonly #cuts: Cut[] = [];

  /** The kept array being read, if any; `nesting`: brackets open inside it (0: between its elements). */
  #kept: { key: string; nesting: number; pieces: Buffer[]; pieceBytes: number; partNo: number; bytes: number; hash: Hash } | null = null;

  constructor(keys: ReadonlySet<string>, sink: PartSink, partBytes: number = PART_BYTES) {
    this.#keys = keys;
    this.#sink = sink;
    this.#partBytes = partBytes;
  }

  /** Scans the next bytes of the page; resolves once every part they completed is stored. */
  async push(chunk: Buffer): Promise<void> {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === BACKSLASH) this.#escaped = true;
        else if (c === QUOTE) this.#endString();
        else if (this.#collectingKey && this.#keyBytes.length <= MAX_KEY_BYTES) this.#keyBytes.push(c);
        continue;
      }
      if (WS.has(c)) continue;
      const kept = this.#kept;
      if (kept) {
        if (c === QUOTE) this.#inString = true;
        else if (c === OPEN_OBJECT || c === OPEN_ARRAY) kept.nesting++;
        else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
          if (kept.nesting-- === 0) {
            this.#keptPiece(chunk.subarray(from, i + 1));
            from = i + 1;
            await this.#flushPart(true);
            this.#endKept();
          }
        } else if (c === COMMA && kept.nesting === 0 && kept.pieceBytes + (i + 1 - from) >= this.#partBytes) {
          this.#keptPiece(chunk.subarray(from, i + 1));
          from = i + 1;
          await this.#flushPart(false);
        }
        continue;
      }
      switch (c) {
        case QUOTE:
          this.#inString = true;
          this.#collectingKey = this.#expectKey;
          this.#keyBytes = [];
          this.#expectKey = false;
          this.#valueExpected = false;
          break;
        case COLON:
          this.#valueExpected = true;
          break;
        case COMMA:
          this.#valueExpected = false;
          if (this.#top()?.object) this.#expectKey = true;
          else if (this.#atDataLevel()) this.#nextRecord();
          break;
        case OPEN_OBJECT:
        case OPEN_ARRAY: {
          if (c === OPEN_ARRAY && this.#isKeptPosition()) {
            this.#outlinePiece(chunk.subarray(from, i));
            this.#outlinePiece(Buffer.from('null'));
            from = i;
            this.#startKept(this.#lastKey!);
            break;
          }
          const key = this.#valueExpected && this.#top()?.object ? this.#lastKey : null;
          this.#stack.push({ object: c === OPEN_OBJECT, key });
          this.#expectKey = c === OPEN_OBJECT;
          this.#valueExpected = false;
          if (this.#atDataLevel()) {
            // The page's `data` opened: its first record is number 0.
            if (this.#cuts.length > 0) malformed('"data" appears twice');
            this.#record = -1;
            this.#nextRecord();
          }
          break;
        }
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          this.#stack.pop();
          this.#expectKey = false;
          this.#valueExpected = false;
          break;
        default:
          this.#valueExpected = false;
      }
    }
    if (this.#kept) this.#keptPiece(chunk.subarray(from));
    else this.#outlinePiece(chunk.subarray(from));
  }

  /**
   * The page parsed, each kept array replaced by its `StoredParts`. Throws SyntaxError when malformed.
   * (Brackets are counted, not matched: a mismatched or missing one is malformed JSON in a part or in
   * the outline, and JSON.parse refuses it there.)
   */
  end(): unknown {
    const text = Buffer.concat(this.#outline, this.#outlineBytes).toString('utf8');
    const page = JSON.parse(text) as { data?: unknown };
    const data = page.data as Record<string, unknown>[];
    for (const cut of this.#cuts) data[cut.record]![cut.key] = cut.parts;
    return page;
  }

  #top(): Container | undefined {
    return this.#stack[this.#stack.length - 1];
  }

  /** Directly inside the page's `data` array (where its records open). */
  #atDataLevel(): boolean {
    const [page, data] = this.#stack;
    return this.#stack.length === 2 && page!.object && !data!.object && data!.key === 'data';
  }

  #nextRecord(): void {
    this.#record++;
    this.#recordGeneration = null;
    this.#recordKeys = new Set();
  }

  #endString(): void {
    this.#inString = false;
    if (!this.#collectingKey) return;
    this.#collectingKey = false;
    this.#lastKey = this.#keyBytes.length > MAX_KEY_BYTES ? null : Buffer.from(this.#keyBytes).toString('utf8');
  }

  /** An array opening as the value of a kept key of a record in `data`. */
  #isKeptPosition(): boolean {
    const [page, data, record] = this.#stack;
    return (
      this.#stack.length === 3 && this.#valueExpected && page!.object && !data!.object && data!.key === 'data' && record!.object &&
      this.#lastKey !== null && this.#keys.has(this.#lastKey)
    );
  }

  #startKept(key: string): void {
    // JSON.parse would keep the last of a repeated key; its parts would share one name here.
    if (this.#recordKeys.has(key)) malformed(`"${key}" appears twice in one record`);
    this.#recordKeys.add(key);
    this.#recordGeneration ??= randomUUID();
    this.#kept = { key, nesting: 0, pieces: [], pieceBytes: 0, partNo: 0, bytes: 0, hash: createHash('sha1') };
    this.#valueExpected = false;
  }

  #keptPiece(piece: Buffer): void {
    if (piece.length === 0) return;
    const kept = this.#kept!;
    kept.pieces.push(piece);
    kept.pieceBytes += piece.length;
    kept.hash.update(piece);
  }

  async #flushPart(last: boolean): Promise<void> {
    const kept = this.#kept!;
    const text = Buffer.concat(kept.pieces, kept.pieceBytes).toString('utf8');
    checkPart(text, kept.partNo === 0, last);
    const part = { generation: this.#recordGeneration!, field: kept.key, partNo: kept.partNo, text };
    kept.bytes += kept.pieceBytes;
    kept.pieces = [];
    kept.pieceBytes = 0;
    kept.partNo++;
    try {
      await this.#sink.write(part);
    } catch (error) {
      throw new PartSinkError(error);
    }
  }

  #endKept(): void {
    const kept = this.#kept!;
    this.#cuts.push({ record: this.#record, key: kept.key, parts: new StoredParts(this.#recordGeneration!, kept.partNo, kept.hash.digest('hex'), kept.bytes) });
    this.#kept = null;
  }

  #outlinePiece(piece: Buffer): void {
    if (piece.length === 0) return;
    this.#outlineBytes += piece.length;
    if (this.#outlineBytes > MAX_OUTLINE_BYTES) throw new OutlineTooLargeError();
    this.#outline.push(piece);
  }
}

/** The page without its kept arrays is larger than `MAX_OUTLINE_BYTES`. */
export class OutlineTooLargeError extends Error {
  constructor() {
    super('Ramp page is too large');
    this.name = 'OutlineTooLargeError';
  }
}

/**
 * Checks one part's elements as JSON. A part runs from the array's `[` (first) or just after a
 * comma, to just after a comma or the array's `]` (last); a part next to a cut holds at least one element.
 */
function checkPart(text: string, first: boolean, last: boolean): void {
  // A part starts at the array's `[` or just after a comma, and ends at its `]` or a comma: whitespace
  // is only inside, where JSON.parse takes it as it is.
  let core = first ? text.slice(1) : text;
  // The array's `]`, or the comma the part was cut after.
  core = core.slice(0, -1);
  if (!(first && last) && core.trim() === '') malformed('an array has an empty element');
  JSON.parse(`[${core}]`);
}
