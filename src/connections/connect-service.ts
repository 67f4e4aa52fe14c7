/**
 * @module Connecting and disconnecting Ramp: the client-credentials connect, the two halves of the
 * redirect (authorization code) flow, and disconnect. Routes in src/http/routes/ramp/ only translate
 * HTTP to these calls and back.
 *
 * Redirect-flow rules (docs/guarantees.md#oauth-redirect-flow, RFC 6749 §4.1, RFC 7636): redirect_uri
 * comes from PUBLIC_URL only; state is single use and bound to business, user and environment; a bad
 * state never reaches Ramp's token endpoint; the code is exchanged at most once, and only by the browser
 * that opened the launch URL (its cookie).
 * Disconnect seals the row `revoke_pending` (so a crash halfway is finished by the retry pass), revokes
 * the tokens at Ramp (RFC 7009; a local delete alone leaves them usable), then deletes the secrets,
 * unless Ramp could not answer (then the retry pass tries again: docs/guarantees.md#g43).
 */
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { audit } from '../audit/audit-log.ts';
import { ApiError, type ErrorCode } from '../core/errors.ts';
import type { Database, RampConnectionsTable } from '../db/schema.ts';
import type { OAuthFailure } from '../oauth/oauth-errors.ts';
import type { ClientCredentials } from '../oauth/token-endpoint.ts';
import { sleep } from '../support/backoff.ts';
import { AFTER_DISCONNECT_REVOKE, failpoint } from '../support/failpoint.ts';
import { isKeyUnavailable, keyUnavailableError } from '../vault/key-unavailable.ts';
import { CredentialsCorruptError } from '../vault/vault.ts';
import type { ConnectServices } from './connect-services.ts';
import { LEASE_POLL_MS } from './connection-lease.ts';
import type { Environment } from './connection-store.ts';
import { toConnectionView } from './connection-view.ts';
import { getSyncConfig } from './sync-config.ts';
import { scopesForSyncConfig } from './sync-scopes.ts';

type ConnectionViewBody = ReturnType<typeof toConnectionView>;
import { bindPendingAuthorization, consumePendingAuthorization, createPendingAuthorization, newBrowserSecret } from './oauth-state.ts';
import { isAllowedReturnTo, withOutcome } from './return-to.ts';


/** Readable reasons for the page we return to; never Ramp's raw text. */
const REASONS: Record<string, string> = {
  access_denied: 'access_denied',
  invalid_scope: 'invalid_scope',
  invalid_grant: 'authorization_expired',
  invalid_client: 'app_misconfigured',
  unauthorized_client: 'app_misconfigured',
};

/** The readable reason for Ramp's error code; own keys only, so `toString` or `__proto__` from a callback is not a reason. */
function reasonFor(code: string, fallback: string): string {
  return Object.hasOwn(REASONS, code) ? REASONS[code]! : fallback;
}

/** Writes the audit row of a connect attempt (the caller knows the request it belongs to). */
export type RecordOutcome = (outcome: 'success' | 'failure', detail: string) => Promise<void>;

export interface CredentialsConnect {
  readonly businessId: string;
  readonly tokenId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes?: readonly string[];
  readonly environment?: Environment;
}

export interface CallbackInput {
  readonly code?: string;
  readonly state?: string;
  readonly error?: string;
  readonly iss?: string;
  /** The secret in the binding cookie of the browser that delivered the callback, if any. */
  readonly browserSecret?: string;
  readonly requestId: string;
  /** Told when this call's audit row is written here, so the HTTP layer writes no second one. */
  readonly onAudited?: () => void;
}

export interface Disconnected {
  readonly row: RampConnectionsTable;
  readonly revoked: boolean;
  /** Why revocation at Ramp failed. */
  readonly reason?: string;
  /** Ramp could not be reached or failed (5xx, timeout): the row stays `revoke_pending` and is retried. */
  readonly pending?: boolean;
}

