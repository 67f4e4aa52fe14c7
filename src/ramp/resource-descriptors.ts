/**
 * @module The one table of the Ramp resources this service syncs and serves (issue 13): for each, where
 * Ramp lists it, the scope it needs, Ramp's schema, how it is read (incremental or full, with which
 * fixed filters), how deletions are seen, which flag of the product's `RampSyncConfigUpdate` turns it
 * on, how its record is projected onto the columns the read API filters on, and the read API's filters.
 *
 * The sync plan (src/sync/sync-plan.ts), the projection (src/sync/record-projection.ts), the read
 * routes (src/http/routes/ramp-data/records-routes.ts), the sync-config defaults
 * (src/connections/sync-config.ts) and scope advice are derived from it: adding a resource is one
 * entry here plus its tests (README "Ramp resources").
 *
 * Facts: paths, scopes and schema names from Ramp's OpenAPI document (ramp-schemas/paths.json);
 * `updated_after` on transactions and reimbursements only (changelog 2025-06-25,
 * docs/ramp-behaviour.md#resources-and-scopes); money per docs/ramp-behaviour.md#money-and-dates.
 */
import { currencyAmountToMinorUnits, currencyCode, decimalAmountToMinorUnits, type MinorAmount } from './money.ts';
import type { ListParams } from './resources.ts';

/** The resource flags of the product's `RampSyncConfigUpdate` (docs/ramp-behaviour.md#product-api). */
export const SYNC_CONFIG_FLAGS = [
  'sync_transactions', 'sync_reimbursements', 'sync_bills', 'sync_transfers', 'sync_cashbacks', 'sync_bill_payments', 'sync_statements',
] as const;
export type SyncConfigFlag = (typeof SYNC_CONFIG_FLAGS)[number];

/** The columns stored beside Ramp's verbatim object, for the read API's filters and order. */
export interface RecordColumns {
  readonly amount_cents: number | null;
  readonly currency: string | null;
  /** Epoch ms; 0 when the record has no time of its own. */
  readonly occurred_at: number;
  readonly state: string | null;
  readonly user_id: string | null;
  readonly card_id: string | null;
  readonly department_id: string | null;
  /** The transaction a receipt or memo belongs to. */
  readonly link_id: string | null;
  /** Accounting readiness, one scale for every object Ramp syncs to the books (`ready-feed`); null: not such an object. */
  readonly sync_status: AccountingSyncStatus | null;
}

/** Ramp's `sync_status` of transactions, reimbursements, transfers and cashbacks (docs/ramp-behaviour.md#accounting-readiness). */
export const ACCOUNTING_SYNC_STATUSES = ['NOT_SYNC_READY', 'SYNC_READY', 'SYNCED'] as const;
export type AccountingSyncStatus = (typeof ACCOUNTING_SYNC_STATUSES)[number];

function syncStatusOf(value: unknown): AccountingSyncStatus | null {
  return ACCOUNTING_SYNC_STATUSES.includes(value as AccountingSyncStatus) ? (value as AccountingSyncStatus) : null;
}

/**
 * A bill's readiness on the same scale: Ramp's bill `sync_status` says only whether it synced; ready is
 * the guide's rule (not deleted, approved, not yet synced; docs/ramp-behaviour.md#accounting-readiness).
 * "Not deleted" needs no check here: Ramp's bills list leaves archived (deleted) bills out, so a bill
 * archived after we stored it is marked `deleted_at` by the next complete read and leaves the ready
 * feed with it (the `bills` entry below).
 */
function billSyncStatus(bill: Record<string, unknown>): AccountingSyncStatus | null {
  const status = bill.sync_status;
  if (status === 'BILL_SYNCED' || status === 'BILL_AND_PAYMENT_SYNCED') return 'SYNCED';
  if (status !== 'NOT_SYNCED') return null;
  return bill.approval_status === 'APPROVED' ? 'SYNC_READY' : 'NOT_SYNC_READY';
}

/**
 * A bill payment's: ready once the bill is paid, synced once Ramp says bill and payment are
 * (docs/ramp-behaviour.md#accounting-readiness). A paid bill cannot be archived (Ramp's
 * `DELETE /bills/{bill_id}`), and an archived one is not listed, so "not deleted" is the bill's `deleted_at`.
 */
