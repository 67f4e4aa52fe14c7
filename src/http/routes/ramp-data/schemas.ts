/** @module Wire types of the Ramp data routes (sync, records, mark-synced, webhooks). */
import { Type, type Static } from 'typebox';
import { Nullable, PaginationQuery } from '../../../core/schemas.ts';
import { SkippedResource } from '../../../connections/last-sync-view.ts';
import { READY_SYNC_TYPES } from '../../../accounting/ready-types.ts';

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

export const MARK_SYNCED_TYPES = READY_SYNC_TYPES;

/** Objects one mark-synced request may carry in each list; Ramp gets them 5,000 a call. */
export const MAX_MARK_SYNCED_ITEMS = 20_000;

/**
 * The body limit of mark-synced. The server's default (1 MB) holds 20,000 bare `object_ids` but not
 * 20,000 `successes` with the books' references (UUID plus a short reference: 1.7 MB); 16 MB holds
 * 20,000 of each list at full reference length (8.4 MB for the successes), as the chart's PUT does.
 */
export const MARK_SYNCED_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * Ramp's id of an object to report: a UUID (Ramp's `ApiAccountingSuccessfulSyncRequestBody.id` and
 * `ApiAccountingFailedSyncRequestBody.id` are `format: uuid` in its OpenAPI document). Checked here, with
 * every other problem of the body, before the first batch goes to Ramp: a malformed id in a later batch
 * would otherwise be refused only after the earlier batches were recorded.
 */
const ObjectId = Type.String({ format: 'uuid', description: "Ramp's id of the object (a UUID)" });

export const MarkSyncedBody = Type.Object(
  {
    sync_type: Type.Union(MARK_SYNCED_TYPES.map((value) => Type.Literal(value))),
    object_ids: Type.Optional(Type.Array(ObjectId, { minItems: 1, maxItems: MAX_MARK_SYNCED_ITEMS, description: 'Posted to the books; Ramp records each with its own id as the reference' })),
    successes: Type.Optional(
      Type.Array(Type.Object({ object_id: ObjectId, reference_id: Type.String({ minLength: 1, maxLength: 255, description: "The books' id of the posted entry" }) }), {
        minItems: 1, maxItems: MAX_MARK_SYNCED_ITEMS, description: 'Posted to the books, with the id the books gave each',
      }),
    ),
    failures: Type.Optional(
      Type.Array(Type.Object({ object_id: ObjectId, message: Type.String({ minLength: 1, maxLength: 1000, description: 'Why the books refused it; shown to the customer in Ramp and on the ready feed' }) }), {
        minItems: 1, maxItems: MAX_MARK_SYNCED_ITEMS, description: 'Could not be posted; they stay ready to sync, with this message',
      }),
    ),
  },
  { $id: 'RampMarkSyncedRequest' },
);
export type MarkSyncedBody = Static<typeof MarkSyncedBody>;

const Batch = Type.Object({
  sync_id: Nullable(Type.String({ description: "Ramp's id of the sync it recorded" })),
  idempotency_key: Type.String({ description: "The batch's key: the same request always sends the same batches with the same keys" }),
  successful: Type.Integer(),
  failed: Type.Integer(),
});

export const MarkSyncedResult = Type.Object(
  {
    sync_type: Type.String(),
    successful: Type.Integer(),
    failed: Type.Integer(),
    batches: Type.Array(Batch, { description: 'One Ramp call each, at most 5,000 objects' }),
  },
  { $id: 'RampMarkSyncedResult' },
);

export const WebhookAccepted = Type.Object({ status: Type.Literal('accepted'), scheduled: Type.Integer() });
