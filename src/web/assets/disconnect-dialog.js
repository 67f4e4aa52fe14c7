/** Disconnect, only after confirming in a modal dialog; the page then drops the old connection's figures. */
import { failureText, showBanner } from './banner.js';
import { loadStatus } from './connection-panel.js';
import { $ } from './dom.js';
import { refresh } from './refresh.js';
import { handleAuthFailure } from './session.js';
import { api } from './state.js';
import { SYNC_KEY, storageSet } from './storage.js';
import { stopSyncPolling } from './sync-panel.js';
import { clearActivity } from './transactions-panel.js';

export function openDisconnect() {
  const dialog = $('disconnect-dialog');
  dialog.showModal();
  $('disconnect-cancel').focus();
}

export async function confirmDisconnect() {
  const confirm = $('disconnect-confirm');
  confirm.disabled = true;
  confirm.textContent = 'Disconnecting…';
  try {
    const { headers } = await api.delete('/api/v1/ramp/connection');
    $('disconnect-dialog').close('done');
    stopSyncPolling();
    storageSet(SYNC_KEY, null);
    clearActivity();
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
