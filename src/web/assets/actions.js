/**
 * What one part of the page asks of another. The panels (*-panel.js) call each other and the session
 * back (a 401 signs out, a sync reloads the status, the status redraws the sync button), but importing
 * each other would make import loops. So a panel imports these stand-ins instead, and app.js, which
 * imports everything, hands in the real functions once before the page starts. This file imports nothing.
 */

const wired = new Map();

/** A stand-in that calls the function app.js wired under `name`. */
function standIn(name) {
  wired.set(name, null);
  return (...args) => {
    const action = wired.get(name);
    if (action === null) throw new Error(`The page action ${name} was called before app.js wired it.`);
    return action(...args);
  };
}

// session.js, refresh.js
export const handleAuthFailure = standIn('handleAuthFailure');
export const refresh = standIn('refresh');
// connection-panel.js
export const loadStatus = standIn('loadStatus');
export const renderStatus = standIn('renderStatus');
// own-app-panel.js
export const closeOwnApp = standIn('closeOwnApp');
// sync-panel.js
export const renderSyncButton = standIn('renderSyncButton');
export const trackSync = standIn('trackSync');
// transactions-panel.js
export const loadTransactions = standIn('loadTransactions');
export const renderActivityAvailability = standIn('renderActivityAvailability');

/** Called once by app.js with every action above: a missing or unknown one is a wiring mistake, caught at start. */
export function wireActions(actions) {
  const given = Object.keys(actions);
  const unknown = given.filter((name) => !wired.has(name));
  const missing = [...wired.keys()].filter((name) => typeof actions[name] !== 'function');
  if (unknown.length > 0 || missing.length > 0) {
    throw new Error(`Page actions wired wrongly: missing [${missing.join(', ')}], unknown [${unknown.join(', ')}].`);
  }
  for (const name of given) wired.set(name, actions[name]);
}
