/**
 * @module A business's accounting connections and the chart of accounts each one owns.
 *
 * Ramp's accounting guide: one active connection per business; every connection has its own GL
 * accounts, custom fields (with options) and vendors; disconnecting it hides that chart (the
 * business then has none), reactivating it brings the same chart back. A *direct* connection
 * (QuickBooks, NetSuite… set up in Ramp's UI) makes the chart read-only through the API and
 * refuses sync results; an *API* connection (made with `POST /accounting/connection`) allows both.
 * The read routes see only the active connection's chart (`chart`).
 */
import type { AccountingConnection, AccountingField, AccountingFieldOption, AccountingSetup, AccountingVendor, GlAccount, RampKeyed } from './accounting.ts';
import { fieldOptionView } from './accounting.ts';
import { ObjectTable } from './table.ts';

export type ConnectionKind = 'direct' | 'api';

export interface AccountingChart {
  readonly accounts: ObjectTable<RampKeyed<GlAccount>>;
  readonly fields: ObjectTable<RampKeyed<AccountingField>>;
  readonly options: ObjectTable<RampKeyed<AccountingFieldOption>>;
  readonly vendors: ObjectTable<RampKeyed<AccountingVendor>>;
}

export interface ConnectionRecord {
  readonly wire: AccountingConnection;
  readonly kind: ConnectionKind;
  readonly chart: AccountingChart;
}

/** Accounting objects are addressed by Ramp's `ramp_id`; their `id` is the ERP's. */
function byRampId<T extends { ramp_id: string }>(items: readonly T[], view: (item: T) => Record<string, unknown> = (item) => item as unknown as Record<string, unknown>): ObjectTable<RampKeyed<T>> {
  return new ObjectTable(items.map((value) => ({ id: value.ramp_id, value })), undefined, (entry) => view(entry.value));
}

export function chartOf(setup: Pick<AccountingSetup, 'accounts' | 'fields' | 'options' | 'vendors'>): AccountingChart {
  return {
    accounts: byRampId(setup.accounts),
    fields: byRampId(setup.fields),
    options: byRampId(setup.options, fieldOptionView),
    vendors: byRampId(setup.vendors),
  };
}

export function emptyChart(): AccountingChart {
  return chartOf({ accounts: [], fields: [], options: [], vendors: [] });
}

export class AccountingBook {
  /** Oldest first; `all-connections` lists them newest first. */
  readonly #connections: ConnectionRecord[] = [];
  /** What the read routes show while no connection is active. */
  readonly #none = emptyChart();

  constructor(initial?: ConnectionRecord) {
    if (initial) this.#connections.push(initial);
  }

  get active(): ConnectionRecord | undefined {
    return this.#connections.find((record) => record.wire.is_active);
  }

  get chart(): AccountingChart {
    return this.active?.chart ?? this.#none;
  }

  all(): readonly ConnectionRecord[] {
    return [...this.#connections].reverse();
  }

  get(id: string): ConnectionRecord | undefined {
    return this.#connections.find((record) => record.wire.id === id);
  }

  /** The newest inactive connection with this provider name, if any. */
  inactiveNamed(name: string): ConnectionRecord | undefined {
    return this.all().find((record) => !record.wire.is_active && record.wire.remote_provider_name === name);
  }

  /** Adds a linked connection; the caller has made sure none other is active. */
  link(record: ConnectionRecord): void {
    this.#connections.push(record);
  }

  disconnect(record: ConnectionRecord): void {
    record.wire.is_active = false;
    record.wire.status = 'unlinked';
  }

  reactivate(record: ConnectionRecord, nowIso: string): void {
    record.wire.is_active = true;
    record.wire.status = 'linked';
    record.wire.last_linked_at = nowIso;
  }
}
