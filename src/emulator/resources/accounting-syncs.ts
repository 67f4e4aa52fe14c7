/**
 * @module `POST /developer/v1/accounting/syncs` (docs/ramp-behaviour.md#accounting-syncs).
 *
 * Body `{idempotency_key, sync_type, successful_syncs: [{id, reference_id}], failed_syncs: [{id,
 * error: {message}}]}`, each list 1–5000 items, each `id` a UUID. Schema errors (a malformed id
 * included, `successful_syncs.3.id: Not a valid UUID.`) → 422 DEVELOPER_7001; UUIDs that are
 * not objects of this business → 400 (the spec's "InvalidInput"). A repeated idempotency key with
 * the same body replays the first answer; with a different body it is a 422. Successful syncs mark
 * the objects synced, which also moves their updated time; a failed one stays as it was and its
 * message is kept (`accountingSyncFailures`, the control plane's `accounting/sync-failures`) until
 * a later success. Needs an active API connection: a direct one refuses sync results (400).
 * The 201 body is Ramp's `ApiAccountingSyncResource` `{sync_id}`; the other fields (`id`,
 * `idempotency_key`, `sync_type`, counts, `created_at`) are the emulator's own extras.
 */
import { SYNC_STATUSES, formatRampTime } from '../data/models.ts';
import type { BusinessData } from '../data/store.ts';
import { RAMP_ERROR_CODES, RampApiError } from '../errors.ts';
import { isUuid, newUuid } from '../ids.ts';
import { writableConnection } from './accounting-guard.ts';

export const SYNC_TYPES = [
  'ACCRUAL_SYNC', 'BANKING_TRANSACTION_SYNC', 'BILL_PAYMENT_SYNC', 'BILL_SYNC', 'BROKERAGE_ORDER_SYNC', 'PAYEE_SYNC',
  'REIMBURSEMENT_SYNC', 'STATEMENT_CREDIT_SYNC', 'TRACKING_CATEGORY_OPTION_SYNC', 'TRANSACTION_SYNC', 'TRANSFER_SYNC', 'WALLET_TRANSFER_SYNC',
] as const;
type SyncType = (typeof SYNC_TYPES)[number];

const MAX_ITEMS = 5000;

