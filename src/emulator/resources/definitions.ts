/**
 * @module The listable resources: scope, table and filters of each (docs/ramp-behaviour.md#resources-and-scopes).
 *
 * A filter compiles to a position predicate (and, for transactions, a binary-searched position
 * range on `user_transaction_time`), evaluated lazily while a page is filled.
 */
import type { BusinessData } from '../data/store.ts';
import type { ListableTable } from '../data/table.ts';
import { REIMBURSEMENT_STATES, SYNC_STATUSES, TRANSACTION_STATES, type Bill, type Card, type Location, type Reimbursement, type User, type Vendor } from '../data/models.ts';
import type { QueryReader } from './query.ts';

export type PositionPredicate = (position: number) => boolean;

export interface CompiledFilter {
  predicates: PositionPredicate[];
  /** [first, end) positions to scan; the whole table when absent. */
  range?: [number, number];
}

export interface ResourceDefinition {
  /** Name in the control plane (`/__emulator/records/:name`); also the path when `path` is absent. */
  readonly name: string;
  /** Path under /developer/v1 when it differs from `name` (`spend-programs`, `accounting/accounts`). */
  readonly path?: string;
  readonly scope: string;
  /** False for lists Ramp has no by-id route for (merchants). */
  readonly byId?: boolean;
  table(data: BusinessData): ListableTable;
  compileFilter(query: QueryReader, data: BusinessData): CompiledFilter;
  /** The by-id answer, when Ramp's detail schema carries more than the list item. */
  detail?(item: Record<string, unknown>): Record<string, unknown>;
}

export const NEVER: PositionPredicate = () => false;

export function timeOf(value: string | null | undefined): number {
  return value === null || value === undefined ? Number.NaN : Date.parse(value);
}

/** Builds predicates over a table of objects from simple `field equals query value` rules. */
export function objectFilter<T>(table: { at(position: number): T }, rules: [string | undefined, (item: T) => unknown][]): PositionPredicate[] {
  return rules
    .filter(([expected]) => expected !== undefined)
    .map(([expected, field]) => (position: number) => field(table.at(position)) === expected);
}

export const TRANSACTIONS: ResourceDefinition = {
  name: 'transactions',
  scope: 'transactions:read',
  table: (data) => data.transactions,
  compileFilter(query, data) {
    const table = data.transactions;
    const fromMs = query.dateTime('from_date');
    const toMs = query.dateTime('to_date');
    const state = query.oneOf('state', [...TRANSACTION_STATES, 'ALL'] as const);
    const userId = query.uuid('user_id');
    const cardId = query.uuid('card_id');
    const departmentId = query.uuid('department_id');
    const locationId = query.uuid('location_id');
    const merchantId = query.uuid('merchant_id');
    const entityId = query.uuid('entity_id');
    const syncStatus = query.oneOf('sync_status', SYNC_STATUSES);
    const syncReady = query.boolean('sync_ready');
    const syncedAfter = query.dateTime('synced_after');
    const updatedAfter = query.dateTime('updated_after');
    const minAmount = query.number('min_amount');
    const maxAmount = query.number('max_amount');
    const predicates: PositionPredicate[] = [];
    const recordAt = (position: number): number => table.recordAt(position);

    // Changelog 2025-06-25: DECLINED is excluded unless asked for (state=DECLINED or state=ALL).
    if (state === undefined) {
      const declined = TRANSACTION_STATES.indexOf('DECLINED');
      predicates.push((position) => table.state[recordAt(position)] !== declined);
    } else if (state !== 'ALL') {
      const wanted = TRANSACTION_STATES.indexOf(state);
      predicates.push((position) => table.state[recordAt(position)] === wanted);
    }
    if (userId !== undefined) {
      const userPosition = data.users.positionOf(userId);
      predicates.push(userPosition === undefined ? NEVER : (position) => table.userPositionOfRecord(recordAt(position)) === userPosition);
    }
    if (cardId !== undefined) {
      const cardIndex = data.cards.positionOf(cardId);
      predicates.push(cardIndex === undefined ? NEVER : (position) => table.cardIndex[recordAt(position)] === cardIndex);
    }
    for (const [id, field] of [[departmentId, 'department_id'], [locationId, 'location_id']] as const) {
      if (id === undefined) continue;
      const usersInGroup = Uint8Array.from(data.users.all(), (user) => (user[field] === id ? 1 : 0));
      predicates.push((position) => usersInGroup[table.userPositionOfRecord(recordAt(position))] === 1);
    }
    if (merchantId !== undefined) {
      const vendorIndex = data.vendors.all().findIndex((vendor) => vendor.merchant_id === merchantId);
      predicates.push(vendorIndex < 0 ? NEVER : (position) => table.vendorIndex[recordAt(position)] === vendorIndex);
    }
    if (entityId !== undefined && entityId !== data.entityId) predicates.push(NEVER);
    if (syncStatus !== undefined) {
      const wanted = SYNC_STATUSES.indexOf(syncStatus);
      predicates.push((position) => table.syncStatus[recordAt(position)] === wanted);
    }
    if (syncReady !== undefined) {
      const ready = SYNC_STATUSES.indexOf('SYNC_READY');
      predicates.push((position) => (table.syncStatus[recordAt(position)] === ready) === syncReady);
    }
    // `synced_after` is strict like `updated_after`, on the second-precision time the client reads
    // in `synced_at`; never-synced transactions (NaN) never match.
    if (syncedAfter !== undefined) predicates.push((position) => Math.floor(table.syncedAtMs[recordAt(position)]! / 1000) * 1000 > syncedAfter);
    if (updatedAfter !== undefined) predicates.push((position) => table.updatedMs[recordAt(position)]! > updatedAfter);
    if (minAmount !== undefined) predicates.push((position) => table.amountCents[recordAt(position)]! >= Math.round(minAmount * 100));
    if (maxAmount !== undefined) predicates.push((position) => table.amountCents[recordAt(position)]! <= Math.round(maxAmount * 100));
    const range: [number, number] | undefined =
      fromMs !== undefined || toMs !== undefined ? table.positionRange(fromMs ?? Number.NEGATIVE_INFINITY, toMs ?? Number.POSITIVE_INFINITY) : undefined;
    return range ? { predicates, range } : { predicates };
  },
};

