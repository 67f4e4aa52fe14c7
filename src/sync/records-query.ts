/**
 * @module Reading synced records for the API: tenant-scoped (`business_id = …` in every query),
 * newest first, keyset-paginated on `(occurred_at, id)` (the product's cursor pagination,
 * src/core/pagination.ts), with the resource's filters (src/ramp/resource-descriptors.ts `readFilters`)
 * on indexed columns. Records Ramp no longer lists are left out unless asked for.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Cursor } from '../core/pagination.ts';
import { descriptorOf } from '../ramp/resource-descriptors.ts';
import type { SyncResource } from './record-projection.ts';
import { readInSnapshot, spliceParts } from './record-parts.ts';
import './sync-schema.ts';

export interface RecordFilters {
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, inclusive. */
  readonly to?: number;
  readonly state?: string;
  readonly userId?: string;
  readonly cardId?: string;
  /** Receipts and memos of this transaction. */
  readonly transactionId?: string;
  /** Receipts this reimbursement names. */
  readonly reimbursementId?: string;
  /** Also records a complete read no longer returned (`deleted_at` set). */
  readonly includeDeleted?: boolean;
}

export interface StoredRecord {
  readonly id: string;
  readonly data: string;
  readonly amount_cents: number | null;
  readonly currency: string | null;
  readonly occurred_at: number;
  readonly deleted_at: number | null;
}

/** The receipt ids a stored reimbursement names (Ramp's `Reimbursement.receipts`); empty when unknown. */
async function receiptIdsOf(db: Kysely<Database>, businessId: string, reimbursementId: string): Promise<string[]> {
  const row = await db
    .selectFrom('ramp_records')
    .select('data')
    .where('business_id', '=', businessId)
    .where('resource', '=', 'reimbursements')
    .where('id', '=', reimbursementId)
    .executeTakeFirst();
  if (!row) return [];
  const receipts = (JSON.parse(row.data) as { receipts?: unknown }).receipts;
  return Array.isArray(receipts) ? receipts.filter((id): id is string => typeof id === 'string') : [];
}

/** One page of a resource's records for a business: filters, page size and where the page starts. */
export interface RecordsPageRequest {
  readonly businessId: string;
  readonly resource: SyncResource;
  readonly filters: RecordFilters;
  readonly limit: number;
  readonly after: Cursor | undefined;
}

/**
 * Text a page of records with fields stored apart may splice back before it ends early (it always
 * holds one record): a statement carries every line of its period, ~11 MB at 1,000,000 transactions
 * and growing with the business, so 50 of them would be held at once, several times over, while the
 * page is built and sent. A reader follows `next_cursor` as for any page.
 */
export const MAX_SPLICED_PAGE_CHARS = 8 * 1024 * 1024;

/** One page of records (at most `limit`), and whether more follow it. */
export interface RecordsPage {
  readonly rows: StoredRecord[];
  readonly hasMore: boolean;
}

/**
 * Up to `limit` records after `after`. A resource with fields stored apart (statements' lines) is
 * read with its parts in one snapshot (record-parts.ts), one record at a time, and the page ends
 * once `maxSplicedChars` of text were spliced back.
 */
export async function listRecords(db: Kysely<Database>, request: RecordsPageRequest, maxSplicedChars = MAX_SPLICED_PAGE_CHARS): Promise<RecordsPage> {
  if (!descriptorOf(request.resource).storedApart) {
    const rows = await selectRecords(db, request);
    return { rows: rows.slice(0, request.limit), hasMore: rows.length > request.limit };
  }
  return readInSnapshot(db, async (trx) => {
    const rows = await selectRecords(trx, request);
    const page: StoredRecord[] = [];
    let chars = 0;
    for (const row of rows.slice(0, request.limit)) {
      const [whole] = await spliceParts(trx, request.businessId, [row]);
      page.push(whole!);
      chars += whole!.data.length;
      if (chars >= maxSplicedChars) break;
    }
    return { rows: page, hasMore: rows.length > page.length };
  });
}

async function selectRecords(db: Kysely<Database>, request: RecordsPageRequest): Promise<(StoredRecord & { parts_generation: string | null })[]> {
  const query = await recordsPageQuery(db, request);
  if (query === null) return [];
  const rows = await query.execute();
  return rows.map((row) => ({
    ...row,
    amount_cents: row.amount_cents === null ? null : Number(row.amount_cents),
    occurred_at: Number(row.occurred_at),
    deleted_at: row.deleted_at === null ? null : Number(row.deleted_at),
  }));
}

/**
 * The query of one page (`limit + 1` rows, newest first), or null when it can hold nothing. Each read
 * filter has an index that ends with the page's order (migration 0018), so a page reads only its
 * own entries.
 */
export async function recordsPageQuery(db: Kysely<Database>, { businessId, resource, filters, limit, after }: RecordsPageRequest) {
  let query = db
    .selectFrom('ramp_records')
    .select(['id', 'data', 'amount_cents', 'currency', 'occurred_at', 'deleted_at', 'parts_generation'])
    .where('business_id', '=', businessId)
    .where('resource', '=', resource);
  if (!filters.includeDeleted) query = query.where('deleted_at', 'is', null);
  if (filters.from !== undefined) query = query.where('occurred_at', '>=', filters.from);
  if (filters.to !== undefined) query = query.where('occurred_at', '<=', filters.to);
  if (filters.state !== undefined) query = query.where('state', '=', filters.state);
  if (filters.userId !== undefined) query = query.where('user_id', '=', filters.userId);
  if (filters.cardId !== undefined) query = query.where('card_id', '=', filters.cardId);
  if (filters.transactionId !== undefined) query = query.where('link_id', '=', filters.transactionId);
  if (filters.reimbursementId !== undefined) {
    const receipts = await receiptIdsOf(db, businessId, filters.reimbursementId);
    if (receipts.length === 0) return null;
    query = query.where('id', 'in', receipts);
  }
  if (after !== undefined) {
    const key = Number(after.key);
    query = query.where((eb) => eb.or([eb('occurred_at', '<', key), eb.and([eb('occurred_at', '=', key), eb('id', '<', after.id)])]));
  }
  return query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
}

/**
 * The API view of a record: Ramp's object plus its money as integer minor units and currency
 * (`amount_cents`, `currency`: the product's money, docs/ramp-behaviour.md#product-api), whichever
 * form Ramp sent. A legacy decimal `amount` (major units) is replaced by the exact minor units too;
 * `CurrencyAmount` objects (already minor units) are left as Ramp sent them. A record Ramp no
 * longer lists carries `deleted_at`.
 */
export function recordView(resource: SyncResource, record: StoredRecord): Record<string, unknown> {
  const data = JSON.parse(record.data) as Record<string, unknown>;
  const { money } = descriptorOf(resource);
  if (money === 'decimal' && 'amount' in data) data.amount = record.amount_cents;
  if (money !== null) {
    data.amount_cents = record.amount_cents;
    data.currency = record.currency;
  }
  if (record.deleted_at !== null) data.deleted_at = new Date(record.deleted_at).toISOString();
  return data;
}
