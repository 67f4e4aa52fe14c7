/**
 * Sign in with a pasted API token, sign out, and the choice of business. The token is kept in
 * `sessionStorage` (this tab only), sent only in the Authorization header, never put in a URL.
 */
import { ApiFailure } from './api.js';
import { failureText, hideBanner, showBanner } from './banner.js';
import { $, h, setFieldError, show } from './dom.js';
import { closeOwnApp } from './own-app-panel.js';
import { refresh } from './refresh.js';
import { api, resetTransactions, state } from './state.js';
import { BUSINESS_KEY, SYNC_KEY, TOKEN_KEY, storageSet } from './storage.js';
import { stopSyncPolling } from './sync-panel.js';
import { clearActivity } from './transactions-panel.js';

const TOKEN_SHAPE = /^dz_[A-Za-z0-9_-]{8,}$/;

export function showSignIn() {
  show($('loading'), false);
  show($('workspace'), false);
  show($('session'), false);
  show($('signin'));
}

/** Forgets the token and everything loaded with it, so nothing of this account stays on screen. */
export function signOut() {
  stopSyncPolling();
  state.token = null;
  state.businessId = null;
  state.businesses = [];
  state.status = null;
  clearActivity();
  storageSet(TOKEN_KEY, null);
  storageSet(BUSINESS_KEY, null);
  storageSet(SYNC_KEY, null);
  showSignIn();
}

/** Any 401 means the token is no longer good: back to sign-in. Returns true when handled. */
export function handleAuthFailure(error) {
  if (error instanceof ApiFailure && error.status === 401) {
    signOut();
    showBanner('error', 'Your API token was not accepted (it may have been revoked or expired). Sign in again.');
    return true;
  }
  return false;
}

export async function onSignIn(event) {
  event.preventDefault();
  const input = $('token-input');
  const error = $('token-error');
  const token = input.value.trim();
  setFieldError(input, error, '');
  if (token === '') {
    setFieldError(input, error, 'Paste your API token.');
    input.focus();
    return;
  }
  if (!TOKEN_SHAPE.test(token)) {
    setFieldError(input, error, 'That does not look like an API token. Tokens start with dz_ and have no spaces.');
    input.focus();
    return;
  }
  const submit = $('signin-submit');
  submit.disabled = true;
  submit.textContent = 'Signing in…';
  try {
    const businesses = await fetchBusinesses(token);
    input.value = '';
    state.token = token;
    storageSet(TOKEN_KEY, token);
    hideBanner();
    enterWorkspace(businesses);
    $('main').focus();
  } catch (failure) {
    const message =
      failure instanceof ApiFailure && failure.status === 401 ? 'This token was not accepted. It may be mistyped, revoked or expired.' : failureText(failure);
    setFieldError(input, error, message);
    input.focus();
  } finally {
    submit.disabled = false;
    submit.textContent = 'Sign in';
  }
}

export async function fetchBusinesses(token) {
  const { data } = await api.get('/api/v1/businesses', { query: { limit: 100 }, business: false, token });
  return Array.isArray(data?.items) ? data.items : [];
}

export function enterWorkspace(businesses) {
  state.businesses = businesses;
  show($('signin'), false);
  show($('loading'), false);
  show($('workspace'));
  show($('session'));
  const select = $('business-select');
  select.replaceChildren(...businesses.map((b) => h('option', { value: b.id, text: b.name })));
  // A menu only to choose between businesses. One: its name as text, not a one-option menu. None: not
  // an empty menu, but a link to the hint below that names the commands making one.
  const single = businesses.length === 1;
  const none = businesses.length === 0;
  show(select, !single && !none);
  show($('business-label'), !single && !none);
  show($('business-name'), single);
  $('business-name').textContent = single ? businesses[0].name : '';
  show($('no-business-link'), none);
  show($('no-business'), none);
  show($('connection'), !none);
  if (none) {
    show($('own-app'), false);
    show($('activity'), false);
    return;
  }
  const remembered = businesses.find((b) => b.id === state.businessId);
  selectBusiness((remembered ?? businesses[0]).id);
}

export function selectBusiness(id) {
  if (state.businessId !== id) {
    storageSet(SYNC_KEY, null);
    // Another business's figures must not stay on screen while this one's load.
    clearActivity();
  }
  state.businessId = id;
  storageSet(BUSINESS_KEY, id);
  $('business-select').value = id;
  stopSyncPolling();
  resetTransactions();
  closeOwnApp(false);
  void refresh();
}
