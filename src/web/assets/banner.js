/** The page-wide message line, and the outcome of an OAuth round trip (`?ramp=connected|error&reason=…`). */
import { ApiFailure } from './api.js';
import { $, show } from './dom.js';
import { oauthReasonText } from './format.js';

export function showBanner(kind, text) {
  const banner = $('banner');
  banner.className = `banner banner-${kind}`;
  $('banner-text').textContent = text;
  show(banner);
}

export function hideBanner() {
  show($('banner'), false);
}

export function failureText(error) {
  if (error instanceof ApiFailure) return error.detail;
  return 'Something went wrong. Reload the page and try again.';
}

/** Reads and removes `?ramp=…` from the address bar, then says what happened. */
export function consumeOAuthOutcome() {
  const url = new URL(location.href);
  const outcome = url.searchParams.get('ramp');
  if (outcome === null) return;
  const reason = url.searchParams.get('reason');
  url.searchParams.delete('ramp');
  url.searchParams.delete('reason');
  history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  if (outcome === 'connected') showBanner('success', 'Ramp is connected. Your transactions can now be synced.');
  else showBanner('error', oauthReasonText(reason ?? ''));
}
