/**
 * @module The product's cursor pagination: `limit` + opaque `cursor` → `{items, next_cursor, has_more}`.
 * A cursor is the last row's sort key and id, base64url-encoded; a cursor that does not decode is a 400.
 */
import { ApiError } from './errors.ts';

export interface Cursor {
  readonly key: string | number;
  readonly id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string | null | undefined): Cursor | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && (typeof parsed[0] === 'string' || typeof parsed[0] === 'number') && typeof parsed[1] === 'string') {
      return { key: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
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
