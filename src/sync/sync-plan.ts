/**
 * @module What one sync reads, from the business's sync configuration (the product's
 * `RampSyncConfigUpdate`, docs/ramp-behaviour.md#product-api): a list of *streams*, each a paginated Ramp
 * list with fixed filters and its own cursor.
 *
 * - Reference data (business, departments, locations, users, cards, vendors) is always read in
 *   full: it is small, has no `updated_after`, and the other records point at it.
 * - Transactions and reimbursements are incremental (`updated_after`, changelog 2025-06-25, docs/ramp-behaviour.md#resources-and-scopes);
 *   bills are re-read in full (Ramp's bills list has no `updated_after`).
 * - `sync_transactions|reimbursements|bills` switch a resource off; transfers, cashbacks, bill
 *   payments and statements are not read yet (reported in the sync's progress as `not_supported`).
 * - Date and id filters: union within a kind, intersection across kinds. Ramp's list filters take
 *   one id, so one stream per id of the kind with the fewest ids is read from Ramp and the other
 *   kinds are applied locally.
 */
import { createHash } from 'node:crypto';
import type { SyncConfig } from '../connections/sync-config.ts';
import type { ListParams } from '../ramp/resources.ts';
import type { RecordColumns, SyncResource } from './record-projection.ts';

export type StreamMode = 'incremental' | 'full';

export interface SyncStream {
  /** Cursor key: the resource, plus the filter value for per-id streams. */
  readonly key: string;
  readonly resource: SyncResource;
  readonly mode: StreamMode;
  /** Filters sent to Ramp (without `updated_after` and `page_size`, which the run adds). */
  readonly params: ListParams;
  /** Changes when the filters change, which voids the stream's incremental watermark. */
  readonly fingerprint: string;
  /** Filters Ramp cannot apply, checked before storing. */
  readonly keep: ((columns: RecordColumns) => boolean) | null;
}

export interface SyncPlan {
  readonly streams: readonly SyncStream[];
  /** Enabled kinds this service does not read yet. */
  readonly unsupported: readonly string[];
}

const REFERENCE_RESOURCES: readonly SyncResource[] = ['business', 'departments', 'locations', 'users', 'cards', 'vendors'];

function fingerprintOf(resource: SyncResource, params: ListParams, local: unknown): string {
  return createHash('sha256').update(JSON.stringify([resource, params, local])).digest('hex').slice(0, 16);
}

function ids(list: readonly string[] | null): string[] | null {
  return list && list.length > 0 ? [...new Set(list)].sort() : null;
}

type Dimension = 'card_id' | 'user_id' | 'department_id';

function dateBounds(config: SyncConfig): { from: number; to: number } | null {
  if (!config.sync_from_date && !config.sync_to_date) return null;
  return {
    from: config.sync_from_date ? Date.parse(config.sync_from_date) : Number.NEGATIVE_INFINITY,
    to: config.sync_to_date ? Date.parse(config.sync_to_date) : Number.POSITIVE_INFINITY,
  };
}

function filteredStreams(resource: SyncResource, base: ListParams, dimensions: Partial<Record<Dimension, string[]>>, localDates: { from: number; to: number } | null): SyncStream[] {
  const present = (Object.entries(dimensions) as [Dimension, string[]][]).filter(([, values]) => values.length > 0);
  present.sort((a, b) => a[1].length - b[1].length || a[0].localeCompare(b[0]));
  const [remote, ...local] = present;
  const localSets = local.map(([dimension, values]) => [dimension, new Set(values)] as const);
  const keep =
    localSets.length === 0 && localDates === null
      ? null
      : (columns: RecordColumns) =>
          localSets.every(([dimension, set]) => columns[dimension] !== null && set.has(columns[dimension]!)) &&
          (localDates === null || (columns.occurred_at >= localDates.from && columns.occurred_at <= localDates.to));
  const localSpec = [local, localDates];
  const mode: StreamMode = resource === 'transactions' || resource === 'reimbursements' ? 'incremental' : 'full';
  if (!remote) return [{ key: resource, resource, mode, params: base, fingerprint: fingerprintOf(resource, base, localSpec), keep }];
  const [dimension, values] = remote;
  return values.map((value) => {
    const params = { ...base, [dimension]: value };
    return { key: `${resource} ${dimension}=${value}`, resource, mode, params, fingerprint: fingerprintOf(resource, params, localSpec), keep };
  });
}

export function planSync(config: SyncConfig): SyncPlan {
  const streams: SyncStream[] = REFERENCE_RESOURCES.map((resource) => ({
    key: resource,
    resource,
    mode: 'full' as const,
    params: {},
    fingerprint: fingerprintOf(resource, {}, null),
    keep: null,
  }));
  // Ramp lists terminated cards only on request; they are kept (their transactions point at them).
  const terminatedCards: ListParams = { is_terminated: true };
  streams.push({ key: 'cards is_terminated=true', resource: 'cards', mode: 'full', params: terminatedCards, fingerprint: fingerprintOf('cards', terminatedCards, null), keep: null });
  const dates: ListParams = {
    ...(config.sync_from_date ? { from_date: config.sync_from_date } : {}),
    ...(config.sync_to_date ? { to_date: config.sync_to_date } : {}),
  };
  const cards = ids(config.sync_card_ids);
  const users = ids(config.sync_user_ids);
  const departments = ids(config.sync_department_ids);
  if (config.sync_transactions) {
    const dimensions: Partial<Record<Dimension, string[]>> = {};
    if (cards) dimensions.card_id = cards;
    if (users) dimensions.user_id = users;
    if (departments) dimensions.department_id = departments;
    // state=ALL: the list leaves DECLINED out by default (docs/ramp-behaviour.md#resources-and-scopes, changelog 2025-06-25).
    streams.push(...filteredStreams('transactions', { ...dates, state: 'ALL' }, dimensions, null));
  }
  if (config.sync_reimbursements) {
    // Reimbursements have a user but no card or department.
    streams.push(...filteredStreams('reimbursements', dates, users ? { user_id: users } : {}, null));
  }
  if (config.sync_bills) {
    // Ramp's bills list filters by due and created dates, not by the transaction-date window: applied locally.
    streams.push(...filteredStreams('bills', {}, {}, dateBounds(config)));
  }
  const unsupported = (['sync_transfers', 'sync_cashbacks', 'sync_bill_payments', 'sync_statements'] as const).filter((flag) => config[flag]).map((flag) => flag.slice('sync_'.length));
  return { streams, unsupported };
}
