/**
 * @module The resources beyond the original eight: ledger (transfers, cashbacks, statements),
 * documents (receipts, memos), spend structure (merchants, entities, limits, spend programs) and the
 * accounting mirror. Filters are the ones Ramp's document lists for each list route.
 */
import type { AccountingField, AccountingFieldOption, AccountingVendor, GlAccount } from '../data/accounting.ts';
import { SYNC_STATUSES } from '../data/models.ts';
import type { Cashback, Transfer } from '../data/ledger.ts';
import type { Entity, Limit } from '../data/spend.ts';
import type { RampKeyed } from '../data/store.ts';
import type { ObjectTable } from '../data/table.ts';
import { NEVER, objectFilter, timeOf, type PositionPredicate, type ResourceDefinition } from './definitions.ts';
import type { QueryReader } from './query.ts';

/** `from_date`/`to_date` (both inclusive) on one time field of a table of objects. */
function dateRange<T>(query: QueryReader, table: { at(position: number): T }, timeField: (item: T) => string | null | undefined, from = 'from_date', to = 'to_date'): PositionPredicate[] {
  const fromMs = query.dateTime(from);
  const toMs = query.dateTime(to);
  const predicates: PositionPredicate[] = [];
  if (fromMs !== undefined) predicates.push((position) => timeOf(timeField(table.at(position))) >= fromMs);
  if (toMs !== undefined) predicates.push((position) => timeOf(timeField(table.at(position))) <= toMs);
  return predicates;
}

export const TRANSFERS: ResourceDefinition = {
  name: 'transfers',
  scope: 'transfers:read',
  table: (data) => data.transfers,
  compileFilter(query, data) {
    const table = data.transfers;
    const statementId = query.uuid('statement_id');
    const noSyncCommits = query.boolean('has_no_sync_commits');
    const predicates = objectFilter<Transfer>(table, [
      [query.oneOf('sync_status', SYNC_STATUSES), (item) => item.sync_status],
      [query.raw('status'), (item) => item.status],
      [query.uuid('entity_id'), (item) => item.entity_id],
    ]);
    if (statementId !== undefined) {
      const k = data.statements.all().find((statement) => statement.id === statementId)?.k;
      predicates.push(k === undefined ? NEVER : (position) => table.at(position).periodIndex === k);
    }
    if (noSyncCommits !== undefined) predicates.push((position) => (table.at(position).sync_status !== 'SYNCED') === noSyncCommits);
    return { predicates: [...predicates, ...dateRange<Transfer>(query, table, (item) => item.created_at)] };
  },
};

export const CASHBACKS: ResourceDefinition = {
  name: 'cashbacks',
  scope: 'cashbacks:read',
  table: (data) => data.cashbacks,
  compileFilter(query, data) {
    const table = data.cashbacks;
    const statementId = query.uuid('statement_id');
    const syncReady = query.boolean('sync_ready');
    const predicates = objectFilter<Cashback>(table, [
      [query.oneOf('sync_status', SYNC_STATUSES), (item) => item.sync_status],
      [query.uuid('entity_id'), (item) => item.entity_id],
    ]);
    if (statementId !== undefined) {
      const k = data.statements.all().find((statement) => statement.id === statementId)?.k;
      predicates.push(k === undefined ? NEVER : (position) => table.at(position).periodIndex === k);
    }
    if (syncReady !== undefined) predicates.push((position) => (table.at(position).sync_status === 'SYNC_READY') === syncReady);
    return { predicates: [...predicates, ...dateRange<Cashback>(query, table, (item) => item.created_at)] };
  },
};

/** Ramp filters statements on `end_date`: `from_date` ≤ end_date ≤ `to_date`, both inclusive. */
export const STATEMENTS: ResourceDefinition = {
  name: 'statements',
  scope: 'statements:read',
  table: (data) => data.statements,
  compileFilter(query, data) {
    const fromMs = query.dateTime('from_date');
    const toMs = query.dateTime('to_date');
    const periods = data.statements;
    const predicates: PositionPredicate[] = [];
    // Periods are [start, end): the last second of a period is end − 1 s, as its `end_date` says.
    if (fromMs !== undefined) predicates.push((position) => periods.at(position).endMs - 1000 >= fromMs);
    if (toMs !== undefined) predicates.push((position) => periods.at(position).endMs - 1000 <= toMs);
    return { predicates };
  },
};

