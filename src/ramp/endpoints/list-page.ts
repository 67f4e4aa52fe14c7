/**
 * @module `GET /developer/v1/<resource>` and its next pages (docs/ramp-behaviour.md#pagination):
 * `{data: [...], page: {next: <full URL> | null}}`. `page.next` is followed verbatim, but only when it
 * stays under the connection's API base (api-base.ts); anything else is refused, never fetched.
 */
import { ApiError } from '../../core/errors.ts';
import type { RampAccess } from '../access-token-provider.ts';
import { developerUrl, isUnderApiBase } from '../api-base.ts';
import { errorOutcome, jsonOutcome, notJsonError, redirectOutcome, type CallOutcome } from '../call-outcome.ts';
import type { ListParams, RampListResource, RampPage } from '../resources.ts';
import { BodyTooLargeError, type RampResponse } from '../ramp-response.ts';
import type { RampRequest } from '../transport.ts';
import { KeptArrayScanner, OutlineTooLargeError, type PartSink } from '../kept-array-scanner.ts';
import { rampHeaders } from './request-headers.ts';

/** The first page's URL for a resource and filters. */
export function listUrl(access: RampAccess, resource: RampListResource, params: ListParams): URL {
  const url = developerUrl(access.apiBaseUrl, resource);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url;
}

/** Builds the request for a page URL (the first page's, or a `page.next` already checked). */
export function buildPageRequest(access: RampAccess, pageUrl: string): RampRequest {
  if (!isUnderApiBase(pageUrl, access.apiBaseUrl)) {
    // Reached only with a stored link from another environment; never send the token there.
    throw new ApiError('ramp_error', 'A Ramp page link points outside the connection\'s API base; it was not followed');
  }
  return { method: 'GET', url: new URL(pageUrl), headers: rampHeaders(access) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a page body; every record must be an object with a string `id`. */
export function parsePageBody(body: unknown, access: RampAccess): { ok: true; page: RampPage } | { ok: false; error: ApiError } {
  const malformed = (why: string) => ({ ok: false as const, error: new ApiError('ramp_error', `Ramp returned a malformed page: ${why}`) });
  if (!isRecord(body) || !Array.isArray(body.data)) return malformed('no data array');
  const records = body.data as unknown[];
  for (const record of records) if (!isRecord(record) || typeof record.id !== 'string' || record.id.length === 0) return malformed('a record has no id');
  const page = body.page;
  const next = isRecord(page) && typeof page.next === 'string' && page.next.length > 0 ? page.next : null;
  if (next !== null && !isUnderApiBase(next, access.apiBaseUrl)) {
    return { ok: false, error: new ApiError('ramp_error', 'Ramp returned a next-page link outside the connection\'s API base; it was not followed') };
  }
  return { ok: true, page: { records: records as Record<string, unknown>[], next } };
}

/** Array fields of each record streamed to a sink in parts while the page is read (kept-array-scanner.ts). */
export interface KeptArrays {
  readonly keys: ReadonlySet<string>;
  readonly sink: PartSink;
  /** Bytes per part; default `PART_BYTES`. */
  readonly partBytes?: number;
}

/**
 * The most a page with kept arrays may stream: the arrays go to storage in parts, so this bounds
 * only Ramp's answer, not memory (a statement is ~11 MB at 1,000,000 transactions).
 */
export const MAX_STREAMED_PAGE_BYTES = 1024 * 1024 * 1024;

/** Processes a page; with `kept`, those arrays are streamed to its sink and become `StoredParts`. */
export async function processPageResponse(response: RampResponse, access: RampAccess, nowMs: number, kept?: KeptArrays): Promise<CallOutcome<RampPage>> {
  if (response.status >= 300 && response.status < 400) return redirectOutcome(response);
  if (response.status !== 200) return errorOutcome(response, access, nowMs);
  const json = kept ? await streamedOutcome(response, kept) : await jsonOutcome(response);
  if (!json.ok) return { kind: 'failed', error: json.error };
  const parsed = parsePageBody(json.value, access);
  return parsed.ok ? { kind: 'ok', value: parsed.page } : { kind: 'failed', error: parsed.error };
}

/**
 * Reads the body as it arrives, with backpressure: the next chunk is read once the parts the last
 * one completed are stored. A cut transfer throws (the client retries it as a network failure; the
 * parts already stored belong to no record and are swept: src/sync/record-parts.ts).
 */
async function streamedOutcome(response: RampResponse, kept: KeptArrays): Promise<{ ok: true; value: unknown } | { ok: false; error: ApiError }> {
  const scanner = new KeptArrayScanner(kept.keys, kept.sink, kept.partBytes);
  const body = response.stream(MAX_STREAMED_PAGE_BYTES);
  try {
    for await (const chunk of body) await scanner.push(chunk as Buffer);
    return { ok: true, value: scanner.end() };
  } catch (error) {
    body.destroy();
    if (error instanceof SyntaxError) return { ok: false, error: notJsonError(response.status) };
    if (error instanceof BodyTooLargeError || error instanceof OutlineTooLargeError) return { ok: false, error: new ApiError('ramp_response_too_large') };
    throw error;
  }
}
