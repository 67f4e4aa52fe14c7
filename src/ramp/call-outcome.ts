/**
 * @module What processing one Ramp answer concluded, as a value the retry loop (ramp-client.ts) acts
 * on. Processing functions are pure given a `Response`, so they are unit-tested on recorded bodies.
 */
import { ApiError } from '../http/errors.ts';
import type { RampAccess } from '../tokens/access-token-provider.ts';
import { apiErrorForRampAnswer, isUnauthorized, readRampError } from './ramp-errors.ts';
import { isRetryableStatus, parseRetryAfter } from './retry-policy.ts';

export type CallOutcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  /** Not processed by Ramp (429, 5xx, timeout, network): may be retried when the method is idempotent. */
  | {
      readonly kind: 'retryable';
      readonly error: ApiError;
      readonly status: number | null;
      readonly retryAfterMs?: number;
      /** Used when no retry happens (non-idempotent method, attempts or deadline exhausted) instead of throwing. */
      readonly giveUp?: () => T;
      /** Releases the unread body before a retry. */
      readonly discard?: () => void;
    }
  /** Ramp rejected the token: refresh once and retry. */
  | { readonly kind: 'unauthorized'; readonly error: ApiError; readonly discard?: () => void }
  | { readonly kind: 'failed'; readonly error: ApiError };

/** Largest body the typed client reads (a 100-record page is well under 1 MB). */
export const MAX_TYPED_BODY_BYTES = 16 * 1024 * 1024;

/** Reads a body as UTF-8, refusing to buffer more than `maxBytes` (the declared length is checked first). */
export async function readTextCapped(response: Response, maxBytes: number): Promise<{ ok: true; text: string } | { ok: false }> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return { ok: false };
  }
  if (!response.body) return { ok: true, text: '' };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { ok: false };
    }
    chunks.push(value);
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

/** Classifies a non-2xx answer: reads (a bounded amount of) Ramp's error body. */
export async function errorOutcome<T>(response: Response, access: RampAccess, nowMs: number): Promise<CallOutcome<T>> {
  const body = await readTextCapped(response, 64 * 1024);
  const info = readRampError(response.status, body.ok ? body.text : '', response.headers.get('x-trace-id'), [access.accessToken]);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), nowMs);
  const error = apiErrorForRampAnswer(info, retryAfterMs);
  if (isRetryableStatus(response.status)) {
    return retryAfterMs === undefined ? { kind: 'retryable', error, status: response.status } : { kind: 'retryable', error, status: response.status, retryAfterMs };
  }
  if (isUnauthorized(info)) return { kind: 'unauthorized', error };
  return { kind: 'failed', error };
}

/** A 2xx JSON body, size-capped and parsed; malformed JSON is Ramp's fault (`ramp_error`). */
export async function jsonOutcome(response: Response): Promise<{ ok: true; value: unknown } | { ok: false; error: ApiError }> {
  const body = await readTextCapped(response, MAX_TYPED_BODY_BYTES);
  if (!body.ok) return { ok: false, error: new ApiError('ramp_response_too_large') };
  try {
    return { ok: true, value: JSON.parse(body.text) };
  } catch {
    return { ok: false, error: new ApiError('ramp_error', `Ramp answered ${response.status} with a body that is not JSON`) };
  }
}

/** 3xx answers are never followed (redirect: 'manual'): a redirect could carry the token elsewhere (§4 SSRF). */
export function redirectOutcome<T>(response: Response): CallOutcome<T> {
  void response.body?.cancel().catch(() => undefined);
  return { kind: 'failed', error: new ApiError('ramp_error', `Ramp answered ${response.status} with a redirect, which is not followed`) };
}
