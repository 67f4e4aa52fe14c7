/**
 * @module Card transactions stored column-wise.
 *
 * 100,000 transactions must seed in under 10 s and page out without the process growing past
 * 300 MB (emulator brief). Holding 100k JSON objects would cost ~1 KB each plus GC pressure, so each
 * field lives in a typed array indexed by record number and the wire object (B7.1) is built only
 * when a page is read. Ids stay strings (plus an id → record map) because `start` and
 * `GET /transactions/:id` look them up.
 * List order is `user_transaction_time` descending, then id — stable across pages.
 */
import { createHash } from 'node:crypto';
import { CURRENCIES, MEMOS } from './catalog.ts';
import type { Card, Department, Location, User, Vendor } from './models.ts';
import { SYNC_STATUSES, TRANSACTION_STATES, formatRampTime } from './models.ts';
import type { ListableTable, ObjectTable } from './table.ts';

export interface TransactionRow {
  id: string;
  timeMs: number;
  /** NaN while not settled. */
  settledMs: number;
  updatedMs: number;
  /** NaN while not synced. */
  syncedAtMs: number;
  amountCents: number;
  originalMinor: number;
  originalCurrency: number;
  vendorIndex: number;
  cardIndex: number;
  state: number;
  syncStatus: number;
  memoIndex: number;
  receiptCount: number;
  cardPresent: boolean;
}

/** The other tables a transaction refers to (fixed once a business is seeded). */
export interface TransactionLookups {
  entityId: string;
  cards: ObjectTable<Card>;
  users: ObjectTable<User>;
  vendors: ObjectTable<Vendor>;
  departments: ObjectTable<Department>;
  locations: ObjectTable<Location>;
}

const INITIAL_CAPACITY = 256;

function grow<T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(column: T, capacity: number): T {
  const next = new (column.constructor as new (length: number) => T)(capacity);
  next.set(column);
  return next;
}

