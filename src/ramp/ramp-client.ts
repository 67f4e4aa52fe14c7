/**
 * @module The Ramp Developer API client: one retry loop for every outbound call, and typed calls
 * built from request/process pairs (endpoints/*).
 *
 * Per attempt: a token from the AccessTokenProvider, a slot from the connection's rate limiter
 * (rate-limiter.ts; shared by the replicas on PostgreSQL: shared-rate-limiter.ts), and a timeout (transport.ts). Then:
 * - 401 (or DEVELOPER_7002/7028) → one `refreshAfterUnauthorized` and one retry, any method: Ramp did
 *   not process the request (docs/guarantees.md#calls-to-ramp).
 * - 429 → the limiter holds every request of the connection until `Retry-After` (a whole window when
 *   absent), so nothing extends Ramp's lockout (docs/ramp-behaviour.md#rate-limits); then, like 5xx, timeouts and network errors, a
 *   full-jitter retry — for idempotent methods only, within an attempt cap and a deadline.
 * - A POST is sent once (RFC 9110 §9.2.2).
 * Errors are catalogue `ApiError`s; no token appears in any error or log line.
 */
import type { Logger } from 'pino';
import { ApiError } from '../core/errors.ts';
import { metrics, secondsSince } from '../metrics/registry.ts';
import type { AccessTokenProvider, RampAccess } from './access-token-provider.ts';
import type { CallOutcome } from './call-outcome.ts';
import { instrumentTransport } from './endpoint-template.ts';
import { buildAccountingSyncRequest, processAccountingSyncResponse } from './endpoints/accounting-syncs.ts';
import { buildBusinessRequest, processBusinessResponse, type RampBusiness } from './endpoints/business.ts';
import { buildPageRequest, listUrl, processPageResponse, type KeptArrays } from './endpoints/list-page.ts';
import { PartSinkError } from './kept-array-scanner.ts';
import { LimiterRegistry, RAMP_RATE_LIMIT, realSleep, type RampLimiters, type RollingLimit, type Sleep } from './rate-limiter.ts';
import type { AccountingSyncBody, ListParams, RampListResource, RampPage } from './resources.ts';
import { DEFAULT_BACKOFF, fullJitterDelay, isIdempotentMethod, type BackoffSettings } from './retry-policy.ts';
import type { RampResponse } from './ramp-response.ts';
import { TransportTimeoutError, defaultTransport, type RampRequest, type Transport } from './transport.ts';

/** One logical call: how to build each attempt's request and how to read its answer. */
export interface RampCall<T> {
  readonly method: string;
  /** For logs: method and path pattern, never a query or a token. */
  readonly label: string;
  build(access: RampAccess): RampRequest;
  process(response: RampResponse, access: RampAccess, nowMs: number): Promise<CallOutcome<T>>;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Per attempt. */
  readonly timeoutMs?: number;
  /** Whole call, retries and waits included. */
  readonly deadlineMs?: number;
  readonly maxAttempts?: number;
  /** Overrides the method-based decision (e.g. a caller that knows a PUT is not idempotent). */
  readonly idempotent?: boolean;
}

export interface RampClientOptions {
  /** The wire; tests script answers through it. */
  readonly transport?: Transport;
  readonly timeoutMs?: number;
  readonly deadlineMs?: number;
  readonly maxAttempts?: number;
  readonly backoff?: BackoffSettings;
  /** Local limit per connection; `false` only for benchmarks against an unlimited emulator. */
  readonly rateLimit?: RollingLimit | false;
  /** Where each connection's limiter lives (default: in memory, from `rateLimit`; several replicas: shared-rate-limiter.ts). */
  readonly limiters?: RampLimiters;
  readonly random?: () => number;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  readonly log?: Logger;
}

const DEFAULTS = { timeoutMs: 30_000, deadlineMs: 120_000, maxAttempts: 6 } as const;

export class RampClient {
  readonly #tokens: AccessTokenProvider;
  readonly #transport: Transport;
  readonly #limiters: RampLimiters;
  readonly #options: Required<Pick<RampClientOptions, 'timeoutMs' | 'deadlineMs' | 'maxAttempts' | 'backoff' | 'random' | 'sleep' | 'now'>>;
  readonly #log: Logger | undefined;
  readonly #windowMs: number;

