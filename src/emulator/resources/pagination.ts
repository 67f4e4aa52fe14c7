/**
 * @module Keyset pagination (docs/ramp-behaviour.md#pagination).
 *
 * `page_size` 2–100 (default 20; out of range → 422 DEVELOPER_7001), `start` = id of the last entity
 * of the previous page. The answer is `{data, page: {next}}` where `next` is a full URL — built from
 * the request's own `Host`, path (with its environment prefix) and query, with `start` replaced —
 * or `null` on the last page.
 */
import type { FastifyRequest } from 'fastify';
import type { ListableTable } from '../data/table.ts';
import { RampApiError } from '../errors.ts';
import type { CompiledFilter } from './definitions.ts';
import type { QueryReader } from './query.ts';

export const PAGE_SIZE_BOUNDS = { min: 2, max: 100, fallback: 20, message: 'Value must be between 2 and 100' } as const;

export interface PageRequest {
  pageSize: number;
  /** Position of the `start` entity, or -1 for the first page. */
  afterPosition: number;
}

export function readPageRequest(query: QueryReader, table: ListableTable): PageRequest {
  const pageSize = query.integer('page_size', PAGE_SIZE_BOUNDS);
  const start = query.uuid('start');
  let afterPosition = -1;
  if (start !== undefined) {
    const position = table.positionOf(start);
    if (position === undefined) query.errors.start = [...(query.errors.start ?? []), 'No entity with this id.'];
    else afterPosition = position;
  }
  return { pageSize, afterPosition };
}

export interface Page {
  positions: number[];
  hasMore: boolean;
}

export function collectPage(table: ListableTable, filter: CompiledFilter, page: PageRequest): Page {
  const [first, end] = filter.range ?? [0, table.length];
  const { predicates } = filter;
  const matches = (position: number): boolean => predicates.every((predicate) => predicate(position));
  const positions: number[] = [];
  let position = Math.max(first, page.afterPosition + 1);
  for (; position < end && positions.length < page.pageSize; position++) if (matches(position)) positions.push(position);
  let hasMore = false;
  for (; position < end; position++) {
    if (matches(position)) {
      hasMore = true;
      break;
    }
  }
  return { positions, hasMore };
}

export function nextPageUrl(request: FastifyRequest, pageSize: number, lastId: string): string {
  const url = new URL(request.url, 'http://emulator.invalid');
  const params = url.searchParams;
  params.set('page_size', String(pageSize));
  params.set('start', lastId);
  const host = request.headers.host ?? request.host;
  return `http://${host}${url.pathname}?${params.toString()}`;
}

export function throwIfInvalid(query: QueryReader): void {
  if (!query.valid) throw RampApiError.validation(query.errors);
}
