/**
 * @module Every table that holds a wrapped data key, and the one function per table that builds a row's
 * encryption scope (the vault's AAD: which environment, business and row a sealed value belongs to).
 * The store that writes a row, the code that reads it, `keys rotate` and the start-up key check all call
 * these functions, so a ciphertext can only ever be opened in the place it was sealed for.
 * The list is explicit: a new encrypted table is added here, never registered by an import side effect.
 */
import type { RowScope } from './vault.ts';

/** The AAD environment of webhook secrets: they belong to no Ramp environment. */
export const WEBHOOK_ENVIRONMENT = 'webhook';
/** The sealed field of a webhook endpoint (part of its AAD). */
export const SECRET_FIELD = 'secret';

export function connectionScope(row: { environment: string; business_id: string; id: string }): RowScope {
  return { environment: row.environment, businessId: row.business_id, rowId: row.id };
}

export function oauthStateScope(row: { environment: string; business_id: string; state_hash: string }): RowScope {
  return { environment: row.environment, businessId: row.business_id, rowId: `state:${row.state_hash}` };
}

export function endpointScope(row: { business_id: string; id: string }): RowScope {
  return { environment: WEBHOOK_ENVIRONMENT, businessId: row.business_id, rowId: row.id };
}

/** The AAD environment of the secrets Ramp gave our webhook subscriptions (src/ramp-webhooks). */
export const RAMP_WEBHOOK_ENVIRONMENT = 'ramp-webhook';

export function rampWebhookScope(row: { business_id: string; id: string }): RowScope {
  return { environment: RAMP_WEBHOOK_ENVIRONMENT, businessId: row.business_id, rowId: row.id };
}

export interface EncryptedTable {
  readonly table: string;
  readonly idColumn: string;
  scope(row: Record<string, any>): RowScope;
}

/** Read by `keys rotate`, `keys status` and the start-up key check. */
export const ENCRYPTED_TABLES: readonly EncryptedTable[] = [
  { table: 'ramp_connections', idColumn: 'id', scope: (row) => connectionScope(row as Parameters<typeof connectionScope>[0]) },
  { table: 'oauth_states', idColumn: 'state_hash', scope: (row) => oauthStateScope(row as Parameters<typeof oauthStateScope>[0]) },
  { table: 'webhook_endpoints', idColumn: 'id', scope: (row) => endpointScope(row as Parameters<typeof endpointScope>[0]) },
  { table: 'ramp_webhook_subscriptions', idColumn: 'id', scope: (row) => rampWebhookScope(row as Parameters<typeof rampWebhookScope>[0]) },
];
