/** Formatting for people: relative times, dates, money in integer minor units, and error codes in plain words. */

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const shortDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const integer = new Intl.NumberFormat();

const DAY_S = 24 * 3600;
// [unit, its size in seconds, used from this many seconds up]. No weeks: "in 10 days" reads better than "next week".
const UNITS = [
  ['year', 365 * DAY_S, 365 * DAY_S],
  ['month', 30 * DAY_S, 45 * DAY_S],
  ['day', DAY_S, DAY_S],
  ['hour', 3600, 3600],
  ['minute', 60, 60],
];

/** "in 59 minutes", "3 hours ago", "in 10 days", "just now". */
export function relativeTime(iso, now = Date.now()) {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const seconds = (ms - now) / 1000;
  for (const [unit, size, from] of UNITS) {
    // Minutes truncate (a fresh one-hour token: "in 59 minutes", never overstating the time left);
    // longer units round (a fresh ten-day token: "in 10 days", not "in 9 days").
    if (Math.abs(seconds) >= from) return relative.format(unit === 'minute' ? Math.trunc(seconds / size) : Math.round(seconds / size), unit);
  }
  if (seconds <= 0) return Math.abs(seconds) < 45 ? 'just now' : relative.format(Math.trunc(seconds), 'second');
  return relative.format(Math.max(1, Math.trunc(seconds)), 'second');
}

export function formatDateTime(iso) {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? '' : dateTime.format(ms);
}

export function formatDate(iso) {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? '' : dateOnly.format(ms);
}

export function formatShortDay(ms) {
  return shortDay.format(ms);
}

export function formatCount(n) {
  return integer.format(n);
}

const moneyFormats = new Map();

function moneyFormat(currency) {
  let format = moneyFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      format = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });
    }
    moneyFormats.set(currency, format);
  }
  return format;
}

/** Major units of an integer amount in the currency's minor units (2 for USD, 0 for JPY, 3 for KWD). */
export function toMajorUnits(amountCents, currency) {
  const digits = moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;
  return amountCents / 10 ** digits;
}

/**
 * `12345, "USD"` → "$123.45". An amount or currency the API gives as null (Ramp's answer did not say
 * its currency) is "—", never shown as dollars.
 */
export function formatMoney(amountCents, currency) {
  if (amountCents === null || amountCents === undefined || amountCents === '' || !Number.isFinite(Number(amountCents))) return '—';
  if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) return '—';
  const code = currency.toUpperCase();
  return moneyFormat(code).format(toMajorUnits(Number(amountCents), code));
}

/** Where `?ramp=error&reason=…` came back from the OAuth redirect, in words. */
export const OAUTH_REASONS = {
  access_denied: 'Ramp access was denied, so nothing was connected. Connect again when you are ready to allow access.',
  invalid_scope: 'Ramp refused the requested permissions. Ask your Ramp admin to allow the scopes this app needs, then try again.',
  authorization_expired: 'The Ramp authorization expired before it was completed. Please connect again.',
  app_misconfigured: "This server's Ramp app is not set up correctly (Ramp rejected its credentials). Contact your administrator.",
  already_connected: 'This business was connected by someone else at the same time. The page now shows the current connection.',
  revocation_pending: "The previous Ramp connection is still being disconnected (Ramp has not yet confirmed it was revoked; we keep retrying). Nothing new was connected; try again in a few minutes.",
  ramp_unavailable: 'Ramp could not be reached to finish connecting. Nothing was saved; try again in a minute.',
  authorization_failed: 'Ramp did not complete the authorization. Please try again.',
};

export function oauthReasonText(reason) {
  return OAUTH_REASONS[reason] ?? 'Connecting to Ramp did not complete. Please try again.';
}

