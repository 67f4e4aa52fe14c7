/**
 * @module One answer from Ramp as the client sees it: status and lower-cased headers at once, the body
 * on demand — read whole with a cap, or streamed with backpressure and a cap; whichever is asked
 * first wins. Filled by the transport (transport.ts); `RampResponse.of` makes one in memory for tests.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

export class BodyTooLargeError extends Error {
  constructor() {
    super('Ramp\'s answer is larger than allowed');
    this.name = 'BodyTooLargeError';
  }
}

/** Lower-cased names, as undici and node:http deliver them. */
export type HeaderMap = Readonly<Record<string, string | string[] | undefined>>;

/** The body as it arrives: chunks kept until someone reads them whole or as a stream. */
export class ResponseBody {
  #chunks: Buffer[] = [];
  #received = 0;
  #ended = false;
  #failure: Error | undefined;
  #onChange: (() => void) | undefined;
  #stream: Readable | undefined;
  #streamCap = Infinity;
  #controller: Dispatcher.DispatchController | undefined;

  constructor(controller?: Dispatcher.DispatchController) {
    this.#controller = controller;
  }

  push(chunk: Buffer): void {
    this.#received += chunk.length;
    if (this.#stream) {
      if (this.#received > this.#streamCap) this.abort(new BodyTooLargeError());
      else if (!this.#stream.push(chunk)) this.#controller?.pause();
      return;
    }
    this.#chunks.push(chunk);
    this.#onChange?.();
  }

  end(failure?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = failure;
    if (this.#stream) {
      if (failure) this.#stream.destroy(failure);
      else this.#stream.push(null);
    }
    this.#onChange?.();
  }

  abort(reason: Error): void {
    if (!this.#ended) this.#controller?.abort(reason);
    this.end(reason);
  }

  /** Resolves when the body has ended, or earlier when more than `maxBytes` arrived (then null). */
  whole(maxBytes: number): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#received > maxBytes) {
          this.#onChange = undefined;
          this.abort(new Error('body over its cap'));
          return resolve(null);
        }
        if (!this.#ended) return;
        this.#onChange = undefined;
        if (this.#failure) return reject(this.#failure);
        resolve(this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#received));
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
        if (!this.#ended) this.abort(error ?? new Error('stream closed early'));
        callback(error);
      },
    });
    for (const chunk of this.#chunks) stream.push(chunk);
    this.#chunks = [];
    this.#stream = stream;
    if (this.#received > maxBytes) {
      // A body that already ended has nothing left to abort: fail the stream itself, or it never ends.
      if (this.#ended) stream.destroy(new BodyTooLargeError());
      else this.abort(new BodyTooLargeError());
    } else if (this.#ended) {
      if (this.#failure) stream.destroy(this.#failure);
      else stream.push(null);
    }
    return stream;
  }
}

/** One answer from Ramp: status and lower-cased headers at once, the body on demand, read once. */
export class RampResponse {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly #body: ResponseBody;

  constructor(status: number, headers: HeaderMap, body: ResponseBody) {
    this.status = status;
    this.headers = headers;
    this.#body = body;
  }

  /** A complete answer held in memory: for tests and for answers made up locally. */
  static of(status: number, body: string | Buffer = '', headers: Record<string, string> = {}): RampResponse {
    const whole = new ResponseBody();
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
