/**
 * @module Parses a Ramp list page while keeping chosen array fields of each record as JSON text, and
 * writes such a record back to JSON text with those fields spliced in unchanged.
 *
 * Why: a `Statement` carries every line of its period in `statement_lines` (docs/ramp-behaviour.md,
 * statements): ~11 MB of JSON for one statement of a business with 1,000,000 transactions. Parsed, it
 * is ~10× that in objects that the sync only turns back into text; kept as text, a statement costs
 * its bytes twice (the page and the stored record), so the sync's memory stays flat in the data
 * (issue 13). The kept text is checked as JSON while it is located, so what is stored is still valid.
 */

import { randomUUID } from 'node:crypto';

/** An array field kept as Ramp's JSON text (validated, not parsed). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** Malformed JSON where a value was expected at `at` (the page is then Ramp's fault, as with JSON.parse). */
function malformed(at: number): never {
  throw new SyntaxError(`Unexpected token in JSON at position ${at}`);
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

function skipWs(text: string, i: number): number {
  while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  return i;
}

/** Index after the string starting at `i` (a `"`), escapes checked. */
function skipString(text: string, i: number): number {
  if (text.charCodeAt(i) !== 0x22) malformed(i);
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) malformed(j);
    if (c === 0x5c) {
      const e = text.charCodeAt(++j);
      if (e === 0x75) {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 1, j + 5))) malformed(j);
        j += 4;
      } else if (!'"\\/bfnrt'.includes(text[j] ?? '')) malformed(j);
    }
  }
  return malformed(text.length);
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Index after the JSON value starting at `i` (after whitespace), validating it without building it. */
function skipValue(text: string, i: number, depth = 0): number {
  if (depth > 512) malformed(i);
  i = skipWs(text, i);
  const c = text.charCodeAt(i);
  if (c === 0x22) return skipString(text, i);
  if (c === 0x7b || c === 0x5b) {
    const object = c === 0x7b;
    const close = object ? 0x7d : 0x5d;
    i = skipWs(text, i + 1);
    if (text.charCodeAt(i) === close) return i + 1;
    for (;;) {
      if (object) {
        i = skipWs(text, skipString(text, skipWs(text, i)));
        if (text.charCodeAt(i) !== 0x3a) malformed(i);
        i++;
      }
      i = skipWs(text, skipValue(text, i, depth + 1));
      const next = text.charCodeAt(i);
      if (next === close) return i + 1;
      if (next !== 0x2c) malformed(i);
      i++;
    }
  }
  for (const literal of ['true', 'false', 'null']) if (text.startsWith(literal, i)) return i + literal.length;
  NUMBER.lastIndex = i;
  if (NUMBER.test(text)) return NUMBER.lastIndex;
  return malformed(i);
}

interface Cut {
  readonly start: number;
  readonly end: number;
  readonly record: number;
  readonly key: string;
}

/**
 * `JSON.parse(text)` of a page `{data: [...], ...}`, except that an array under one of `keys` directly
 * in a record of `data` becomes a `RawJson` of its text. Throws SyntaxError on malformed JSON.
 */
export function parsePageKeepingRaw(text: string, keys: ReadonlySet<string>): unknown {
  const cuts: Cut[] = [];
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return JSON.parse(text);
  /** Walks an object's members from after its `{`, calling `onValue` at each value's start. */
  const members = (from: number, onValue: (key: string, at: number) => number): number => {
    let j = skipWs(text, from);
    if (text.charCodeAt(j) === 0x7d) return j + 1;
    for (;;) {
      const keyStart = skipWs(text, j);
      const keyEnd = skipString(text, keyStart);
      const key = JSON.parse(text.slice(keyStart, keyEnd)) as string;
      j = skipWs(text, keyEnd);
      if (text.charCodeAt(j) !== 0x3a) malformed(j);
      j = skipWs(text, onValue(key, skipWs(text, j + 1)));
      const next = text.charCodeAt(j);
      if (next === 0x7d) return j + 1;
      if (next !== 0x2c) malformed(j);
      j++;
    }
  };
  const record = (index: number, at: number): number =>
    members(at + 1, (key, valueAt) => {
      const end = skipValue(text, valueAt);
      if (keys.has(key) && text.charCodeAt(valueAt) === 0x5b) cuts.push({ start: valueAt, end, record: index, key });
      return end;
    });
  const data = (at: number): number => {
    let j = skipWs(text, at + 1);
    if (text.charCodeAt(j) === 0x5d) return j + 1;
    for (let index = 0; ; index++) {
      j = skipWs(text, j);
      j = skipWs(text, text.charCodeAt(j) === 0x7b ? record(index, j) : skipValue(text, j));
      const next = text.charCodeAt(j);
      if (next === 0x5d) return j + 1;
      if (next !== 0x2c) malformed(j);
      j++;
    }
  };
  i = members(i + 1, (key, valueAt) => (key === 'data' && text.charCodeAt(valueAt) === 0x5b ? data(valueAt) : skipValue(text, valueAt)));
  if (skipWs(text, i) !== text.length) malformed(i);
  if (cuts.length === 0) return JSON.parse(text);
  let reduced = '';
  let from = 0;
  for (const cut of cuts) {
    reduced += `${text.slice(from, cut.start)}null`;
    from = cut.end;
  }
  const page = JSON.parse(reduced + text.slice(from)) as { data: Record<string, unknown>[] };
  // A key repeated in one record: JSON.parse keeps the last, and so does this (cuts are in text order).
  for (const cut of cuts) page.data[cut.record]![cut.key] = new RawJson(text.slice(cut.start, cut.end));
  return page;
}

const PLACEHOLDER_NONCE = `\u0000raw-json-${randomUUID()}`;

/** `JSON.stringify(record)` with its top-level `RawJson` fields written as their text. */
export function stringifyKeepingRaw(record: Record<string, unknown>): string {
  const raw: [placeholder: string, text: string][] = [];
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value instanceof RawJson) {
      // A string no Ramp value can hold (this process's random nonce): replaced by the text after stringify.
      const placeholder = `${PLACEHOLDER_NONCE}:${raw.length}`;
      raw.push([JSON.stringify(placeholder), value.text]);
      copy[key] = placeholder;
    } else copy[key] = value;
  }
  if (raw.length === 0) return JSON.stringify(record);
  let text = JSON.stringify(copy);
  for (const [placeholder, json] of raw) {
    const at = text.indexOf(placeholder);
    text = text.slice(0, at) + json + text.slice(at + placeholder.length);
  }
  return text;
}
