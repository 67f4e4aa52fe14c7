/**
 * A statement's lines are streamed to storage in parts (src/ramp/kept-array-scanner.ts): the parts
 * joined must be exactly the JSON Ramp sent, however the body arrives in chunks and wherever the
 * parts are cut, and a malformed page must be refused exactly when JSON.parse refuses it. Properties
 * over random pages (fast-check), fed in random chunks with parts of a few bytes.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeptArrayScanner, MAX_OUTLINE_BYTES, OutlineTooLargeError, PartSinkError, StoredParts, type PartSink } from '../../src/ramp/kept-array-scanner.ts';

const KEYS = new Set(['statement_lines']);
const json = fc.jsonValue({ maxDepth: 3 });
const record = fc.record(
  { id: fc.string({ minLength: 1 }), statement_lines: fc.array(json, { maxLength: 6 }), other: json },
  { requiredKeys: ['id'] },
);
const page = fc.record({ data: fc.array(record, { maxLength: 4 }), page: fc.record({ next: fc.option(fc.webUrl()) }) });
/** Pages as Ramp might format them: compact or indented. */
const pageText = fc.tuple(page, fc.constantFrom(undefined, 2, '\t')).map(([value, indent]) => JSON.stringify(value, null, indent));

interface Part {
  generation: string;
  field: string;
  partNo: number;
  text: string;
}

class MemorySink implements PartSink {
  readonly parts: Part[] = [];
  async write(part: Part): Promise<void> {
    this.parts.push(part);
  }
  /** The text of one kept array, its parts joined in order. */
  textOf(stored: StoredParts, field: string): string {
    const mine = this.parts.filter((part) => part.generation === stored.generation && part.field === field);
    expect(mine.map((part) => part.partNo)).toEqual([...mine.keys()]);
    return mine.map((part) => part.text).join('');
  }
}

/** Feeds `text` to a scanner in chunks cut at `cuts` (byte offsets), parts of `partBytes`. */
async function scan(text: string, sink: PartSink, partBytes: number, cuts: readonly number[] = []): Promise<unknown> {
  const bytes = Buffer.from(text);
  const scanner = new KeptArrayScanner(KEYS, sink, partBytes);
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    await scanner.push(bytes.subarray(from, cut));
    from = cut;
  }
  await scanner.push(bytes.subarray(from));
  return scanner.end();
}

async function refuses(run: () => unknown): Promise<boolean> {
  try {
    await run();
    return false;
  } catch (error) {
    expect(error).toBeInstanceOf(SyntaxError);
    return true;
  }
}

const chunking = fc.record({ partBytes: fc.integer({ min: 1, max: 40 }), cuts: fc.array(fc.nat(), { maxLength: 8 }) });

