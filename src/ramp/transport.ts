/**
 * @module The wire under the Ramp client: one HTTP/1.1 exchange on a keep-alive undici `Agent`,
 * without WHATWG `Request`/`Response` objects.
 *
 * Why not the global `fetch`: on Node 20 the fetch algorithm and its Request/Response/Headers objects
 * cost several times the exchange itself. Through a bare Fastify route on 2 cores (issue #6 notes):
 * `fetch` ≈ 3k req/s, `undici.request` ≈ 11k, `Agent.dispatch` with a plain handler ≈ 23k.
 *
 * - Redirects are never followed: `dispatch` has no redirect logic (a redirect could carry the token
 *   elsewhere, security-reliability.md §4).
 * - A timeout and the caller's `AbortSignal` end the exchange at any point, headers or body.
 * - A body is either read whole (`bytes`, capped) or streamed (`stream`, with backpressure); whichever
 *   is asked first wins.
 */
import { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';

export interface RampRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export class BodyTooLargeError extends Error {
  constructor() {
    super('Ramp\'s answer is larger than allowed');
    this.name = 'BodyTooLargeError';
  }
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

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

/** The body as it arrives: chunks kept until someone reads them whole or as a stream. */
class Body {
  chunks: Buffer[] = [];
  received = 0;
  ended = false;
  failure: Error | undefined;
  #onChange: (() => void) | undefined;
  #stream: Readable | undefined;
  #streamCap = Infinity;
  #controller: Dispatcher.DispatchController | undefined;

  constructor(controller?: Dispatcher.DispatchController) {
    this.#controller = controller;
  }

  push(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.#stream) {
      if (this.received > this.#streamCap) this.abort(new BodyTooLargeError());
      else if (!this.#stream.push(chunk)) this.#controller?.pause();
      return;
    }
    this.chunks.push(chunk);
    this.#onChange?.();
  }

  end(failure?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    if (this.#stream) {
      if (failure) this.#stream.destroy(failure);
      else this.#stream.push(null);
    }
    this.#onChange?.();
  }

  abort(reason: Error): void {
    if (!this.ended) this.#controller?.abort(reason);
    this.end(reason);
  }

  /** Resolves when the body has ended, or earlier when more than `maxBytes` arrived (then null). */
  whole(maxBytes: number): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.received > maxBytes) {
          this.#onChange = undefined;
          this.abort(new Error('body over its cap'));
          return resolve(null);
        }
        if (!this.ended) return;
        this.#onChange = undefined;
        if (this.failure) return reject(this.failure);
        resolve(this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.received));
      };
      this.#onChange = check;
      check();
    });
  }

  stream(maxBytes: number): Readable {
    if (this.#stream) return this.#stream;
    this.#streamCap = maxBytes;
    const stream = new Readable({
      read: () => this.#controller?.resume(),
      destroy: (error, callback) => {
        if (!this.ended) this.abort(error ?? new Error('stream closed early'));
        callback(error);
      },
    });
    for (const chunk of this.chunks) stream.push(chunk);
    this.chunks = [];
    this.#stream = stream;
    if (this.received > maxBytes) this.abort(new BodyTooLargeError());
    else if (this.ended) {
      if (this.failure) stream.destroy(this.failure);
      else stream.push(null);
    }
    return stream;
  }
}

/** One answer from Ramp: status and lower-cased headers at once, the body on demand. */
export class RampResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly #body: Body;

  constructor(status: number, headers: Headers, body: Body) {
    this.status = status;
    this.headers = headers;
    this.#body = body;
  }

  /** A complete answer held in memory: for tests and for answers made up locally. */
  static of(status: number, body: string | Buffer = '', headers: Record<string, string> = {}): RampResponse {
    const whole = new Body();
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    if (bytes.length > 0) whole.push(bytes);
    whole.end();
    const lowered = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
    return new RampResponse(status, lowered, whole);
  }

  header(name: string): string | null {
    const value = this.headers[name];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** The declared `content-length`, or null when absent or unreadable. */
  get declaredLength(): number | null {
    const value = this.header('content-length');
    if (value === null) return null;
    const length = Number(value);
    return Number.isSafeInteger(length) && length >= 0 ? length : null;
  }

  /** The whole body, or null once it passes `maxBytes` (the exchange is dropped then). */
  bytes(maxBytes: number): Promise<Buffer | null> {
    const declared = this.declaredLength;
    if (declared !== null && declared > maxBytes) {
      this.discard();
      return Promise.resolve(null);
    }
    return this.#body.whole(maxBytes);
  }

  /** The whole body as UTF-8, or null past `maxBytes`. */
  async text(maxBytes: number): Promise<string | null> {
    const bytes = await this.bytes(maxBytes);
    return bytes === null ? null : bytes.toString('utf8');
  }

  /**
   * The body as a Node stream; chunks already received come first. Past `maxBytes` the stream fails
   * with `BodyTooLargeError` (a caller already receiving it sees a cut transfer, not a short success).
   */
  stream(maxBytes = Infinity): Readable {
    return this.#body.stream(maxBytes);
  }

  /** Drops the body; an unfinished exchange is aborted (its connection is not reused). */
  discard(): void {
    this.#body.abort(new Error('body discarded'));
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
  #body: Body | undefined;
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

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    if (statusCode < 200 || this.#stopped) return; // 1xx: informational, the real answer follows
    this.#body = new Body(controller);
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
