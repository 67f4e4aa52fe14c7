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
import type { Card, Department, FieldSelection, Location, User, Vendor } from './models.ts';
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
  /**
   * Index into CURRENCIES of the currency the transaction settled in (0: USD, the card's). When not
   * USD it equals `originalCurrency` and the settled amount is `originalMinor`; `amountCents` stays
   * the card's USD amount (statements, limits).
   */
  settledCurrency?: number;
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

/**
 * Links made after the transactions exist (limits, statements and accounting are derived from
 * them): each card's limit and spend program, the statement period of a settlement time, and the
 * accounting selections a sync-ready transaction carries.
 */
export interface TransactionLinks {
  limitIdOfCard: readonly (string | undefined)[];
  spendProgramIdOfCard: readonly (string | undefined)[];
  statementIdAt(settledMs: number): string | undefined;
  /** GL account selection by Ramp category id, and one optional extra field selection. */
  glSelectionOf(categoryId: number): FieldSelection | undefined;
  classSelection: FieldSelection | undefined;
}

const DECLINE_REASONS = ['INSUFFICIENT_FUNDS', 'AUTHORIZER_CARD_LIMIT', 'SUSPECTED_FRAUD', 'AUTHORIZER_CARD_MCC_BLACKLIST', 'WRONG_CVV'] as const;
const AIRLINES = 3;
const LODGING = 18;

const INITIAL_CAPACITY = 256;

function grow<T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(column: T, capacity: number): T {
  const next = new (column.constructor as new (length: number) => T)(capacity);
  next.set(column);
  return next;
}

