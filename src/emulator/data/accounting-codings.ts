/**
 * @module What the business's people do in Ramp's UI before a sync: code objects with the active
 * chart (a GL account and one option per single-choice custom field, as `accounting_field_selections`)
 * and mark transactions and reimbursements ready to sync (Ramp's guide: those two need a person;
 * bills, bill payments, transfers and cashbacks become ready on their own).
 *
 * Only what the chart holds, active, can be chosen: a coding always refers to the uploaded chart.
 */
import { ControlError } from '../errors.ts';
import type { AccountingField, AccountingFieldOption, GlAccount } from './accounting.ts';
import { SYNC_STATUSES, TRANSACTION_STATES, formatRampTime, type FieldSelection } from './models.ts';
import type { BusinessData } from './store.ts';

export const CODABLE_RESOURCES = ['transactions', 'reimbursements', 'bills'] as const;
export type CodableResource = (typeof CODABLE_RESOURCES)[number];
export const READY_RESOURCES = ['transactions', 'reimbursements'] as const;
export type ReadyResource = (typeof READY_RESOURCES)[number];

const NOT_SYNC_READY = SYNC_STATUSES.indexOf('NOT_SYNC_READY');
const SYNC_READY = SYNC_STATUSES.indexOf('SYNC_READY');
const SYNCED = SYNC_STATUSES.indexOf('SYNCED');

export interface CodingRequest {
  resource: CodableResource;
  /** Objects to code; without them the first `count` not yet ready (bills: not synced) in list order. */
  ids?: readonly string[];
  count: number;
  /** Ramp ids from the active chart; without them accounts and options are chosen round-robin. */
  glAccountId?: string;
  fieldOptionIds?: string[];
  markReady: boolean;
}

export interface CodingResult {
  ids: string[];
  codings: { id: string; gl_account_id: string; field_option_ids: string[] }[];
  /** `*.ready_to_sync` webhook events to emit. */
  events: { type: string; objectId: string }[];
}

interface Choice {
  account: GlAccount;
  options: { option: AccountingFieldOption; field: AccountingField }[];
}

function choices(data: BusinessData, request: CodingRequest): (k: number) => Choice {
  const chart = data.accounting.chart;
  const accounts = chart.accounts.all().map((entry) => entry.value).filter((account) => account.is_active);
  const fields = new Map(chart.fields.all().map((entry) => [entry.value.ramp_id, entry.value]));
  const activeOptions = chart.options.all().map((entry) => entry.value).filter((option) => option.is_active && fields.get(option.field_ramp_id)?.is_active);
  let account: GlAccount | undefined;
  if (request.glAccountId !== undefined) {
    account = accounts.find((item) => item.ramp_id === request.glAccountId!.toLowerCase());
    if (!account) throw new ControlError(400, `gl_account_id ${request.glAccountId} is not an active GL account of the active connection's chart`);
  } else if (accounts.length === 0) {
    throw new ControlError(409, 'The active chart has no active GL account to code with: upload some first');
  }
  let fixedOptions: Choice['options'] | undefined;
  if (request.fieldOptionIds !== undefined) {
    fixedOptions = request.fieldOptionIds.map((id) => {
      const option = activeOptions.find((item) => item.ramp_id === id.toLowerCase());
      if (!option) throw new ControlError(400, `field option ${id} is not an active option of the active connection's chart`);
      return { option, field: fields.get(option.field_ramp_id)! };
    });
  }
  const optionsByField = new Map<string, AccountingFieldOption[]>();
  for (const option of activeOptions) {
    if (fields.get(option.field_ramp_id)?.input_type !== 'SINGLE_CHOICE') continue;
    optionsByField.set(option.field_ramp_id, [...(optionsByField.get(option.field_ramp_id) ?? []), option]);
  }
  return (k) => ({
    account: account ?? accounts[k % accounts.length]!,
    options: fixedOptions ?? [...optionsByField].map(([fieldId, options]) => ({ option: options[k % options.length]!, field: fields.get(fieldId)! })),
  });
}