/** A connection's `last_error` / `status_reason` codes in plain words; sentences pass through. */
const CONNECTION_PROBLEMS = {
  invalid_grant: 'Ramp no longer accepts the saved authorization; it was revoked or has expired.',
  lost_rotation: 'The saved Ramp authorization was replaced and could not be recovered.',
  refresh_token_reused: 'Ramp detected a reused refresh token and ended the authorization for safety.',
  invalid_client: 'Ramp rejected the app credentials (Client ID or Client Secret).',
  ramp_invalid_client: 'Ramp rejected the app credentials (Client ID or Client Secret).',
  unauthorized_client: 'The Ramp app is not allowed to use this grant type any more.',
  invalid_scope: 'The Ramp app no longer allows the permissions this connection needs.',
  revoked: 'Access was revoked in Ramp.',
  access_revoked: 'Access was revoked in Ramp.',
  credentials_corrupt: 'The stored Ramp credentials could not be decrypted.',
  ramp_unavailable: 'Ramp was unreachable or failing the last time we tried.',
  ramp_timeout: 'Ramp did not answer in time the last time we tried.',
  ramp_rate_limited: "Ramp's rate limit was reached; we will retry automatically.",
  ramp_error: 'Ramp returned an unexpected error.',
  network_error: 'Ramp could not be reached over the network.',
};

export function connectionProblemText(value) {
  if (typeof value !== 'string' || value.trim() === '') return '';
  const text = value.trim();
  const code = text.split(/[:\s]/, 1)[0];
  if (CONNECTION_PROBLEMS[text]) return CONNECTION_PROBLEMS[text];
  if (/^[a-z0-9_]+$/.test(text)) return CONNECTION_PROBLEMS[code] ?? `Ramp reported a problem (${text.replace(/_/g, ' ')}).`;
  if (CONNECTION_PROBLEMS[code]) return `${CONNECTION_PROBLEMS[code]} ${text.slice(code.length).replace(/^[:\s]+/, '')}`.trim();
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * A failed sync's `error`, `"<code>: <sentence>"` (src/sync/sync-runner.ts): the server's sentence as
 * it is (the code's own words would say the same thing twice); a bare code in words.
 */
export function syncErrorText(value) {
  if (typeof value !== 'string') return '';
  const match = /^[a-z0-9_]+:\s*(\S[\s\S]*)$/.exec(value.trim());
  if (!match) return connectionProblemText(value);
  const sentence = match[1];
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

export function environmentLabel(environment) {
  if (environment === 'production') return 'Production';
  if (environment === 'sandbox') return 'Sandbox';
  return '—';
}

export function methodLabel(method) {
  if (method === 'oauth') return 'OAuth (signed in with Ramp)';
  if (method === 'client_credentials') return 'Own credentials (your Ramp app)';
  return '—';
}

export function stateLabel(state) {
  if (typeof state !== 'string' || state === '') return '—';
  return state.charAt(0) + state.slice(1).toLowerCase().replace(/_/g, ' ');
}

const WEBHOOK_REASONS = {
  public_url_not_https: 'PUBLIC_URL is not HTTPS, so Ramp cannot call this service',
  no_event_scopes: 'the granted scopes allow no Ramp events',
  lost_at_ramp: 'Ramp no longer had the subscription',
  disabled_at_ramp: 'Ramp disabled the subscription',
  never_verified: 'Ramp never confirmed the subscription',
  scopes_changed: 'the granted scopes changed',
};

/** The status's `webhook` (Ramp's real-time events) in plain words. */
export function webhookText(webhook) {
  if (!webhook || typeof webhook !== 'object') return 'Off (syncs poll on their schedule)';
  const why = WEBHOOK_REASONS[webhook.reason] ?? webhook.reason ?? '';
  switch (webhook.status) {
    case 'active':
      return 'On: Ramp sends changes as they happen; automatic syncs run less often';
    case 'creating':
    case 'pending':
      return 'Being set up with Ramp';
    case 'polling_only':
      return `Off${why ? `: ${why}` : ''}. Syncs poll at the normal pace.`;
    default:
      return `Interrupted${why ? ` (${why})` : ''}; subscribing again. Syncs poll at the normal pace meanwhile.`;
  }
}
