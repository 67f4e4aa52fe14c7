/**
 * @module The product's cursor pagination: `limit` + opaque `cursor` → `{items, next_cursor, has_more}`.
 * A cursor is the last row's sort key and id, JSON `[key, id]` base64url-encoded. Only a cursor this
 * API could have returned for the route decodes: exactly its encoding (re-encoding gives it back, so
 * no padding, whitespace or other spelling), two elements, and the route's kinds of key and id (a
 * finite whole number of ms or a canonical ISO time; a UUID or a non-empty Ramp id). Anything else
 * is the 400 "cursor is not a cursor this API returned", never a page read from somewhere else.
 */
import { ApiError } from './errors.ts';
import { CANONICAL_UUID } from './uuid.ts';

export interface Cursor {
  readonly key: string | number;
  readonly id: string;
}

/** What a route's cursors hold: its sort key's kind and its id's. */
export interface CursorShape {
  /** `epoch_ms`: a stored time, a safe integer; `iso_time`: a UTC time as `Date#toISOString` writes it. */
  readonly key: 'epoch_ms' | 'iso_time';
  /** `uuid`: one of our ids; `ramp_id`: a synced record's id, Ramp's, any non-empty text. */
  readonly id: 'uuid' | 'ramp_id';
}

/** Our own rows, newest first by creation time in ms (webhook endpoints, deliveries, events). */
export const CREATED_AT_CURSOR: CursorShape = Object.freeze({ key: 'epoch_ms', id: 'uuid' });
/** Synced Ramp records, newest first by their own time in ms (the read API, the ready feed). */
export const RECORD_CURSOR: CursorShape = Object.freeze({ key: 'epoch_ms', id: 'ramp_id' });
/** Businesses, by their ISO creation time. */
export const BUSINESS_CURSOR: CursorShape = Object.freeze({ key: 'iso_time', id: 'uuid' });

function keyFits(key: unknown, kind: CursorShape['key']): key is string | number {
  if (kind === 'epoch_ms') return Number.isSafeInteger(key);
  if (typeof key !== 'string') return false;
  const time = new Date(key);
  return !Number.isNaN(time.getTime()) && time.toISOString() === key;
}

function idFits(id: unknown, kind: CursorShape['id']): id is string {
  return typeof id === 'string' && (kind === 'uuid' ? CANONICAL_UUID.test(id) : id.length > 0);
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id]), 'utf8').toString('base64url');
}

/** The route's cursor (`shape`: what its `next_cursor`s hold), undefined when none was sent; any other text is a 400. */
export function decodeCursor(raw: string | null | undefined, shape: CursorShape): Cursor | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 2 && keyFits(parsed[0], shape.key) && idFits(parsed[1], shape.id)) {
    const cursor: Cursor = { key: parsed[0], id: parsed[1] };
    if (encodeCursor(cursor) === raw) return cursor;
  }
  throw new ApiError('invalid_request', 'cursor is not a cursor this API returned');
}

/** Given `limit + 1` rows, returns the page and the cursor of its last row when more exist. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => Cursor): CursorPage<T> {
  return pageFrom(rows.slice(0, limit), rows.length > limit, keyOf);
}

export interface CursorPage<T> {
  readonly items: T[];
  readonly next_cursor: string | null;
  readonly has_more: boolean;
}

/** A page its caller already cut (where it ended and whether more exist): the cursor is its last row's. */
export function pageFrom<T>(items: T[], hasMore: boolean, keyOf: (row: T) => Cursor): CursorPage<T> {
  const last = items[items.length - 1];
  return { items, next_cursor: hasMore && last !== undefined ? encodeCursor(keyOf(last)) : null, has_more: hasMore };
}
