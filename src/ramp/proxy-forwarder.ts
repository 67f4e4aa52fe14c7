/**
 * @module The proxy's outbound half: forwards one caller request to Ramp with the connection's token
 * and hands back Ramp's answer to stream to the caller.
 *
 * - Only `accept`, `content-type` and `idempotency-key` are forwarded: the caller's Authorization,
 *   Cookie, x-business-id, Host and hop-by-hop headers never are (docs/guarantees.md#g37).
 * - Redirects are never followed (transport.ts has no redirect logic); a 3xx becomes 502 `ramp_error`.
 * - GET/HEAD are retried by the client's rules; other methods are sent once. Retryable answers that
 *   are not retried are passed through as they are (status, Retry-After, body).
 * - A body over `maxBytes` is a 502 `ramp_response_too_large` when its length is declared; an
 *   undeclared length is counted while streaming and the stream is cut at the cap (headers are
 *   already sent then, so the caller sees a truncated, failed transfer rather than a short 200).
 */
import type { Readable } from 'node:stream';
import { ApiError } from '../core/errors.ts';
import type { RampAccess } from './access-token-provider.ts';
import { MAX_ERROR_BODY_BYTES, type CallOutcome } from './call-outcome.ts';
import { rampHeaders } from './endpoints/request-headers.ts';
import { proxyUpstreamUrl } from './proxy-path.ts';
import type { CallOptions, RampClient } from './ramp-client.ts';
import { apiErrorForRampAnswer, isUnauthorized, readRampError } from './ramp-errors.ts';
import { isRetryableStatus, parseRetryAfter } from './retry-policy.ts';
import type { RampResponse } from './ramp-response.ts';
import type { RampRequest } from './transport.ts';

export const FORWARDED_REQUEST_HEADERS = ['accept', 'content-type', 'idempotency-key'] as const;
export const RETURNED_RESPONSE_HEADERS = ['content-type', 'content-length', 'retry-after', 'x-trace-id', 'cache-control', 'etag', 'last-modified'] as const;
export const PROXY_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const DEFAULT_PROXY_MAX_BYTES = 10 * 1024 * 1024;

export interface ProxyRequest {
  readonly method: string;
  readonly target: { readonly path: string; readonly query: string };
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string | undefined;
}

export interface ProxyAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Answers of declared length up to BUFFERED_ANSWER_BYTES arrive whole; others stream through. */
  readonly body: Readable | Buffer | null;
}

/** Answers up to this size with a declared length are read whole and sent as one buffer. */
const BUFFERED_ANSWER_BYTES = 256 * 1024;

export function buildProxyRequest(access: RampAccess, request: ProxyRequest): RampRequest {
  const forwarded: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string' && value.length > 0) forwarded[name] = value;
  }
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined && request.body.length > 0;
  return {
    method: request.method,
    url: proxyUpstreamUrl(access.apiBaseUrl, request.target),
    headers: rampHeaders(access, forwarded),
    ...(hasBody ? { body: request.body } : {}),
  };
}

function answerHeaders(response: RampResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RETURNED_RESPONSE_HEADERS) {
    const value = response.header(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

function passThrough(response: RampResponse, method: string, maxBytes: number): ProxyAnswer {
  if (method === 'HEAD') {
    response.discard();
    return { status: response.status, headers: answerHeaders(response), body: null };
  }
  return { status: response.status, headers: answerHeaders(response), body: response.stream(maxBytes) };
}

/** Pure given the response: what the proxy does with one upstream answer. */
export async function processProxyResponse(response: RampResponse, access: RampAccess, nowMs: number, method: string, maxBytes: number): Promise<CallOutcome<ProxyAnswer>> {
  if (response.status >= 300 && response.status < 400) {
    response.discard();
    return { kind: 'failed', error: new ApiError('ramp_error', `Ramp answered ${response.status} with a redirect, which the proxy does not follow`) };
  }
  const declared = response.declaredLength;
  if (declared !== null && declared > maxBytes) {
    response.discard();
    return { kind: 'failed', error: new ApiError('ramp_response_too_large') };
  }
  if (response.status === 401 || response.status === 404) {
    // Small error bodies: read them to tell "token rejected" (refresh and retry) from a plain 404.
    const text = (await response.text(MAX_ERROR_BODY_BYTES)) ?? '';
    const info = readRampError(response.status, text, response.header('x-trace-id'), [access.accessToken]);
    if (isUnauthorized(info)) return { kind: 'unauthorized', error: apiErrorForRampAnswer(info) };
    const headers = answerHeaders(response);
    delete headers['content-length'];
    return { kind: 'ok', value: { status: response.status, headers, body: Buffer.from(text) } };
  }
  if (isRetryableStatus(response.status)) {
    const retryAfterMs = parseRetryAfter(response.header('retry-after'), nowMs);
    const info = readRampError(response.status, '', response.header('x-trace-id'));
    return {
      kind: 'retryable',
      status: response.status,
      error: apiErrorForRampAnswer(info, retryAfterMs),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      giveUp: () => passThrough(response, method, maxBytes),
      discard: () => response.discard(),
    };
  }
  if (method !== 'HEAD' && declared !== null && declared <= BUFFERED_ANSWER_BYTES) {
    const body = await response.bytes(maxBytes);
    if (body === null) return { kind: 'failed', error: new ApiError('ramp_response_too_large') };
    return { kind: 'ok', value: { status: response.status, headers: answerHeaders(response), body } };
  }
  return { kind: 'ok', value: passThrough(response, method, maxBytes) };
}

/** The proxied methods that are retried and given up freely: reads (RFC 9110 §9.2.1 safe methods). */
export function isProxyRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** Forwards one request; resolves to Ramp's answer or throws a catalogue `ApiError`. */
export function forwardToRamp(client: RampClient, businessId: string, request: ProxyRequest, options: CallOptions & { maxBytes?: number } = {}): Promise<ProxyAnswer> {
  const maxBytes = options.maxBytes ?? DEFAULT_PROXY_MAX_BYTES;
  return client.call(
    businessId,
    {
      method: request.method,
      label: `${request.method} proxy`,
      build: (access) => buildProxyRequest(access, request),
      process: (response, access, nowMs) => processProxyResponse(response, access, nowMs, request.method, maxBytes),
    },
    { ...options, idempotent: isProxyRead(request.method) },
  );
}
