/**
 * @module Table types for Kysely. Portable across SQLite and PostgreSQL: timestamps are epoch
 * milliseconds (int8), booleans are 0/1 integers, JSON is text, binary is blob/bytea (`Uint8Array`).
 */
import type { Generated } from 'kysely';

export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface BusinessesTable {
  id: string;
  name: string;
  default_currency: string;
  created_at: number;
}

export interface UsersTable {
  id: string;
  email: string;
  created_at: number;
}

export interface MembershipsTable {
  business_id: string;
  user_id: string;
  role: Role;
  created_at: number;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  description: string | null;
  token_prefix: string;
  /** SHA-256 of the whole token, hex. The token itself is never stored. */
  digest: string;
  /** JSON array of extra permissions, e.g. `["ramp:token"]`. */
  permissions: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number;
  revoked_at: number | null;
  revocation_reason: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  business_id: string | null;
  actor_token_id: string | null;
  action: string;
  outcome: string;
  request_id: string | null;
  /** What the action touched: the route's ids (`token_id=…`), or what the handler named. */
  target: string | null;
  detail: string | null;
  created_at: number;
}

export type AuthMethod = 'oauth' | 'client_credentials';
/** `revoke_pending`: disconnected, but Ramp has not confirmed the revocation yet (docs/guarantees.md#g43). */
export type ConnectionStatus = 'connected' | 'needs_reauth' | 'revoke_pending';

export interface RampConnectionsTable {
  id: string;
  business_id: string;
  environment: 'sandbox' | 'production';
  auth_method: AuthMethod;
  status: ConnectionStatus;
  status_reason: string | null;
  /** Space-separated scopes Ramp granted. */
  scopes: string;
  client_id: string | null;
  /** The row's data key, wrapped by a key-encryption key (src/vault). */
  data_key: Uint8Array;
  data_key_kid: string;
  access_token: Uint8Array | null;
  refresh_token: Uint8Array | null;
  client_secret: Uint8Array | null;
  access_token_expires_at: number | null;
  last_refreshed_at: number | null;
  /** Bumped on every token write; a writer holding an older version is fenced out. */
  version: number;
  lease_owner: string | null;
  lease_until: number | null;
  refresh_attempt_id: string | null;
  refresh_attempt_at: number | null;
  refresh_failures: number;
  /** When the scheduler should refresh next (expiry minus margin, or a backoff time). */
  next_refresh_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
  /** Set while `revoke_pending`: when the disconnect happened, and when to ask Ramp again. */
  revoke_pending_since: number | null;
  next_revoke_at: number | null;
  created_by_token_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface IdempotencyKeysTable {
  business_id: string;
  token_id: string;
  idempotency_key: string;
  /** SHA-256 of method, route and body: the same key with another request is refused. */
  request_hash: string;
  /** Null while the first request is still being answered. */
  response_status: number | null;
  response_body: string | null;
  created_at: number;
  expires_at: number;
}

export interface OauthStatesTable {
  state_hash: string;
  business_id: string;
  user_id: string;
  token_id: string | null;
  environment: 'sandbox' | 'production';
  return_to: string | null;
  scopes: string;
  data_key: Uint8Array;
  data_key_kid: string;
  code_verifier: Uint8Array;
  /** SHA-256 of the launching browser's cookie secret; null until the browser opens the launch URL. */
  browser_hash: string | null;
  expires_at: number;
  created_at: number;
}

export interface RampSyncConfigsTable {
  business_id: string;
  /** JSON of the product's RampSyncConfigUpdate fields. */
  config: string;
  next_auto_sync_at: number | null;
  updated_at: number;
}

export interface Database {
  businesses: BusinessesTable;
  users: UsersTable;
  memberships: MembershipsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  ramp_connections: RampConnectionsTable;
  oauth_states: OauthStatesTable;
  idempotency_keys: IdempotencyKeysTable;
  ramp_sync_configs: RampSyncConfigsTable;
}
