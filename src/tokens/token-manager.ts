/**
 * @module Always-valid Ramp access tokens (docs/guarantees.md#refresh).
 *
 * `getAccess(businessId)` returns a token valid for at least 5 minutes (a fifth of its lifetime for tokens
 * shorter than 25 minutes: refresh-policy.ts), refreshing first when needed.
 * Layers, cheapest first:
 *  1. a fresh stored token is returned without any lock;
 *  2. in-process single flight: one promise per business, so 1,000 concurrent callers cause one refresh;
 *  3. a cross-process lease on the connection row (src/connections/connection-lease.ts); a replica that finds
 *     the lease taken waits for the holder's write and uses its token (Nango's "re-read after the lock");
 *  4. the new tokens are committed, fenced by `version`, before any caller sees them; if the write
 *     fails nothing is handed out (fail closed) — a rotated refresh token that never reached the
 *     database would otherwise be replayed and burn the whole token family.
 * `invalid_grant`/`invalid_client` mark the connection `needs_reauth` only after a re-read shows no
 * other replica refreshed meanwhile; 5xx, timeouts, 429 and lease waits never change its status, nor does
 * a row sealed under a key id this replica lacks (a key rollout in progress: 503, src/vault/key-unavailable.ts).
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.ts';
import { audit } from '../audit/audit-log.ts';
import type { ConnectionStore } from '../connections/connection-store.ts';
import type { Database, RampConnectionsTable } from '../db/schema.ts';
import type { EventSink } from '../events/event-sink.ts';
import { ApiError } from '../core/errors.ts';
import { metrics, secondsSince } from '../metrics/registry.ts';
import type { OAuthFailure } from '../oauth/oauth-errors.ts';
import type { RampOAuthClient } from '../oauth/ramp-oauth-client.ts';
import type { ClientCredentials, TokenResult } from '../oauth/token-endpoint.ts';
import { AFTER_REFRESH_ANSWER, failpoint } from '../support/failpoint.ts';
import { TtlCache } from '../support/ttl-cache.ts';
import { isKeyUnavailable, keyUnavailableError } from '../vault/key-unavailable.ts';
import { CredentialsCorruptError } from '../vault/vault.ts';
import type { AccessTokenProvider, RampAccess } from '../ramp/access-token-provider.ts';
import { fullJitterDelay, sleep } from '../support/backoff.ts';
import { LEASE_POLL_MS, newReplicaId, type Lease } from '../connections/connection-lease.ts';
import { freshUntil, isFresh } from '../connections/refresh-policy.ts';

export interface TokenManagerOptions {
  readonly ctx: AppContext;
  readonly store: ConnectionStore;
  readonly oauth: RampOAuthClient;
  /** Our OAuth app; refreshes of auth-code connections authenticate with it. */
  readonly oauthApp: ClientCredentials | undefined;
  readonly events: EventSink;
  readonly replicaId?: string;
  /** Must exceed the token request timeout plus the write (default 30 s). */
  readonly leaseMs?: number;
  /** How long a caller keeps trying through transient failures before giving up (default 20 s). */
  readonly callerDeadlineMs?: number;
  readonly random?: () => number;
  /**
   * How long a decrypted token may be served from memory without reading the row (default 1 s).
   * Changes made by this process invalidate it at once; another replica's disconnect is seen within this time.
   */
  readonly hotCacheMs?: number;
}

/** Why we are refreshing: a caller needs a usable token, Ramp rejected one, or the scheduler found it due. */
type Need = { kind: 'usable' } | { kind: 'rejected'; token: string } | { kind: 'due' };

// A refresh_failed event at most this often per connection: outage bursts must not flood webhooks.
const REFRESH_FAILED_EVENT_INTERVAL_MS = 15 * 60_000;
/** A caller waiting through transient failures. */
const CALLER_BACKOFF = { baseMs: 250, capMs: 5_000 };
/** When the scheduler tries again after a transient failure (plus the base, so never sooner than 30 s). */
const SCHEDULE_BACKOFF = { baseMs: 30_000, capMs: 30 * 60_000 };
/**
 * After a first failure with no answer (timeout, dropped connection) Ramp may have rotated the refresh
 * token: only a replay of the old one within Ramp's grace (if it has one; the emulator's is 30 s) can
 * get the new tokens back, so the scheduler tries again within 1–5 s rather than after the 30 s backoff.
 */
