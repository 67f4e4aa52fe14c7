/**
 * @module The kinds of object the ready feed lists (README "The accounting loop"): the feed's `type`,
 * the synced resource it reads (src/ramp/resource-descriptors.ts) and the `sync_type` Ramp's
 * `accounting/syncs` takes for it (docs/ramp-behaviour.md#accounting-readiness). Cashbacks are
 * synced as statement credits.
 */

export const READY_TYPES = ['transactions', 'reimbursements', 'bills', 'bill_payments', 'transfers', 'cashbacks'] as const;
export type ReadyType = (typeof READY_TYPES)[number];

export const READY_SYNC_TYPES = ['TRANSACTION_SYNC', 'REIMBURSEMENT_SYNC', 'BILL_SYNC', 'BILL_PAYMENT_SYNC', 'TRANSFER_SYNC', 'STATEMENT_CREDIT_SYNC'] as const;
export type ReadySyncType = (typeof READY_SYNC_TYPES)[number];

export interface ReadyKind {
  readonly type: ReadyType;
  /** The synced resource (`ramp_records.resource`). */
  readonly resource: string;
  readonly syncType: ReadySyncType;
}

const KINDS: readonly ReadyKind[] = [
  { type: 'transactions', resource: 'transactions', syncType: 'TRANSACTION_SYNC' },
  { type: 'reimbursements', resource: 'reimbursements', syncType: 'REIMBURSEMENT_SYNC' },
  { type: 'bills', resource: 'bills', syncType: 'BILL_SYNC' },
  { type: 'bill_payments', resource: 'bill-payments', syncType: 'BILL_PAYMENT_SYNC' },
  { type: 'transfers', resource: 'transfers', syncType: 'TRANSFER_SYNC' },
  { type: 'cashbacks', resource: 'cashbacks', syncType: 'STATEMENT_CREDIT_SYNC' },
];

export function readyKindOfType(type: ReadyType): ReadyKind {
  return KINDS.find((kind) => kind.type === type)!;
}

export function readyKindOfSyncType(syncType: ReadySyncType): ReadyKind {
  return KINDS.find((kind) => kind.syncType === syncType)!;
}
