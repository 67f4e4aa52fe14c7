/** `sessionStorage` (this tab only) that never throws: storage can be disabled and the page still works. */

export const TOKEN_KEY = 'ramp-connect.token';
export const BUSINESS_KEY = 'ramp-connect.business';
export const SYNC_KEY = 'ramp-connect.sync';

export function storageGet(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

export function storageSet(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage can be disabled; the page still works for this load.
  }
}
