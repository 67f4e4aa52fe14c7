/**
 * @module The proxy's outbound half: forwards one caller request to Ramp with the connection's token
 * and hands back Ramp's answer to stream to the caller.
 *
 * - Only `accept`, `content-type` and `idempotency-key` are forwarded: the caller's Authorization,
 *   Cookie, x-business-id, Host and hop-by-hop headers never are (security-reliability.md §4, §6 item 37).
 * - Redirects are never followed (`redirect: 'manual'`); a 3xx becomes 502 `ramp_error`.
 * - GET/HEAD are retried by the client's rules; other methods are sent once. Retryable answers that
 *   are not retried are passed through as they are (status, Retry-After, body).
 * - A body over `maxBytes` is a 502 `ramp_response_too_large` when its length is declared; an
 *   undeclared length is counted while streaming and the stream is cut at the cap (headers are
 *   already sent then, so the caller sees a truncated, failed transfer rather than a short 200).
 */
import { ApiError } from '../http/errors.ts';
import type { RampAccess } from '../tokens/access-token-provider.ts';
import { readTextCapped, type CallOutcome } from './call-outcome.ts';
import { rampHeaders } from './endpoints/request-headers.ts';
import { proxyUpstreamUrl } from './proxy-path.ts';
import type { CallOptions, RampClient } from './ramp-client.ts';
import { apiErrorForRampAnswer, isUnauthorized, readRampError } from './ramp-errors.ts';
import { isRetryableStatus, parseRetryAfter } from './retry-policy.ts';

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
  /** Small answers of declared length arrive whole; others stream through. */
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null;
}

/**
 * Answers up to this size with a declared length are read whole and sent as one buffer: piping a
 * web stream through a byte counter and into a Node stream costs more than the request itself.
 */
const BUFFERED_ANSWER_BYTES = 256 * 1024;

export function buildProxyRequest(access: RampAccess, request: ProxyRequest): Request {
  const forwarded: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string' && value.length > 0) forwarded[name] = value;
  }
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined && request.body.length > 0;
  return new Request(proxyUpstreamUrl(access.apiBaseUrl, request.target), {
    method: request.method,
    headers: rampHeaders(access, forwarded),
    ...(hasBody ? { body: request.body } : {}),
    redirect: 'manual',
  });
}

function answerHeaders(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RETURNED_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/** Counts bytes through the stream and errors it past the cap. */
function capped(body: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> {
  let total = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > maxBytes) controller.error(new ApiError('ramp_response_too_large'));
        else controller.enqueue(chunk);
      },
    }),
  );
}

function passThrough(response: Response, method: string, maxBytes: number): ProxyAnswer {
  const body = method === 'HEAD' || response.body === null ? null : capped(response.body, maxBytes);
  if (body === null) void response.body?.cancel().catch(() => undefined);
  return { status: response.status, headers: answerHeaders(response), body };
}

function textAnswer(response: Response, text: string): ProxyAnswer {
  const headers = answerHeaders(response);
  delete headers['content-length'];
  return { status: response.status, headers, body: new Blob([text]).stream() };
}

/** Pure given the Response: what the proxy does with one upstream answer. */
export async function processProxyResponse(response: Response, access: RampAccess, nowMs: number, method: string, maxBytes: number): Promise<CallOutcome<ProxyAnswer>> {
  const cancel = () => void response.body?.cancel().catch(() => undefined);
  if (response.status >= 300 && response.status < 400) {
    cancel();
    return { kind: 'failed', error: new ApiError('ramp_error', `Ramp answered ${response.status} with a redirect, which the proxy does not follow`) };
  }
  const declared = Number(response.headers.get('content-length'));
  if (response.headers.has('content-length') && Number.isFinite(declared) && declared > maxBytes) {
    cancel();
    return { kind: 'failed', error: new ApiError('ramp_response_too_large') };
  }
  if (response.status === 401 || response.status === 404) {
    // Small error bodies: read them to tell "token rejected" (refresh and retry) from a plain 404.
    const body = await readTextCapped(response, 64 * 1024);
    const text = body.ok ? body.text : '';
    const info = readRampError(response.status, text, response.headers.get('x-trace-id'), [access.accessToken]);
    if (isUnauthorized(info)) return { kind: 'unauthorized', error: apiErrorForRampAnswer(info) };
    return { kind: 'ok', value: textAnswer(response, text) };
  }
  if (isRetryableStatus(response.status)) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), nowMs);
    const info = readRampError(response.status, '', response.headers.get('x-trace-id'));
    return {
      kind: 'retryable',
      status: response.status,
      error: apiErrorForRampAnswer(info, retryAfterMs),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      giveUp: () => passThrough(response, method, maxBytes),
      discard: cancel,
    };
  }
  const length = Number(response.headers.get('content-length'));
  if (method !== 'HEAD' && response.body !== null && response.headers.has('content-length') && length <= BUFFERED_ANSWER_BYTES) {
    return { kind: 'ok', value: { status: response.status, headers: answerHeaders(response), body: new Uint8Array(await response.arrayBuffer()) } };
  }
  return { kind: 'ok', value: passThrough(response, method, maxBytes) };
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
    { ...options, idempotent: request.method === 'GET' || request.method === 'HEAD' },
  );
}
