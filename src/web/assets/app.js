/**
 * The Ramp connection page: wires the panels to the document and starts. Plain ES modules, no
 * framework, no build step (one module per concern: state.js, api.js, session.js, connection-panel.js,
 * own-app-panel.js, disconnect-dialog.js, transactions-panel.js, sync-panel.js, chart.js, format.js,
 * actions.js). Everything the user sees is written with `textContent` / DOM APIs (never HTML strings),
 * so nothing from the API can inject markup. These files import only each other, never server code.
 *
 * Imports only go down, never in a loop: app.js → disconnect-dialog.js → session.js → refresh.js →
 * the panels (*-panel.js) → the helpers (actions.js, state.js, banner.js, dom.js, …). A panel never
 * imports another panel or the session: what it needs from them it calls through actions.js, which
 * app.js wires below before anything runs.
 */
import { wireActions } from './actions.js';
import { consumeOAuthOutcome, failureText, hideBanner, showBanner } from './banner.js';
import { loadStatus, renderStatus, startOAuth, tickRelativeTimes } from './connection-panel.js';
import { confirmDisconnect, openDisconnect } from './disconnect-dialog.js';
import { $, show } from './dom.js';
import { clearOwnAppErrors, closeOwnApp, onOwnAppSubmit, openOwnApp } from './own-app-panel.js';
import { refresh } from './refresh.js';
import { enterWorkspace, fetchBusinesses, handleAuthFailure, onSignIn, selectBusiness, showSignIn, signOut } from './session.js';
import { state } from './state.js';
import { renderSyncButton, startSync, trackSync } from './sync-panel.js';
import {
  loadTransactions,
  onFilter,
  onFilterClear,
  onNextPage,
  onPreviousPage,
  renderActivityAvailability,
  watchChartWidth,
} from './transactions-panel.js';

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
  watchChartWidth();
  window.addEventListener('pageshow', (event) => {
    // Back/forward cache: the page may come back after the Ramp consent page; reload its data.
    if (event.persisted && state.token) void refresh();
  });
}

async function start() {
  wireActions({
    handleAuthFailure,
    refresh,
    loadStatus,
    renderStatus,
    closeOwnApp,
    renderSyncButton,
    trackSync,
    loadTransactions,
    renderActivityAvailability,
  });
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
