/**
 * @module Ramp connections at rest: one row per business, its secrets sealed by the vault under a
 * per-row data key. Every token write is fenced by `version` so a writer holding a stale view
 * (another replica refreshed meanwhile) changes nothing. This module is the only writer of the
 * `ramp_connections` row: tokens, the refresh lease (statements in connection-lease.ts) and the
 * needs-reauth mark are methods of this class; `claimDueRefreshes` leases due rows for the scheduler.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Db } from '../db/database.ts';
import type { AuthMethod, Database, RampConnectionsTable } from '../db/schema.ts';
import type { TokenSet } from '../oauth/token-endpoint.ts';
import { claimDue } from '../core/claim-due.ts';
import { acquireLease, releaseLease, type Lease } from './connection-lease.ts';
import { nextRefreshAt } from './refresh-policy.ts';
import { connectionScope } from '../vault/encrypted-tables.ts';
import type { DataKey, Vault } from '../vault/vault.ts';

export type Environment = 'sandbox' | 'production';

export interface ConnectionSecrets {
  readonly accessToken: string | null;
  readonly refreshToken: string | null;
  readonly clientSecret: string | null;
}

export interface NewConnection {
  readonly businessId: string;
  readonly environment: Environment;
  readonly authMethod: AuthMethod;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly requestedScopes: readonly string[];
  readonly tokens: TokenSet;
  readonly createdByTokenId: string | null;
  /** OAuth re-consent replaces any connection; connect-with-credentials only a `needs_reauth` one. */
  readonly replaceConnected: boolean;
}

export type CreateResult = { readonly created: RampConnectionsTable } | { readonly conflict: RampConnectionsTable };

export class ConnectionStore {
  readonly #db: Db;
  readonly #vault: Vault;
  readonly #now: () => number;
  readonly #listeners = new Set<(businessId: string) => void>();

  constructor(db: Db, vault: Vault, now: () => number) {
    this.#db = db;
    this.#vault = vault;
    this.#now = now;
  }

  get vault(): Vault {
    return this.#vault;
  }

  /** Called with the business id whenever this process changes its connection (caches listen). */
  onChange(listener: (businessId: string) => void): void {
    this.#listeners.add(listener);
  }

  #changed(businessId: string): void {
    for (const listener of this.#listeners) listener(businessId);
  }

  async find(businessId: string): Promise<RampConnectionsTable | undefined> {
    return this.#db.kysely.selectFrom('ramp_connections').selectAll().where('business_id', '=', businessId).executeTakeFirst();
  }

