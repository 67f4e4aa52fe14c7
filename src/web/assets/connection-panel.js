/** The connection card: status badge, details, the last problem, re-authorization, and Connect with Ramp. */
import { closeOwnApp, handleAuthFailure, renderSyncButton } from './actions.js';
import { ApiFailure } from './api.js';
import { failureText, showBanner } from './banner.js';
import { $, h, show } from './dom.js';
import {
  connectionProblemText,
  environmentLabel,
  formatCount,
  formatDate,
  formatDateTime,
  methodLabel,
  webhookText,
  relativeTime,
  syncErrorText,
} from './format.js';
import { canManage, api, state } from './state.js';
import { enableHint, scopesToEnable, skippedItems, skippedOf } from './skipped-resources.js';

const STATUS_BADGES = {
  connected: ['Connected', 'badge-ok'],
  needs_reauth: ['Needs re-authorization', 'badge-warn'],
  revoke_pending: ['Disconnecting', 'badge-warn'],
  disconnected: ['Not connected', 'badge-neutral'],
};

export async function loadStatus() {
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

export function renderStatus() {
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
  } else if (status === 'revoke_pending') {
    summary.textContent = 'Disconnected here. Ramp has not confirmed the access was revoked yet; we keep asking, and you can connect again once it has.';
  } else {
    summary.textContent = 'Not connected. Sign in with Ramp (recommended), or use a developer app from your own Ramp account.';
  }

  show(summary, summary.textContent !== '');

  // Figures only for a connection that exists: after a disconnect they would describe the old one.
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
    rows.push(...detail('Last sync', timeElement(s.last_sync_at)));
    rows.push(...detail('Transactions synced', formatCount(s.transaction_count ?? 0)));
    if (status === 'connected') {
      rows.push(...detail('Real-time updates', webhookText(s.webhook)));
      if (s.webhook?.last_event_at) rows.push(...detail('Last Ramp event', timeElement(s.webhook.last_event_at)));
    }
  }
  details.replaceChildren(...rows);
  show(details, rows.length > 0);

  // The last sync's refused resources, and the scopes to allow (while a connection exists).
  const skipped = status === 'disconnected' ? [] : skippedOf(s?.last_sync);
  $('skipped-list').replaceChildren(...skippedItems(skipped));
  $('skipped-hint').textContent = skipped.length ? enableHint(s?.auth_method, scopesToEnable(skipped)) : '';
  show($('skipped-callout'), skipped.length > 0);

  const problem = connectionProblemText(s?.last_error) || (status === 'needs_reauth' ? connectionProblemText(s?.status_reason) : '');
  const connectionProblem = status !== 'needs_reauth' ? problem : '';
  // The newest finished sync failed (a manual one from another tab, an automatic or webhook one):
  // said here too, since the progress box shows only a sync this tab follows.
  const lastSync = s?.last_sync;
  const syncFailed = status === 'connected' && lastSync?.status === 'failed';
  const syncProblem = syncFailed
    ? `The last sync failed ${relativeTime(lastSync.finished_at) || 'recently'}: ${syncErrorText(lastSync.error) || 'Ramp did not return all the data.'}`
    : '';
  $('last-error-text').textContent = connectionProblem;
  show($('last-error-text'), connectionProblem !== '');
  $('last-sync-error').textContent = syncProblem;
  show($('last-sync-error'), syncProblem !== '');
  show($('last-error'), connectionProblem !== '' || syncProblem !== '');

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
  // While a revocation is pending there is nothing left to disconnect (the server answers 404).
  show($('connected-actions'), (status === 'connected' || status === 'needs_reauth') && manage);
  show($('role-note'), !manage);
  if (status === 'connected') closeOwnApp(false);
  renderSyncButton();
}

export function tickRelativeTimes() {
  for (const element of document.querySelectorAll('[data-relative]')) {
    element.textContent = relativeTime(element.getAttribute('data-relative'));
  }
}

/** Connect with Ramp: the authorization-code flow through Ramp's consent page. */
export async function startOAuth(button) {
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
