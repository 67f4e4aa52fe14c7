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
  detail: string | null;
  created_at: number;
}

export interface Database {
  businesses: BusinessesTable;
  users: UsersTable;
  memberships: MembershipsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
}
