/**
 * The activity card's list: synced transactions a page at a time (a stack of cursors for Previous),
 * a date filter, "1–25 of 250" paging text, and the spend-per-day chart of the page shown. The sync
 * and transaction routes may be missing on a server: a 404 route hides them.
 */
import { handleAuthFailure, renderSyncButton, trackSync } from './actions.js';
import { ApiFailure } from './api.js';
import { failureText } from './banner.js';
import { renderSpendChart, spendPerDay } from './chart.js';
import { $, h, show } from './dom.js';
import { formatCount, formatDate, formatDateTime, formatMoney, formatShortDay, stateLabel } from './format.js';
import { api, PAGE_SIZE, resetTransactions, state } from './state.js';
import { SYNC_KEY, storageGet } from './storage.js';

let chartWidth = 0;

export function renderActivityAvailability() {
  const { transactions, sync } = state.features;
  show($('activity'), Boolean(state.businessId) && state.businesses.length > 0);
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

/** Hides the activity card and forgets its rows, chart and progress (sign-out, disconnect, business switch). */
export function clearActivity() {
  resetTransactions();
  $('tx-body').replaceChildren();
  $('chart-body').replaceChildren();
  $('chart-caption').textContent = '';
  show($('chart'), false);
  $('page-info').textContent = '';
  $('sync-detail').textContent = '';
  show($('sync-progress'), false);
  show($('activity'), false);
}

export async function loadActivity() {
  if (!state.businessId) return;
  await loadTransactions(state.tx.cursor);
  renderActivityAvailability();
  const pending = storageGet(SYNC_KEY);
  if (pending && state.sync.id === null && state.features.transactions && state.features.sync !== false) trackSync(pending);
}

function dayBoundary(value, endOfDay) {
  if (!value) return undefined;
  const [y, m, d] = value.split('-').map(Number);
  const start = new Date(y, m - 1, d);
  if (Number.isNaN(start.getTime())) return undefined;
  return endOfDay ? new Date(new Date(y, m - 1, d + 1).getTime() - 1).toISOString() : start.toISOString();
}

export async function loadTransactions(cursor) {
  if (state.features.transactions === false) return;
  const tx = state.tx;
  tx.loading = true;
  $('tx-table').setAttribute('aria-busy', 'true');
  try {
    const { data } = await api.get('/api/v1/ramp/transactions', {
      query: { limit: PAGE_SIZE, cursor, from_date: dayBoundary(tx.from, false), to_date: dayBoundary(tx.to, true) },
    });
    if (state.tx !== tx) return; // cleared or reset while this page was loading
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
    if (state.tx === tx) renderActivityAvailability();
  }
}

/**
 * "1–25 of 250". Every page before this one was full, so the first row's position follows from the
 * cursor stack. The total is the status's `transaction_count` when the list is unfiltered, and is
 * known exactly on the last page; otherwise the text gives the range alone rather than guess.
 */
export function pageRangeText(pagesBefore, shown, hasMore, filtered, synced) {
  if (shown === 0) return '';
  const first = pagesBefore * PAGE_SIZE + 1;
  const last = first + shown - 1;
  const range = `${formatCount(first)}–${formatCount(last)}`;
  let total = null;
  if (!hasMore) total = last;
  else if (!filtered && Number.isFinite(synced) && synced > last) total = synced;
  return total === null ? range : `${range} of ${formatCount(total)}`;
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
  const filtered = Boolean(tx.from || tx.to);
  show($('tx-empty'), empty);
  $('tx-empty').textContent = filtered ? 'No transactions in this date range.' : 'No transactions yet. Run a sync to fetch them from Ramp.';
  show($('tx-table').parentElement, !empty);
  $('page-info').textContent = pageRangeText(tx.stack.length, tx.items.length, tx.hasMore, filtered, Number(state.status?.transaction_count));
  $('page-prev').disabled = tx.stack.length === 0;
  $('page-next').disabled = !tx.hasMore;
  show($('pager'), !empty || tx.stack.length > 0);
  renderChart();
}

export function renderChart() {
  const figure = $('chart');
  const series = spendPerDay(state.tx.items);
  if (!series || series.days.length < 2) {
    show(figure, false);
    return;
  }
  show(figure);
  const body = $('chart-body');
  chartWidth = Math.floor(body.clientWidth || figure.clientWidth || 600);
  const { outliers } = renderSpendChart(body, series, chartWidth);
  const other = series.otherCurrencies > 0 ? ` ${series.otherCurrencies} in other currencies not shown.` : '';
  const cut = outliers.map((d) => ` ${formatShortDay(d.day)} (${formatMoney(d.cents, series.currency)}) is above the scale: its bar is cut.`).join('');
  $('chart-caption').textContent = `Spend per day on this page (${series.currency}).${cut}${other}`;
}

/** Redraws the chart when its box changed width (rotation, window resize). */
export function watchChartWidth() {
  const chartBody = $('chart-body');
  if (typeof ResizeObserver !== 'function') return;
  let pending = null;
  new ResizeObserver(() => {
    if (pending !== null) clearTimeout(pending);
    pending = setTimeout(() => {
      pending = null;
      if (!$('chart').hidden && Math.floor(chartBody.clientWidth) !== chartWidth) renderChart();
    }, 100);
  }).observe(chartBody);
}

export function onFilter(event) {
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

export function onFilterClear() {
  $('from-date').value = '';
  $('to-date').value = '';
  state.tx.from = '';
  state.tx.to = '';
  state.tx.stack = [];
  show($('filter-error'), false);
  void loadTransactions(null);
}

export function onNextPage() {
  const tx = state.tx;
  if (!tx.hasMore || tx.loading || !tx.next) return;
  tx.stack.push(tx.cursor);
  void loadTransactions(tx.next);
}

export function onPreviousPage() {
  const tx = state.tx;
  if (tx.stack.length === 0 || tx.loading) return;
  const previous = tx.stack.pop();
  void loadTransactions(previous ?? null);
}
