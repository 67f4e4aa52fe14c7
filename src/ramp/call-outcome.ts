/**
 * @module What processing one Ramp answer concluded, as a value the retry loop (ramp-client.ts) acts
 * on. Processing functions are pure given a `RampResponse`, so they are unit-tested on recorded bodies.
 */
import { ApiError } from '../core/errors.ts';
import type { RampAccess } from './access-token-provider.ts';
import { apiErrorForRampAnswer, isUnauthorized, readRampError } from './ramp-errors.ts';
import { isRetryableStatus, parseRetryAfter } from './retry-policy.ts';
import type { RampResponse } from './ramp-response.ts';

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

/** Error bodies are read only to classify them; Ramp's `error_v2` envelope is a few hundred bytes. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Classifies a non-2xx answer: reads (a bounded amount of) Ramp's error body. */
export async function errorOutcome<T>(response: RampResponse, access: RampAccess, nowMs: number): Promise<CallOutcome<T>> {
  const info = readRampError(response.status, (await response.text(MAX_ERROR_BODY_BYTES)) ?? '', response.header('x-trace-id'), [access.accessToken]);
  const retryAfterMs = parseRetryAfter(response.header('retry-after'), nowMs);
  const error = apiErrorForRampAnswer(info, retryAfterMs);
  if (isRetryableStatus(response.status)) {
    return retryAfterMs === undefined ? { kind: 'retryable', error, status: response.status } : { kind: 'retryable', error, status: response.status, retryAfterMs };
  }
  if (isUnauthorized(info)) return { kind: 'unauthorized', error };
  return { kind: 'failed', error };
}

/** A 2xx answer whose body is not JSON: Ramp's fault. */
export function notJsonError(status: number): ApiError {
  return new ApiError('ramp_error', `Ramp answered ${status} with a body that is not JSON`);
}

/** A 2xx JSON body, size-capped and parsed; malformed JSON is Ramp's fault (`ramp_error`). */
export async function jsonOutcome(
  response: RampResponse,
  parse: (text: string) => unknown = JSON.parse,
): Promise<{ ok: true; value: unknown } | { ok: false; error: ApiError }> {
  const text = await response.text(MAX_TYPED_BODY_BYTES);
  if (text === null) return { ok: false, error: new ApiError('ramp_response_too_large') };
  try {
    return { ok: true, value: parse(text) };
  } catch {
    return { ok: false, error: notJsonError(response.status) };
  }
}

/** 3xx answers are never followed (transport.ts): a redirect could carry the token elsewhere (docs/guarantees.md#g37). */
export function redirectOutcome<T>(response: RampResponse): CallOutcome<T> {
  response.discard();
  return { kind: 'failed', error: new ApiError('ramp_error', `Ramp answered ${response.status} with a redirect, which is not followed`) };
}
