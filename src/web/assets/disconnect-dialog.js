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
    // `x-ramp-revocation` (README "HTTP API"): only `revoked` means Ramp confirmed it. `pending`: Ramp
    // failed or did not answer, the grant stays sealed and unusable here and the server keeps retrying.
    const revocation = headers.get('x-ramp-revocation');
    if (revocation === 'revoked') {
      showBanner('success', 'Disconnected. Access was revoked at Ramp and the stored tokens were deleted.');
    } else if (revocation === 'pending') {
      showBanner('warn', 'Disconnected here: the stored tokens can no longer be used. Ramp has not confirmed the revocation yet; we keep asking, and you can connect again once it has.');
    } else {
      showBanner('warn', 'Disconnected. The tokens were deleted here, but Ramp did not confirm the revocation; you can also remove the app in Ramp.');
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
