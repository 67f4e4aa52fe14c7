/**
 * @module What one sync reads, from the business's sync configuration (the product's
 * `RampSyncConfigUpdate`, docs/ramp-behaviour.md#product-api) and the resource table
 * (src/ramp/resource-descriptors.ts): a list of *streams*, each a paginated Ramp list with fixed
 * filters and its own cursor.
 *
 * - Reference data (no config flag) is always read; a resource with a flag only when it is on.
 * - A resource with Ramp's `updated_after` is read incrementally; the others in full every sync,
 *   which is how their deletions are seen (src/sync/record-deletions.ts).
 * - A resource Ramp lists with `synced_after` gets one more incremental stream reading what was
 *   synced to the books since the last run (docs/ramp-behaviour.md#accounting-readiness); it applies
 *   the config's id filters locally.
 * - Date and id filters: union within a kind, intersection across kinds. Ramp's list filters take
 *   one id, so one stream per id of the kind with the fewest ids is read from Ramp and the other
 *   kinds are applied locally.
 */
import { createHash } from 'node:crypto';
import type { SyncConfig } from '../connections/sync-config.ts';
import { RAMP_RESOURCES, type IdDimension, type RampResourceDescriptor, type RemoteDateWindow } from '../ramp/resource-descriptors.ts';
import type { ListParams } from '../ramp/resources.ts';
import type { RecordColumns, SyncResource } from './record-projection.ts';

export type StreamMode = 'incremental' | 'full';

export interface SyncStream {
  /** Cursor key: the resource, plus the filter value for per-id streams. */
  readonly key: string;
  readonly resource: SyncResource;
  /** The resource's table entry: Ramp's path, projection, deletion detection. */
  readonly descriptor: RampResourceDescriptor;
  readonly mode: StreamMode;
  /** The filter an incremental run reads changes with: Ramp's `updated_after`, or `synced_after` for the accounting read. */
  readonly incrementalFilter: 'updated_after' | 'synced_after' | null;
  /** Filters sent to Ramp (without `updated_after` and `page_size`, which the run adds). */
  readonly params: ListParams;
  /** Changes when the filters change, which voids the stream's incremental watermark. */
  readonly fingerprint: string;
  /** Filters Ramp cannot apply, checked before storing. */
  readonly keep: ((columns: RecordColumns) => boolean) | null;
  /** Records kept only beside their stored owner (a receipt's transaction); null: no such filter. */
  readonly attached: AttachedFilter | null;
}

/**
 * A receipt or memo follows its transaction: with the config's transaction filters on, it is stored
 * only when the transaction it names (`link_id`) is stored (src/sync/attached-records.ts).
 */
export interface AttachedFilter {
  /** The resource `link_id` points into. */
  readonly resource: SyncResource;
  /** A record that names none (a reimbursement's receipt): kept or not, from its own columns. */
  readonly keepUnlinked: (columns: RecordColumns) => boolean;
}

export interface SyncPlan {
  readonly streams: readonly SyncStream[];
  /** Enabled kinds this service does not read (none since every flag has its resources). */
  readonly unsupported: readonly string[];
}

function fingerprintOf(resource: SyncResource, params: ListParams, local: unknown): string {
  return createHash('sha256').update(JSON.stringify([resource, params, local])).digest('hex').slice(0, 16);
}

function ids(list: readonly string[] | null): string[] | null {
  return list && list.length > 0 ? [...new Set(list)].sort() : null;
}

function dateBounds(config: SyncConfig): { from: number; to: number } | null {
  if (!config.sync_from_date && !config.sync_to_date) return null;
  return {
    from: config.sync_from_date ? Date.parse(config.sync_from_date) : Number.NEGATIVE_INFINITY,
    to: config.sync_to_date ? Date.parse(config.sync_to_date) : Number.POSITIVE_INFINITY,
  };
}

type LocalSets = readonly (readonly [IdDimension, ReadonlySet<string>])[];

function keepOf(sets: LocalSets, localDates: { from: number; to: number } | null): SyncStream['keep'] {
  if (sets.length === 0 && localDates === null) return null;
  return (columns: RecordColumns) =>
    sets.every(([dimension, set]) => columns[dimension] !== null && set.has(columns[dimension]!)) &&
    (localDates === null || (columns.occurred_at >= localDates.from && columns.occurred_at <= localDates.to));
}

