/** Reloads what the page shows for the current business: the connection, then its activity. */
import { loadStatus } from './connection-panel.js';
import { state } from './state.js';
import { clearActivity, loadActivity } from './transactions-panel.js';

export async function refresh() {
  await loadStatus();
  // Not connected: no synced figures are shown (after a disconnect they would be a stale picture).
  if (state.status?.status === 'disconnected') clearActivity();
  else await loadActivity();
}
