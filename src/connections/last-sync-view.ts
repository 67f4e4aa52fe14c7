/**
 * @module The wire shape of a business's last finished sync in `GET /api/v1/ramp/status`, and of a
 * resource a sync did not read (also in `GET /api/v1/ramp/syncs/{id}`). The sync layer fills them.
 */
import { Type, type Static } from 'typebox';
import { Nullable } from '../core/schemas.ts';

/** A resource a sync did not read (the sync's `skipped`), with the scope to enable in the Ramp app. */
export const SkippedResource = Type.Object(
  {
    resource: Type.String(),
    reason: Type.Union([Type.Literal('missing_scope'), Type.Literal('ramp_error')], { description: 'missing_scope: the connection lacks the scope (403 DEVELOPER_7100); ramp_error: Ramp refused otherwise (4xx)' }),
    missing_scope: Nullable(Type.String({ description: 'The scope to enable in the Ramp app, then reconnect' })),
    detail: Type.String({ description: "Ramp's answer: status, Ramp code, message" }),
  },
);

/** The business's most recent finished sync, as the status shows it. */
export const LastSync = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: Type.Union([Type.Literal('completed'), Type.Literal('partial'), Type.Literal('failed')], { description: 'partial: Ramp refused the resources in `skipped`; the rest was synced' }),
    finished_at: Type.String({ format: 'date-time' }),
    skipped: Type.Array(SkippedResource),
    error: Nullable(Type.String()),
  },
);
export type LastSyncView = Static<typeof LastSync>;
