/**
 * A statement's lines are kept as JSON text (src/ramp/raw-json-fields.ts): what is stored must be
 * exactly the JSON Ramp sent, and a malformed page must be refused exactly when JSON.parse refuses it.
 * Properties over random pages (fast-check); each was watched red by breaking the scanner (accepting a
 * trailing comma, cutting an array one character short) or the splice (writing `null`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePageKeepingRaw, RawJson, stringifyKeepingRaw } from '../../src/ramp/raw-json-fields.ts';

const KEYS = new Set(['statement_lines']);
const json = fc.jsonValue({ maxDepth: 3 });
const record = fc.record(
  { id: fc.string({ minLength: 1 }), statement_lines: fc.array(json, { maxLength: 5 }), other: json },
  { requiredKeys: ['id'] },
);
const page = fc.record({ data: fc.array(record, { maxLength: 4 }), page: fc.record({ next: fc.option(fc.webUrl()) }) });
/** Pages as Ramp might format them: compact or indented. */
const pageText = fc.tuple(page, fc.constantFrom(undefined, 2, '\t')).map(([value, indent]) => JSON.stringify(value, null, indent));

function parses(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(SyntaxError);
    return false;
  }
}

describe('raw JSON fields', () => {
  it('a record written back with its kept text is the JSON Ramp sent', () => {
    fc.assert(
      fc.property(pageText, (text) => {
        const kept = parsePageKeepingRaw(text, KEYS) as { data: Record<string, unknown>[] };
        const plain = JSON.parse(text) as { data: Record<string, unknown>[]; page: unknown };
        expect(kept.data).toHaveLength(plain.data.length);
        plain.data.forEach((original, i) => {
          const mine = kept.data[i]!;
          if (Array.isArray(original.statement_lines)) expect(mine.statement_lines).toBeInstanceOf(RawJson);
          expect(JSON.parse(stringifyKeepingRaw(mine))).toEqual(original);
        });
        expect((kept as unknown as { page: unknown }).page).toEqual(plain.page);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a page exactly when JSON.parse does (one character dropped, doubled or inserted)', () => {
    const edits = fc.tuple(pageText, fc.nat(), fc.constantFrom('drop', 'double', ',', ']', '}', '"', '\\', ' ', '\n', '\u0001', '0', '-', 'e'));
    fc.assert(
      fc.property(edits, ([text, at, edit]) => {
        const i = at % Math.max(1, text.length);
        const broken = edit === 'drop' ? text.slice(0, i) + text.slice(i + 1) : edit === 'double' ? text.slice(0, i + 1) + text.slice(i) : text.slice(0, i) + edit + text.slice(i);
        expect(parses(() => parsePageKeepingRaw(broken, KEYS))).toBe(parses(() => JSON.parse(broken)));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps only arrays directly in a record of data; a nested or non-array statement_lines is parsed', () => {
    const text = JSON.stringify({ data: [{ id: 'a', statement_lines: null, nested: { statement_lines: [1] } }, { id: 'b', statement_lines: [{ id: 'l' }] }], statement_lines: [2] });
    const kept = parsePageKeepingRaw(text, KEYS) as { data: Record<string, unknown>[]; statement_lines: unknown };
    expect(kept.data[0]).toEqual({ id: 'a', statement_lines: null, nested: { statement_lines: [1] } });
    expect(kept.data[1]!.statement_lines).toEqual(new RawJson('[{"id":"l"}]'));
    expect(kept.statement_lines).toEqual([2]);
  });

  // Inside a kept array nothing but the scanner checks the text (JSON.parse never sees it): every
  // class of malformed JSON must be refused there, and every valid form kept byte for byte.
  const inLines = (lines: string) => `{"data":[{"id":"s","statement_lines":${lines}}],"page":{"next":null}}`;
  it.each([
    ['bad \\u escape', '["\\u12G4"]'], ['short \\u escape', '["\\u12"]'], ['unknown escape', '["\\x"]'], ['raw control character', '["a\u0001b"]'],
    ['unterminated string', '["abc'], ['trailing comma', '[1,]'], ['missing comma', '[1 2]'], ['leading zero', '[01]'], ['bare minus', '[-]'],
    ['fraction without digits', '[1.]'], ['exponent without digits', '[1e]'], ['member without colon', '[{"a" 1}]'], ['member without colon before a number', '[{"a" 11}]'], ['member without value', '[{"a":}]'],
    ['unquoted key', '[{a:1}]'], ['misspelled literal', '[tru]'], ['unclosed object', '[{"a":1]'], ['unclosed array', '[[1]'], ['nothing', '[,1]'],
  ])('refuses a kept array with %s, as JSON.parse does', (_, lines) => {
    expect(() => JSON.parse(inLines(lines))).toThrow(SyntaxError);
    expect(() => parsePageKeepingRaw(inLines(lines), KEYS)).toThrow(/position \d+/);
  });

  it('keeps every valid form in a kept array as it was sent', () => {
    const lines = '[ "\\u00e9\\n\\"\\\\\\/\\b\\f\\r\\t" , -0 , 1.5e-3, 2E+2, 10, true ,false, null, {}, [ ], {"a" : [{"b":{}}]}, "]" ]';
    const kept = parsePageKeepingRaw(inLines(lines), KEYS) as { data: Record<string, unknown>[] };
    expect(kept.data[0]!.statement_lines).toEqual(new RawJson(lines));
    expect(JSON.parse(stringifyKeepingRaw(kept.data[0]!))).toEqual(JSON.parse(inLines(lines)).data[0]);
  });

  it('refuses nesting deeper than 512 inside a kept array (a stack guard: statement lines are flat)', () => {
    expect(() => parsePageKeepingRaw(inLines(`${'['.repeat(600)}${']'.repeat(600)}`), KEYS)).toThrow(SyntaxError);
    expect(parsePageKeepingRaw(inLines(`${'['.repeat(500)}${']'.repeat(500)}`), KEYS)).toBeTruthy();
  });

  it('records that are not objects are left as they are; the objects after them still keep their lines', () => {
    const kept = parsePageKeepingRaw('{"data":[1,"x",[3],{"id":"a","statement_lines":[2]}]}', KEYS) as { data: unknown[] };
    expect(kept.data).toEqual([1, 'x', [3], { id: 'a', statement_lines: new RawJson('[2]') }]);
  });

  it('a page whose data is not an array is parsed as JSON.parse parses it', () => {
    for (const text of ['{"data":"[x"}', '{"data":{"statement_lines":[1]},"n":1}', '[1,2]', '{"page":{},"data":[]}']) {
      expect(parsePageKeepingRaw(text, KEYS)).toEqual(JSON.parse(text));
    }
  });

  it('a value that looks like the placeholder is written as itself', () => {
    const mine = { id: 'x', note: '\u0000raw-json-0', statement_lines: new RawJson('[1, 2]') };
    expect(JSON.parse(stringifyKeepingRaw(mine))).toEqual({ id: 'x', note: '\u0000raw-json-0', statement_lines: [1, 2] });
  });
});
