/** @module Wire types of the Ramp data routes (sync, records, mark-synced, webhooks). */
import { Type, type Static } from 'typebox';
import { Nullable, PaginationQuery } from '../../../core/schemas.ts';
import { SkippedResource } from '../../../connections/last-sync-view.ts';

export const SyncAccepted = Type.Object(
  { sync_id: Type.String({ format: 'uuid' }), status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('partial'), Type.Literal('failed')]) },
  { $id: 'RampSyncAccepted' },
);

export const SyncView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: Type.String({ description: 'queued | running | completed | partial | failed (partial: Ramp refused the resources in `skipped`; the rest was synced)' }),
    trigger: Type.String({ description: 'manual | auto | webhook' }),
    progress: Type.Object(
      {
        pages: Type.Integer(),
        records: Type.Integer(),
        changed: Type.Integer({ description: 'Records inserted or updated' }),
        resources: Type.Object({}, { additionalProperties: true }),
        streams: Type.Object({}, { additionalProperties: true }),
        errors: Type.Array(Type.Object({ stream: Type.String(), code: Type.String(), detail: Type.String() })),
        not_supported: Type.Array(Type.String()),
        skipped: Type.Array(SkippedResource),
      },
      { additionalProperties: true },
    ),
    skipped: Type.Array(SkippedResource, { description: 'Resources Ramp refused, with the scope to enable in the Ramp app; a sync with any is `partial` (or `failed` when it also stopped early)' }),
    created_at: Type.String({ format: 'date-time' }),
    started_at: Nullable(Type.String({ format: 'date-time' })),
    finished_at: Nullable(Type.String({ format: 'date-time' })),
    error: Nullable(Type.String()),
  },
  { $id: 'RampSync' },
);

export const SyncIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export type SyncIdParams = Static<typeof SyncIdParams>;

const Id = Type.String({ minLength: 1, maxLength: 64 });

/** Every read filter a resource may offer (src/ramp/resource-descriptors.ts `readFilters`). */
const READ_FILTER_FIELDS = {
  state: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  user_id: Type.Optional(Id),
  card_id: Type.Optional(Id),
  transaction_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Records of this transaction' })),
  reimbursement_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Receipts this reimbursement names' })),
} as const;

const COMMON_QUERY = {
  ...PaginationQuery,
  from_date: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive; a bare date means its start (UTC)' })),
  to_date: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive; a bare date means its end (UTC)' })),
  include_deleted: Type.Optional(Type.Boolean({ default: false, description: 'Also records Ramp no longer lists (they carry deleted_at)' })),
};

/** The query of one resource's read route: pagination, dates, `include_deleted`, and its own filters. */
export function recordsQueryFor(filters: readonly (keyof typeof READ_FILTER_FIELDS)[]) {
  return Type.Object({ ...COMMON_QUERY, ...Object.fromEntries(filters.map((name) => [name, READ_FILTER_FIELDS[name]])) });
}

/** Every filter at once: the handler's view of any resource's query. */
export const RecordsQueryAll = Type.Object({ ...COMMON_QUERY, ...READ_FILTER_FIELDS });
export type RecordsQuery = Static<typeof RecordsQueryAll>;

/** Ramp's object as synced; its money also as `amount_cents` (integer minor units) and `currency`. */
export const RampRecord = Type.Object({ id: Type.String() }, { additionalProperties: true, $id: 'RampRecord' });

export const MARK_SYNCED_TYPES = ['TRANSACTION_SYNC', 'REIMBURSEMENT_SYNC', 'BILL_SYNC', 'BILL_PAYMENT_SYNC', 'TRANSFER_SYNC', 'STATEMENT_CREDIT_SYNC'] as const;

export const MarkSyncedBody = Type.Object(
  {
    sync_type: Type.Union(MARK_SYNCED_TYPES.map((value) => Type.Literal(value))),
    object_ids: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 5000 }),
  },
  { $id: 'RampMarkSyncedRequest' },
);
export type MarkSyncedBody = Static<typeof MarkSyncedBody>;

export const WebhookAccepted = Type.Object({ status: Type.Literal('accepted'), scheduled: Type.Integer() });
