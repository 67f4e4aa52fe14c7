/** @module What the connect routes need, assembled once per process in src/features.ts. */
import type { AppContext } from '../app-context.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { ClientCredentials } from '../oauth/token-endpoint.ts';
import type { RampOAuthClient } from '../oauth/ramp-oauth-client.ts';
import type { ConnectionStore } from './connection-store.ts';
import type { LastSyncView } from './last-sync-view.ts';

export interface SyncSummary {
  readonly transaction_count: number;
  readonly last_sync_at: string | null;
  /** The most recent finished sync. */
  readonly last_sync: LastSyncView | null;
  /** The accounting connection last seen on Ramp (chart-of-accounts feature). */
  readonly accounting_connection?: { connection_id: string; remote_provider_name: string | null; kind: 'api' | 'direct' | 'unknown'; checked_at: string } | null;
}

/** The Ramp webhook subscription of a connection, as status shows it (src/ramp-webhooks). */
export interface WebhookStatus {
  readonly status: 'creating' | 'pending' | 'active' | 'disabled' | 'polling_only' | 'failed';
  readonly reason: string | null;
  readonly event_types: string[];
  readonly last_event_at: string | null;
}

/** Told about a connection's life, so features above this layer (Ramp webhooks) follow it. */
export interface ConnectionHooks {
  /** After a successful connect (either grant). */
  connected(businessId: string): Promise<void>;
  /** Before the tokens are revoked at disconnect (the disconnect may still fail after it); must not throw. */
  disconnecting(businessId: string): Promise<void>;
  /** After the connection's row was deleted (by its disconnect or the revocation retry pass); must not throw. */
  disconnected(businessId: string, connectionId: string): Promise<void>;
  webhookStatus(businessId: string): Promise<WebhookStatus | null>;
}

export interface ConnectServices {
  readonly ctx: AppContext;
  readonly store: ConnectionStore;
  readonly oauth: RampOAuthClient;
  /** Our OAuth app for the redirect flow (RAMP_CLIENT_ID/SECRET, or the emulator's default app). */
  readonly oauthApp: ClientCredentials | undefined;
  readonly events: EventSink;
  summary(businessId: string): Promise<SyncSummary>;
  readonly hooks?: ConnectionHooks;
  /** How long a disconnect waits on Ramp's revocation endpoint, both tokens together (default 15 s). */
  readonly revocationBudgetMs?: number;
}
