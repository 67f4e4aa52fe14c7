/**
 * @module The per-connection Ramp budget shared by every replica on PostgreSQL.
 *
 * Ramp counts a connection's requests wherever they come from: with an in-memory limiter per process,
 * three replicas could send three times our ceiling, and Ramp extends its lockout while it is
 * hammered. Here the window lives in the database (migration 0007): each request takes a slot in one
 * round trip (`ramp_rate_take`, which locks the connection's window row) and marks it answered in one
 * more, off the caller's path. Semantics are the in-memory limiter's (rate-limiter.ts): a request
 * counts from its sending until a window after its answer; a 429 locks every replica out until
 * `Retry-After`.
 *
 * Fairness: in this process, one queue per connection, first come first served, so only the head of a
 * connection's line talks to the database and a busy tenant never delays another's line. Across
 * replicas, a full window is polled: at the moment the oldest answer leaves it, or every few
 * milliseconds while every slot is in flight (woken at once by this process's own answers).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import { configuredRampRateLimit, LimiterRegistry, realSleep, type RampLimiter, type RampLimiters, type RollingLimit, type Sleep } from './rate-limiter.ts';

export interface SharedLimiterOptions {
  readonly now?: () => number;
  readonly sleep?: Sleep;
  /**
   * A slot never marked answered (its replica died mid-call) stops counting this long after it was
   * sent: the longest a call can be in flight (the client's per-attempt timeout) plus a window.
   */
  readonly staleMs: number;
  /** How often a full window whose slots are all in flight is asked again (default 20 ms). */
  readonly pollMs?: number;
  readonly onError?: (error: unknown) => void;
}

interface TakeResult {
  readonly taken: boolean;
  readonly blocked: boolean;
  readonly wait_ms: string | number;
}

/** The database's clock in epoch ms, as `ramp_rate_take` reads it. */
const DB_NOW_MS = sql<number>`floor(extract(epoch from clock_timestamp()) * 1000)::bigint`;

export class SharedRollingWindowLimiter implements RampLimiter {
  readonly #db: Db;
  readonly #connectionId: string;
  readonly #businessId: string;
  readonly #setting: RollingLimit;
  readonly #o: SharedLimiterOptions;
  readonly #now: () => number;
  readonly #sleep: Sleep;
  #blockedUntil = 0;
  #queue: Promise<unknown> = Promise.resolve();
  /** Wakes the head of the line when one of this process's requests is answered. */
  #onAnswer: (() => void)[] = [];

  constructor(db: Db, connectionId: string, businessId: string, setting: RollingLimit, options: SharedLimiterOptions) {
    this.#db = db;
    this.#connectionId = connectionId;
    this.#businessId = businessId;
    this.#setting = setting;
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
  }

  /** The lockout as last seen by this process (a 429 here, or the database's answer to a take). */
  get blockedUntil(): number {
    return this.#blockedUntil;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    const turn = this.#queue.then(() => this.#waitForSlot(signal));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Ramp said 429: every replica sends nothing before `untilMs`. The next acquire here waits for the
   * write; the promise (which never rejects) says when the other replicas can see it.
   */
  blockUntil(untilMs: number): Promise<void> {
    if (untilMs > this.#blockedUntil) this.#blockedUntil = untilMs;
    const forMs = Math.max(0, Math.ceil(untilMs - this.#now()));
    const written = sql`update ramp_rate_windows set blocked_until = greatest(blocked_until, ${DB_NOW_MS} + ${forMs})
      where connection_id = ${this.#connectionId} and business_id = ${this.#businessId}`
      .execute(this.#db.kysely)
      .then(
        () => undefined,
        (error: unknown) => this.#o.onError?.(error),
      );
    this.#queue = this.#queue.then(() => written);
    return written;
  }

  async #waitForSlot(signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#now();
      if (now < this.#blockedUntil) {
        await this.#sleep(this.#blockedUntil - now, signal);
        continue;
      }
      const slot = randomUUID();
      const result = await this.#take(slot);
      if (result.taken) return () => this.#answered(slot);
      const waitMs = Number(result.wait_ms);
      if (result.blocked) {
        this.#blockedUntil = Math.max(this.#blockedUntil, this.#now() + waitMs);
        continue;
      }
      await this.#waitForRoom(waitMs >= 0 ? waitMs : (this.#o.pollMs ?? 20), signal);
    }
  }

  async #take(slot: string): Promise<TakeResult> {
    const { limit, windowMs } = this.#setting;
    const { rows } = await sql<TakeResult>`select taken, blocked, wait_ms from ramp_rate_take(${this.#connectionId}, ${this.#businessId}, ${slot}, ${limit}, ${windowMs}, ${this.#o.staleMs})`.execute(this.#db.kysely);
    return rows[0]!;
  }

  /** Until `ms` passed or one of this process's requests is answered, whichever comes first. */
  async #waitForRoom(ms: number, signal?: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const nextAnswer = new Promise<void>((resolve) => this.#onAnswer.push(resolve));
      // The loser of the race is aborted below; its rejection is not an error (the loop re-checks `signal`).
      await Promise.race([nextAnswer, this.#sleep(ms, stop.signal).catch(() => undefined)]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }

  #answered(slot: string): void {
    // Off the caller's path: the answer goes back to the caller while the slot is stamped.
    void sql`update ramp_rate_slots set answered_at = ${DB_NOW_MS} where id = ${slot} and business_id = ${this.#businessId} and answered_at is null`
      .execute(this.#db.kysely)
      .catch((error: unknown) => this.#o.onError?.(error))
      .finally(() => {
        const woken = this.#onAnswer;
        this.#onAnswer = [];
        for (const wake of woken) wake();
      });
  }
}

/** One shared limiter per connection on PostgreSQL, created on first use. */
export class SharedLimiterRegistry implements RampLimiters {
  readonly #limiters = new Map<string, SharedRollingWindowLimiter>();

  constructor(
    readonly db: Db,
    readonly setting: RollingLimit,
    readonly options: SharedLimiterOptions,
  ) {}

  for(connectionId: string, businessId: string): RampLimiter {
    let limiter = this.#limiters.get(connectionId);
    if (!limiter) {
      limiter = new SharedRollingWindowLimiter(this.db, connectionId, businessId, this.setting, this.options);
      this.#limiters.set(connectionId, limiter);
    }
    return limiter;
  }
}

/** The longest a call to Ramp is in flight: the client's and the proxy's per-attempt timeout. */
const LONGEST_ATTEMPT_MS = 30_000;

/**
 * The rate limit of a process's Ramp client (`RAMP_RATE_LIMIT_PER_10S`): shared through the database
 * on PostgreSQL (several replicas), in memory on SQLite (one process) or when the limit is off.
 */
export function rampClientLimits(db: Db, perTenSeconds: number, log?: Logger): { rateLimit: RollingLimit | false; limiters: RampLimiters } {
  const rateLimit = configuredRampRateLimit(perTenSeconds);
  if (rateLimit === false || db.dialect !== 'postgres') return { rateLimit, limiters: new LimiterRegistry(rateLimit) };
  const onError = (error: unknown) => log?.warn({ err: error }, 'could not record a Ramp call in the shared rate window; it stops counting when it goes stale');
  return { rateLimit, limiters: new SharedLimiterRegistry(db, rateLimit, { staleMs: LONGEST_ATTEMPT_MS + rateLimit.windowMs, onError }) };
}