function filteredStreams(
  descriptor: RampResourceDescriptor, base: ListParams, dimensions: Partial<Record<IdDimension, string[]>>, localDates: { from: number; to: number } | null, attached: AttachedSpec | null,
): SyncStream[] {
  const resource = descriptor.resource;
  const present = (Object.entries(dimensions) as [IdDimension, string[]][]).filter(([, values]) => values.length > 0);
  present.sort((a, b) => a[1].length - b[1].length || a[0].localeCompare(b[0]));
  const [remote, ...local] = present;
  const keep = keepOf(local.map(([dimension, values]) => [dimension, new Set(values)] as const), localDates);
  const localSpec = attached ? [local, localDates, attached.spec] : [local, localDates];
  const mode: StreamMode = descriptor.incrementalFilter !== null ? 'incremental' : 'full';
  const stream = (key: string, params: ListParams): SyncStream => ({
    key, resource, descriptor, mode, incrementalFilter: descriptor.incrementalFilter, params, fingerprint: fingerprintOf(resource, params, localSpec), keep,
    attached: attached?.filter ?? null,
  });
  const synced: SyncStream[] = descriptor.syncedAfterRead
    ? [{
        key: `${resource} synced_after`, resource, descriptor, mode: 'incremental', incrementalFilter: 'synced_after', params: base,
        fingerprint: fingerprintOf(resource, { ...base, synced_after: '' }, [present, localDates]),
        keep: keepOf(present.map(([dimension, values]) => [dimension, new Set(values)] as const), localDates),
        attached: null,
      }]
    : [];
  if (!remote) return [stream(resource, base), ...descriptor.extraReads.map((extra) => stream(`${resource} ${extra.key}`, { ...base, ...extra.params })), ...synced];
  const [dimension, values] = remote;
  return [...values.map((value) => stream(`${resource} ${dimension}=${value}`, { ...base, [dimension]: value })), ...synced];
}

/** The config's date window in the list's own filters (transactions: `from_date`; reimbursements: `from_transaction_date`). */
function remoteDates(config: SyncConfig, window: RemoteDateWindow): ListParams {
  return {
    ...(config.sync_from_date ? { [window.from]: config.sync_from_date } : {}),
    ...(config.sync_to_date ? { [window.to]: config.sync_to_date } : {}),
  };
}

export function planSync(config: SyncConfig): SyncPlan {
  const configIds: Record<IdDimension, string[] | null> = {
    card_id: ids(config.sync_card_ids),
    user_id: ids(config.sync_user_ids),
    department_id: ids(config.sync_department_ids),
  };
  const attached = attachedSpec(config, configIds);
  const streams: SyncStream[] = [];
  for (const descriptor of RAMP_RESOURCES) {
    if (descriptor.syncConfigFlag !== null && !config[descriptor.syncConfigFlag]) continue;
    const dimensions: Partial<Record<IdDimension, string[]>> = {};
    for (const dimension of descriptor.idFilters) if (configIds[dimension]) dimensions[dimension] = configIds[dimension];
    const window = descriptor.dateWindow;
    const base = { ...descriptor.listParams, ...(typeof window === 'object' ? remoteDates(config, window) : {}) };
    const follows = descriptor.attachedTo === 'transactions' ? attached : null;
    streams.push(...filteredStreams(descriptor, base, dimensions, descriptor.dateWindow === 'local' ? dateBounds(config) : null, follows));
  }
  return { streams, unsupported: [] };
}

interface AttachedSpec {
  readonly filter: AttachedFilter;
  /** What the filter depends on, for the stream's fingerprint. */
  readonly spec: unknown;
}

/**
 * Receipts and memos follow the transactions the config keeps; with no transaction filter every one is
 * kept, as Ramp lists it. A receipt with no transaction is a reimbursement's (Ramp's `Receipt`): it
 * follows the reimbursements' filters that it carries — synced at all, and the user ids (their dates
 * are the reimbursement's, which the receipt does not carry).
 */
function attachedSpec(config: SyncConfig, configIds: Record<IdDimension, string[] | null>): AttachedSpec | null {
  const filtered = config.sync_from_date || config.sync_to_date || Object.values(configIds).some((list) => list !== null);
  if (!filtered) return null;
  const users = configIds.user_id ? new Set(configIds.user_id) : null;
  const reimbursements = config.sync_reimbursements === true;
  return {
    filter: { resource: 'transactions', keepUnlinked: (columns) => reimbursements && (users === null || (columns.user_id !== null && users.has(columns.user_id))) },
    spec: ['transactions', reimbursements, configIds.user_id],
  };
}