const LOST_ANSWER_RETRY = { baseMs: 1_000, capMs: 4_000 };
/**
 * Share of the lease still ahead that a token call may take; the rest is for the write. A live holder's
 * call thus always ends (answered, or timed out with its attempt kept) before another replica can take
 * the lease and present the same refresh token again, whatever `REFRESH_LEASE_MS` is set to: in strict
 * rotation a second presentation would revoke the grant (RFC 9700 §4.14.2).
 */
const TOKEN_CALL_SHARE_OF_LEASE = 2 / 3;

export class TokenManager implements AccessTokenProvider {
  readonly replicaId: string;
  readonly #o: TokenManagerOptions;
  readonly #leaseMs: number;
  readonly #inflight = new Map<string, Promise<RampAccess>>();
  /**
   * Tokens Ramp issued that the database would not take ("persist before
   * use", docs/guarantees.md#g21). Ramp has already spent the stored refresh token, so asking Ramp again with it
   * would be a reuse (strict rotation revokes the grant): the next attempt on the same row version
   * writes these instead. Kept while this process still holds the refresh lease it got them under.
   */
  readonly #unsaved = new Map<string, { readonly version: number; readonly result: Extract<TokenResult, { ok: true }>; readonly at: number }>();
  /** Recently read tokens and until when each may be handed out (`freshUntil`). */
  readonly #hot: TtlCache<string, { readonly access: RampAccess; readonly freshUntil: number }>;

  constructor(options: TokenManagerOptions) {
    this.#o = options;
    this.replicaId = options.replicaId ?? newReplicaId();
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#hot = new TtlCache(options.hotCacheMs ?? 1_000);
    options.store.onChange((businessId) => this.#hot.delete(businessId));
  }

  async getAccess(businessId: string): Promise<RampAccess> {
    const hot = this.#hot.get(businessId);
    if (hot && this.#now() <= hot.freshUntil) return hot.access;
    const row = await this.#o.store.find(businessId);
    const usable = this.#usable(row);
    if (isFresh(usable.last_refreshed_at, usable.access_token_expires_at, this.#now())) return this.#remember(usable);
    return this.#singleFlight(businessId, () => this.#ensure(businessId, { kind: 'usable' }));
  }

  /** One read of the row, not the hot cache: another replica may have marked it needs_reauth since. */
  async assertConnected(businessId: string): Promise<void> {
    this.#usable(await this.#o.store.find(businessId));
  }

  async refreshAfterUnauthorized(businessId: string, rejectedToken: string): Promise<RampAccess> {
    return this.#singleFlight(businessId, () => this.#ensure(businessId, { kind: 'rejected', token: rejectedToken }));
  }

  /** The proactive scheduler's entry: refreshes if the connection is due; never throws for expected outcomes. */
  async refreshIfDue(businessId: string): Promise<'refreshed' | 'not_due' | 'failed'> {
    try {
      const before = await this.#o.store.find(businessId);
      if (!before || before.status !== 'connected') return 'not_due';
      const after = await this.#singleFlight(businessId, () => this.#ensure(businessId, { kind: 'due' }, { attempts: 1 }));
      return after.expiresAt !== before.access_token_expires_at ? 'refreshed' : 'not_due';
    } catch (error) {
      if (error instanceof ApiError) return 'failed';
      throw error;
    }
  }

  #now(): number {
    return this.#o.ctx.now();
  }

  #singleFlight(key: string, run: () => Promise<RampAccess>): Promise<RampAccess> {
    const existing = this.#inflight.get(key);
    if (existing) return existing;
    const promise = run().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, promise);
    return promise;
  }

  #usable(row: RampConnectionsTable | undefined): RampConnectionsTable {
    if (!row) throw new ApiError('ramp_not_connected');
    if (row.status !== 'connected') throw new ApiError('reauthorization_required');
    return row;
  }

