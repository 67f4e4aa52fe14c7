/** Sync now and its live progress: polls the sync until it ends, then reloads the status and page one. */
import { handleAuthFailure, loadStatus, loadTransactions, renderActivityAvailability } from './actions.js';
import { ApiFailure } from './api.js';
import { failureText, showBanner } from './banner.js';
import { $, show } from './dom.js';
import { formatCount, syncErrorText } from './format.js';
import { api, canManage, resetTransactions, state } from './state.js';
import { SYNC_KEY, storageSet } from './storage.js';
import { resourceLabel, skippedItems, skippedOf } from './skipped-resources.js';

const POLL_MS = 400;
const ACTIVE_SYNC = new Set(['queued', 'pending', 'running', 'started', 'in_progress']);

export function renderSyncButton() {
  const button = $('sync-now');
  const connected = state.status?.status === 'connected';
  // Sync ships with the transaction list: offered once the list answers, hidden if the sync route is missing.
  show(button, connected && canManage() && state.features.transactions === true && state.features.sync !== false);
  button.disabled = state.sync.id !== null;
}

export function stopSyncPolling() {
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
  if (status === 'completed' || status === 'partial' || status === 'succeeded' || status === 'done') return 1;
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
  const skipped = status === 'partial' ? skippedOf(sync) : [];
  const skippedList = $('sync-skipped');
  skippedList.replaceChildren(...skippedItems(skipped));
  show(skippedList, skipped.length > 0);
  if (status === 'queued' || status === 'pending') {
    label.textContent = 'Sync queued…';
    detailText.textContent = 'Waiting for a worker to pick it up.';
  } else if (!isTerminal(status)) {
    label.textContent = fraction === null ? 'Syncing…' : `Syncing… ${Math.round(fraction * 100)}%`;
    detailText.textContent = [counted && `${counted} so far`, pages !== null && `${formatCount(pages)} page${pages === 1 ? '' : 's'}`].filter(Boolean).join(' · ');
  } else if (status === 'failed' || status === 'error') {
    label.textContent = 'Sync failed';
    detailText.textContent = syncErrorText(sync?.error) || 'Ramp did not return all the data. Try again in a minute.';
  } else if (status === 'partial') {
    // Ran to the end, but Ramp refused some resources: say which, never "complete".
    label.textContent = 'Sync finished, some data left out';
    const names = skipped.map((entry) => resourceLabel(entry.resource)).join(', ');
    detailText.textContent = [counted && `${counted} fetched`, names && `not synced: ${names}`].filter(Boolean).join(' · ');
  } else {
    label.textContent = 'Sync complete';
    detailText.textContent = [counted && `${counted} fetched`, changed !== null && `${formatCount(changed)} new or changed`].filter(Boolean).join(' · ') || 'Everything is up to date.';
  }
}

export async function startSync() {
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

export function trackSync(id, initial) {
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