/** Deterministic receipt ids derived from the transaction id (no storage needed). */
export function receiptIds(transactionId: string, count: number): string[] {
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
  settledCurrency = new Uint8Array(INITIAL_CAPACITY);
  vendorIndex = new Uint32Array(INITIAL_CAPACITY);
  cardIndex = new Uint32Array(INITIAL_CAPACITY);
  state = new Uint8Array(INITIAL_CAPACITY);
  syncStatus = new Uint8Array(INITIAL_CAPACITY);
  memoIndex = new Uint8Array(INITIAL_CAPACITY);
  receiptCount = new Uint8Array(INITIAL_CAPACITY);
  cardPresent = new Uint8Array(INITIAL_CAPACITY);

  readonly #lookups: TransactionLookups;
  #links: TransactionLinks | undefined;
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
    this.settledCurrency = grow(this.settledCurrency, capacity);
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

  link(links: TransactionLinks): void {
    this.#links = links;
    this.#holders = undefined;
  }

  /**
   * Per-card holder objects and per-vendor selection lists, built once and shared by every
   * materialised transaction: a page of 100 allocates only what differs per transaction.
   */
  #holders: Record<string, unknown>[] | undefined;
  #selections: [FieldSelection[], FieldSelection[]][] = [];
  /** Codings a person set (control plane), by record; they replace the derived selections. */
  readonly #codings = new Map<number, FieldSelection[]>();

  /** Sets the accounting field selections of record `r` (a person coding it in Ramp). */
  setCoding(r: number, selections: FieldSelection[]): void {
    this.#codings.set(r, selections);
  }

  #shared(): { holders: Record<string, unknown>[]; selections: [FieldSelection[], FieldSelection[]][] } {
    if (this.#holders) return { holders: this.#holders, selections: this.#selections };
    const { cards, users, vendors, departments, locations } = this.#lookups;
    const links = this.#links;
    this.#holders = cards.all().map((_, cardIndex) => {
      const user = users.at(this.#cardUserPosition[cardIndex]!);
      const department = user.department_id === null ? undefined : departments.get(user.department_id);
      const location = user.location_id === null ? undefined : locations.get(user.location_id);
      return {
        ...(department ? { department_id: department.id, department_name: department.name } : {}),
        ...(user.employee_id === undefined ? {} : { employee_id: user.employee_id }),
        first_name: user.first_name,
        last_name: user.last_name,
        ...(location ? { location_id: location.id, location_name: location.name } : {}),
        user_id: user.id,
      };
    });
    this.#selections = vendors.all().map((vendor) => {
      const gl = links?.glSelectionOf(vendor.sk_category_id);
      const base = gl ? [gl] : [];
      return [base, links?.classSelection ? [...base, links.classSelection] : base];
    });
    return { holders: this.#holders, selections: this.#selections };
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
    this.settledCurrency[r] = row.settledCurrency ?? 0;
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
    const { cards, users, vendors, entityId } = this.#lookups;
    const links = this.#links;
    const shared = this.#shared();
    const id = this.#ids[r]!;
    const cardIndex = this.cardIndex[r]!;
    const card = cards.at(cardIndex);
    const user = users.at(this.#cardUserPosition[cardIndex]!);
    const vendor = vendors.at(this.vendorIndex[r]!);
    const cents = this.amountCents[r]!;
    const settledMs = this.settledMs[r]!;
    const synced = this.syncedAtMs[r]!;
    const state = this.state[r]!;
    const declined = state === DECLINED_STATE;
    const currency = CURRENCIES[this.originalCurrency[r]!]!;
    const memo = MEMOS[this.memoIndex[r]!] ?? null;
    const usd = { amount: cents, currency_code: 'USD' };
    // Ramp's `amount`/`currency_code` are the settled amount and currency, its line items' `amount` is
    // in that currency and `converted_amount` in the card's (developer-api.json, Transaction and
    // ApiTransactionLineItem). Most settle in USD; a few settle in their original currency.
    const settledIn = CURRENCIES[this.settledCurrency[r]!]!;
    const settled = settledIn.code === 'USD' ? usd : { amount: this.originalMinor[r]!, currency_code: settledIn.code };
    const settledMajor = settled.amount / settledIn.minorPerMajor;
    const selections = this.#codings.get(r) ?? (this.syncStatus[r] === NOT_SYNC_READY_STATUS ? [] : shared.selections[this.vendorIndex[r]!]![r % 3 === 0 ? 1 : 0]);
    const limitId = links?.limitIdOfCard[cardIndex];
    const spendProgramId = links?.spendProgramIdOfCard[cardIndex];
    const statementId = Number.isNaN(settledMs) ? undefined : links?.statementIdAt(settledMs);
    const travel = vendor.sk_category_id === AIRLINES || vendor.sk_category_id === LODGING;
    const purchase = merchantData(vendor.sk_category_id, r, settledMajor, user);
    return {
      id,
      accounting_date: declined ? null : formatRampTime(Number.isNaN(settledMs) ? this.timeMs[r]! : settledMs),
      amount: settledMajor,
      card_holder: shared.holders[cardIndex],
      card_id: card.id,
      card_present: this.cardPresent[r] === 1,
      currency_code: settled.currency_code,
      ...(declined ? { decline_details: { amount: settledMajor, reason: DECLINE_REASONS[r % DECLINE_REASONS.length] } } : {}),
      disputes: [],
      entity_id: entityId,
      // A declined authorisation was never routed to a spend limit.
      ...(limitId === undefined || declined ? {} : { limit_id: limitId }),
      line_items: [{ amount: settled, converted_amount: declined ? null : usd, accounting_field_selections: selections, ...(memo === null ? {} : { memo }) }],
      accounting_field_selections: selections,
      merchant_category_code: MERCHANT_MCC.get(vendor.sk_category_id) ?? '5999',
      ...(purchase === null ? {} : { merchant_data: purchase }),
      merchant_descriptor: vendor.name.toUpperCase(),
      merchant_id: vendor.merchant_id,
      ...(vendor.address
        ? { merchant_location: { city: vendor.address.city as string, country: vendor.country, postal_code: vendor.address.postal_code as string, state: (vendor.address.state as string | undefined) ?? null } }
        : {}),
      merchant_name: vendor.name,
      memo,
      original_transaction_amount: { amount: this.originalMinor[r]!, currency_code: currency.code },
      policy_violations: [],
      receipts: receiptIds(id, this.receiptCount[r]!),
      ...(Number.isNaN(settledMs) ? {} : { settlement_date: formatRampTime(settledMs) }),
      sk_category_id: vendor.sk_category_id,
      sk_category_name: vendor.sk_category_name,
      ...(spendProgramId === undefined ? {} : { spend_program_id: spendProgramId }),
      state: TRANSACTION_STATES[state],
      ...(statementId === undefined ? {} : { statement_id: statementId }),
      sync_status: SYNC_STATUSES[this.syncStatus[r]!],
      synced_at: Number.isNaN(synced) ? null : formatRampTime(synced),
      ...(travel && r % 2 === 0 ? { trip_id: tripId(user.id, this.timeMs[r]!), trip_name: `Trip ${formatRampTime(this.timeMs[r]!).slice(0, 7)}` } : {}),
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

const DECLINED_STATE = TRANSACTION_STATES.indexOf('DECLINED');
const NOT_SYNC_READY_STATUS = SYNC_STATUSES.indexOf('NOT_SYNC_READY');

/** One trip per traveller and month. */
function tripId(userId: string, timeMs: number): string {
  const hex = createHash('sha256').update(`${userId}:trip:${formatRampTime(timeMs).slice(0, 7)}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-b${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Level-3 purchase data: flights and stays for travel merchants, itemised receipts for some others,
 * none (the optional field absent) for the rest.
 */
function merchantData(categoryId: number, r: number, major: number, user: User): Record<string, unknown> | null {
  const empty = { auto_rental: null, flight: null, lodging: null, receipt: null, reference: null };
  if (categoryId === AIRLINES) {
    return {
      ...empty,
      reference: `PNR${(r * 7919).toString(36).toUpperCase().padStart(6, '0').slice(-6)}`,
      flight: {
        departure_date: r % 5 === 0 ? null : '2026-03-14',
        passenger_name: `${user.last_name}/${user.first_name}`.toUpperCase(),
        segments: [{ arrival_airport_code: 'SFO', carrier: 'DL', departure_airport_code: 'JFK', flight_number: `DL${100 + (r % 800)}`, service_class: 'Y', stopover_allowed: false }],
      },
    };
  }
  if (categoryId === LODGING) return { ...empty, lodging: { check_in: '2026-03-14', nights: r % 4 === 0 ? null : 1 + (r % 3) } };
  if (r % 4 === 0) {
    return {
      ...empty,
      receipt: { items: [{ commodity_code: null, description: 'Item', quantity: 1, unit_cost: major, total: major, tax: r % 8 === 0 ? null : 0, discount: null }] },
    };
  }
  return null;
}

/** Merchant category codes by Ramp category, for `merchant_category_code`. */
const MERCHANT_MCC = new Map<number, string>([
  [1, '7311'], [3, '3000'], [9, '8299'], [12, '5732'], [18, '3504'], [19, '5200'], [22, '7372'], [27, '5943'],
  [31, '6513'], [35, '4215'], [40, '5812'], [41, '4121'],
]);