interface SyncRequest {
  idempotencyKey: string;
  syncType: SyncType;
  successful: { id: string; reference_id: string }[];
  failed: { id: string; error: { message: string } }[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseSyncRequest(body: unknown): SyncRequest {
  const errors: Record<string, string[]> = {};
  const fail = (field: string, message: string): void => void (errors[field] ??= []).push(message);
  if (!isObject(body)) throw RampApiError.validation({ _schema: ['Invalid input type.'] });
  const { idempotency_key: key, sync_type: syncType, successful_syncs: successful, failed_syncs: failed } = body;
  if (key === undefined) fail('idempotency_key', 'Missing data for required field.');
  else if (typeof key !== 'string' || key.length === 0 || key.length > 255) fail('idempotency_key', 'Not a valid string.');
  if (syncType === undefined) fail('sync_type', 'Missing data for required field.');
  else if (!SYNC_TYPES.includes(syncType as SyncType)) fail('sync_type', `Must be one of: ${SYNC_TYPES.join(', ')}.`);
  const checkList = (field: string, list: unknown, item: (entry: Record<string, unknown>) => boolean): void => {
    if (list === undefined) return;
    if (!Array.isArray(list)) return fail(field, 'Not a valid list.');
    if (list.length < 1 || list.length > MAX_ITEMS) return fail(field, `Length must be between 1 and ${MAX_ITEMS}.`);
    const bad = list.findIndex((entry) => !isObject(entry) || !item(entry));
    if (bad >= 0) fail(field, `Invalid item at index ${bad}.`);
    // Ramp's schema: each item's `id` is `format: uuid`, so a malformed one is a schema error (422), not an unknown object.
    list.forEach((entry, index) => {
      if (isObject(entry) && typeof entry.id === 'string' && entry.id.length > 0 && !isUuid(entry.id)) fail(`${field}.${index}.id`, 'Not a valid UUID.');
    });
  };
  const isNonEmptyString = (value: unknown): boolean => typeof value === 'string' && value.length > 0;
  checkList('successful_syncs', successful, (entry) => isNonEmptyString(entry.id) && isNonEmptyString(entry.reference_id));
  checkList('failed_syncs', failed, (entry) => isNonEmptyString(entry.id) && isObject(entry.error) && typeof entry.error.message === 'string');
  if (successful === undefined && failed === undefined) fail('successful_syncs', 'At least one of successful_syncs or failed_syncs is required.');
  if (Object.keys(errors).length > 0) throw RampApiError.validation(errors);
  return {
    idempotencyKey: key as string,
    syncType: syncType as SyncType,
    successful: (successful ?? []) as SyncRequest['successful'],
    failed: (failed ?? []) as SyncRequest['failed'],
  };
}

/** Objects a sync type refers to, when the emulator holds that resource. */
function syncTarget(data: BusinessData, syncType: SyncType): { has(id: string): boolean; isReady?(id: string): boolean; markSynced(id: string, nowMs: number): void } | null {
  switch (syncType) {
    case 'TRANSACTION_SYNC': {
      const table = data.transactions;
      const synced = SYNC_STATUSES.indexOf('SYNCED');
      return {
        has: (id) => table.recordOf(id) !== undefined,
        markSynced: (id, nowMs) => {
          const r = table.recordOf(id)!;
          table.syncStatus[r] = synced;
          table.syncedAtMs[r] = nowMs;
          table.updatedMs[r] = Math.max(nowMs, table.updatedMs[r]! + 1);
        },
      };
    }
    case 'REIMBURSEMENT_SYNC':
      return {
        has: (id) => data.reimbursements.get(id) !== undefined,
        markSynced: (id, nowMs) => {
          const item = data.reimbursements.get(id)!;
          item.sync_status = 'SYNCED';
          item.synced_at = formatRampTime(nowMs);
          item.updated_at = formatRampTime(Math.max(nowMs, Date.parse(item.updated_at) + 1000));
        },
      };
    case 'BILL_SYNC':
    case 'BILL_PAYMENT_SYNC':
      return {
        has: (id) => data.bills.get(id) !== undefined,
        // Ramp's guide: syncing a bill that is not ready is an error; a payment is ready once the bill is paid.
        isReady: (id) => {
          const bill = data.bills.get(id)!;
          if (bill.archived_at !== null || bill.approval_status !== 'APPROVED') return false;
          return syncType === 'BILL_SYNC' ? bill.sync_status === 'NOT_SYNCED' : bill.status === 'PAID' && bill.sync_status !== 'BILL_AND_PAYMENT_SYNCED';
        },
        markSynced: (id) => {
          data.bills.get(id)!.sync_status = syncType === 'BILL_SYNC' ? 'BILL_SYNCED' : 'BILL_AND_PAYMENT_SYNCED';
        },
      };
    case 'TRANSFER_SYNC':
    case 'STATEMENT_CREDIT_SYNC': {
      // A statement credit is a cashback on the card statement.
      const table = syncType === 'TRANSFER_SYNC' ? data.transfers : data.cashbacks;
      return {
        has: (id) => table.get(id) !== undefined,
        markSynced: (id) => {
          table.get(id)!.sync_status = 'SYNCED';
        },
      };
    }
    default:
      return null;
  }
}

export function recordAccountingSync(data: BusinessData, body: unknown, nowMs: number): Record<string, unknown> {
  const request = parseSyncRequest(body);
  const fingerprint = JSON.stringify([request.syncType, request.successful, request.failed]);
  const previous = data.accountingSyncs.get(request.idempotencyKey);
  if (previous) {
    if (previous.fingerprint === fingerprint) return previous.response;
    throw RampApiError.validation({ idempotency_key: ['This idempotency_key was already used with a different request body.'] });
  }
  writableConnection(data, 'sync results');
  const target = syncTarget(data, request.syncType);
  const syncId = newUuid();
  const at = formatRampTime(nowMs);
  if (target) {
    const unknown = [...request.successful, ...request.failed].map((item) => item.id).filter((id) => !target.has(id));
    if (unknown.length > 0) {
      throw new RampApiError(400, RAMP_ERROR_CODES.invalidInput, `Unknown object ids for ${request.syncType}: ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ', …' : ''}`);
    }
    const notReady = target.isReady ? request.successful.map((item) => item.id).filter((id) => !target.isReady!(id)) : [];
    if (notReady.length > 0) {
      throw new RampApiError(400, RAMP_ERROR_CODES.invalidInput, `Not ready to sync for ${request.syncType}: ${notReady.slice(0, 10).join(', ')}${notReady.length > 10 ? ', …' : ''}`);
    }
    for (const item of request.successful) {
      target.markSynced(item.id, nowMs);
      data.accountingSyncFailures.delete(item.id);
    }
    // A failure leaves the object as it was (still ready) and shows the message, like Ramp's Export Errors.
    for (const item of request.failed) {
      data.accountingSyncFailures.set(item.id, { object_id: item.id, sync_type: request.syncType, message: item.error.message, sync_id: syncId, failed_at: at });
    }
  }
  const response = {
    sync_id: syncId,
    id: syncId,
    idempotency_key: request.idempotencyKey,
    sync_type: request.syncType,
    successful_syncs: request.successful.length,
    failed_syncs: request.failed.length,
    created_at: at,
  };
  data.accountingSyncs.set(request.idempotencyKey, { fingerprint, response });
  return response;
}