export const RECEIPTS: ResourceDefinition = {
  name: 'receipts',
  scope: 'receipts:read',
  table: (data) => data.receipts,
  compileFilter(query, data) {
    const table = data.receipts;
    const transactionId = query.uuid('transaction_id');
    const predicates: PositionPredicate[] = [];
    if (transactionId !== undefined) {
      const record = data.transactions.recordOf(transactionId);
      predicates.push(record === undefined ? NEVER : (position) => table.transactionRecordAt(position) === record);
    }
    for (const [name, compare] of [
      ['created_after', (ms: number, bound: number) => ms > bound],
      ['created_before', (ms: number, bound: number) => ms < bound],
    ] as const) {
      const bound = query.dateTime(name);
      if (bound !== undefined) predicates.push((position) => compare(table.createdMsAt(position), bound));
    }
    // Ramp's `from_date`/`to_date` select on the receipt's transaction's `user_transaction_time` (both
    // inclusive, as on /transactions); a receipt without a transaction (a reimbursement's) has no such
    // time and is left out when either is given.
    for (const [name, compare] of [
      ['from_date', (ms: number, bound: number) => ms >= bound],
      ['to_date', (ms: number, bound: number) => ms <= bound],
    ] as const) {
      const bound = query.dateTime(name);
      if (bound === undefined) continue;
      predicates.push((position) => {
        const record = table.transactionRecordAt(position);
        return record >= 0 && compare(data.transactions.timeMs[record]!, bound);
      });
    }
    return { predicates };
  },
};

export const MEMOS: ResourceDefinition = {
  name: 'memos',
  scope: 'memos:read',
  table: (data) => data.memos,
  compileFilter(query, data) {
    const table = data.memos;
    const transactions = data.transactions;
    const predicates: PositionPredicate[] = [];
    const cardId = query.uuid('card_id');
    const userId = query.uuid('user_id');
    const merchantId = query.uuid('merchant_id');
    const fromMs = query.dateTime('from_date');
    const toMs = query.dateTime('to_date');
    for (const name of ['department_id', 'location_id', 'manager_id'] as const) {
      const id = query.uuid(name);
      if (id === undefined) continue;
      const inGroup = Uint8Array.from(data.users.all(), (user) => (user[name] === id ? 1 : 0));
      predicates.push((position) => inGroup[transactions.userPositionOfRecord(table.recordAt(position))] === 1);
    }
    if (cardId !== undefined) {
      const cardIndex = data.cards.positionOf(cardId);
      predicates.push(cardIndex === undefined ? NEVER : (position) => transactions.cardIndex[table.recordAt(position)] === cardIndex);
    }
    if (userId !== undefined) {
      const userPosition = data.users.positionOf(userId);
      predicates.push(userPosition === undefined ? NEVER : (position) => transactions.userPositionOfRecord(table.recordAt(position)) === userPosition);
    }
    if (merchantId !== undefined) {
      const vendorIndex = data.vendors.all().findIndex((vendor) => vendor.merchant_id === merchantId);
      predicates.push(vendorIndex < 0 ? NEVER : (position) => transactions.vendorIndex[table.recordAt(position)] === vendorIndex);
    }
    if (fromMs !== undefined) predicates.push((position) => transactions.timeMs[table.recordAt(position)]! >= fromMs);
    if (toMs !== undefined) predicates.push((position) => transactions.timeMs[table.recordAt(position)]! <= toMs);
    return { predicates };
  },
};

/** Ramp has no by-id route for merchants. */
export const MERCHANTS: ResourceDefinition = {
  name: 'merchants',
  scope: 'merchants:read',
  byId: false,
  table: (data) => data.merchants,
  compileFilter(query) {
    query.dateTime('transaction_from_date');
    query.dateTime('transaction_to_date');
    return { predicates: [] };
  },
};

export const ENTITIES: ResourceDefinition = {
  name: 'entities',
  scope: 'entities:read',
  table: (data) => data.entities,
  compileFilter: (query, data) => {
    const primary = query.boolean('is_primary');
    const predicates = objectFilter<Entity>(data.entities, [
      [query.raw('currency'), (entity) => entity.currency],
      [query.raw('entity_name'), (entity) => entity.entity_name],
    ]);
    if (primary !== undefined) predicates.push((position) => data.entities.at(position).is_primary === primary);
    return { predicates };
  },
};