function selectionsOf(choice: Choice): FieldSelection[] {
  const { account } = choice;
  return [
    { id: account.ramp_id, external_id: account.id, name: account.name, type: 'GL_ACCOUNT', category_info: { id: 'gl', external_id: 'Category', name: 'Category', type: 'GL_ACCOUNT' } },
    ...choice.options.map(({ option, field }) => ({
      id: option.ramp_id,
      external_id: option.id,
      name: option.value,
      type: 'OTHER',
      category_info: { id: field.ramp_id, external_id: field.id, name: field.name, type: 'OTHER' },
    })),
  ];
}

/** Codes objects (and marks transactions/reimbursements ready when asked). */
export function codeObjects(data: BusinessData, request: CodingRequest, nowMs: number): CodingResult {
  const pick = choices(data, request);
  const result: CodingResult = { ids: [], codings: [], events: [] };
  const record = (id: string, choice: Choice): void => {
    result.ids.push(id);
    result.codings.push({ id, gl_account_id: choice.account.ramp_id, field_option_ids: choice.options.map(({ option }) => option.ramp_id) });
  };
  if (request.resource === 'transactions') {
    const table = data.transactions;
    const bump = Math.max(nowMs, table.maxUpdatedMs() + 1);
    for (const r of targetRecords(data, request)) {
      const choice = pick(result.ids.length);
      const id = table.idOfRecord(r);
      table.setCoding(r, selectionsOf(choice));
      table.updatedMs[r] = bump;
      if (request.markReady && table.syncStatus[r] === NOT_SYNC_READY) {
        table.syncStatus[r] = SYNC_READY;
        result.events.push({ type: 'transactions.ready_to_sync', objectId: id });
      }
      record(id, choice);
    }
  } else if (request.resource === 'reimbursements') {
    for (const item of targetObjects(data.reimbursements.all(), request, (item) => item.sync_status === 'NOT_SYNC_READY')) {
      const choice = pick(result.ids.length);
      const selections = selectionsOf(choice);
      item.accounting_field_selections = selections;
      for (const line of item.line_items) line.accounting_field_selections = selections;
      item.updated_at = formatRampTime(Math.max(nowMs, Date.parse(item.updated_at) + 1000));
      if (request.markReady && item.sync_status === 'NOT_SYNC_READY') {
        item.sync_status = 'SYNC_READY';
        result.events.push({ type: 'reimbursements.ready_to_sync', objectId: item.id });
      }
      record(item.id, choice);
    }
  } else {
    for (const bill of targetObjects(data.bills.all(), request, (item) => item.sync_status === 'NOT_SYNCED')) {
      const choice = pick(result.ids.length);
      const selections = selectionsOf(choice).map(({ type: _type, ...selection }) => selection);
      bill.accounting_field_selections = selections;
      for (const line of bill.line_items) line.accounting_field_selections = selections;
      record(bill.id, choice);
    }
  }
  return result;
}

/** Marks transactions or reimbursements ready to sync as they are (a person approving their coding). */
export function markReady(data: BusinessData, resource: ReadyResource, ids: readonly string[] | undefined, count: number, nowMs: number): CodingResult {
  return toReady(data, resource, ids, count, nowMs, 'NOT_SYNC_READY');
}

/**
 * Moves transactions or reimbursements that are in `from` to `SYNC_READY`, with the `*.ready_to_sync`
 * event a person's marking sends: the given ids (those not in `from` are skipped), or the first `count`
 * in `from` in list order (from `NOT_SYNC_READY`, declined transactions are never picked).
 */
function toReady(data: BusinessData, resource: ReadyResource, ids: readonly string[] | undefined, count: number, nowMs: number, from: 'NOT_SYNC_READY' | 'SYNCED'): CodingResult {
  const result: CodingResult = { ids: [], codings: [], events: [] };
  if (resource === 'transactions') {
    const table = data.transactions;
    const fromIndex = from === 'SYNCED' ? SYNCED : NOT_SYNC_READY;
    const bump = Math.max(nowMs, table.maxUpdatedMs() + 1);
    const records = ids || from === 'NOT_SYNC_READY'
      ? targetRecords(data, { ids, count })
      : Array.from({ length: table.length }, (_, position) => table.recordAt(position)).filter((r) => table.syncStatus[r] === SYNCED).slice(0, count);
    for (const r of records) {
      if (table.syncStatus[r] !== fromIndex) continue;
      table.syncStatus[r] = SYNC_READY;
      table.updatedMs[r] = bump;
      const id = table.idOfRecord(r);
      result.ids.push(id);
      result.events.push({ type: 'transactions.ready_to_sync', objectId: id });
    }
  } else {
    for (const item of targetObjects(data.reimbursements.all(), { resource, ids, count }, (item) => item.sync_status === from)) {
      if (item.sync_status !== from) continue;
      item.sync_status = 'SYNC_READY';
      item.updated_at = formatRampTime(Math.max(nowMs, Date.parse(item.updated_at) + 1000));
      result.ids.push(item.id);
      result.events.push({ type: 'reimbursements.ready_to_sync', objectId: item.id });
    }
  }
  return result;
}

