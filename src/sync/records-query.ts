/**
 * @module Reading synced records for the API: tenant-scoped (`business_id = …` in every query),
 * newest first, keyset-paginated on `(occurred_at, id)` (the product's cursor pagination,
 * src/core/pagination.ts), with the date, state, user and card filters on indexed columns.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Cursor } from '../core/pagination.ts';
import { DECIMAL_AMOUNT_RESOURCES, type SyncResource } from './record-projection.ts';
import './sync-schema.ts';

export interface RecordFilters {
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, inclusive. */
  readonly to?: number;
  readonly state?: string;
  readonly userId?: string;
  readonly cardId?: string;
}

export interface StoredRecord {
  readonly id: string;
  readonly data: string;
  readonly amount_cents: number | null;
  readonly occurred_at: number;
}

/** Up to `limit + 1` records after `after`, so the caller can tell whether more exist. */
export async function listRecords(
  db: Kysely<Database>,
  businessId: string,
  resource: SyncResource,
  filters: RecordFilters,
  limit: number,
  after: Cursor | undefined,
): Promise<StoredRecord[]> {
  let query = db
    .selectFrom('ramp_records')
    .select(['id', 'data', 'amount_cents', 'occurred_at'])
    .where('business_id', '=', businessId)
    .where('resource', '=', resource);
  if (filters.from !== undefined) query = query.where('occurred_at', '>=', filters.from);
  if (filters.to !== undefined) query = query.where('occurred_at', '<=', filters.to);
  if (filters.state !== undefined) query = query.where('state', '=', filters.state);
  if (filters.userId !== undefined) query = query.where('user_id', '=', filters.userId);
  if (filters.cardId !== undefined) query = query.where('card_id', '=', filters.cardId);
  if (after !== undefined) {
    const key = Number(after.key);
    query = query.where((eb) => eb.or([eb('occurred_at', '<', key), eb.and([eb('occurred_at', '=', key), eb('id', '<', after.id)])]));
  }
  const rows = await query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  return rows.map((row) => ({ ...row, amount_cents: row.amount_cents === null ? null : Number(row.amount_cents), occurred_at: Number(row.occurred_at) }));
}

/**
 * The API view of a record: Ramp's object, with a decimal `amount` (major units) replaced by the
 * exact integer minor units (cents) — the product's money is integer cents (docs/ramp-behaviour.md#product-api). Objects that already
 * carry `CurrencyAmount {amount: minor units}` (bills, `original_transaction_amount`) are unchanged.
 */
export function recordView(resource: SyncResource, record: StoredRecord): Record<string, unknown> {
  const data = JSON.parse(record.data) as Record<string, unknown>;
  if (DECIMAL_AMOUNT_RESOURCES.has(resource) && 'amount' in data) {
    data.amount = record.amount_cents;
    // Explicit names too, so a reader need not know which resources Ramp sends in major units.
    data.amount_cents = record.amount_cents;
    data.currency = data.currency_code ?? data.currency ?? null;
  }
  return data;
}