  /** Decrypts a row's secrets; throws `CredentialsCorruptError` if any ciphertext is not where it belongs. */
  open(row: RampConnectionsTable): ConnectionSecrets {
    const scope = connectionScope(row);
    const key = this.#vault.unwrap(scope, row.data_key);
    const field = (name: string, ct: Uint8Array | null) => (ct === null ? null : this.#vault.openField(scope, key, name, ct));
    return {
      accessToken: field('access_token', row.access_token),
      refreshToken: field('refresh_token', row.refresh_token),
      clientSecret: field('client_secret', row.client_secret),
    };
  }

  /**
   * Inserts the business's connection, replacing a `needs_reauth` one (or any, for OAuth re-consent).
   * A live connection is a conflict. The unique index on business_id settles concurrent inserts.
   */
  async create(input: NewConnection): Promise<CreateResult> {
    const now = this.#now();
    const id = randomUUID();
    const scope = connectionScope({ environment: input.environment, business_id: input.businessId, id });
    const dataKey = this.#vault.newDataKey(scope);
    const row: RampConnectionsTable = {
      id,
      business_id: input.businessId,
      environment: input.environment,
      auth_method: input.authMethod,
      status: 'connected',
      status_reason: null,
      scopes: (input.tokens.scope ?? input.requestedScopes.join(' ')).trim(),
      client_id: input.clientId,
      data_key: dataKey.wrapped,
      data_key_kid: dataKey.kid,
      access_token: this.#vault.sealField(scope, dataKey, 'access_token', input.tokens.accessToken),
      refresh_token: input.tokens.refreshToken ? this.#vault.sealField(scope, dataKey, 'refresh_token', input.tokens.refreshToken) : null,
      client_secret: input.clientSecret ? this.#vault.sealField(scope, dataKey, 'client_secret', input.clientSecret) : null,
      access_token_expires_at: now + input.tokens.expiresInS * 1000,
      last_refreshed_at: now,
      version: 0,
      lease_owner: null,
      lease_until: null,
      refresh_attempt_id: null,
      refresh_attempt_at: null,
      refresh_failures: 0,
      next_refresh_at: nextRefreshAt(now, now + input.tokens.expiresInS * 1000),
      last_error: null,
      last_error_at: null,
      revoke_pending_since: null,
      next_revoke_at: null,
      created_by_token_id: input.createdByTokenId,
      created_at: now,
      updated_at: now,
    };
    try {
      return await this.#db.kysely.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('ramp_connections')
          .selectAll()
          .where('business_id', '=', input.businessId)
          .$if(this.#db.dialect === 'postgres', (q) => q.forUpdate())
          .executeTakeFirst();
        if (existing && existing.status === 'connected' && !input.replaceConnected) return { conflict: existing };
        // A grant Ramp has not yet revoked is never replaced: its row is the only record of what to revoke.
        if (existing?.status === 'revoke_pending') return { conflict: existing };
        if (existing) await trx.deleteFrom('ramp_connections').where('id', '=', existing.id).execute();
        await trx.insertInto('ramp_connections').values(row).execute();
        return { created: row };
      }).finally(() => this.#changed(input.businessId));
    } catch (error) {
      // A concurrent insert won the unique index on business_id.
      const winner = await this.find(input.businessId);
      if (winner && isUniqueViolation(error)) return { conflict: winner };
      throw error;
    }
  }

  /**
   * Writes freshly issued tokens if the row is still at `expectedVersion` (fencing). A missing refresh
   * token in the answer keeps the stored one (RFC 6749 §6: the server MAY issue a new one).
   * Returns the new row, or undefined when fenced out.
   */
  async writeTokens(row: RampConnectionsTable, expectedVersion: number, tokens: TokenSet, extra: Partial<RampConnectionsTable> = {}): Promise<RampConnectionsTable | undefined> {
    const now = this.#now();
    const scope = connectionScope(row);
    const dataKey: DataKey = this.#vault.unwrap(scope, row.data_key);
    const expiresAt = now + tokens.expiresInS * 1000;
    const set: Partial<RampConnectionsTable> = {
      access_token: this.#vault.sealField(scope, dataKey, 'access_token', tokens.accessToken),
      ...(tokens.refreshToken ? { refresh_token: this.#vault.sealField(scope, dataKey, 'refresh_token', tokens.refreshToken) } : {}),
      ...(tokens.scope ? { scopes: tokens.scope } : {}),
      access_token_expires_at: expiresAt,
      last_refreshed_at: now,
      next_refresh_at: nextRefreshAt(now, expiresAt),
      version: expectedVersion + 1,
      status: 'connected',
      status_reason: null,
      refresh_attempt_id: null,
      refresh_attempt_at: null,
      refresh_failures: 0,
      last_error: null,
      last_error_at: null,
      lease_owner: null,
      lease_until: null,
      updated_at: now,
      ...extra,
    };
    const result = await this.#db.kysely
      .updateTable('ramp_connections')
      .set(set)
      .where('id', '=', row.id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    this.#changed(row.business_id);
    if (Number(result.numUpdatedRows) !== 1) return undefined;
    return { ...row, ...set } as RampConnectionsTable;
  }

  /** Takes the row's refresh lease for `owner` (see connection-lease.ts); undefined when another holds it. */
  acquireLease(row: RampConnectionsTable, owner: string, ttlMs: number): Promise<Lease | undefined> {
    return acquireLease(this.#db, row, owner, ttlMs, this.#now());
  }

  /** Gives the lease back, with `changes` (failure counters, next try), fenced by owner and version. */
  releaseLease(lease: Lease, owner: string, changes: Partial<RampConnectionsTable>, keepAttempt: boolean): Promise<void> {
    return releaseLease(this.#db, lease, owner, changes, keepAttempt);
  }

  /** True only for the writer whose mark took effect (the row was still connected at `row.version`). */
  /**
   * `alsoWrite` runs in the same transaction, only when this update took effect: the event and audit
   * row that report the transition commit with it or not at all (a crash in between loses neither).
   */
  async markNeedsReauth(row: RampConnectionsTable, reason: string, message: string, alsoWrite?: (trx: Kysely<Database>) => Promise<void>): Promise<boolean> {
    const now = this.#now();
    const marked = await this.#db.kysely.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('ramp_connections')
        .set({ status: 'needs_reauth', status_reason: reason, last_error: message, last_error_at: now, lease_owner: null, lease_until: null, next_refresh_at: null, updated_at: now })
        .where('id', '=', row.id)
        .where('status', '=', 'connected')
        .where('version', '=', row.version)
        .executeTakeFirst();
      const updated = Number(result.numUpdatedRows) === 1;
      if (updated && alsoWrite) await alsoWrite(trx);
      return updated;
    });
    this.#changed(row.business_id);
    return marked;
  }

  /**
   * Starts a disconnect: the row becomes `revoke_pending` before Ramp is asked to revoke, so a crash
   * halfway leaves a row the retry pass finishes at `retryAt` (docs/guarantees.md#g43), never a
   * `connected` row whose grant Ramp has revoked. Only while no replica holds the refresh lease: a
   * refresh in flight may be rotating the very tokens we are about to revoke. The version moves on,
   * which fences out any later refresh commit. Returns the row as sealed (its newest tokens), or
   * undefined when the lease is held, the row is gone, or it is already being revoked.
   */
  async beginRevocation(row: RampConnectionsTable, retryAt: number): Promise<RampConnectionsTable | undefined> {
    const now = this.#now();
    const sealed = await this.#db.kysely
      .updateTable('ramp_connections')
      .set((eb) => ({ status: 'revoke_pending', status_reason: 'disconnecting', revoke_pending_since: now, next_revoke_at: retryAt, next_refresh_at: null, lease_owner: null, lease_until: null, version: eb('version', '+', 1), updated_at: now }))
      .where('id', '=', row.id)
      .where('status', '!=', 'revoke_pending')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .returningAll()
      .executeTakeFirst();
    this.#changed(row.business_id);
    return sealed;
  }

  /**
   * Takes up to `limit` `revoke_pending` rows whose retry time has passed, each moved `leaseMs` ahead
   * with a compare-and-set on the old time, so two replicas never retry the same row at once.
   */
  async claimDueRevocations(now: number, leaseMs: number, limit: number): Promise<RampConnectionsTable[]> {
    const due = await this.#db.kysely
      .selectFrom('ramp_connections')
      .selectAll()
      .where('status', '=', 'revoke_pending')
      .where('next_revoke_at', '<=', now)
      .orderBy('next_revoke_at')
      .limit(limit)
      .execute();
    const claimed: RampConnectionsTable[] = [];
    for (const row of due) {
      const result = await this.#db.kysely
        .updateTable('ramp_connections')
        .set({ next_revoke_at: now + leaseMs })
        .where('id', '=', row.id)
        .where('status', '=', 'revoke_pending')
        .where('next_revoke_at', '=', row.next_revoke_at)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) claimed.push(row);
    }
    return claimed;
  }

  /** Ramp did not confirm a revocation: try again at `nextAt`; the status reason says why it is still pending. */
  async rescheduleRevocation(row: RampConnectionsTable, reason: string, nextAt: number): Promise<void> {
    const now = this.#now();
    await this.#db.kysely
      .updateTable('ramp_connections')
      .set({ status_reason: reason, next_revoke_at: nextAt, last_error: `revocation failed: ${reason}`, last_error_at: now, updated_at: now })
      .where('id', '=', row.id)
      .where('status', '=', 'revoke_pending')
      .execute();
  }

  /**
   * Deletes the row; true only for the caller whose delete took effect. `alsoWrite` runs in the same
   * transaction, only then: the event and audit row that report it commit with it or not at all.
   */
  async delete(row: Pick<RampConnectionsTable, 'id' | 'business_id'>, alsoWrite?: (trx: Kysely<Database>) => Promise<void>): Promise<boolean> {
    const deleted = await this.#db.kysely.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('ramp_connections').where('id', '=', row.id).executeTakeFirst();
      const took = Number(result.numDeletedRows) === 1;
      if (took && alsoWrite) await alsoWrite(trx);
      return took;
    });
    this.#changed(row.business_id);
    return deleted;
  }
}

/** Leases up to `limit` connections whose `next_refresh_at` has passed to `owner`; returns their business ids. */
export async function claimDueRefreshes(db: Db, owner: string, options: { now: number; leaseMs: number; limit: number }): Promise<string[]> {
  const { now } = options;
  const rows = await claimDue(db.kysely, db.dialect, {
    table: 'ramp_connections',
    key: 'id',
    due: (q) =>
      q
        .where('status', '=', 'connected')
        .where('next_refresh_at', '<=', now)
        .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
        .orderBy('next_refresh_at')
        .limit(options.limit),
    set: { lease_owner: owner, lease_until: now + options.leaseMs },
    recheck: (q) => q.where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)])),
  })
    .returning(['business_id'])
    .execute();
  return rows.map((r) => r.business_id);
}

/**
 * Gives back claims `owner` took and will not work on (a scheduler stopped mid-batch). A row with a
 * refresh attempt on it keeps its lease: that lease is the attempt's (acquireLease), not the claim's.
 */
export async function releaseClaims(db: Db, owner: string, businessIds: readonly string[]): Promise<void> {
  await db.kysely
    .updateTable('ramp_connections')
    .set({ lease_owner: null, lease_until: null })
    .where('business_id', 'in', businessIds)
    .where('lease_owner', '=', owner)
    .where('refresh_attempt_id', 'is', null)
    .execute();
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/i.test(e?.message ?? '');
}