/** Deterministic receipt ids derived from the transaction id (no storage needed). */
function receiptIds(transactionId: string, count: number): string[] {
  const ids: string[] = [];
  for (let k = 0; k < count; k++) {
    const hex = createHash('sha256').update(`${transactionId}:receipt:${k}`).digest('hex');
    ids.push(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`);
  }
  return ids;
}

export class TransactionTable implements ListableTable {
  #length = 0;
  #capacity = INITIAL_CAPACITY;
  readonly #ids: string[] = [];
  readonly #recordById = new Map<string, number>();
  #order = new Uint32Array(0);
  #positionOfRecord = new Uint32Array(0);

  timeMs = new Float64Array(INITIAL_CAPACITY);
  settledMs = new Float64Array(INITIAL_CAPACITY);
  updatedMs = new Float64Array(INITIAL_CAPACITY);
  syncedAtMs = new Float64Array(INITIAL_CAPACITY);
  amountCents = new Float64Array(INITIAL_CAPACITY);
  originalMinor = new Float64Array(INITIAL_CAPACITY);
  originalCurrency = new Uint8Array(INITIAL_CAPACITY);
  vendorIndex = new Uint32Array(INITIAL_CAPACITY);
  cardIndex = new Uint32Array(INITIAL_CAPACITY);
  state = new Uint8Array(INITIAL_CAPACITY);
  syncStatus = new Uint8Array(INITIAL_CAPACITY);
  memoIndex = new Uint8Array(INITIAL_CAPACITY);
  receiptCount = new Uint8Array(INITIAL_CAPACITY);
  cardPresent = new Uint8Array(INITIAL_CAPACITY);

  readonly #lookups: TransactionLookups;
  /** card index → user position, department id, location id (denormalised for filters). */
  readonly #cardUserPosition: Int32Array;

  constructor(lookups: TransactionLookups, expectedCount = 0) {
    this.#lookups = lookups;
    this.#cardUserPosition = Int32Array.from(lookups.cards.all(), (card) => lookups.users.positionOf(card.cardholder_id) ?? -1);
    if (expectedCount > INITIAL_CAPACITY) this.#resize(expectedCount);
  }

  #resize(capacity: number): void {
    this.#capacity = capacity;
    this.timeMs = grow(this.timeMs, capacity);
    this.settledMs = grow(this.settledMs, capacity);
    this.updatedMs = grow(this.updatedMs, capacity);
    this.syncedAtMs = grow(this.syncedAtMs, capacity);
    this.amountCents = grow(this.amountCents, capacity);
    this.originalMinor = grow(this.originalMinor, capacity);
    this.originalCurrency = grow(this.originalCurrency, capacity);
    this.vendorIndex = grow(this.vendorIndex, capacity);
    this.cardIndex = grow(this.cardIndex, capacity);
    this.state = grow(this.state, capacity);
    this.syncStatus = grow(this.syncStatus, capacity);
    this.memoIndex = grow(this.memoIndex, capacity);
    this.receiptCount = grow(this.receiptCount, capacity);
    this.cardPresent = grow(this.cardPresent, capacity);
  }

  get length(): number {
    return this.#length;
  }

  get lookups(): TransactionLookups {
    return this.#lookups;
  }

  /** Appends a record; call `reorder()` once after a batch of appends. */
  append(row: TransactionRow): number {
    if (this.#length === this.#capacity) this.#resize(this.#capacity * 2);
    const r = this.#length++;
    this.#ids.push(row.id);
    this.#recordById.set(row.id, r);
    this.timeMs[r] = row.timeMs;
    this.settledMs[r] = row.settledMs;
    this.updatedMs[r] = row.updatedMs;
    this.syncedAtMs[r] = row.syncedAtMs;
    this.amountCents[r] = row.amountCents;
    this.originalMinor[r] = row.originalMinor;
    this.originalCurrency[r] = row.originalCurrency;
    this.vendorIndex[r] = row.vendorIndex;
    this.cardIndex[r] = row.cardIndex;
    this.state[r] = row.state;
    this.syncStatus[r] = row.syncStatus;
    this.memoIndex[r] = row.memoIndex;
    this.receiptCount[r] = row.receiptCount;
    this.cardPresent[r] = row.cardPresent ? 1 : 0;
    return r;
  }

  /** Rebuilds list order: `user_transaction_time` descending, then id ascending. */
  reorder(): void {
    const ids = this.#ids;
    const time = this.timeMs;
    const order = new Uint32Array(this.#length);
    for (let r = 0; r < order.length; r++) order[r] = r;
    order.sort((a, b) => {
      const dt = time[b]! - time[a]!;
      if (dt !== 0) return dt;
      const ia = ids[a]!;
      const ib = ids[b]!;
      return ia < ib ? -1 : ia > ib ? 1 : 0;
    });
    const positionOfRecord = new Uint32Array(this.#length);
    for (let p = 0; p < order.length; p++) positionOfRecord[order[p]!] = p;
    this.#order = order;
    this.#positionOfRecord = positionOfRecord;
  }

  recordAt(position: number): number {
    return this.#order[position]!;
  }

  recordOf(id: string): number | undefined {
    return this.#recordById.get(id);
  }

  idOfRecord(record: number): string {
    return this.#ids[record]!;
  }

  idAt(position: number): string {
    return this.#ids[this.#order[position]!]!;
  }

  positionOf(id: string): number | undefined {
    const record = this.#recordById.get(id);
    return record === undefined ? undefined : this.#positionOfRecord[record];
  }

  /**
   * Positions [first, end) whose time lies within [fromMs, toMs]; list order is time-descending, so
   * the range is found by binary search instead of a scan.
   */
  positionRange(fromMs: number, toMs: number): [number, number] {
    const timeAt = (position: number): number => this.timeMs[this.#order[position]!]!;
    const firstWhere = (predicate: (position: number) => boolean): number => {
      let lo = 0;
      let hi = this.#length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (predicate(mid)) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    };
    const first = firstWhere((position) => timeAt(position) <= toMs);
    const end = firstWhere((position) => timeAt(position) < fromMs);
    return [first, Math.max(first, end)];
  }

  userPositionOfRecord(record: number): number {
    return this.#cardUserPosition[this.cardIndex[record]!]!;
  }

  materialise(position: number): Record<string, unknown> {
    return this.materialiseRecord(this.#order[position]!);
  }

  materialiseRecord(r: number): Record<string, unknown> {
    const { cards, users, vendors, departments, locations, entityId } = this.#lookups;
    const id = this.#ids[r]!;
    const card = cards.at(this.cardIndex[r]!);
    const user = users.at(this.#cardUserPosition[this.cardIndex[r]!]!);
    const vendor = vendors.at(this.vendorIndex[r]!);
    const cents = this.amountCents[r]!;
    const settled = this.settledMs[r]!;
    const synced = this.syncedAtMs[r]!;
    const currency = CURRENCIES[this.originalCurrency[r]!]!;
    return {
      id,
      accounting_date: formatRampTime(Number.isNaN(settled) ? this.timeMs[r]! : settled),
      amount: cents / 100,
      card_holder: {
        department_id: user.department_id,
        department_name: departments.get(user.department_id)?.name ?? null,
        first_name: user.first_name,
        last_name: user.last_name,
        location_id: user.location_id,
        location_name: locations.get(user.location_id)?.name ?? null,
        user_id: user.id,
      },
      card_id: card.id,
      card_present: this.cardPresent[r] === 1,
      currency_code: 'USD',
      disputes: [],
      entity_id: entityId,
      limit_id: null,
      line_items: [{ amount: { amount: cents, currency_code: 'USD' }, accounting_field_selections: [] }],
      accounting_field_selections: [],
      merchant_category_code: MERCHANT_MCC.get(vendor.sk_category_id) ?? '5999',
      merchant_descriptor: vendor.name.toUpperCase(),
      merchant_id: vendor.merchant_id,
      merchant_name: vendor.name,
      memo: MEMOS[this.memoIndex[r]!] ?? null,
      original_transaction_amount: { amount: this.originalMinor[r]!, currency_code: currency.code },
      policy_violations: [],
      receipts: receiptIds(id, this.receiptCount[r]!),
      settlement_date: Number.isNaN(settled) ? null : formatRampTime(settled),
      sk_category_id: vendor.sk_category_id,
      sk_category_name: vendor.sk_category_name,
      spend_program_id: null,
      state: TRANSACTION_STATES[this.state[r]!],
      statement_id: null,
      sync_status: SYNC_STATUSES[this.syncStatus[r]!],
      synced_at: Number.isNaN(synced) ? null : formatRampTime(synced),
      trip_id: null,
      user_transaction_time: formatRampTime(this.timeMs[r]!),
    };
  }

  /** Largest internal updated time, so mutations can keep `updated_after` strictly increasing. */
  maxUpdatedMs(): number {
    let max = 0;
    for (let r = 0; r < this.#length; r++) if (this.updatedMs[r]! > max) max = this.updatedMs[r]!;
    return max;
  }
}

/** Merchant category codes by Ramp category, for `merchant_category_code`. */
const MERCHANT_MCC = new Map<number, string>([
  [1, '7311'], [3, '3000'], [9, '8299'], [12, '5732'], [18, '3504'], [19, '5200'], [22, '7372'], [27, '5943'],
  [31, '6513'], [35, '4215'], [40, '5812'], [41, '4121'],
]);