  #remember(row: RampConnectionsTable): RampAccess {
    const access = this.#toAccess(row);
    this.#hot.set(row.business_id, { access, freshUntil: freshUntil(row.last_refreshed_at, row.access_token_expires_at) });
    return access;
  }

  #toAccess(row: RampConnectionsTable): RampAccess {
    let accessToken: string | null;
    try {
      accessToken = this.#o.store.open(row).accessToken;
    } catch (error) {
      if (isKeyUnavailable(error)) throw keyUnavailableError();
      if (error instanceof CredentialsCorruptError) {
        this.#markNeedsReauth(row, 'credentials_corrupt', 'Stored credentials could not be decrypted').catch((failure) =>
          this.#o.ctx.log.error({ err: failure, connection_id: row.id }, 'could not mark the connection needs_reauth'),
        );
        throw new ApiError('credentials_corrupt');
      }
      throw error;
    }
    if (!accessToken || row.access_token_expires_at === null) throw new ApiError('reauthorization_required');
    return {
      connectionId: row.id,
      accessToken,
      apiBaseUrl: this.#o.ctx.config.rampHosts[row.environment].apiBaseUrl,
      environment: row.environment,
      expiresAt: row.access_token_expires_at,
    };
  }

  #needsRefresh(row: RampConnectionsTable, need: Need): boolean {
    const now = this.#now();
    if (!isFresh(row.last_refreshed_at, row.access_token_expires_at, now)) return true;
    if (need.kind === 'due') return row.next_refresh_at !== null && row.next_refresh_at <= now;
    if (need.kind === 'rejected') {
      // Someone already replaced the token Ramp rejected: use the new one.
      try {
        return this.#o.store.open(row).accessToken === need.token;
      } catch {
        return true;
      }
    }
    return false;
  }

  async #ensure(businessId: string, need: Need, limits: { attempts?: number } = {}): Promise<RampAccess> {
    const deadline = this.#now() + (this.#o.callerDeadlineMs ?? 20_000);
    let lastFailure: OAuthFailure | undefined;
    for (let attempt = 0; ; attempt++) {
      const row = this.#usable(await this.#o.store.find(businessId));
      if (!this.#needsRefresh(row, need)) return this.#toAccess(row);
      // Refreshing an authorization-code grant takes our OAuth app (RFC 6749 §6: the client
      // authenticates); without one configured no retry can help, and it is not the grant's fault.
      if (row.auth_method !== 'client_credentials' && !this.#o.oauthApp) throw new ApiError('oauth_not_configured');
      const lease = await this.#o.store.acquireLease(row, this.replicaId, this.#leaseMs);
      if (!lease) {
        // Re-read first (the holder may just have written); past the deadline, do not wait out its lease.
        if (this.#now() >= deadline) break;
        await this.#waitForHolder(row, deadline);
        continue;
      }
      if (!this.#needsRefresh(lease.row, need)) {
        await this.#o.store.releaseLease(lease, this.replicaId, {}, false);
        return this.#toAccess(lease.row);
      }
      const unsaved = this.#unsaved.get(lease.row.id);
      if (unsaved && unsaved.version === lease.row.version) {
        // Write what Ramp already issued; a token that aged meanwhile counts its age. Then re-check freshness.
        const agedS = Math.floor((this.#now() - unsaved.at) / 1000);
        const tokens = { ...unsaved.result.tokens, expiresInS: Math.max(0, unsaved.result.tokens.expiresInS - agedS) };
        if (await this.#commit(lease, { ...unsaved.result, tokens })) this.#o.ctx.log.info({ connection_id: lease.row.id }, 'stored the refreshed tokens that an earlier write failed to store');
        continue;
      }
      this.#unsaved.delete(lease.row.id);
      let result: TokenResult;
      const refreshStarted = performance.now();
      try {
        result = await this.#callRamp(lease.row, this.#callBudgetMs(lease.row));
      } catch (error) {
        if (isKeyUnavailable(error)) {
          // Sealed under a key another replica has and this one lacks yet: free the lease for it, change nothing.
          await this.#o.store.releaseLease(lease, this.replicaId, {}, lease.previousAttemptInterrupted);
          throw keyUnavailableError();
        }
        if (!(error instanceof CredentialsCorruptError)) throw error;
        // The secrets needed to refresh cannot be read: a person must reconnect; free the lease now.
        await this.#markNeedsReauth(lease.row, 'credentials_corrupt', 'Stored credentials could not be decrypted');
        throw new ApiError('credentials_corrupt');
      }
      recordRefresh(lease.row.auth_method, result, refreshStarted);
      if (result.ok) {
        await failpoint(AFTER_REFRESH_ANSWER);
        const written = await this.#commit(lease, result);
        if (written) {
          return this.#remember(written);
        }
        continue; // fenced out: another writer got there first; re-read
      }
      lastFailure = result.failure;
      if (result.failure.permanent) {
        await this.#permanentFailure(lease, result.failure);
        continue; // re-read: either another replica won (use its token) or the row is needs_reauth (throws)
      }
      await this.#transientFailure(lease, result.failure, attempt);
      // A still-valid token beats no token while Ramp is struggling (unless Ramp rejected that token).
      const current = await this.#o.store.find(businessId);
      if (need.kind !== 'rejected' && current?.status === 'connected' && current.access_token_expires_at !== null && current.access_token_expires_at - this.#now() > 30_000) {
        return this.#toAccess(current);
      }
      if ((limits.attempts !== undefined && attempt + 1 >= limits.attempts) || this.#now() >= deadline) break;
      await sleep(Math.max(lastFailure.retryAfterMs ?? 0, fullJitterDelay(attempt, CALLER_BACKOFF, this.#o.random)));
    }
    throw new ApiError(lastFailure?.code === 'rate_limited' ? 'ramp_rate_limited' : 'ramp_unavailable', 'Ramp could not refresh the access token right now; try again shortly');
  }

  /** Another replica holds the lease: wait until it writes (version changes) or its lease lapses. */
  async #waitForHolder(row: RampConnectionsTable, deadline: number): Promise<void> {
    for (;;) {
      await sleep(LEASE_POLL_MS);
      const now = this.#now();
      const current = await this.#o.store.find(row.business_id);
      if (!current || current.id !== row.id || current.version !== row.version || current.status !== 'connected') return;
      if (current.lease_until === null || current.lease_until < now || now >= deadline) return;
    }
  }

  /** How long a token call may take under the lease on `row` (`TOKEN_CALL_SHARE_OF_LEASE`); at least 1 ms. */
  #callBudgetMs(row: RampConnectionsTable): number {
    return Math.max(1, Math.floor(((row.lease_until ?? 0) - this.#now()) * TOKEN_CALL_SHARE_OF_LEASE));
  }

  async #callRamp(row: RampConnectionsTable, timeoutMs: number): Promise<TokenResult> {
    const apiBaseUrl = this.#o.ctx.config.rampHosts[row.environment].apiBaseUrl;
    const secrets = this.#o.store.open(row);
    if (row.auth_method === 'client_credentials') {
      // Client credentials have no refresh token: re-issue with the customer's stored id and secret.
      return this.#o.oauth.clientCredentials(apiBaseUrl, { clientId: row.client_id ?? '', clientSecret: secrets.clientSecret ?? '' }, row.scopes.split(' ').filter(Boolean), { timeoutMs });
    }
    if (!this.#o.oauthApp) {
      return { ok: false, failure: { code: 'invalid_client', permanent: false, status: 0, description: 'RAMP_CLIENT_ID/RAMP_CLIENT_SECRET are not configured' } };
    }
    if (!secrets.refreshToken) return { ok: false, failure: { code: 'invalid_grant', permanent: true, status: 0, description: 'No refresh token is stored' } };
    return this.#o.oauth.refresh(apiBaseUrl, this.#o.oauthApp, secrets.refreshToken, { timeoutMs });
  }

  /** Persist before use. A failed write is retried briefly with the tokens in memory, then fails closed. */
  async #commit(lease: Lease, result: Extract<TokenResult, { ok: true }>): Promise<RampConnectionsTable | undefined> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const written = await this.#o.store.writeTokens(lease.row, lease.row.version, result.tokens);
        if (written && lease.row.refresh_failures > 0) {
          await this.#o.events.emit(lease.row.business_id, 'connection.recovered', { connection_id: lease.row.id, after_failures: lease.row.refresh_failures });
        }
        this.#unsaved.delete(lease.row.id);
        return written;
      } catch (error) {
        lastError = error;
        await sleep(100 * (attempt + 1));
      }
    }
    // Fail closed, but keep the tokens: the lease stays ours until it lapses, and the next attempt in
    // this process (a caller, or the scheduler within seconds) writes them instead of asking Ramp again.
    this.#unsaved.set(lease.row.id, { version: lease.row.version, result, at: this.#now() });
    this.#o.ctx.log.error({ err: lastError, connection_id: lease.row.id }, 'could not store refreshed tokens; failing closed and keeping them to store next');
    throw new ApiError('service_unavailable', 'The refreshed Ramp tokens could not be stored; try again');
  }

  async #permanentFailure(lease: Lease, failure: OAuthFailure): Promise<void> {
    // Re-read first: a sibling replica may have refreshed with the same refresh token and won.
    const current = await this.#o.store.find(lease.row.business_id);
    if (!current || current.id !== lease.row.id || current.version !== lease.row.version) return;
    const reason = failure.code === 'invalid_grant' && lease.previousAttemptInterrupted ? 'lost_rotation' : failure.code;
    await this.#markNeedsReauth(lease.row, reason, describeFailure(failure));
  }

  async #markNeedsReauth(row: RampConnectionsTable, reason: string, message: string): Promise<void> {
    const now = this.#now();
    const events = this.#o.events;
    const entry = { businessId: row.business_id, actorTokenId: null, action: 'connection.needs_reauth', outcome: 'failure', detail: reason } as const;
    const data = { connection_id: row.id, reason, message };
    // With an outbox, the audit row and the event commit with the status change: a crash cannot leave
    // a needs_reauth connection that nobody was told about.
    const report = events.emitIn
      ? async (trx: Kysely<Database>) => {
          await audit(trx, entry, now);
          await events.emitIn!(trx, row.business_id, 'connection.needs_reauth', data);
        }
      : undefined;
    const marked = await this.#o.store.markNeedsReauth(row, reason, message, report);
    this.#hot.delete(row.business_id);
    // Only the replica whose update took effect reports it: exactly one event per transition.
    if (!marked) return;
    metrics.needsReauth.inc({ reason });
    this.#o.ctx.log.warn({ connection_id: row.id, business_id: row.business_id, reason }, 'Ramp connection needs re-authorization');
    if (!report) {
      await audit(this.#o.ctx.db.kysely, entry, now);
      await events.emit(row.business_id, 'connection.needs_reauth', data);
    }
  }

  async #transientFailure(lease: Lease, failure: OAuthFailure, attempt: number): Promise<void> {
    const now = this.#now();
    const failures = lease.row.refresh_failures + 1;
    // With no answer from Ramp (timeout, dropped connection) the refresh may have happened there:
    // keep the attempt id so a later invalid_grant is recognised as a lost rotation.
    const unknownOutcome = failure.code === 'timeout' || failure.code === 'network_error';
    await this.#o.store.releaseLease(
      lease,
      this.replicaId,
      {
        refresh_failures: failures,
        last_error: describeFailure(failure),
        last_error_at: now,
        next_refresh_at:
          now +
          Math.max(
            failure.retryAfterMs ?? 0,
            unknownOutcome && failures === 1
              ? LOST_ANSWER_RETRY.baseMs + fullJitterDelay(0, LOST_ANSWER_RETRY, this.#o.random)
              : SCHEDULE_BACKOFF.baseMs + fullJitterDelay(attempt + failures, SCHEDULE_BACKOFF, this.#o.random),
          ),
      },
      unknownOutcome,
    );
    this.#o.ctx.log.warn({ connection_id: lease.row.id, code: failure.code, status: failure.status }, 'Ramp token refresh failed (transient)');
    if (lease.row.last_error_at === null || now - lease.row.last_error_at > REFRESH_FAILED_EVENT_INTERVAL_MS) {
      await this.#o.events.emit(lease.row.business_id, 'connection.refresh_failed', { connection_id: lease.row.id, code: failure.code, failures });
    }
  }
}

/** Metrics of one token request: its outcome (success or the failure code) and how long Ramp took. */
function recordRefresh(authMethod: RampConnectionsTable['auth_method'], result: TokenResult, startedMs: number): void {
  const grant = authMethod === 'client_credentials' ? 'client_credentials' : 'refresh_token';
  metrics.tokenRefreshDuration.observe({ grant }, secondsSince(startedMs));
  metrics.tokenRefreshes.inc({ grant, outcome: result.ok ? 'success' : result.failure.code });
  if (!result.ok && result.failure.code === 'rate_limited') metrics.rampRateLimited.inc({ endpoint: '/token' });
}

function describeFailure(failure: OAuthFailure): string {
  switch (failure.code) {
    case 'invalid_grant':
      return 'Ramp no longer accepts this authorization (revoked, expired or already used); an admin must reconnect Ramp.';
    case 'invalid_client':
      return 'Ramp rejected the app credentials (the client secret may have been rotated); an admin must reconnect Ramp.';
    case 'unauthorized_client':
      return 'The Ramp app is no longer allowed to use this grant type; enable it in Ramp Dashboard → Company → Developer.';
    case 'invalid_scope':
      return 'The Ramp app no longer allows the granted scopes; reconnect Ramp.';
    case 'rate_limited':
      return 'Ramp rate limit reached while refreshing; will retry.';
    case 'timeout':
      return 'Ramp did not answer the token refresh in time; will retry.';
    case 'network_error':
      return 'Ramp could not be reached to refresh the token; will retry.';
    case 'server_error':
      return `Ramp answered ${failure.status} to the token refresh; will retry.`;
    default:
      return `Token refresh failed (${failure.code}); will retry.`;
  }
}