function billPaymentSyncStatus(payment: Record<string, unknown>): AccountingSyncStatus | null {
  if (payment.bill_sync_status === 'BILL_AND_PAYMENT_SYNCED') return 'SYNCED';
  if (typeof payment.bill_sync_status !== 'string') return null;
  return payment.bill_status === 'PAID' ? 'SYNC_READY' : 'NOT_SYNC_READY';
}

/** The config's id filters (`sync_card_ids`, …) a Ramp list can apply itself. */
export type IdDimension = 'card_id' | 'user_id' | 'department_id';

/** Read API filters beyond the dates every resource has. */
export type ReadFilter = 'state' | 'user_id' | 'card_id' | 'transaction_id' | 'reimbursement_id';

/** Ramp's list filters, both inclusive, on the time the record's `occurred_at` is projected from. */
export interface RemoteDateWindow {
  readonly from: 'from_date' | 'from_transaction_date';
  readonly to: 'to_date' | 'to_transaction_date';
}

/**
 * How a deleted record is noticed:
 * - `missing-from-full-read`: the resource is read in full every sync; a stored record that a
 *   complete read (every stream of the resource, in one run) no longer returns gets `deleted_at`.
 *   Never after a partial or failed read.
 * - `not-detected`: read incrementally (`updated_after`); Ramp lists no deletions, and changes such
 *   as voids arrive as updates of the record's state.
 */
export type DeletionDetection = 'missing-from-full-read' | 'not-detected';

export interface RampResourceDescriptor {
  /** Our name: the read route `GET /api/v1/ramp/{resource}`, the stored records' `resource`. */
  readonly resource: string;
  /** Ramp's list (`GET /developer/v1/{rampPath}`); `business` is the one object at `/business`. */
  readonly rampPath: string;
  /** The OAuth scope Ramp requires (403 DEVELOPER_7100 without it). */
  readonly scope: string;
  /** Ramp's schema of one record (ramp-schemas/{rampSchema}.json). */
  readonly rampSchema: string;
  /** The `RampSyncConfigUpdate` flag that turns the resource on; null: reference data, always read. */
  readonly syncConfigFlag: SyncConfigFlag | null;
  /** The flag's default for a business that never set it. */
  readonly enabledByDefault: boolean;
  /** Ramp's filter for changes since the last run; null: read in full every sync. */
  readonly incrementalFilter: 'updated_after' | null;
  /**
   * Ramp lists the resource with `synced_after`: an extra incremental read of what was synced to the
   * books since the last run, so objects leave the ready feed even when syncing does not move `updated_at`.
   */
  readonly syncedAfterRead: boolean;
  /**
   * Array fields of each record streamed to storage in parts while the page is read, never held
   * whole: a statement's `statement_lines` grow with the business (~11 MB at 1,000,000 transactions;
   * src/ramp/kept-array-scanner.ts, src/sync/record-parts.ts).
   */
  readonly storedApart?: ReadonlySet<string>;
  /** Fixed filters of every read. */
  readonly listParams: ListParams;
  /** Further reads that together with the first list everything (Ramp hides terminated cards otherwise). */
  readonly extraReads: readonly { readonly key: string; readonly params: ListParams }[];
  /** Config id filters Ramp's list applies (`sync_card_ids` → `card_id`, …). */
  readonly idFilters: readonly IdDimension[];
  /**
   * The config's date window (`sync_from_date`/`sync_to_date`, on the record's own time, the one the
   * read API filters on): sent to Ramp with the list's filters on that time, checked locally, or not applied.
   */
  readonly dateWindow: RemoteDateWindow | 'local' | 'none';
  readonly deletion: DeletionDetection;
  /** How Ramp sends the record's money: legacy decimal major units, `CurrencyAmount`, or none. */
  readonly money: 'decimal' | 'currency-amount' | null;
  readonly readFilters: readonly ReadFilter[];
  /**
   * The resource whose record this one belongs to, named by its `link_id` (a receipt's or memo's
   * transaction). When the config filters that resource (dates, card, user or department ids), this
   * one is stored only beside a stored record of it (src/sync/attached-records.ts).
   */
  readonly attachedTo?: 'transactions';
  /** Our record from Ramp's (null: none for this Ramp record); absent: Ramp's record as is. */
  readonly derive?: (record: Record<string, unknown>) => Record<string, unknown> | null;
  readonly project: (record: Record<string, unknown>) => RecordColumns;
}

