/**
 * @module Stored answers for `Idempotency-Key` (docs/guarantees.md#g42). A key belongs to one business
 * and one API token. The first request inserts its row (the primary key decides between concurrent
 * duplicates: one insert wins, the others see its row); its answer is then stored to be replayed.
 * Only answers below 500 are kept: a failure of ours or Ramp's releases the key so a retry runs again.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, IdempotencyKeysTable } from '../db/schema.ts';

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
/** A first request unanswered after this long (its process died) no longer holds its key. */
export const IDEMPOTENCY_PENDING_MS = 60_000;

export interface IdempotencyScope {
  readonly businessId: string;
  readonly tokenId: string;
  readonly key: string;
}

export type Claim =
  | { readonly kind: 'first' }
  | { readonly kind: 'replay'; readonly status: number; readonly body: string }
  | { readonly kind: 'other_request' }
  | { readonly kind: 'in_progress' };

/** JSON with object keys sorted, so the same body written in another key order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(method: string, route: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${route}\n${canonical(body ?? null)}`, 'utf8').digest('hex');
}

const where = (scope: IdempotencyScope) => (qb: any) =>
  qb.where('business_id', '=', scope.businessId).where('token_id', '=', scope.tokenId).where('idempotency_key', '=', scope.key);

export class IdempotencyStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Takes the key for this request, or says what the earlier request with it decides. */
  async claim(scope: IdempotencyScope, hash: string, now: number): Promise<Claim> {
    await this.#db.deleteFrom('idempotency_keys').where('business_id', '=', scope.businessId).where('expires_at', '<=', now).execute();
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await this.#db
        .insertInto('idempotency_keys')
        .values({ business_id: scope.businessId, token_id: scope.tokenId, idempotency_key: scope.key, request_hash: hash, created_at: now, expires_at: now + IDEMPOTENCY_TTL_MS })
        .onConflict((oc) => oc.columns(['business_id', 'token_id', 'idempotency_key']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { kind: 'first' };
      const row: IdempotencyKeysTable | undefined = await where(scope)(this.#db.selectFrom('idempotency_keys').selectAll()).executeTakeFirst();
      if (!row) continue; // released meanwhile: try again
      if (row.request_hash !== hash) return { kind: 'other_request' };
      if (row.response_status !== null) return { kind: 'replay', status: row.response_status, body: row.response_body ?? '' };
      if (row.created_at > now - IDEMPOTENCY_PENDING_MS) return { kind: 'in_progress' };
      // Abandoned by a process that died mid-request: take it over (compare-and-delete on its creation time).
      await where(scope)(this.#db.deleteFrom('idempotency_keys')).where('created_at', '=', row.created_at).where('response_status', 'is', null).execute();
    }
    return { kind: 'in_progress' };
  }

  /** Keeps the first answer to be replayed. The body is the answer as sent, which never holds a secret. */
  async complete(scope: IdempotencyScope, status: number, body: string): Promise<void> {
    await where(scope)(this.#db.updateTable('idempotency_keys').set({ response_status: status, response_body: body })).where('response_status', 'is', null).execute();
  }

  /** Forgets the key (the request failed with a 5xx): a retry executes again. */
  async release(scope: IdempotencyScope): Promise<void> {
    await where(scope)(this.#db.deleteFrom('idempotency_keys')).where('response_status', 'is', null).execute();
  }
}