export const REIMBURSEMENTS: ResourceDefinition = {
  name: 'reimbursements',
  scope: 'reimbursements:read',
  table: (data) => data.reimbursements,
  compileFilter(query, data) {
    const table = data.reimbursements;
    // Ramp's document (GET /developer/v1/reimbursements): `from_date`/`to_date` select on the created
    // time, `from_transaction_date`/`to_transaction_date` on the transaction date; inclusive here, like
    // the other lists' date filters.
    const fromMs = query.dateTime('from_date');
    const toMs = query.dateTime('to_date');
    const fromTransactionMs = query.dateTime('from_transaction_date');
    const toTransactionMs = query.dateTime('to_transaction_date');
    const updatedAfter = query.dateTime('updated_after');
    const predicates = objectFilter<Reimbursement>(table, [
      [query.uuid('user_id'), (item) => item.user_id],
      [query.uuid('entity_id'), (item) => item.entity_id],
      [query.oneOf('state', REIMBURSEMENT_STATES), (item) => item.state],
      [query.oneOf('sync_status', SYNC_STATUSES), (item) => item.sync_status],
      [query.oneOf('direction', ['BUSINESS_TO_USER'] as const), (item) => item.direction],
    ]);
    if (fromMs !== undefined) predicates.push((position) => timeOf(table.at(position).created_at) >= fromMs);
    if (toMs !== undefined) predicates.push((position) => timeOf(table.at(position).created_at) <= toMs);
    if (fromTransactionMs !== undefined) predicates.push((position) => timeOf(table.at(position).transaction_date) >= fromTransactionMs);
    if (toTransactionMs !== undefined) predicates.push((position) => timeOf(table.at(position).transaction_date) <= toTransactionMs);
    if (updatedAfter !== undefined) predicates.push((position) => timeOf(table.at(position).updated_at) > updatedAfter);
    const syncReady = query.boolean('sync_ready');
    const syncedAfter = query.dateTime('synced_after');
    if (syncReady !== undefined) predicates.push((position) => (table.at(position).sync_status === 'SYNC_READY') === syncReady);
    if (syncedAfter !== undefined) {
      predicates.push((position) => {
        const synced = table.at(position).synced_at;
        return synced !== null && timeOf(synced) > syncedAfter;
      });
    }
    return { predicates };
  },
};

/**
 * Ramp's document (GET /developer/v1/bills, `is_archived`, default false): the list shows active bills,
 * or with `is_archived=true` only the archived (deleted) ones. `GET /bills/{bill_id}` answers either.
 */
