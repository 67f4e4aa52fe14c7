/**
 * What a partial sync left out, and what to enable in Ramp to get it: one list item per resource Ramp
 * refused (the sync's `skipped`), naming the scope to allow. Shown in the connection card (from the
 * status's `last_sync`) and under the sync progress when a sync ends partial.
 */
import { h } from './dom.js';

/**
 * Every resource the sync reads (the `resource` of src/ramp/resource-descriptors.ts, which the page
 * cannot import); test/web/resource-labels.test.ts fails when one is missing here.
 */
export const RESOURCE_LABELS = {
  business: 'Business profile',
  entities: 'Entities',
  departments: 'Departments',
  locations: 'Locations',
  users: 'Users',
  'spend-programs': 'Spend programs',
  limits: 'Limits',
  cards: 'Cards',
  merchants: 'Merchants',
  vendors: 'Vendors',
  transactions: 'Transactions',
  reimbursements: 'Reimbursements',
  bills: 'Bills',
  'bill-payments': 'Bill payments',
  transfers: 'Transfers',
  cashbacks: 'Cashbacks',
  statements: 'Statements',
  receipts: 'Receipts',
  memos: 'Memos',
};

export function resourceLabel(resource) {
  const name = String(resource ?? '');
  return RESOURCE_LABELS[name] ?? name.replaceAll(/[_-]/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/** The refused resources of a sync or last-sync view; [] for anything else. */
export function skippedOf(sync) {
  return Array.isArray(sync?.skipped) ? sync.skipped.filter((entry) => entry && typeof entry.resource === 'string') : [];
}

/** The distinct scopes to enable, in the order the sync met them. */
export function scopesToEnable(skipped) {
  return [...new Set(skipped.map((entry) => entry.missing_scope).filter((scope) => typeof scope === 'string' && scope))];
}

/** `<li>`s: "Bills — allow bills:read", or Ramp's reason when it was not a scope. */
export function skippedItems(skipped) {
  return skipped.map((entry) => {
    const label = h('strong', { text: resourceLabel(entry.resource) });
    if (entry.reason === 'missing_scope' && entry.missing_scope) {
      return h('li', { 'data-resource': entry.resource }, label, ' — allow ', h('code', { text: entry.missing_scope }));
    }
    return h('li', { 'data-resource': entry.resource }, label, ` — Ramp refused it: ${String(entry.detail ?? 'unknown reason')}`);
  });
}

/** Where the scopes are enabled, which depends on whose app the connection uses. */
export function enableHint(authMethod, scopes) {
  if (scopes.length === 0) return 'Everything else was synced. Try again later; if it keeps happening, contact support with the reason above.';
  return authMethod === 'client_credentials'
    ? 'Everything else was synced. Allow these scopes on your app in Ramp Dashboard → Company → Developer, then disconnect and connect again so the connection asks for them.'
    : 'Everything else was synced. Disconnect and connect with Ramp again, and allow these permissions when Ramp asks.';
}
