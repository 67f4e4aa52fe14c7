/** @module The public shape of a connection (status and connect responses). Never includes a secret. */
import { Type } from 'typebox';
import type { RampConnectionsTable } from '../db/schema.ts';
import { Nullable } from '../core/schemas.ts';
import type { SyncSummary, WebhookStatus } from './connect-services.ts';
import { LastSync } from './last-sync-view.ts';

/** The accounting connection last seen on Ramp (src/accounting/accounting-connection.ts), when any. */
export const AccountingConnectionSeen = Type.Object({
  connection_id: Type.String(),
  remote_provider_name: Nullable(Type.String()),
  kind: Type.Union([Type.Literal('api'), Type.Literal('direct'), Type.Literal('unknown')], { description: 'api: the chart is writable through the API; direct: managed in Ramp, read-only; unknown: not checked yet' }),
  checked_at: Type.String({ format: 'date-time' }),
});
export const RampWebhookView = Type.Object(
  {
    status: Type.Union([Type.Literal('creating'), Type.Literal('pending'), Type.Literal('active'), Type.Literal('disabled'), Type.Literal('polling_only'), Type.Literal('failed')]),
    reason: Nullable(Type.String()),
    event_types: Type.Array(Type.String()),
    last_event_at: Nullable(Type.String({ format: 'date-time' })),
  },
  { $id: 'RampWebhookSubscriptionStatus', description: 'The Ramp webhook subscription of the connection; automatic syncs slow down while it is active' },
);

export const ConnectionView = Type.Object(
  {
    status: Type.Union([Type.Literal('connected'), Type.Literal('needs_reauth'), Type.Literal('revoke_pending'), Type.Literal('disconnected')]),
    connection_id: Nullable(Type.String()),
    auth_method: Nullable(Type.Union([Type.Literal('oauth'), Type.Literal('client_credentials')])),
    environment: Nullable(Type.Union([Type.Literal('sandbox'), Type.Literal('production')])),
    client_id: Nullable(Type.String()),
    scopes: Type.Array(Type.String()),
    access_token_expires_at: Nullable(Type.String({ format: 'date-time' })),
    last_refreshed_at: Nullable(Type.String({ format: 'date-time' })),
    last_sync_at: Nullable(Type.String({ format: 'date-time' })),
    last_sync: Nullable(LastSync),
    transaction_count: Type.Integer(),
    last_error: Nullable(Type.String()),
    status_reason: Nullable(Type.String()),
    connected_at: Nullable(Type.String({ format: 'date-time' })),
    accounting_connection: Type.Union([AccountingConnectionSeen, Type.Null()], { description: 'The active accounting connection on Ramp as last seen by a chart-of-accounts call (null: none seen)' }),
    webhook: Nullable(RampWebhookView),
  },
  { $id: 'RampConnectionStatus' },
);

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export function toConnectionView(row: RampConnectionsTable | undefined, summary: SyncSummary, webhook: WebhookStatus | null = null) {
  if (!row) {
    return {
      status: 'disconnected' as const,
      connection_id: null,
      auth_method: null,
      environment: null,
      client_id: null,
      scopes: [],
      access_token_expires_at: null,
      last_refreshed_at: null,
      last_sync_at: summary.last_sync_at,
      last_sync: summary.last_sync,
      transaction_count: summary.transaction_count,
      last_error: null,
      status_reason: null,
      connected_at: null,
      accounting_connection: null,
      webhook: null,
    };
  }
  return {
    status: row.status,
    connection_id: row.id,
    auth_method: row.auth_method,
    environment: row.environment,
    client_id: row.client_id,
    scopes: row.scopes.split(' ').filter(Boolean),
    access_token_expires_at: iso(row.access_token_expires_at),
    last_refreshed_at: iso(row.last_refreshed_at),
    last_sync_at: summary.last_sync_at,
    last_sync: summary.last_sync,
    transaction_count: summary.transaction_count,
    last_error: row.last_error,
    status_reason: row.status_reason,
    connected_at: iso(row.created_at),
    accounting_connection: summary.accounting_connection ?? null,
    webhook,
  };
}
