/**
 * The Ramp connection page. Plain ES module, no framework, no build step. Everything the user sees is
 * written with `textContent` / DOM APIs (never HTML strings), so nothing from the API can inject markup.
 *
 * Secrets: the API token is kept in `sessionStorage` (this tab only), sent only in the Authorization
 * header, never put in a URL and never logged. The Ramp Client Secret is read once from its field,
 * the field is cleared immediately, and it is never shown again.
 */
import { Api, ApiFailure } from './api.js';
import { renderSpendChart, spendPerDay } from './chart.js';
import {
  connectionProblemText,
  environmentLabel,
  formatCount,
  formatDate,
  formatDateTime,
  formatMoney,
  methodLabel,
  oauthReasonText,
  relativeTime,
  stateLabel,
} from './format.js';

const TOKEN_KEY = 'ramp-connect.token';
const BUSINESS_KEY = 'ramp-connect.business';
const SYNC_KEY = 'ramp-connect.sync';
const TOKEN_SHAPE = /^dz_[A-Za-z0-9_-]{8,}$/;
const PAGE_SIZE = 25;
const POLL_MS = 400;
const ACTIVE_SYNC = new Set(['queued', 'pending', 'running', 'started', 'in_progress']);

const $ = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element;
};

/** Creates an element; `attrs` are attributes except `text` (textContent) and `class`. */
function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') element.textContent = String(value);
    else if (key === 'class') element.className = String(value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) element.append(child);
  return element;
}

function show(element, visible = true) {
  element.hidden = !visible;
}

function storageGet(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage can be disabled; the page still works for this load.
  }
}

const state = {
  token: storageGet(TOKEN_KEY),
  businessId: storageGet(BUSINESS_KEY),
  businesses: [],
  status: null,
  features: { transactions: undefined, sync: undefined },
  tx: { stack: [], cursor: null, next: null, hasMore: false, from: '', to: '', items: [], loading: false },
  sync: { id: null, timer: null },
};

const api = new Api(() => ({ token: state.token, businessId: state.businessId }));

// ---------------------------------------------------------------------------------------------------
// Banner

function showBanner(kind, text) {
  const banner = $('banner');
  banner.className = `banner banner-${kind}`;
  $('banner-text').textContent = text;
  show(banner);
}

function hideBanner() {
  show($('banner'), false);
}

function failureText(error) {
  if (error instanceof ApiFailure) return error.detail;
  return 'Something went wrong. Reload the page and try again.';
}