/** Like cards, terminated limits are listed only with `is_terminated=true`. */
export const LIMITS: ResourceDefinition = {
  name: 'limits',
  scope: 'limits:read',
  table: (data) => data.limits,
  compileFilter: (query, data) => {
    const table = data.limits;
    const terminated = query.boolean('is_terminated') ?? false;
    const userId = query.uuid('user_id');
    const predicates = objectFilter<Limit>(table, [
      [query.raw('display_name'), (limit) => limit.display_name],
      [query.uuid('entity_id'), (limit) => limit.entity_id],
      [query.uuid('spend_program_id'), (limit) => limit.spend_program_id],
    ]);
    predicates.push((position) => (table.at(position).state === 'TERMINATED') === terminated);
    if (userId !== undefined) predicates.push((position) => table.at(position).users.some((user) => user.user_id === userId));
    return { predicates: [...predicates, ...dateRange<Limit>(query, table, (limit) => limit.created_at, 'created_after', 'created_before')] };
  },
  // `ApiSpendLimitDetailResource` adds the spend request's form answers (none here).
  detail: (item) => ({ ...item, custom_form_collection_response: null }),
};

export const SPEND_PROGRAMS: ResourceDefinition = {
  name: 'spend-programs',
  scope: 'spend_programs:read',
  table: (data) => data.spendPrograms,
  compileFilter: () => ({ predicates: [] }),
};

/** `remote_id`, `is_active` and (where the object has it) `is_synced` on an accounting mirror table. */
function accountingFilter<T extends { id: string; is_active: boolean; is_synced?: boolean }>(query: QueryReader, table: ObjectTable<RampKeyed<T>>, withSynced: boolean): PositionPredicate[] {
  const active = query.boolean('is_active');
  const synced = withSynced ? query.boolean('is_synced') : undefined;
  const predicates = objectFilter<RampKeyed<T>>(table, [[query.raw('remote_id'), (entry) => entry.value.id]]);
  if (active !== undefined) predicates.push((position) => table.at(position).value.is_active === active);
  if (synced !== undefined) predicates.push((position) => table.at(position).value.is_synced === synced);
  return predicates;
}

export const ACCOUNTING_ACCOUNTS: ResourceDefinition = {
  name: 'accounting-accounts',
  path: 'accounting/accounts',
  scope: 'accounting:read',
  table: (data) => data.accountingAccounts,
  compileFilter: (query, data) => {
    query.boolean('is_synced');
    return { predicates: accountingFilter<GlAccount>(query, data.accountingAccounts, false) };
  },
};

export const ACCOUNTING_FIELDS: ResourceDefinition = {
  name: 'accounting-fields',
  path: 'accounting/fields',
  scope: 'accounting:read',
  table: (data) => data.accountingFields,
  compileFilter: (query, data) => ({ predicates: accountingFilter<AccountingField>(query, data.accountingFields, false) }),
};

/** `field_id` is required by Ramp's document: the options of one custom field. */
export const ACCOUNTING_FIELD_OPTIONS: ResourceDefinition = {
  name: 'accounting-field-options',
  path: 'accounting/field-options',
  scope: 'accounting:read',
  table: (data) => data.accountingFieldOptions,
  compileFilter: (query, data) => {
    const table = data.accountingFieldOptions;
    const fieldId = query.uuid('field_id');
    if (query.raw('field_id') === undefined) query.errors.field_id = ['Missing data for required field.'];
    const predicates = accountingFilter<AccountingFieldOption>(query, table, false);
    const code = query.raw('code');
    if (fieldId !== undefined) predicates.push((position) => table.at(position).value.field_ramp_id === fieldId);
    if (code !== undefined) predicates.push((position) => table.at(position).value.code === code);
    return { predicates };
  },
};

export const ACCOUNTING_VENDORS: ResourceDefinition = {
  name: 'accounting-vendors',
  path: 'accounting/vendors',
  scope: 'accounting:read',
  table: (data) => data.accountingVendors,
  compileFilter: (query, data) => ({ predicates: accountingFilter<AccountingVendor>(query, data.accountingVendors, true) }),
};