/** Transaction records: the given ids (each must exist), or the first `count` not ready, not declined. */
function targetRecords(data: BusinessData, request: Pick<CodingRequest, 'ids' | 'count'>): number[] {
  const table = data.transactions;
  if (request.ids) {
    return request.ids.map((id) => {
      const r = table.recordOf(id.toLowerCase());
      if (r === undefined) throw new ControlError(404, `Unknown transaction ${id}`);
      return r;
    });
  }
  const declined = TRANSACTION_STATES.indexOf('DECLINED');
  const records: number[] = [];
  for (let position = 0; position < table.length && records.length < request.count; position++) {
    const r = table.recordAt(position);
    if (table.syncStatus[r] === NOT_SYNC_READY && table.state[r] !== declined) records.push(r);
  }
  return records;
}

function targetObjects<T extends { id: string }>(items: readonly T[], request: Pick<CodingRequest, 'ids' | 'count' | 'resource'>, eligible: (item: T) => boolean): T[] {
  if (request.ids) {
    const byId = new Map(items.map((item) => [item.id, item]));
    return request.ids.map((id) => {
      const item = byId.get(id.toLowerCase());
      if (!item) throw new ControlError(404, `Unknown ${request.resource.replace(/s$/, '')} ${id}`);
      return item;
    });
  }
  return items.filter(eligible).slice(0, request.count);
}

/**
 * Takes readiness back (a person un-marking): `SYNC_READY` transactions or reimbursements return to
 * `NOT_SYNC_READY`, so a test can start from a business where nothing waits to be synced. Without
 * `ids`, every ready one of the business.
 */
export function unmarkReady(data: BusinessData, resource: ReadyResource, ids: readonly string[] | undefined, nowMs: number): string[] {
  const changed: string[] = [];
  if (resource === 'transactions') {
    const table = data.transactions;
    const bump = Math.max(nowMs, table.maxUpdatedMs() + 1);
    const records = ids ? targetRecords(data, { ids, count: ids.length }) : Array.from({ length: table.length }, (_, position) => table.recordAt(position));
    for (const r of records) {
      if (table.syncStatus[r] !== SYNC_READY) continue;
      table.syncStatus[r] = NOT_SYNC_READY;
      table.updatedMs[r] = bump;
      changed.push(table.idOfRecord(r));
    }
  } else {
    const items = ids ? targetObjects(data.reimbursements.all(), { resource, ids, count: ids.length }, () => true) : data.reimbursements.all();
    for (const item of items) {
      if (item.sync_status !== 'SYNC_READY') continue;
      item.sync_status = 'NOT_SYNC_READY';
      item.updated_at = formatRampTime(Math.max(nowMs, Date.parse(item.updated_at) + 1000));
      changed.push(item.id);
    }
  }
  return changed;
}

/**
 * Re-opens synced objects: `SYNCED` transactions or reimbursements are `SYNC_READY` again, as when Ramp
 * puts an object that was synced back in the queue to sync (someone edits it in Ramp), with the
 * `*.ready_to_sync` event a person's marking sends. `synced_at` keeps the time of the last sync.
 * Without `ids`, the first `count` synced ones in list order; given ids that are not synced are skipped.
 */
export function reopenSynced(data: BusinessData, resource: ReadyResource, ids: readonly string[] | undefined, count: number, nowMs: number): CodingResult {
  return toReady(data, resource, ids, count, nowMs, 'SYNCED');
}