/** How long a `revoke_pending` grant is retried before its secrets are deleted anyway (docs/guarantees.md#g43). */
export const REVOKE_GIVE_UP_MS = 24 * 3600_000;
/** The first retry; later ones wait half the time already spent, capped at an hour. */
export const REVOKE_RETRY_MIN_MS = 60_000;
const REVOKE_RETRY_MAX_MS = 3600_000;
/** A disconnect waits for a refresh in flight at most its lease's lifetime plus this. */
const LEASE_WAIT_MARGIN_MS = 5_000;
/** What a disconnect waits on Ramp's revocation endpoint for both tokens, retries included (`ConnectServices.revocationBudgetMs`). */
const REVOCATION_BUDGET_MS = 15_000;

function nextRevocationAt(since: number, now: number): number {
  return now + Math.min(REVOKE_RETRY_MAX_MS, Math.max(REVOKE_RETRY_MIN_MS, Math.floor((now - since) / 2)));
}

/** Ramp's refusal → our stable code, whose detail tells the user what to change in their Ramp app. */
export function credentialFailureCode(failure: OAuthFailure): ErrorCode {
  switch (failure.code) {
    case 'invalid_client':
      return 'ramp_invalid_client';
    case 'unauthorized_client':
    case 'unsupported_grant_type':
      return 'ramp_unauthorized_client';
    case 'invalid_scope':
      return 'ramp_invalid_scope';
    case 'invalid_grant':
    case 'invalid_request':
    case 'access_denied':
      return 'ramp_invalid_client';
    default:
      return 'ramp_unavailable';
  }
}

/**
 * The 400 for `invalid_scope`: every scope this connection asked for (the ones to enable in the Ramp
 * app), and Ramp's own words (scrubbed by the OAuth client), which name the scopes it refused.
 */
function invalidScopeDetail(requested: readonly string[], rampSaid: string): string {
  const ramp = rampSaid ? ` Ramp said: "${rampSaid}".` : '';
  return `Your Ramp app does not allow every requested scope.${ramp} This connection asks for: ${requested.join(', ')}. Enable them in Ramp Dashboard → Company → Developer, or send \`scopes\` with fewer (syncs then skip what they cannot read).`;
}

export function redirectUri(publicUrl: string): string {
  return `${publicUrl}/api/v1/ramp/callback`;
}

/** Our launch route: binds the flow to the browser that opens it, then sends it to Ramp (docs/guarantees.md#g41). */
export function launchUrl(publicUrl: string, state: string): string {
  return `${publicUrl}/api/v1/ramp/authorize?state=${encodeURIComponent(state)}`;
}

export class ConnectService {
  readonly #s: ConnectServices;

  constructor(services: ConnectServices) {
    this.#s = services;
  }

  /** Client Credentials with the customer's own app. Ramp's refusal is a 400 saying what to fix; nothing is stored unless Ramp issued a token. */
  async connectWithCredentials(input: CredentialsConnect, record: RecordOutcome): Promise<RampConnectionsTable> {
    const { ctx, store, oauth } = this.#s;
    const environment = input.environment ?? ctx.config.defaultEnvironment;
    // By default, what the business's sync configuration reads: a narrower grant would make every sync partial.
    const scopes = input.scopes ?? scopesForSyncConfig(await getSyncConfig(ctx.db.kysely, input.businessId));

    // Cheap pre-check: don't spend a Ramp token request when a live connection already exists.
    const existing = await store.find(input.businessId);
    if (existing?.status === 'connected') {
      await record('failure', 'conflict: a live connection exists');
      throw new ApiError('resource_exists', undefined, { existingId: existing.id });
    }

    const client = { clientId: input.clientId, clientSecret: input.clientSecret };
    const apiBaseUrl = ctx.config.rampHosts[environment].apiBaseUrl;
    const result = await oauth.clientCredentials(apiBaseUrl, client, scopes);
    if (!result.ok) {
      const code = credentialFailureCode(result.failure);
      await record('failure', `ramp refused: ${result.failure.code}`);
      throw new ApiError(code, code === 'ramp_invalid_scope' ? invalidScopeDetail(scopes, result.failure.description) : undefined);
    }

    const created = await store.create({
      businessId: input.businessId,
      environment,
      authMethod: 'client_credentials',
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      requestedScopes: scopes,
      tokens: result.tokens,
      createdByTokenId: input.tokenId,
      replaceConnected: false,
    });
    if ('conflict' in created) {
      // Lost a race with a concurrent connect: give back the token we just obtained.
      void oauth.revoke(apiBaseUrl, client, result.tokens.accessToken, 'access_token');
      await record('failure', 'conflict: a live connection exists');
      throw new ApiError('resource_exists', undefined, { existingId: created.conflict.id });
    }
    await record('success', `connected (${environment})`);
    await this.#s.events.emit(input.businessId, 'connection.created', { connection_id: created.created.id, auth_method: 'client_credentials', environment });
    await this.#afterConnect(input.businessId);
    return created.created;
  }

