/**
 * @module Ramp OAuth scopes.
 *
 * The list is the scope table of Ramp's authorization guide (seeds/002, "Permission model and
 * scopes") joined with the scopes the security sections of Ramp's OpenAPI document name
 * (`card_programs:*`, `item_receipts:write`, `purchase_orders:write`, `reimbursements:write`). Scope strings are space-delimited and case-sensitive (RFC 6749 §3.3).
 */
export const RAMP_SCOPES: readonly string[] = Object.freeze([
  'accounting:read', 'accounting:write', 'applications:read', 'applications:write', 'bank_accounts:read',
  'bills:read', 'bills:write', 'business:read', 'card_programs:read', 'card_programs:write', 'cards:read', 'cards:read_vault', 'cards:write',
  'cashbacks:read', 'custom_records:read', 'custom_records:write', 'departments:read', 'departments:write',
  'entities:read', 'item_receipts:read', 'item_receipts:write', 'leads:read', 'leads:write', 'limits:read', 'limits:write',
  'locations:read', 'locations:write', 'memos:read', 'memos:write', 'merchants:read', 'purchase_orders:read', 'purchase_orders:write',
  'receipt_integrations:read', 'receipt_integrations:write', 'receipts:read', 'receipts:write',
  'reimbursements:read', 'reimbursements:write', 'spend_programs:read', 'spend_programs:write', 'statements:read',
  'transactions:read', 'transfers:read', 'users:read', 'users:write', 'vendors:read', 'vendors:write',
]);

/** RFC 6749 §3.3 scope-token syntax: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Splits a `scope` parameter into distinct scope tokens, keeping the caller's order.
 * Returns `null` when a token is malformed.
 */
export function parseScopeParameter(value: string): string[] | null {
  const tokens = value.split(' ').filter((token) => token.length > 0);
  if (!tokens.every((token) => SCOPE_TOKEN.test(token))) return null;
  return [...new Set(tokens)];
}

export function scopesOutside(requested: readonly string[], allowed: readonly string[]): string[] {
  const allowedSet = new Set(allowed);
  return requested.filter((scope) => !allowedSet.has(scope));
}
