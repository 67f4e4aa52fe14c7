/**
 * @module Where a webhook endpoint's signing secret belongs, for the vault's AAD, and the endpoint table's
 * registration with key rotation (`keys rotate` rewraps its data keys like every other encrypted table).
 * Imported for its side effect by the feature entry and by migration 0004, so any process that knows
 * the table also rewraps and counts it.
 */
import { registerEncryptedTable } from '../vault/rewrap.ts';
import type { RowScope } from '../vault/vault.ts';

/** The AAD environment of webhook secrets: they belong to no Ramp environment. */
export const WEBHOOK_ENVIRONMENT = 'webhook';
/** The sealed field's name (part of its AAD). */
export const SECRET_FIELD = 'secret';

export function endpointScope(row: { business_id: string; id: string }): RowScope {
  return { environment: WEBHOOK_ENVIRONMENT, businessId: row.business_id, rowId: row.id };
}

registerEncryptedTable({ table: 'webhook_endpoints', idColumn: 'id', scope: (row) => endpointScope(row as { business_id: string; id: string }) });