  /**
   * Starts a flow: a single-use state with PKCE S256. The URL returned is our launch route, not Ramp's:
   * whoever asked (the page, or an API caller with a bearer token) sends the browser there, and the
   * launch binds the flow to that browser before redirecting to Ramp (docs/guarantees.md#g41).
   */
  async startAuthorization(input: { businessId: string; userId: string; tokenId: string; returnTo?: string }): Promise<{ connectUrl: string; expiresAt: number }> {
    const { ctx, oauthApp } = this.#s;
    if (!oauthApp) throw new ApiError('oauth_not_configured');
    const returnTo = input.returnTo ?? `${ctx.config.publicUrl}/`;
    if (!isAllowedReturnTo(returnTo, ctx.config.returnToAllowlist)) throw new ApiError('return_to_not_allowed');
    const environment = ctx.config.defaultEnvironment;
    const pending = await createPendingAuthorization(ctx.db, this.#s.store.vault, {
      businessId: input.businessId,
      userId: input.userId,
      tokenId: input.tokenId,
      environment,
      returnTo,
      scopes: ctx.config.rampScopes,
      now: ctx.now(),
    });
    return { connectUrl: launchUrl(ctx.config.publicUrl, pending.state), expiresAt: pending.expiresAt };
  }

  /**
   * The browser opens the launch URL: the flow is bound to it (its cookie secret, reused when it
   * already has one so two tabs can connect two businesses) and it is sent to Ramp's authorize URL.
   * A state that is unknown, expired or already opened by a browser is `invalid_state`.
   */
  async launchAuthorization(input: { state?: string; browserSecret?: string }): Promise<{ authorizeUrl: string; browserSecret: string; expiresAt: number }> {
    const { ctx, oauthApp } = this.#s;
    if (!oauthApp) throw new ApiError('oauth_not_configured');
    if (!input.state) throw new ApiError('invalid_state');
    const browserSecret = input.browserSecret && /^[A-Za-z0-9_-]{43}$/.test(input.browserSecret) ? input.browserSecret : newBrowserSecret();
    let launched;
    try {
      launched = await bindPendingAuthorization(ctx.db, this.#s.store.vault, input.state, browserSecret, ctx.now());
    } catch (e) {
      if (e instanceof CredentialsCorruptError) throw new ApiError('invalid_state');
      throw e;
    }
    if (!launched) throw new ApiError('invalid_state');
    const { row } = launched;
    const url = new URL(`${ctx.config.rampHosts[row.environment].appBaseUrl}/v1/authorize`);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', oauthApp.clientId);
    url.searchParams.set('redirect_uri', redirectUri(ctx.config.publicUrl));
    url.searchParams.set('scope', row.scopes);
    url.searchParams.set('state', input.state);
    url.searchParams.set('code_challenge', launched.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    return { authorizeUrl: url.toString(), browserSecret, expiresAt: row.expires_at };
  }

  /**
   * Ramp's redirect back: consumes the state, exchanges the code once, stores the connection, and
   * returns where to send the browser (`return_to` with `ramp=connected` or `ramp=error&reason=…`).
   * A bad state throws `invalid_state` before anything reaches Ramp.
   */
  async completeAuthorization(input: CallbackInput): Promise<string> {
    const { ctx, store } = this.#s;
    if (!input.state) throw new ApiError('invalid_state');
    let pending;
    try {
      pending = await consumePendingAuthorization(ctx.db, store.vault, input.state, input.browserSecret, ctx.now());
    } catch (e) {
      if (e instanceof CredentialsCorruptError) throw new ApiError('invalid_state');
      throw e;
    }
    // A stolen callback URL opened in another browser consumes nothing and never reaches Ramp.
    if ('refused' in pending) throw new ApiError(pending.refused === 'other_browser' ? 'oauth_other_browser' : 'invalid_state');
    const { row } = pending;
    const record = (outcome: 'success' | 'failure', detail: string) => {
      input.onAudited?.();
      return audit(ctx.db.kysely, { businessId: row.business_id, actorTokenId: row.token_id, action: 'connect.oauth', outcome, requestId: input.requestId, detail }, ctx.now());
    };
    const back = (params: Record<string, string>) => withOutcome(row.return_to ?? `${ctx.config.publicUrl}/`, params);

    // RFC 9207 mix-up defence: when the authorization server names itself, it must be the one this
    // flow started with (docs/guarantees.md#g5).
    const hosts = ctx.config.rampHosts[row.environment];
    if (input.iss !== undefined && input.iss !== hosts.appBaseUrl && input.iss !== hosts.apiBaseUrl) {
      await record('failure', 'issuer mismatch');
      throw new ApiError('invalid_state', 'The authorization response came from a different Ramp environment; start again');
    }
    if (input.error !== undefined) {
      const reason = reasonFor(input.error, 'authorization_failed');
      await record('failure', `ramp: ${reason}`);
      return back({ ramp: 'error', reason });
    }
    if (!input.code) {
      await record('failure', 'no code');
      return back({ ramp: 'error', reason: 'authorization_failed' });
    }
    const { oauthApp } = this.#s;
    if (!oauthApp) throw new ApiError('oauth_not_configured');
    const refused = await this.#revokeReplaced(row.business_id, row.token_id, input.requestId, record);
    if (refused) return back({ ramp: 'error', reason: refused });

    const result = await this.#s.oauth.exchangeCode(hosts.apiBaseUrl, oauthApp, {
      code: input.code,
      redirectUri: redirectUri(ctx.config.publicUrl),
      codeVerifier: pending.codeVerifier,
    });
    if (!result.ok) {
      await record('failure', `exchange failed: ${result.failure.code}`);
      return back({ ramp: 'error', reason: reasonFor(result.failure.code, 'ramp_unavailable') });
    }
    const created = await store.create({
      businessId: row.business_id,
      environment: row.environment,
      authMethod: 'oauth',
      clientId: oauthApp.clientId,
      requestedScopes: row.scopes.split(' ').filter(Boolean),
      tokens: result.tokens,
      createdByTokenId: row.token_id,
      // #revokeReplaced has disconnected what this consent replaces; a connected row now is another
      // consent's, made during our exchange: it stays, and the grant this one got is given back.
      replaceConnected: false,
    });
    if ('conflict' in created) {
      // Changed since #revokeReplaced looked: another consent connected it, or a disconnect is under way.
      // Revoking the refresh token ends its access tokens too (RFC 7009 §2.1); left alone, this grant
      // would stay live at Ramp with no row to find it by.
      const { refreshToken, accessToken } = result.tokens;
      const given = await this.#s.oauth.revoke(hosts.apiBaseUrl, oauthApp, refreshToken ?? accessToken, refreshToken ? 'refresh_token' : 'access_token', { budgetMs: this.#s.revocationBudgetMs ?? REVOCATION_BUDGET_MS });
      if (!given.ok) ctx.log.warn({ business_id: row.business_id, code: given.failure.code }, 'could not revoke the grant of a consent that lost to another; it stays live at Ramp until it expires');
      const pending = created.conflict.status === 'revoke_pending';
      await record('failure', pending ? 'the previous connection is still being revoked at Ramp' : 'conflict');
      return back({ ramp: 'error', reason: pending ? 'revocation_pending' : 'already_connected' });
    }
    await record('success', `connected (${row.environment})`);
    await this.#s.events.emit(row.business_id, 'connection.created', { connection_id: created.created.id, auth_method: 'oauth', environment: row.environment });
    await this.#afterConnect(row.business_id);
    return back({ ramp: 'connected' });
  }

  /**
   * Re-consent replaces the business's connection (connect-with-credentials refuses to). The grant it
   * replaces is revoked at Ramp and its webhook subscription deleted first, as a disconnect does (RFC
   * 7009): replaced as it was, it stayed live at Ramp for good, its row having been the only record of
   * it. Done before the new code is exchanged, so that when Ramp cannot take the revocation now the
   * code goes unused and the person tries again, rather than two grants being live. Returns why the
   * consent is refused then, and while an earlier revocation is still pending (that row may not be
   * replaced either: `revocation_pending`, which the retry pass ends); null to go on.
   */
  async #revokeReplaced(businessId: string, actorTokenId: string | null, requestId: string, record: (outcome: 'success' | 'failure', detail: string) => Promise<unknown>): Promise<'revocation_pending' | 'ramp_unavailable' | null> {
    const previous = await this.#s.store.find(businessId);
    if (!previous) return null;
    if (previous.status === 'revoke_pending') {
      await record('failure', 'the previous connection is still being revoked at Ramp');
      return 'revocation_pending';
    }
    const replaced = await this.disconnect(businessId, ({ row, revoked, reason }, db) =>
      audit(db, { businessId, actorTokenId, action: 'disconnect', outcome: revoked ? 'success' : 'partial', requestId, target: `connection_id=${row.id}`, detail: revoked ? 'replaced by re-consent: revoked at Ramp and deleted' : `replaced by re-consent: deleted locally; Ramp revocation failed: ${reason}` }, this.#s.ctx.now()),
    );
    if (!replaced.pending) return null;
    await record('failure', 'the connection it replaces is not yet revoked at Ramp');
    return 'ramp_unavailable';
  }

  /**
   * Marks the row `revoke_pending` (once no refresh is in flight), revokes at Ramp (refresh token,
   * then access token), then deletes the row and emits `connection.deleted`, with `record`'s write
   * (the route's audit row) in the delete's transaction (`db` is that transaction). When Ramp fails or does
   * not answer (after the client's retries) the row stays `revoke_pending` — unusable, shown by status
   * — and `retryRevocations` tries again (docs/guarantees.md#g43); it also finishes a disconnect whose
   * process died after the mark.
   */
  async disconnect(businessId: string, record: (outcome: Disconnected, db: Kysely<Database>) => Promise<void>): Promise<Disconnected> {
    const current = await this.#s.store.find(businessId);
    if (!current || current.status === 'revoke_pending') throw new ApiError('ramp_not_connected');
    // Not this replica's key yet: change nothing (another replica, or this one later, can revoke).
    this.#assertKeyAvailable(current);
    // The webhook subscription is deleted with the connection's token, so before the row is sealed.
    await this.#s.hooks?.disconnecting(businessId);
    const row = await this.#beginRevocation(current);
    const revocation = await this.#revokeAtRamp(row);
    if (revocation.transient) {
      await this.#s.store.rescheduleRevocation(row, revocation.reason ?? 'ramp_unavailable', nextRevocationAt(this.#s.ctx.now(), this.#s.ctx.now()));
      const outcome: Disconnected = { row, revoked: false, pending: true, ...(revocation.reason ? { reason: revocation.reason } : {}) };
      await record(outcome, this.#s.ctx.db.kysely);
      return outcome;
    }
    await failpoint(AFTER_DISCONNECT_REVOKE);
    const outcome: Disconnected = { row, revoked: revocation.revoked, ...(revocation.reason ? { reason: revocation.reason } : {}) };
    // Recorded with the delete, so a crash cannot keep the one without the other; when a retry pass
    // deleted it first (and recorded its own), this request's record is still written.
    if (!(await this.#deleteReporting(row, revocation.revoked, (trx) => record(outcome, trx)))) await record(outcome, this.#s.ctx.db.kysely);
    return outcome;
  }

  /**
   * The row, sealed as `revoke_pending`. A replica refreshing it holds its lease until it commits or
   * fails (at most the lease's lifetime): wait for it, so the tokens revoked are the newest ones and
   * no refresh runs on a grant being revoked. If the retry pass comes due first it just revokes again
   * (RFC 7009 §2.2: revoking an invalid token is answered 200).
   */
  async #beginRevocation(first: RampConnectionsTable): Promise<RampConnectionsTable> {
    const { store, ctx } = this.#s;
    const deadline = ctx.now() + ctx.config.refreshLeaseMs + LEASE_WAIT_MARGIN_MS;
    // The seal matches by id and returns the row as it is then: the first try needs no fresh read.
    let row: RampConnectionsTable | undefined = first;
    for (;;) {
      if (!row || row.status === 'revoke_pending') throw new ApiError('ramp_not_connected');
      const now = ctx.now();
      const sealed = await store.beginRevocation(row, nextRevocationAt(now, now));
      if (sealed) return sealed;
      if (now >= deadline) throw new ApiError('service_unavailable', 'A token refresh of this connection is in progress; try again');
      await sleep(LEASE_POLL_MS);
      row = await store.find(first.business_id);
    }
  }

  /**
   * Deletes the row and reports `connection.deleted` (with `alsoWrite`, e.g. its audit row): with an
   * outbox, in the delete's transaction, so a crash in between loses neither; only the caller whose
   * delete took effect reports, so a row deleted twice (a disconnect and a retry pass) reports once.
   */
  async #deleteReporting(row: RampConnectionsTable, revokedAtRamp: boolean, alsoWrite?: (trx: Kysely<Database>) => Promise<void>): Promise<boolean> {
    const { store, events } = this.#s;
    const data = { connection_id: row.id, revoked_at_ramp: revokedAtRamp };
    const emitIn = events.emitIn?.bind(events);
    const deleted = await store.delete(row, async (trx) => {
      await alsoWrite?.(trx);
      await emitIn?.(trx, row.business_id, 'connection.deleted', data);
    });
    if (deleted && !emitIn) await events.emit(row.business_id, 'connection.deleted', data);
    if (deleted) await this.#s.hooks?.disconnected(row.business_id, row.id);
    return deleted;
  }

  #assertKeyAvailable(row: RampConnectionsTable): void {
    try {
      this.#s.store.open(row);
    } catch (error) {
      if (isKeyUnavailable(error)) throw keyUnavailableError();
      if (!(error instanceof CredentialsCorruptError)) throw error;
    }
  }

  /**
   * One pass over due `revoke_pending` rows (claimed, so replicas share the work): revoked → the row
   * and its secrets are deleted; still failing → tried later, until `REVOKE_GIVE_UP_MS` after the
   * disconnect, when the secrets are deleted anyway. Returns how many rows were settled.
   */
  async retryRevocations(options: { leaseMs?: number; limit?: number } = {}): Promise<number> {
    const { ctx, store } = this.#s;
    let settled = 0;
    for (const row of await store.claimDueRevocations(ctx.now(), options.leaseMs ?? REVOKE_RETRY_MIN_MS, options.limit ?? 20)) {
      const revocation = await this.#revokeAtRamp(row);
      const since = row.revoke_pending_since ?? row.updated_at;
      const now = ctx.now();
      if (revocation.transient && now - since < REVOKE_GIVE_UP_MS) {
        await store.rescheduleRevocation(row, revocation.reason ?? 'ramp_unavailable', nextRevocationAt(since, now));
        continue;
      }
      const entry = { businessId: row.business_id, actorTokenId: null, action: 'connection.revoke_retry', outcome: revocation.revoked ? 'success' : 'failure', requestId: null, detail: revocation.revoked ? 'revoked at Ramp; secrets deleted' : `gave up (${revocation.reason ?? 'unknown'}); secrets deleted` } as const;
      // Already deleted (the disconnect that sealed it finished after all): nothing to report twice.
      if (await this.#deleteReporting(row, revocation.revoked, (trx) => audit(trx, entry, now))) settled++;
    }
    return settled;
  }

  /** What `GET /api/v1/ramp/status` shows. */
  async status(businessId: string): Promise<ConnectionViewBody> {
    const row = await this.#s.store.find(businessId);
    return toConnectionView(row, await this.#s.summary(businessId), row ? await this.#webhookStatus(businessId) : null);
  }

  /** A stored connection as the API shows it. */
  async view(row: RampConnectionsTable): Promise<ConnectionViewBody> {
    return toConnectionView(row, await this.#s.summary(row.business_id), await this.#webhookStatus(row.business_id));
  }

  async #webhookStatus(businessId: string) {
    return (await this.#s.hooks?.webhookStatus(businessId)) ?? null;
  }

  /** The connect succeeded: follow-ups (the Ramp webhook subscription) must not turn it into a failure. */
  async #afterConnect(businessId: string): Promise<void> {
    try {
      await this.#s.hooks?.connected(businessId);
    } catch (error) {
      this.#s.ctx.log.error({ err: error, business_id: businessId }, 'could not queue the Ramp webhook subscription');
    }
  }

  /** Revoked when Ramp confirmed both revocations (or there was nothing to revoke); transient when worth retrying. */
  async #revokeAtRamp(row: RampConnectionsTable): Promise<{ revoked: boolean; reason?: string; transient?: boolean }> {
    const s = this.#s;
    let secrets;
    try {
      secrets = s.store.open(row);
    } catch (error) {
      // Not this replica's key yet: keep the connection (deleting it would leave the grant live at Ramp).
      if (isKeyUnavailable(error)) throw keyUnavailableError();
      if (error instanceof CredentialsCorruptError) return { revoked: false, reason: 'credentials_corrupt' };
      throw error;
    }
    const client: ClientCredentials | undefined =
      row.auth_method === 'client_credentials' ? { clientId: row.client_id ?? '', clientSecret: secrets.clientSecret ?? '' } : s.oauthApp;
    if (!client) return { revoked: false, reason: 'oauth_not_configured' };
    const apiBaseUrl = s.ctx.config.rampHosts[row.environment].apiBaseUrl;
    const results = [];
    // One budget for both tokens: a person (and any proxy in front of us) waits on a disconnect, and
    // a Ramp that does not answer in time leaves the row revoke_pending for the retry pass anyway.
    const endsAt = performance.now() + (s.revocationBudgetMs ?? REVOCATION_BUDGET_MS);
    const budget = () => ({ budgetMs: endsAt - performance.now() });
    // Revoking the refresh token first also ends its family's access tokens (RFC 7009 §2.1).
    if (secrets.refreshToken) results.push(await s.oauth.revoke(apiBaseUrl, client, secrets.refreshToken, 'refresh_token', budget()));
    if (secrets.accessToken) results.push(await s.oauth.revoke(apiBaseUrl, client, secrets.accessToken, 'access_token', budget()));
    const failed = results.find((r) => !r.ok);
    return failed && !failed.ok ? { revoked: false, reason: failed.failure.code, transient: !failed.failure.permanent } : { revoked: true };
  }
}