export const BILLS: ResourceDefinition = {
  name: 'bills',
  scope: 'bills:read',
  table: (data) => data.bills,
  compileFilter(query, data) {
    const table = data.bills;
    const fromDue = query.dateTime('from_due_date');
    const toDue = query.dateTime('to_due_date');
    const predicates = objectFilter<Bill>(table, [
      [query.uuid('vendor_id'), (bill) => bill.vendor.id],
      [query.uuid('entity_id'), (bill) => bill.entity_id],
      [query.oneOf('approval_status', ['APPROVED', 'PENDING', 'REJECTED'] as const), (bill) => bill.approval_status],
      [query.oneOf('payment_status', ['OPEN', 'PAID'] as const), (bill) => bill.status],
      [query.oneOf('sync_status', ['NOT_SYNCED', 'BILL_SYNCED', 'BILL_AND_PAYMENT_SYNCED'] as const), (bill) => bill.sync_status],
    ]);
    const archived = query.boolean('is_archived') ?? false;
    predicates.push((position) => (table.at(position).archived_at !== null) === archived);
    const syncReady = query.boolean('sync_ready');
    if (syncReady !== undefined) predicates.push((position) => isBillSyncReady(table.at(position)) === syncReady);
    if (fromDue !== undefined) predicates.push((position) => timeOf(table.at(position).due_at) >= fromDue);
    if (toDue !== undefined) predicates.push((position) => timeOf(table.at(position).due_at) <= toDue);
    return { predicates };
  },
};

export const USERS: ResourceDefinition = {
  name: 'users',
  scope: 'users:read',
  table: (data) => data.users,
  compileFilter: (query, data) => ({
    predicates: objectFilter<User>(data.users, [
      [query.uuid('department_id'), (user) => user.department_id],
      [query.uuid('location_id'), (user) => user.location_id],
      [query.uuid('entity_id'), (user) => user.entity_id],
      [query.raw('email')?.toLowerCase(), (user) => user.email.toLowerCase()],
      [query.raw('employee_id'), (user) => user.employee_id],
      [query.oneOf('role', ['BUSINESS_OWNER', 'BUSINESS_ADMIN', 'BUSINESS_BOOKKEEPER', 'BUSINESS_USER'] as const), (user) => user.role],
    ]),
  }),
};

/** Terminated cards are listed only when asked for with `is_terminated=true` (issue 13). */
export const CARDS: ResourceDefinition = {
  name: 'cards',
  scope: 'cards:read',
  table: (data) => data.cards,
  compileFilter: (query, data) => {
    const terminated = query.boolean('is_terminated') ?? false;
    const activated = query.boolean('is_activated');
    const predicates = objectFilter<Card>(data.cards, [
      [query.uuid('user_id'), (card) => card.cardholder_id],
      [query.uuid('entity_id'), (card) => card.entity_id],
      [query.uuid('card_program_id'), (card) => card.card_program_id],
      [query.raw('display_name'), (card) => card.display_name],
    ]);
    predicates.push((position) => (data.cards.at(position).state === 'TERMINATED') === terminated);
    if (activated !== undefined) predicates.push((position) => (data.cards.at(position).state !== 'UNACTIVATED') === activated);
    return { predicates };
  },
};

export const DEPARTMENTS: ResourceDefinition = {
  name: 'departments',
  scope: 'departments:read',
  table: (data) => data.departments,
  compileFilter: () => ({ predicates: [] }),
};

export const LOCATIONS: ResourceDefinition = {
  name: 'locations',
  scope: 'locations:read',
  table: (data) => data.locations,
  compileFilter: (query, data) => ({ predicates: objectFilter<Location>(data.locations, [[query.uuid('entity_id'), (location) => location.entity_id]]) }),
};

export const VENDORS: ResourceDefinition = {
  name: 'vendors',
  scope: 'vendors:read',
  table: (data) => data.vendors,
  // `ApiVendorDetailResource` adds the vendor-onboarding form answers (none were collected here).
  detail: (item) => ({ ...item, custom_form_collection_response: (item.contacts as string[]).length > 0 ? { custom_form_collection_log_entry: null } : null }),
  compileFilter: (query, data) => {
    const active = query.boolean('is_active');
    const name = query.raw('name')?.toLowerCase();
    const predicates = objectFilter<Vendor>(data.vendors, []);
    if (active !== undefined) predicates.push((position) => data.vendors.at(position).is_active === active);
    if (name !== undefined) predicates.push((position) => data.vendors.at(position).name.toLowerCase().includes(name));
    return { predicates };
  },
};

/**
 * Ramp's accounting guide: a bill is ready to sync when it is not deleted, approved and not yet
 * synced; its payment when the bill is paid. Here: not archived and approved, and either the bill
 * still to sync, or it synced and paid with its payment still to sync.
 */
export function isBillSyncReady(bill: Bill): boolean {
  if (bill.archived_at !== null || bill.approval_status !== 'APPROVED') return false;
  return bill.sync_status === 'NOT_SYNCED' || (bill.sync_status === 'BILL_SYNCED' && bill.status === 'PAID');
}
