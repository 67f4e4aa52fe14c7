/**
 * The page's one state object and the API client bound to it. Panels read and write `state`; nothing
 * else keeps data between renders, so clearing it here clears what the page can show.
 */
import { Api } from './api.js';
import { BUSINESS_KEY, TOKEN_KEY, storageGet } from './storage.js';

export const PAGE_SIZE = 25;

function emptyTransactions(from = '', to = '') {
  return { stack: [], cursor: null, next: null, hasMore: false, from, to, items: [], loading: false };
}

export const state = {
  token: storageGet(TOKEN_KEY),
  businessId: storageGet(BUSINESS_KEY),
  businesses: [],
  status: null,
  features: { transactions: undefined, sync: undefined },
  tx: emptyTransactions(),
  sync: { id: null, timer: null },
};

export const api = new Api(() => ({ token: state.token, businessId: state.businessId }));

/** Back to page one of the list, keeping the date filter. */
export function resetTransactions() {
  state.tx = emptyTransactions(state.tx.from, state.tx.to);
}

export function currentBusiness() {
  return state.businesses.find((b) => b.id === state.businessId);
}

/** Owners and admins manage the connection; when the role is unknown the server decides. */
export function canManage() {
  const role = currentBusiness()?.role;
  return role === undefined || role === 'owner' || role === 'admin';
}