describe('kept array scanner', () => {
  it('the parts of a kept array, joined, are the JSON Ramp sent; the rest of the page is parsed as JSON.parse parses it', async () => {
    await fc.assert(
      fc.asyncProperty(pageText, chunking, async (text, { partBytes, cuts }) => {
        const sink = new MemorySink();
        const scanned = (await scan(text, sink, partBytes, cuts)) as { data: Record<string, unknown>[]; page: unknown };
        const plain = JSON.parse(text) as { data: Record<string, unknown>[]; page: unknown };
        expect(scanned.data).toHaveLength(plain.data.length);
        const generations = new Set<string>();
        plain.data.forEach((original, i) => {
          const mine = { ...scanned.data[i]! };
          const stored = mine.statement_lines;
          if (!('statement_lines' in original)) return expect(mine).toEqual(original);
          expect(stored).toBeInstanceOf(StoredParts);
          if (!(stored instanceof StoredParts)) return;
          const joined = sink.textOf(stored, 'statement_lines');
          expect(text).toContain(joined);
          expect(stored.hash).toBe(createHash('sha1').update(joined).digest('hex'));
          expect(stored.bytes).toBe(Buffer.byteLength(joined));
          generations.add(stored.generation);
          mine.statement_lines = JSON.parse(joined);
          expect(mine).toEqual(original);
        });
        expect(generations.size).toBe(plain.data.filter((original) => 'statement_lines' in original).length);
        expect(scanned.page).toEqual(plain.page);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a page exactly when JSON.parse does (one character dropped, doubled or inserted)', async () => {
    const edits = fc.tuple(pageText, fc.nat(), fc.constantFrom('drop', 'double', ',', ']', '}', '[', '{', '"', '\\', ' ', '\n', '\u0001', '0', '-', 'e'), chunking);
    await fc.assert(
      fc.asyncProperty(edits, async ([text, at, edit, { partBytes, cuts }]) => {
        const i = at % Math.max(1, text.length);
        const broken = edit === 'drop' ? text.slice(0, i) + text.slice(i + 1) : edit === 'double' ? text.slice(0, i + 1) + text.slice(i) : text.slice(0, i) + edit + text.slice(i);
        expect(await refuses(() => scan(broken, new MemorySink(), partBytes, cuts))).toBe(await refuses(() => JSON.parse(broken)));
      }),
      { numRuns: 2000 },
    );
  });

  it('cuts a long array into parts of about partBytes, each cut after a comma between elements', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => ({ id: `line-${i}`, type: 'CARD_TRANSACTION', note: 'é,]"}' }));
    const text = JSON.stringify({ data: [{ id: 's', statement_lines: lines }], page: { next: null } });
    const sink = new MemorySink();
    const scanned = (await scan(text, sink, 1024, [7, 4096, 5000])) as { data: { statement_lines: StoredParts }[] };
    const stored = scanned.data[0]!.statement_lines;
    expect(stored.parts).toBe(sink.parts.length);
    expect(sink.parts.length).toBeGreaterThan(40);
    for (const part of sink.parts.slice(0, -1)) {
      expect(part.text.endsWith(',')).toBe(true);
      expect(Buffer.byteLength(part.text)).toBeGreaterThanOrEqual(1024);
      expect(Buffer.byteLength(part.text)).toBeLessThan(1024 + 100);
    }
    expect(JSON.parse(sink.textOf(stored, 'statement_lines'))).toEqual(lines);
  });

  // Inside a kept array only the parts' JSON.parse and the scanner check the text: every class of
  // malformed JSON must be refused there, at part edges too, and every valid form kept byte for byte.
  const inLines = (lines: string) => `{"data":[{"id":"s","statement_lines":${lines}}],"page":{"next":null}}`;
  it.each([
    ['bad \\u escape', '["\\u12G4"]'], ['short \\u escape', '["\\u12"]'], ['unknown escape', '["\\x"]'], ['raw control character', '["a\u0001b"]'],
    ['unterminated string', '["abc'], ['trailing comma', '[1,]'], ['trailing comma after a long element', '["abcdefghij",]'], ['missing comma', '[1 2]'],
    ['leading zero', '[01]'], ['bare minus', '[-]'], ['fraction without digits', '[1.]'], ['exponent without digits', '[1e]'], ['member without colon', '[{"a" 1}]'],
    ['member without value', '[{"a":}]'], ['unquoted key', '[{a:1}]'], ['misspelled literal', '[tru]'], ['unclosed object', '[{"a":1]'], ['unclosed array', '[[1]'],
    ['nothing', '[,1]'], ['nothing after a long element', '["abcdefghij",,1]'],
  ])('refuses a kept array with %s, as JSON.parse does', async (_, lines) => {
    expect(() => JSON.parse(inLines(lines))).toThrow(SyntaxError);
    for (const partBytes of [1, 4, 1024]) expect(await refuses(() => scan(inLines(lines), new MemorySink(), partBytes))).toBe(true);
  });

  it('keeps every valid form in a kept array as it was sent', async () => {
    const lines = '[ "\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t" , -0 , 1.5e-3, 2E+2, 10, true ,false, null, {}, [ ], {"a" : [{"b":{}}]}, "]," , "🔑" ]';
    for (const partBytes of [1, 3, 1024]) {
      const sink = new MemorySink();
      const scanned = (await scan(inLines(lines), sink, partBytes)) as { data: { statement_lines: StoredParts }[] };
      expect(sink.textOf(scanned.data[0]!.statement_lines, 'statement_lines')).toBe(lines);
    }
  });

  it('any JSON whitespace may stand between a kept key, its colon and its array', async () => {
    const sink = new MemorySink();
    const scanned = (await scan('{"data":[{"id":"s","statement_lines"\r\n:\t\n [1]}]}', sink, 4)) as { data: { statement_lines: StoredParts }[] };
    expect(scanned.data[0]!.statement_lines).toBeInstanceOf(StoredParts);
  });

  it('a multi-byte character split between two chunks is kept whole', async () => {
    const lines = '["🔑é","x"]';
    const text = inLines(lines);
    const at = Buffer.from(text).indexOf(Buffer.from('🔑')) + 2;
    const sink = new MemorySink();
    const scanned = (await scan(text, sink, 1, [at])) as { data: { statement_lines: StoredParts }[] };
    expect(sink.textOf(scanned.data[0]!.statement_lines, 'statement_lines')).toBe(lines);
  });

  it('keeps only arrays directly in a record of data; a nested or non-array statement_lines is parsed', async () => {
    const objects = [{ id: 'c', statement_lines: {} }, { id: 'd', statement_lines: { a: 1, b: [2] } }];
    const text = JSON.stringify({ data: [{ id: 'a', statement_lines: null, nested: { statement_lines: [1] } }, { id: 'b', statement_lines: [{ id: 'l' }] }, ...objects], statement_lines: [2] });
    const sink = new MemorySink();
    const scanned = (await scan(text, sink, 4)) as { data: Record<string, unknown>[]; statement_lines: unknown };
    expect(scanned.data[0]).toEqual({ id: 'a', statement_lines: null, nested: { statement_lines: [1] } });
    expect(scanned.data.slice(2)).toEqual(objects);
    expect(sink.textOf(scanned.data[1]!.statement_lines as StoredParts, 'statement_lines')).toBe('[{"id":"l"}]');
    expect(scanned.statement_lines).toEqual([2]);
  });

  it('records that are not objects are left as they are; the objects after them still have their lines stored', async () => {
    const sink = new MemorySink();
    const scanned = (await scan('{"data":[1,"x",[3],{"id":"a","statement_lines":[2]}]}', sink, 4)) as { data: unknown[] };
    expect(scanned.data.slice(0, 3)).toEqual([1, 'x', [3]]);
    expect(sink.textOf((scanned.data[3] as { statement_lines: StoredParts }).statement_lines, 'statement_lines')).toBe('[2]');
  });

  it('a page whose data is not an array is parsed as JSON.parse parses it', async () => {
    for (const text of ['{"data":"[x"}', '{"data":{"statement_lines":[1]},"n":1}', '[1,2]', '{"page":{},"data":[]}']) {
      expect(await scan(text, new MemorySink(), 4)).toEqual(JSON.parse(text));
    }
  });

  it('a kept key twice in one record is refused (its parts would share one name); once per record is kept in each', async () => {
    expect(await refuses(() => scan('{"data":[{"id":"a","statement_lines":[1],"statement_lines":[2]}]}', new MemorySink(), 4))).toBe(true);
    const sink = new MemorySink();
    await scan('{"data":[{"id":"a","statement_lines":[1]},{"id":"b","statement_lines":[2]}]}', sink, 4);
    expect(new Set(sink.parts.map((part) => part.generation)).size).toBe(2);
  });

  it('every kept array of one record shares its generation', async () => {
    const sink = new MemorySink();
    const scanner = new KeptArrayScanner(new Set(['a', 'b']), sink, 4);
    await scanner.push(Buffer.from('{"data":[{"id":"r","a":[1,2,3],"b":[4,5,6]}]}'));
    const record = (scanner.end() as { data: { a: StoredParts; b: StoredParts }[] }).data[0]!;
    expect(record.a.generation).toBe(record.b.generation);
    expect([sink.textOf(record.a, 'a'), sink.textOf(record.b, 'b')]).toEqual(['[1,2,3]', '[4,5,6]']);
  });

  it('a page with "data" twice is read as JSON.parse reads it (the last), its records counted from its own start', async () => {
    const sink = new MemorySink();
    const scanned = (await scan('{"data":[{"id":"a"},{"id":"c"}],"data":[{"id":"b","statement_lines":[1]}]}', sink, 4)) as { data: { id: string; statement_lines: StoredParts }[] };
    expect(scanned.data.map((record) => record.id)).toEqual(['b']);
    expect(sink.textOf(scanned.data[0]!.statement_lines, 'statement_lines')).toBe('[1]');
  });

  it('refuses a page whose outline (everything but the kept arrays) is larger than MAX_OUTLINE_BYTES', async () => {
    const scanner = new KeptArrayScanner(KEYS, new MemorySink());
    const padding = Buffer.alloc(1024 * 1024, 'x');
    await scanner.push(Buffer.from('{"data":[{"id":"a","pad":"'));
    await expect((async () => {
      for (let mb = 0; mb <= MAX_OUTLINE_BYTES / padding.length; mb++) await scanner.push(padding);
    })()).rejects.toBeInstanceOf(OutlineTooLargeError);
  });

  it('a sink that fails stops the read with PartSinkError (the caller\'s failure, not Ramp\'s), its cause kept', async () => {
    const diskFull = new Error('disk full');
    const failing: PartSink = { write: async () => Promise.reject(diskFull) };
    const error = await scan(inLines('[1,2,3]'), failing, 1).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PartSinkError);
    expect(error).toMatchObject({ name: 'PartSinkError', message: 'storing a part of a Ramp page failed', cause: diskFull });
  });

  // The scanner's own refusals (JSON.parse would accept these pages, or not see the problem in a part)
  // say what is wrong; the client turns any SyntaxError into `ramp_error` (endpoints/list-page.ts).
  it.each([
    ['a kept key twice in one record', '{"data":[{"id":"a","statement_lines":[1],"statement_lines":[2]}]}', '"statement_lines" appears twice in one record'],
    // The cut records were counted in the first `data`; JSON.parse keeps the last one.
    ['"data" twice after a kept array was cut', '{"data":[{"id":"a","statement_lines":[1]}],"data":[{"id":"b"}]}', '"data" appears twice'],
    // Cut into parts of one element: the part after the comma holds only whitespace (a part that is
    // the whole array is JSON.parse's to refuse).
    ['an element of only whitespace', inLines('[1, ,2]'), 'an array has an empty element', [1]],
    ['whitespace after a trailing comma', inLines('[1, ]'), 'an array has an empty element', [1]],
  ])('refuses %s, saying so', async (_, text, why, partSizes = [1, 1024]) => {
    for (const partBytes of partSizes) {
      await expect(scan(text, new MemorySink(), partBytes)).rejects.toThrow(new SyntaxError(`Ramp page is not valid JSON: ${why}`));
    }
  });

  it('a kept key is found wherever it stands in its record, first key included', async () => {
    const sink = new MemorySink();
    const scanned = (await scan('{"data":[{"statement_lines":[1,2],"id":"a"},{ "statement_lines" :[3]}]}', sink, 4)) as { data: { statement_lines: StoredParts }[] };
    expect(scanned.data.map((record) => sink.textOf(record.statement_lines, 'statement_lines'))).toEqual(['[1,2]', '[3]']);
  });

  it('keys are compared whole up to MAX_KEY_BYTES (64): a longer key is never kept, nor mistaken for its first 64 bytes', async () => {
    const key64 = 'k'.repeat(64);
    const key65 = 'k'.repeat(65);
    const sink = new MemorySink();
    const scanner = new KeptArrayScanner(new Set([key64, key65]), sink, 4);
    await scanner.push(Buffer.from(JSON.stringify({ data: [{ [`${key64}x`]: [3], [key65]: [2], [key64]: [1] }] })));
    const record = (scanner.end() as { data: Record<string, unknown>[] }).data[0]!;
    expect(record[`${key64}x`]).toEqual([3]);
    expect(record[key65]).toEqual([2]);
    expect(sink.textOf(record[key64] as StoredParts, key64)).toBe('[1]');
  });

  it('an outline of exactly MAX_OUTLINE_BYTES is read; one byte more is refused, as OutlineTooLargeError', async () => {
    const frame = (padding: number) => Buffer.concat([Buffer.from('{"data":[{"id":"a","statement_lines":[1],"pad":"'), Buffer.alloc(padding, 'x'), Buffer.from('"}]}')]);
    // The outline is the page with `null` in place of the kept array `[1]`: one byte longer.
    const exact = frame(MAX_OUTLINE_BYTES - frame(0).length - 1);
    const fits = new KeptArrayScanner(KEYS, new MemorySink());
    await fits.push(exact);
    expect((fits.end() as { data: { pad: string }[] }).data[0]!.pad).toHaveLength(MAX_OUTLINE_BYTES - frame(0).length - 1);
    const error = await new KeptArrayScanner(KEYS, new MemorySink()).push(frame(MAX_OUTLINE_BYTES - frame(0).length)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutlineTooLargeError);
    expect(error).toMatchObject({ name: 'OutlineTooLargeError', message: 'Ramp page is too large' });
  });
});
