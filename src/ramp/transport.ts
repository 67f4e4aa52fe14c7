/**
 * @module The wire under the Ramp client: one HTTP/1.1 exchange on a keep-alive undici `Agent`,
 * without WHATWG `Request`/`Response` objects.
 *
 * Why not the global `fetch`: on Node 20 the fetch algorithm and its Request/Response/Headers objects
 * cost several times the exchange itself. Through a bare Fastify route on 2 cores (issue #6 notes):
 * `fetch` ≈ 3k req/s, `undici.request` ≈ 11k, `Agent.dispatch` with a plain handler ≈ 23k.
 *
 * - Redirects are never followed: `dispatch` has no redirect logic (a redirect could carry the token
 *   elsewhere, docs/guarantees.md#g37).
 * - A timeout and the caller's `AbortSignal` end the exchange at any point, headers or body.
 */
import { Agent, type Dispatcher } from 'undici';
import { ResponseBody, RampResponse, type HeaderMap } from './ramp-response.ts';

export interface RampRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface SendOptions {
  /** The whole exchange, body included. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export type Transport = (request: RampRequest, options: SendOptions) => Promise<RampResponse>;

/** The exchange took longer than `SendOptions.timeoutMs`. */
export class TransportTimeoutError extends Error {
  constructor() {
    super('Ramp did not answer in time');
    this.name = 'TimeoutError';
  }
}

/** Keep-alive pool per origin; Ramp's own limit (200 req / 10 s per connection) keeps it small in practice. */
const sharedAgent = new Agent({ keepAliveTimeout: 10_000, connections: 256 });

/**
 * One exchange's state and its undici handler. A class rather than closures: the proxy runs one per
 * request, and per-request closures showed in its CPU profile.
 */
class Exchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #body: ResponseBody | undefined;
  #stopped: Error | undefined;
  readonly #resolve: (response: RampResponse) => void;
  readonly #reject: (error: Error) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(options: SendOptions, resolve: (response: RampResponse) => void, reject: (error: Error) => void) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = options.signal;
    // A plain timer rather than AbortSignal.timeout(), whose weak-ref bookkeeping showed as 4% of the
    // proxy's CPU profile.
    this.#timer = setTimeout(() => this.#stop(new TransportTimeoutError()), options.timeoutMs);
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  readonly #onAbort = () => {
    const reason = this.#signal!.reason;
    this.#stop(reason instanceof Error ? reason : new Error('aborted'));
  };

  #stop(reason: Error): void {
    if (this.#stopped) return;
    this.#stopped = reason;
    this.#controller?.abort(reason);
    if (this.#body) this.#body.end(reason);
    else this.#reject(reason);
    this.#finish();
  }

  #finish(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#stopped) controller.abort(this.#stopped);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: HeaderMap): void {
    if (statusCode < 200 || this.#stopped) return; // 1xx: informational, the real answer follows
    this.#body = new ResponseBody(controller);
    this.#resolve(new RampResponse(statusCode, headers, this.#body));
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#body?.push(chunk);
  }

  onResponseEnd(): void {
    this.#finish();
    this.#body?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#finish();
    if (this.#body) this.#body.end(error);
    else if (!this.#stopped) this.#reject(error);
  }
}

/**
 * Sends one request on `dispatcher`; resolves at the response headers, rejects on a network error,
 * the caller's abort, or `TransportTimeoutError` once `timeoutMs` has passed. The timeout covers the
 * body too: a body still arriving then fails with it.
 */
export function dispatchTransport(dispatcher: Dispatcher = sharedAgent): Transport {
  return (request, options) =>
    new Promise<RampResponse>((resolve, reject) => {
      if (options.signal?.aborted) return reject(options.signal.reason);
      const url = request.url;
      dispatcher.dispatch(
        { origin: url.origin, path: `${url.pathname}${url.search}`, method: request.method as Dispatcher.HttpMethod, headers: request.headers, body: request.body ?? null },
        new Exchange(options, resolve, reject),
      );
    });
}

export const defaultTransport: Transport = dispatchTransport();