  constructor(tokens: AccessTokenProvider, options: RampClientOptions = {}) {
    this.#tokens = tokens;
    this.#transport = instrumentTransport(options.transport ?? defaultTransport);
    const now = options.now ?? Date.now;
    const sleep = options.sleep ?? realSleep;
    const rateLimit = options.rateLimit ?? RAMP_RATE_LIMIT;
    this.#limiters = options.limiters ?? new LimiterRegistry(rateLimit, now, sleep);
    this.#windowMs = rateLimit === false ? RAMP_RATE_LIMIT.windowMs : rateLimit.windowMs;
    this.#options = {
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      deadlineMs: options.deadlineMs ?? DEFAULTS.deadlineMs,
      maxAttempts: options.maxAttempts ?? DEFAULTS.maxAttempts,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      random: options.random ?? Math.random,
      sleep,
      now,
    };
    this.#log = options.log;
  }

  /** Runs one logical call to completion: the value, or a catalogue `ApiError`. */
  async call<T>(businessId: string, call: RampCall<T>, options: CallOptions = {}): Promise<T> {
    const { now, sleep } = this.#options;
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    const maxAttempts = options.maxAttempts ?? this.#options.maxAttempts;
    const deadline = now() + (options.deadlineMs ?? this.#options.deadlineMs);
    const idempotent = options.idempotent ?? isIdempotentMethod(call.method);
    let access = await this.#tokens.getAccess(businessId);
    let refreshed = false;
    let retries = 0;
    for (let attempt = 1; ; attempt++) {
      const limiter = this.#limiters.for(access.connectionId, businessId);
      if (limiter.blockedUntil > deadline) throw rateLimitedUntil(limiter.blockedUntil - now());
      const waitStarted = performance.now();
      const answered = await limiter.acquire(options.signal);
      metrics.limiterWait.observe(secondsSince(waitStarted));
      let outcome: CallOutcome<T>;
      try {
        outcome = await this.#attempt(call, access, Math.max(1, Math.min(timeoutMs, deadline - now())), options.signal);
      } finally {
        answered();
      }
      if (outcome.kind === 'ok') return outcome.value;
      if (outcome.kind === 'failed') throw outcome.error;
      if (outcome.kind === 'unauthorized') {
        outcome.discard?.();
        if (refreshed) throw outcome.error;
        refreshed = true;
        this.#log?.info({ call: call.label, connection_id: access.connectionId }, 'Ramp rejected the access token; refreshing once');
        access = await this.#tokens.refreshAfterUnauthorized(businessId, access.accessToken);
        continue;
      }
      // Retryable: 429, 5xx, timeout, network error.
      if (outcome.status === 429) limiter.blockUntil(now() + (outcome.retryAfterMs ?? this.#windowMs) + 50);
      const delay = Math.max(outcome.retryAfterMs ?? 0, fullJitterDelay(retries, this.#options.backoff, this.#options.random));
      const giveUp = !idempotent || attempt >= maxAttempts || now() + delay >= deadline;
      this.#log?.warn({ call: call.label, status: outcome.status, attempt, retry: !giveUp, delay_ms: giveUp ? undefined : delay }, 'Ramp call failed');
      if (giveUp) {
        if (outcome.giveUp) return outcome.giveUp();
        throw outcome.error;
      }
      outcome.discard?.();
      retries++;
      await sleep(delay, options.signal);
    }
  }

  async #attempt<T>(call: RampCall<T>, access: RampAccess, timeoutMs: number, signal: AbortSignal | undefined): Promise<CallOutcome<T>> {
    try {
      const response = await this.#transport(call.build(access), signal ? { timeoutMs, signal } : { timeoutMs });
      return await call.process(response, access, this.#options.now());
    } catch (error) {
      // Ours, not Ramp's: an ApiError decided here, or storing a streamed page's parts failed.
      if (error instanceof ApiError || error instanceof PartSinkError) throw error;
      if (signal?.aborted) throw signal.reason;
      if (error instanceof TransportTimeoutError) return { kind: 'retryable', error: new ApiError('ramp_timeout'), status: null };
      // Network failure (refused, reset, DNS): say so without quoting the cause, which may hold a URL.
      return { kind: 'retryable', error: new ApiError('ramp_unavailable'), status: null };
    }
  }

  /** `GET /developer/v1/business`. */
  getBusiness(businessId: string, options?: CallOptions): Promise<RampBusiness> {
    return this.call(businessId, { method: 'GET', label: 'GET /business', build: buildBusinessRequest, process: processBusinessResponse }, options);
  }

  /** One page: the first page of `resource` with `params`, or the page at a `page.next` link. */
  fetchPage(businessId: string, from: { resource: RampListResource; params: ListParams } | { next: string }, options?: CallOptions, kept?: KeptArrays): Promise<RampPage> {
    const label = 'resource' in from ? `GET /${from.resource}` : 'GET page.next';
    return this.call(
      businessId,
      {
        method: 'GET',
        label,
        build: (access) => buildPageRequest(access, 'resource' in from ? listUrl(access, from.resource, from.params).href : from.next),
        process: (response, access, nowMs) => processPageResponse(response, access, nowMs, kept),
      },
      options,
    );
  }

  /** Every page of a list, following `page.next` (docs/ramp-behaviour.md#pagination) until it is null. */
  async *pages(businessId: string, from: { resource: RampListResource; params: ListParams } | { next: string }, options?: CallOptions, kept?: KeptArrays): AsyncGenerator<RampPage> {
    let cursor = from;
    for (;;) {
      const page = await this.fetchPage(businessId, cursor, options, kept);
      yield page;
      if (page.next === null) return;
      cursor = { next: page.next };
    }
  }

  /** `POST /developer/v1/accounting/syncs`, sent once. */
  createAccountingSync(businessId: string, body: AccountingSyncBody, options?: CallOptions): Promise<unknown> {
    return this.call(
      businessId,
      { method: 'POST', label: 'POST /accounting/syncs', build: (access) => buildAccountingSyncRequest(access, body), process: processAccountingSyncResponse },
      options,
    );
  }
}

function rateLimitedUntil(ms: number): ApiError {
  return new ApiError('ramp_rate_limited', undefined, { headers: { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) } });
}