function str(value: unknown, max = 64): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** ISO-8601 date or date-time → epoch ms; UTC when no offset (Ramp dates guide, docs/ramp-behaviour.md#money-and-dates). */
export function timeOf(value: unknown): number {
  if (typeof value !== 'string' || value.length < 10) return 0;
  const withZone = /(?:[Zz]|[+-]\d{2}:?\d{2})$/.test(value) || value.length === 10 ? value : `${value.replace(' ', 'T')}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? 0 : ms;
}

/** A record with none of the columns: each projection says what it has (exported for test fixtures). */
export const EMPTY_COLUMNS: RecordColumns = Object.freeze({
  amount_cents: null, currency: null, occurred_at: 0, state: null, user_id: null, card_id: null, department_id: null, link_id: null, sync_status: null,
});
const EMPTY = EMPTY_COLUMNS;

/**
 * The currency a transaction settled in: its `currency_code` (optional in Ramp's Transaction schema),
 * or, when that is absent, the one currency its line items' `amount`s are in (those are "denominated in
 * the currency that the transaction was settled in", developer-api.json, ApiTransactionLineItem).
 * Lines without a code, or in different ones, name none: no money rather than a guessed currency.
 */
function settledCurrencyOf(r: Record<string, unknown>): unknown {
  if (r.currency_code !== undefined) return r.currency_code;
  const lines = Array.isArray(r.line_items) ? r.line_items : [];
  const codes = new Set(lines.map((line) => currencyCode(obj(obj(line).amount).currency_code)));
  return codes.size === 1 ? [...codes][0] : undefined;
}

function money(amount: MinorAmount | undefined): Pick<RecordColumns, 'amount_cents' | 'currency'> {
  return amount ? { amount_cents: amount.amount, currency: amount.currency } : { amount_cents: null, currency: null };
}

/** Defaults of an entry; each entry says what differs. */
const BASE = {
  syncConfigFlag: null,
  enabledByDefault: true,
  incrementalFilter: null,
  syncedAfterRead: false,
  listParams: {},
  extraReads: [],
  idFilters: [],
  dateWindow: 'none',
  deletion: 'missing-from-full-read',
  money: null,
  readFilters: [],
} as const satisfies Partial<RampResourceDescriptor>;

/** In sync order: reference data first (the other records point at it). */
export const RAMP_RESOURCES: readonly RampResourceDescriptor[] = Object.freeze([
  {
    ...BASE, resource: 'business', rampPath: 'business', scope: 'business:read', rampSchema: 'Business', deletion: 'not-detected',
    project: (r) => ({ ...EMPTY, occurred_at: timeOf(r.created_time) }),
  },
  { ...BASE, resource: 'entities', rampPath: 'entities', scope: 'entities:read', rampSchema: 'ApiEntityResource', project: () => EMPTY },
  { ...BASE, resource: 'departments', rampPath: 'departments', scope: 'departments:read', rampSchema: 'Department', project: () => EMPTY },
  { ...BASE, resource: 'locations', rampPath: 'locations', scope: 'locations:read', rampSchema: 'Location', project: () => EMPTY },
  {
    ...BASE, resource: 'users', rampPath: 'users', scope: 'users:read', rampSchema: 'User', readFilters: ['state'],
    project: (r) => ({ ...EMPTY, state: str(r.status, 32), user_id: str(r.id), department_id: str(r.department_id) }),
  },
  {
    ...BASE, resource: 'spend-programs', rampPath: 'spend-programs', scope: 'spend_programs:read', rampSchema: 'ApiSpendProgramResource', project: () => EMPTY,
  },
  {
    // Terminated limits are listed only with is_terminated=true; kept like terminated cards.
    ...BASE, resource: 'limits', rampPath: 'limits', scope: 'limits:read', rampSchema: 'Limit', readFilters: ['state'],
    extraReads: [{ key: 'is_terminated=true', params: { is_terminated: true } }],
    project: (r) => ({ ...EMPTY, occurred_at: timeOf(r.created_at), state: str(r.state, 32) }),
  },
  {
    // Terminated cards are listed only with is_terminated=true; they are kept (their transactions point at them).
    ...BASE, resource: 'cards', rampPath: 'cards', scope: 'cards:read', rampSchema: 'Card', readFilters: ['state', 'user_id', 'card_id'],
    extraReads: [{ key: 'is_terminated=true', params: { is_terminated: true } }],
    project: (r) => ({ ...EMPTY, occurred_at: timeOf(r.created_at), state: str(r.state, 32), user_id: str(r.cardholder_id), card_id: str(r.id) }),
  },
  { ...BASE, resource: 'merchants', rampPath: 'merchants', scope: 'merchants:read', rampSchema: 'Merchant', project: () => EMPTY },
  {
    ...BASE, resource: 'vendors', rampPath: 'vendors', scope: 'vendors:read', rampSchema: 'Vendor', readFilters: ['state'],
    project: (r) => ({ ...EMPTY, occurred_at: timeOf(r.created_at), state: r.is_active === false ? 'INACTIVE' : r.is_active === true ? 'ACTIVE' : null }),
  },
  {
    // state=ALL: the list leaves DECLINED out by default (changelog 2025-06-25, docs/ramp-behaviour.md#resources-and-scopes).
    ...BASE, resource: 'transactions', rampPath: 'transactions', scope: 'transactions:read', rampSchema: 'Transaction',
    syncConfigFlag: 'sync_transactions', incrementalFilter: 'updated_after', syncedAfterRead: true, listParams: { state: 'ALL' },
    idFilters: ['card_id', 'user_id', 'department_id'], dateWindow: { from: 'from_date', to: 'to_date' }, deletion: 'not-detected', money: 'decimal',
    readFilters: ['state', 'user_id', 'card_id'],
    project: (r) => {
      const holder = obj(r.card_holder);
      return {
        ...EMPTY, ...money(decimalAmountToMinorUnits(r.amount, settledCurrencyOf(r))), occurred_at: timeOf(r.user_transaction_time),
        state: str(r.state, 32), user_id: str(holder.user_id), card_id: str(r.card_id), department_id: str(holder.department_id),
        sync_status: syncStatusOf(r.sync_status),
      };
    },
  },
  {
    // Reimbursements have a user but no card or department. Their list's `from_date`/`to_date` select on
    // the created time; the window goes on `transaction_date`, the time projected below (Ramp's document,
    // GET /developer/v1/reimbursements: `from_transaction_date`/`to_transaction_date`).
    ...BASE, resource: 'reimbursements', rampPath: 'reimbursements', scope: 'reimbursements:read', rampSchema: 'Reimbursement',
    syncConfigFlag: 'sync_reimbursements', incrementalFilter: 'updated_after', syncedAfterRead: true, idFilters: ['user_id'],
    dateWindow: { from: 'from_transaction_date', to: 'to_transaction_date' },
    deletion: 'not-detected', money: 'decimal', readFilters: ['state', 'user_id'],
    project: (r) => ({
      ...EMPTY, ...money(decimalAmountToMinorUnits(r.amount, r.currency)), occurred_at: timeOf(r.transaction_date) || timeOf(r.submitted_at),
      state: str(r.state, 32), user_id: str(r.user_id), sync_status: syncStatusOf(r.sync_status),
    }),
  },
  {
    // Ramp's bills list filters by due and created dates, not by the transaction-date window: applied locally.
    // The list shows active bills only (`is_archived` defaults to false) and the sync reads just that: Ramp
    // calls an archived bill deleted (`is_archived`: "archived (deleted) bills"; `DELETE /bills/{bill_id}`
    // archives), so one archived after we stored it drops out of the next complete read and is marked
    // `deleted_at`, our one deletion signal, hidden from reads and the ready feed. Reading
    // `is_archived=true` as well would keep deleted bills as live records that every reader would have to
    // filter on Ramp's `archived_at`. A payment it carried (scheduled: a paid bill cannot be archived, and
    // archiving cancels payments in flight) is marked deleted with it.
    ...BASE, resource: 'bills', rampPath: 'bills', scope: 'bills:read', rampSchema: 'Bill', syncConfigFlag: 'sync_bills',
    dateWindow: 'local', money: 'currency-amount', readFilters: ['state'],
    project: (r) => ({ ...EMPTY, ...money(currencyAmountToMinorUnits(r.amount)), occurred_at: timeOf(r.issued_at) || timeOf(r.created_at), state: str(r.status, 32), sync_status: billSyncStatus(r) }),
  },
  {
    // Ramp has no list of bill payments: a paid bill carries its `payment`. One payment per bill, under
    // the bill's id (the id `BILL_PAYMENT_SYNC` marks synced).
    ...BASE, resource: 'bill-payments', rampPath: 'bills', scope: 'bills:read', rampSchema: 'Bill', syncConfigFlag: 'sync_bill_payments',
    enabledByDefault: false, money: 'currency-amount', readFilters: ['state'],
    derive: (bill) => {
      const payment = bill.payment;
      if (typeof payment !== 'object' || payment === null) return null;
      return {
        id: bill.id, bill_id: bill.id, bill_status: bill.status ?? null, bill_sync_status: bill.sync_status ?? null,
        vendor: bill.vendor ?? null, entity_id: bill.entity_id ?? null, ...(payment as Record<string, unknown>),
      };
    },
    project: (p) => ({ ...EMPTY, ...money(currencyAmountToMinorUnits(p.amount)), occurred_at: timeOf(p.payment_date) || timeOf(p.effective_date), state: str(p.payment_method, 32), sync_status: billPaymentSyncStatus(p) }),
  },
  {
    ...BASE, resource: 'transfers', rampPath: 'transfers', scope: 'transfers:read', rampSchema: 'Transfer', syncConfigFlag: 'sync_transfers',
    enabledByDefault: false, money: 'currency-amount', readFilters: ['state'],
    project: (r) => ({ ...EMPTY, ...money(currencyAmountToMinorUnits(r.amount)), occurred_at: timeOf(r.created_at), state: str(r.status, 32), sync_status: syncStatusOf(r.sync_status) }),
  },
  {
    ...BASE, resource: 'cashbacks', rampPath: 'cashbacks', scope: 'cashbacks:read', rampSchema: 'Cashback', syncConfigFlag: 'sync_cashbacks',
    enabledByDefault: false, money: 'currency-amount', readFilters: ['state'],
    project: (r) => ({ ...EMPTY, ...money(currencyAmountToMinorUnits(r.amount)), occurred_at: timeOf(r.created_at), state: str(r.sync_status, 32), sync_status: syncStatusOf(r.sync_status) }),
  },
  {
    // The statement's money column is its ending balance; every balance stays in the record.
    ...BASE, resource: 'statements', rampPath: 'statements', scope: 'statements:read', rampSchema: 'Statement', syncConfigFlag: 'sync_statements',
    enabledByDefault: false, money: 'currency-amount', storedApart: new Set(['statement_lines']),
    project: (r) => ({ ...EMPTY, ...money(currencyAmountToMinorUnits(r.ending_balance)), occurred_at: timeOf(r.end_date) }),
  },
  {
    // Receipts of transactions name them; receipts of reimbursements are named by the reimbursement's `receipts`.
    ...BASE, resource: 'receipts', rampPath: 'receipts', scope: 'receipts:read', rampSchema: 'Receipt', syncConfigFlag: 'sync_transactions',
    attachedTo: 'transactions', readFilters: ['user_id', 'transaction_id', 'reimbursement_id'],
    project: (r) => ({ ...EMPTY, occurred_at: timeOf(r.created_at), user_id: str(r.user_id), link_id: str(r.transaction_id) }),
  },
  {
    // A memo's id is its transaction's (`GET /memos/{transaction_id}`).
    ...BASE, resource: 'memos', rampPath: 'memos', scope: 'memos:read', rampSchema: 'Memo', syncConfigFlag: 'sync_transactions',
    attachedTo: 'transactions', readFilters: ['transaction_id'],
    project: (r) => ({ ...EMPTY, link_id: str(r.id) }),
  },
] satisfies RampResourceDescriptor[]);

export const RESOURCE_NAMES: readonly string[] = Object.freeze(RAMP_RESOURCES.map((d) => d.resource));

const BY_NAME = new Map(RAMP_RESOURCES.map((d) => [d.resource, d]));

export function descriptorOf(resource: string): RampResourceDescriptor {
  const descriptor = BY_NAME.get(resource);
  if (!descriptor) throw new Error(`unknown Ramp resource ${resource}`);
  return descriptor;
}

/** Each flag's default, from the resources it turns on. */
export function syncFlagDefaults(): Record<SyncConfigFlag, boolean> {
  return Object.fromEntries(
    SYNC_CONFIG_FLAGS.map((flag) => [flag, RAMP_RESOURCES.some((d) => d.syncConfigFlag === flag && d.enabledByDefault)]),
  ) as Record<SyncConfigFlag, boolean>;
}

/** The scopes a sync with these flags needs: every reference resource's, and each enabled flag's resources'. */
export function scopesForFlags(enabled: Readonly<Partial<Record<SyncConfigFlag, boolean>>>): string[] {
  const scopes = RAMP_RESOURCES.filter((d) => d.syncConfigFlag === null || enabled[d.syncConfigFlag] === true).map((d) => d.scope);
  return [...new Set(scopes)];
}
