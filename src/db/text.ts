/**
 * @module Strings both databases store alike. PostgreSQL's `text` cannot hold U+0000 (SQLSTATE 22021:
 * a 500 wherever such a string reached a query), while SQLite would keep it: input carrying one is
 * refused before any query, on both dialects, by every path that takes outside strings.
 */

/** Whether `value` holds U+0000, which PostgreSQL's text cannot store. */
export function hasNul(value: string): boolean {
  return value.includes('\u0000');
}