/** Any 401 means the token is no longer good: back to sign-in. Returns true when handled. */
function handleAuthFailure(error) {
  if (error instanceof ApiFailure && error.status === 401) {
    signOut();
    showBanner('error', 'Your API token was not accepted (it may have been revoked or expired). Sign in again.');
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// OAuth return: ?ramp=connected | ?ramp=error&reason=…

function consumeOAuthOutcome() {
  const url = new URL(location.href);
  const outcome = url.searchParams.get('ramp');
  if (outcome === null) return;
  const reason = url.searchParams.get('reason');
  url.searchParams.delete('ramp');
  url.searchParams.delete('reason');
  history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  if (outcome === 'connected') showBanner('success', 'Ramp is connected. Your transactions can now be synced.');
  else showBanner('error', oauthReasonText(reason ?? ''));
}

// ---------------------------------------------------------------------------------------------------
// Sign in / out and business choice

function showSignIn() {
  show($('loading'), false);
  show($('workspace'), false);
  show($('session'), false);
  show($('signin'));
}

function signOut() {
  stopSyncPolling();
  state.token = null;
  state.businessId = null;
  state.businesses = [];
  state.status = null;
  storageSet(TOKEN_KEY, null);
  storageSet(BUSINESS_KEY, null);
  storageSet(SYNC_KEY, null);
  showSignIn();
}

function setFieldError(input, errorElement, message) {
  if (message) {
    errorElement.textContent = message;
    show(errorElement);
    input.setAttribute('aria-invalid', 'true');
  } else {
    errorElement.textContent = '';
    show(errorElement, false);
    input.removeAttribute('aria-invalid');
  }
}

async function onSignIn(event) {
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

async function fetchBusinesses(token) {
  const { data } = await api.get('/api/v1/businesses', { query: { limit: 100 }, business: false, token });
  return Array.isArray(data?.items) ? data.items : [];
}

function enterWorkspace(businesses) {
  state.businesses = businesses;
  show($('signin'), false);
  show($('loading'), false);
  show($('workspace'));
  show($('session'));
  const select = $('business-select');
  select.replaceChildren(...businesses.map((b) => h('option', { value: b.id, text: b.name })));
  // One business: its name as text, not a one-option menu.
  const single = businesses.length === 1;
  show(select, !single);
  show($('business-label'), !single);
  show($('business-name'), single);
  $('business-name').textContent = single ? businesses[0].name : '';
  const none = businesses.length === 0;
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

function currentBusiness() {
  return state.businesses.find((b) => b.id === state.businessId);
}

/** Owners and admins manage the connection; when the role is unknown the server decides. */
function canManage() {
  const role = currentBusiness()?.role;
  return role === undefined || role === 'owner' || role === 'admin';
}

function selectBusiness(id) {
  if (state.businessId !== id) storageSet(SYNC_KEY, null);
  state.businessId = id;
  storageSet(BUSINESS_KEY, id);
  $('business-select').value = id;
  stopSyncPolling();
  resetTransactions();
  closeOwnApp(false);
  void refresh();
}

// ---------------------------------------------------------------------------------------------------
// Connection card

const STATUS_BADGES = {
  connected: ['Connected', 'badge-ok'],
  needs_reauth: ['Needs re-authorization', 'badge-warn'],
  disconnected: ['Not connected', 'badge-neutral'],
};

async function refresh() {
  await loadStatus();
  await loadActivity();
}

async function loadStatus() {
  const card = $('connection');
  card.setAttribute('aria-busy', 'true');
  try {
    const { data } = await api.get('/api/v1/ramp/status');
    state.status = data;
    renderStatus();
  } catch (error) {
    if (handleAuthFailure(error)) return;
    state.status = null;
    $('status-badge').textContent = 'Unknown';
    $('status-badge').className = 'badge badge-neutral';
    $('connection-summary').textContent = `The connection status could not be loaded: ${failureText(error)}`;
    for (const id of ['connection-details', 'connect-actions', 'connected-actions', 'reauth-callout', 'last-error']) show($(id), false);
  } finally {
    card.setAttribute('aria-busy', 'false');
  }
}

/** `<time>` showing a relative time that the ticker keeps current; the absolute time is its tooltip. */
function timeElement(iso, fallback = 'Never') {
  if (!iso) return document.createTextNode(fallback);
  return h('time', { datetime: iso, title: formatDateTime(iso), 'data-relative': iso, text: relativeTime(iso) });
}

function detail(term, ...value) {
  return [h('dt', { text: term }), h('dd', {}, ...value)];
}

function renderStatus() {
  const s = state.status;
  const status = s?.status ?? 'disconnected';
  const [label, tone] = STATUS_BADGES[status] ?? STATUS_BADGES.disconnected;
  const badge = $('status-badge');
  badge.textContent = label;
  badge.className = `badge ${tone}`;
  const manage = canManage();

  const summary = $('connection-summary');
  if (status === 'connected') {
    const env = environmentLabel(s.environment);
    summary.textContent = s.connected_at ? `Connected to Ramp (${env}) since ${formatDate(s.connected_at)}.` : `Connected to Ramp (${env}).`;
  } else if (status === 'needs_reauth') {
    summary.textContent = '';
  } else {
    summary.textContent = 'Not connected. Sign in with Ramp (recommended), or use a developer app from your own Ramp account.';
  }

  show(summary, summary.textContent !== '');

  const details = $('connection-details');
  const rows = [];
  if (status !== 'disconnected') {
    rows.push(...detail('Method', methodLabel(s.auth_method)));
    rows.push(...detail('Environment', environmentLabel(s.environment)));
    if (s.auth_method === 'client_credentials' && s.client_id) rows.push(...detail('Client ID', h('code', { text: s.client_id })));
    const scopes = Array.isArray(s.scopes) ? s.scopes : [];
    rows.push(...detail('Scopes', scopes.length ? h('ul', { class: 'chips', 'aria-label': 'Granted scopes' }, ...scopes.map((scope) => h('li', { class: 'chip', text: scope }))) : '—'));
    if (status === 'connected') rows.push(...detail('Access token expires', timeElement(s.access_token_expires_at, '—')));
    rows.push(...detail('Last refresh', timeElement(s.last_refreshed_at)));
  }
  if (status !== 'disconnected' || s?.last_sync_at || s?.transaction_count) {
    rows.push(...detail('Last sync', timeElement(s?.last_sync_at)));
    rows.push(...detail('Transactions synced', formatCount(s?.transaction_count ?? 0)));
  }
  details.replaceChildren(...rows);
  show(details, rows.length > 0);

  const problem = connectionProblemText(s?.last_error) || (status === 'needs_reauth' ? connectionProblemText(s?.status_reason) : '');
  $('last-error-text').textContent = problem;
  show($('last-error'), problem !== '' && status !== 'needs_reauth');

  // Re-authorization: OAuth connections sign in to Ramp again; own-app connections usually need new
  // credentials (a rotated or deleted secret), and may switch to the Ramp sign-in instead.
  const reauth = status === 'needs_reauth';
  const ownApp = s?.auth_method === 'client_credentials';
  show($('reauth-callout'), reauth);
  $('reauth-reason').textContent = reauth ? problem || 'Ramp no longer accepts the saved authorization.' : '';
  $('reauth-hint').textContent = ownApp
    ? 'Until you reconnect, nothing is synced. Enter the app’s current Client ID and Secret, or sign in with Ramp instead.'
    : 'Until you reconnect, nothing is synced.';
  const reconnect = $('reconnect');
  reconnect.textContent = ownApp ? 'Reconnect with Ramp sign-in' : 'Reconnect Ramp';
  reconnect.className = ownApp ? 'btn btn-secondary btn-large' : 'btn btn-primary btn-large';
  reconnect.disabled = !manage;
  const reauthOwnApp = $('reauth-own-app');
  show(reauthOwnApp, reauth && ownApp);
  reauthOwnApp.disabled = !manage;
  // Primary action first in reading and tab order.
  if (ownApp) reauthOwnApp.after(reconnect);
  else reconnect.after(reauthOwnApp);

  show($('connect-actions'), status === 'disconnected' && manage);
  show($('connected-actions'), status !== 'disconnected' && manage);
  show($('role-note'), !manage);
  if (status === 'connected') closeOwnApp(false);
  renderSyncButton();
}

function tickRelativeTimes() {
  for (const element of document.querySelectorAll('[data-relative]')) {
    element.textContent = relativeTime(element.getAttribute('data-relative'));
  }
}

// ---------------------------------------------------------------------------------------------------
// Connect with Ramp (authorization code flow through Ramp's consent page)

async function startOAuth(button) {
  const original = button.textContent;
  button.disabled = true;
  button.textContent = 'Opening Ramp…';
  try {
    const returnTo = `${location.origin}${location.pathname}`;
    const { data } = await api.get('/api/v1/ramp/connect-url', { query: { return_to: returnTo } });
    const target = new URL(String(data?.connect_url ?? ''), location.href);
    if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new ApiFailure(0, 'bad_connect_url', 'The server returned an unusable Ramp address.');
    location.assign(target.href);
  } catch (error) {
    if (handleAuthFailure(error)) return;
    showBanner('error', `Could not start connecting to Ramp: ${failureText(error)}`);
    button.disabled = false;
    button.textContent = original;
  }
}

// ---------------------------------------------------------------------------------------------------
// Own Ramp app (client credentials)

const OWN_APP_FIELDS = {
  client_id: ['client-id', 'client-id-error'],
  client_secret: ['client-secret', 'client-secret-error'],
  environment: ['environment', 'environment-error'],
};

function clearOwnAppErrors() {
  for (const [inputId, errorId] of Object.values(OWN_APP_FIELDS)) setFieldError($(inputId), $(errorId), '');
  $('own-app-error').textContent = '';
  show($('own-app-error'), false);
}

function openOwnApp() {
  show($('own-app'));
  $('show-own-app').setAttribute('aria-expanded', 'true');
  $('reauth-own-app').setAttribute('aria-expanded', 'true');
  clearOwnAppErrors();
  $('client-id').focus();
}

function closeOwnApp(returnFocus = true) {
  const wasOpen = !$('own-app').hidden;
  show($('own-app'), false);
  $('show-own-app').setAttribute('aria-expanded', 'false');
  $('reauth-own-app').setAttribute('aria-expanded', 'false');
  $('client-secret').value = '';
  if (wasOpen && returnFocus) {
    if (!$('connect-actions').hidden) $('show-own-app').focus();
    else if (!$('reauth-own-app').hidden) $('reauth-own-app').focus();
  }
}

function ownAppError(text) {
  const box = $('own-app-error');
  box.replaceChildren(h('p', { text }));
  show(box);
}

async function onOwnAppSubmit(event) {
  event.preventDefault();
  clearOwnAppErrors();
  const idInput = $('client-id');
  const secretInput = $('client-secret');
  const body = { client_id: idInput.value.trim(), client_secret: secretInput.value };
  // The secret leaves the field at once; it is never written back or shown again.
  secretInput.value = '';
  const environment = $('environment').value;
  if (environment) body.environment = environment;
  const submit = $('own-app-submit');
  submit.disabled = true;
  submit.textContent = 'Connecting…';
  try {
    const { data } = await api.post('/api/v1/ramp/connect-with-credentials', body);
    body.client_secret = '';
    idInput.value = '';
    closeOwnApp(false);
    showBanner('success', 'Ramp is connected with your own Ramp app.');
    if (data && typeof data.status === 'string') {
      state.status = data;
      renderStatus();
    }
    await refresh();
    $('connection-title').scrollIntoView({ block: 'nearest' });
  } catch (error) {
    body.client_secret = '';
    if (handleAuthFailure(error)) return;
    if (error instanceof ApiFailure && error.status === 422 && Object.keys(error.fields).length > 0) {
      let first = null;
      for (const [name, message] of Object.entries(error.fields)) {
        const ids = OWN_APP_FIELDS[name];
        if (!ids) continue;
        setFieldError($(ids[0]), $(ids[1]), message);
        first ??= $(ids[0]);
      }
      if (first) first.focus();
      else ownAppError(error.detail);
    } else if (error instanceof ApiFailure && error.status === 409) {
      ownAppError(`${error.detail} To switch apps, disconnect the current connection first.`);
      void loadStatus();
    } else if (error instanceof ApiFailure && error.status === 403) {
      ownAppError('Only owners and admins of this business can connect Ramp.');
    } else {
      ownAppError(failureText(error));
      secretInput.focus();
    }
  } finally {
    submit.disabled = false;
    submit.textContent = 'Connect';
  }
}

// ---------------------------------------------------------------------------------------------------
// Disconnect

function openDisconnect() {
  const dialog = $('disconnect-dialog');
  dialog.showModal();
  $('disconnect-cancel').focus();
}

async function confirmDisconnect() {
  const confirm = $('disconnect-confirm');
  confirm.disabled = true;
  confirm.textContent = 'Disconnecting…';
  try {
    const { headers } = await api.delete('/api/v1/ramp/connection');
    $('disconnect-dialog').close('done');
    stopSyncPolling();
    storageSet(SYNC_KEY, null);
    if (headers.get('x-ramp-revocation') === 'failed') {
      showBanner('warn', 'Disconnected. The tokens were deleted here, but Ramp did not confirm the revocation; you can also remove the app in Ramp.');
    } else {
      showBanner('success', 'Disconnected. Access was revoked at Ramp and the stored tokens were deleted.');
    }
    await refresh();
    if (!$('connect-actions').hidden) $('connect-oauth').focus();
  } catch (error) {
    $('disconnect-dialog').close('failed');
    if (handleAuthFailure(error)) return;
    showBanner('error', `Could not disconnect: ${failureText(error)}`);
    await loadStatus();
  } finally {
    confirm.disabled = false;
    confirm.textContent = 'Disconnect';
  }
}

// ---------------------------------------------------------------------------------------------------
// Sync and transactions (these endpoints may not exist on every server: a 404 route hides them)

function renderActivityAvailability() {
  const { transactions, sync } = state.features;
  const section = $('activity');
  show(section, Boolean(state.businessId) && state.businesses.length > 0);
  const note = $('activity-note');
  if (transactions === false) {
    note.textContent = 'Syncing and the transaction list are not available on this server yet.';
    show(note);
  } else if (sync === false) {
    note.textContent = 'Syncing from this page is not available on this server yet.';
    show(note);
  } else {
    show(note, false);
  }
  show($('transactions'), transactions === true);
  renderSyncButton();
}

function renderSyncButton() {
  const button = $('sync-now');
  const connected = state.status?.status === 'connected';
  // Sync ships with the transaction list: offered once the list answers, hidden if the sync route is missing.
  show(button, connected && canManage() && state.features.transactions === true && state.features.sync !== false);
  button.disabled = state.sync.id !== null;
}

async function loadActivity() {
  if (!state.businessId) return;
  await loadTransactions(state.tx.cursor);
  renderActivityAvailability();
  const pending = storageGet(SYNC_KEY);
  if (pending && state.sync.id === null && state.features.transactions && state.features.sync !== false) trackSync(pending);
}

function resetTransactions() {
  state.tx = { stack: [], cursor: null, next: null, hasMore: false, from: state.tx.from, to: state.tx.to, items: [], loading: false };
}

function dayBoundary(value, endOfDay) {
  if (!value) return undefined;
  const [y, m, d] = value.split('-').map(Number);
  const start = new Date(y, m - 1, d);
  if (Number.isNaN(start.getTime())) return undefined;
  return endOfDay ? new Date(new Date(y, m - 1, d + 1).getTime() - 1).toISOString() : start.toISOString();
}

async function loadTransactions(cursor) {
  if (state.features.transactions === false) return;
  const tx = state.tx;
  tx.loading = true;
  $('tx-table').setAttribute('aria-busy', 'true');
  try {
    const { data } = await api.get('/api/v1/ramp/transactions', {
      query: { limit: PAGE_SIZE, cursor, from_date: dayBoundary(tx.from, false), to_date: dayBoundary(tx.to, true) },
    });
    state.features.transactions = true;
    tx.cursor = cursor ?? null;
    tx.items = Array.isArray(data?.items) ? data.items : [];
    tx.next = typeof data?.next_cursor === 'string' ? data.next_cursor : null;
    tx.hasMore = Boolean(data?.has_more) && tx.next !== null;
    show($('filter-error'), false);
    renderTransactions();
  } catch (error) {
    if (handleAuthFailure(error)) return;
    if (error instanceof ApiFailure && error.routeMissing) {
      state.features.transactions = false;
    } else {
      state.features.transactions ??= true;
      $('filter-error').textContent = `Could not load transactions: ${failureText(error)}`;
      show($('filter-error'));
    }
  } finally {
    tx.loading = false;
    $('tx-table').setAttribute('aria-busy', 'false');
    renderActivityAvailability();
  }
}

function renderTransactions() {
  const tx = state.tx;
  const rows = tx.items.map((item) => {
    const when = item.user_transaction_time ?? item.occurred_at ?? null;
    const amount = formatMoney(item.amount_cents, item.currency);
    const negative = Number(item.amount_cents) < 0;
    return h(
      'tr',
      {},
      h('td', { class: 'tx-date', 'data-label': 'Date' }, when ? h('time', { datetime: when, title: formatDateTime(when), text: formatDate(when) }) : '—'),
      h('td', { class: 'tx-merchant', 'data-label': 'Merchant', text: item.merchant_name || '—' }),
      h('td', { class: 'tx-state', 'data-label': 'State' }, h('span', { class: `state state-${String(item.state ?? '').toLowerCase()}`, text: stateLabel(item.state) })),
      h('td', { class: `num tx-amount${negative ? ' negative' : ''}`, 'data-label': 'Amount', text: amount }),
    );
  });
  $('tx-body').replaceChildren(...rows);
  const empty = tx.items.length === 0;
  show($('tx-empty'), empty);
  $('tx-empty').textContent = tx.from || tx.to ? 'No transactions in this date range.' : 'No transactions yet. Run a sync to fetch them from Ramp.';
  show($('tx-table').parentElement, !empty);
  const page = tx.stack.length + 1;
  $('page-info').textContent = empty ? '' : `Page ${page} · ${tx.items.length} transaction${tx.items.length === 1 ? '' : 's'}`;
  $('page-prev').disabled = tx.stack.length === 0;
  $('page-next').disabled = !tx.hasMore;
  show($('pager'), !empty || tx.stack.length > 0);
  renderChart();
}

let chartWidth = 0;

function renderChart() {
  const figure = $('chart');
  const series = spendPerDay(state.tx.items);
  if (!series || series.days.length < 2) {
    show(figure, false);
    return;
  }
  show(figure);
  const body = $('chart-body');
  chartWidth = Math.floor(body.clientWidth || figure.clientWidth || 600);
  renderSpendChart(body, series, chartWidth);
  const other = series.otherCurrencies > 0 ? ` ${series.otherCurrencies} in other currencies not shown.` : '';
  $('chart-caption').textContent = `Spend per day on this page (${series.currency}).${other}`;
}

function onFilter(event) {
  event.preventDefault();
  const from = $('from-date').value;
  const to = $('to-date').value;
  if (from && to && from > to) {
    $('filter-error').textContent = 'The start date must be on or before the end date.';
    show($('filter-error'));
    $('from-date').focus();
    return;
  }
  show($('filter-error'), false);
  state.tx.from = from;
  state.tx.to = to;
  state.tx.stack = [];
  void loadTransactions(null);
}

function onFilterClear() {
  $('from-date').value = '';
  $('to-date').value = '';
  state.tx.from = '';
  state.tx.to = '';
  state.tx.stack = [];
  show($('filter-error'), false);
  void loadTransactions(null);
}

function onNextPage() {
  const tx = state.tx;
  if (!tx.hasMore || tx.loading || !tx.next) return;
  tx.stack.push(tx.cursor);
  void loadTransactions(tx.next);
}

function onPreviousPage() {
  const tx = state.tx;
  if (tx.stack.length === 0 || tx.loading) return;
  const previous = tx.stack.pop();
  void loadTransactions(previous ?? null);
}

// --- sync progress

function stopSyncPolling() {
  if (state.sync.timer !== null) clearTimeout(state.sync.timer);
  state.sync = { id: null, timer: null };
}

function isTerminal(status) {
  return !ACTIVE_SYNC.has(String(status ?? '').toLowerCase());
}

/**
 * A fraction in [0, 1] from whatever progress the sync reports (a percentage, done/total counts, or
 * per-stream statuses), or null when it cannot be known yet (the bar is then indeterminate).
 */
export function progressFraction(sync) {
  const status = String(sync?.status ?? '').toLowerCase();
  if (status === 'completed' || status === 'succeeded' || status === 'done') return 1;
  const p = sync?.progress && typeof sync.progress === 'object' ? sync.progress : {};
  const percent = sync?.percent ?? sync?.progress_percent ?? p.percent;
  if (Number.isFinite(percent)) return Math.min(1, Math.max(0, percent / 100));
  const total = p.total ?? p.total_records ?? sync?.total;
  const done = p.completed ?? p.done ?? p.processed ?? sync?.processed;
  if (Number.isFinite(total) && total > 0 && Number.isFinite(done)) return Math.min(1, done / total);
  const statuses = p.streams && typeof p.streams === 'object' && Object.keys(p.streams).length > 0
    ? Object.values(p.streams)
    : p.resources && typeof p.resources === 'object'
      ? Object.values(p.resources).map((r) => r?.status)
      : [];
  if (statuses.length === 0) return null;
  const finished = statuses.filter((s) => s === 'done' || s === 'skipped' || s === 'failed').length;
  const running = statuses.filter((s) => s === 'running').length;
  return Math.min(0.99, (finished + running * 0.5) / statuses.length);
}

function syncCounts(sync) {
  const p = sync?.progress && typeof sync.progress === 'object' ? sync.progress : {};
  const records = Number.isFinite(p.records) ? p.records : Number.isFinite(sync?.records) ? sync.records : null;
  const changed = Number.isFinite(p.changed) ? p.changed : null;
  const pages = Number.isFinite(p.pages) ? p.pages : null;
  return { records, changed, pages };
}

function renderSyncProgress(sync) {
  const box = $('sync-progress');
  const bar = $('sync-bar');
  const label = $('sync-label');
  const detailText = $('sync-detail');
  show(box);
  const status = String(sync?.status ?? 'queued').toLowerCase();
  const fraction = progressFraction(sync);
  if (fraction === null) bar.removeAttribute('value');
  else bar.value = Math.round(fraction * 100);
  const { records, changed, pages } = syncCounts(sync);
  const counted = records === null ? '' : `${formatCount(records)} record${records === 1 ? '' : 's'}`;
  if (status === 'queued' || status === 'pending') {
    label.textContent = 'Sync queued…';
    detailText.textContent = 'Waiting for a worker to pick it up.';
  } else if (!isTerminal(status)) {
    label.textContent = fraction === null ? 'Syncing…' : `Syncing… ${Math.round(fraction * 100)}%`;
    detailText.textContent = [counted && `${counted} so far`, pages !== null && `${formatCount(pages)} page${pages === 1 ? '' : 's'}`].filter(Boolean).join(' · ');
  } else if (status === 'failed' || status === 'error') {
    label.textContent = 'Sync failed';
    detailText.textContent = connectionProblemText(sync?.error) || 'Ramp did not return all the data. Try again in a minute.';
  } else {
    label.textContent = 'Sync complete';
    detailText.textContent = [counted && `${counted} fetched`, changed !== null && `${formatCount(changed)} new or changed`].filter(Boolean).join(' · ') || 'Everything is up to date.';
  }
}

async function startSync() {
  const button = $('sync-now');
  button.disabled = true;
  try {
    const { data } = await api.post('/api/v1/ramp/sync', {});
    const id = data?.sync_id ?? data?.id;
    if (typeof id !== 'string') throw new ApiFailure(0, 'bad_sync', 'The server did not say which sync it started.');
    trackSync(id, data);
  } catch (error) {
    if (handleAuthFailure(error)) return;
    if (error instanceof ApiFailure && error.routeMissing) {
      state.features.sync = false;
      renderActivityAvailability();
      return;
    }
    showBanner('error', `Could not start a sync: ${failureText(error)}`);
    button.disabled = false;
  }
}

function trackSync(id, initial) {
  stopSyncPolling();
  state.sync.id = id;
  storageSet(SYNC_KEY, id);
  renderSyncButton();
  renderSyncProgress(initial ?? { status: 'queued' });
  const businessId = state.businessId;
  let failures = 0;
  const poll = async () => {
    if (state.sync.id !== id || state.businessId !== businessId) return;
    try {
      const { data } = await api.get(`/api/v1/ramp/syncs/${encodeURIComponent(id)}`);
      if (state.sync.id !== id) return;
      failures = 0;
      renderSyncProgress(data);
      if (isTerminal(data?.status)) {
        stopSyncPolling();
        storageSet(SYNC_KEY, null);
        renderSyncButton();
        resetTransactions();
        await loadStatus();
        await loadTransactions(null);
        return;
      }
    } catch (error) {
      if (handleAuthFailure(error)) return;
      if (error instanceof ApiFailure && error.status === 404) {
        stopSyncPolling();
        storageSet(SYNC_KEY, null);
        show($('sync-progress'), false);
        renderSyncButton();
        return;
      }
      // A transient failure: keep polling, backing off; give up on the display (not the sync) eventually.
      failures += 1;
      if (failures >= 12) {
        stopSyncPolling();
        $('sync-label').textContent = 'Lost track of the sync';
        $('sync-detail').textContent = `The server stopped answering about it (${failureText(error)}). It may still finish; reload the page to check.`;
        renderSyncButton();
        return;
      }
    }
    if (state.sync.id === id) state.sync.timer = setTimeout(poll, Math.min(5_000, POLL_MS * 2 ** failures));
  };
  state.sync.timer = setTimeout(poll, initial ? POLL_MS : 0);
}

// ---------------------------------------------------------------------------------------------------
// Start

function wire() {
  $('signin-form').addEventListener('submit', onSignIn);
  $('sign-out').addEventListener('click', () => {
    signOut();
    showBanner('info', 'Signed out. The token was removed from this tab.');
    $('token-input').focus();
  });
  $('business-select').addEventListener('change', (event) => {
    hideBanner();
    selectBusiness(event.target.value);
  });
  $('banner-close').addEventListener('click', hideBanner);
  $('connect-oauth').addEventListener('click', (event) => startOAuth(event.currentTarget));
  $('reconnect').addEventListener('click', (event) => startOAuth(event.currentTarget));
  $('show-own-app').addEventListener('click', () => ($('own-app').hidden ? openOwnApp() : closeOwnApp()));
  $('reauth-own-app').addEventListener('click', () => ($('own-app').hidden ? openOwnApp() : closeOwnApp()));
  $('own-app-cancel').addEventListener('click', () => {
    $('client-id').value = '';
    clearOwnAppErrors();
    closeOwnApp();
  });
  $('own-app-form').addEventListener('submit', onOwnAppSubmit);
  $('disconnect').addEventListener('click', openDisconnect);
  $('disconnect-cancel').addEventListener('click', () => $('disconnect-dialog').close('cancel'));
  $('disconnect-confirm').addEventListener('click', confirmDisconnect);
  $('disconnect-dialog').addEventListener('close', () => {
    const target = !$('connected-actions').hidden ? $('disconnect') : !$('connect-actions').hidden ? $('connect-oauth') : $('main');
    target.focus();
  });
  $('sync-now').addEventListener('click', startSync);
  $('filter-form').addEventListener('submit', onFilter);
  $('filter-clear').addEventListener('click', onFilterClear);
  $('page-next').addEventListener('click', onNextPage);
  $('page-prev').addEventListener('click', onPreviousPage);
  setInterval(tickRelativeTimes, 30_000);
  const chartBody = $('chart-body');
  if (typeof ResizeObserver === 'function') {
    let pending = null;
    new ResizeObserver(() => {
      if (pending !== null) clearTimeout(pending);
      pending = setTimeout(() => {
        pending = null;
        if (!$('chart').hidden && Math.floor(chartBody.clientWidth) !== chartWidth) renderChart();
      }, 100);
    }).observe(chartBody);
  }
  window.addEventListener('pageshow', (event) => {
    // Back/forward cache: the page may come back after the Ramp consent page; reload its data.
    if (event.persisted && state.token) void refresh();
  });
}

async function start() {
  wire();
  consumeOAuthOutcome();
  if (!state.token) {
    showSignIn();
    return;
  }
  show($('loading'));
  try {
    enterWorkspace(await fetchBusinesses(state.token));
  } catch (error) {
    if (handleAuthFailure(error)) return;
    show($('loading'), false);
    showBanner('error', `Could not load your businesses: ${failureText(error)}`);
    showSignIn();
  }
}

void start();
