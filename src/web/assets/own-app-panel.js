/**
 * "Use my own Ramp app": the client-credentials connect form. The Client Secret is read once from its
 * field, the field is cleared immediately, and it is never shown again.
 */
import { handleAuthFailure, loadStatus, refresh, renderStatus } from './actions.js';
import { ApiFailure } from './api.js';
import { failureText, showBanner } from './banner.js';
import { $, h, setFieldError, show } from './dom.js';
import { api, state } from './state.js';

const OWN_APP_FIELDS = {
  client_id: ['client-id', 'client-id-error'],
  client_secret: ['client-secret', 'client-secret-error'],
  environment: ['environment', 'environment-error'],
};

export function clearOwnAppErrors() {
  for (const [inputId, errorId] of Object.values(OWN_APP_FIELDS)) setFieldError($(inputId), $(errorId), '');
  $('own-app-error').textContent = '';
  show($('own-app-error'), false);
}

export function openOwnApp() {
  show($('own-app'));
  $('show-own-app').setAttribute('aria-expanded', 'true');
  $('reauth-own-app').setAttribute('aria-expanded', 'true');
  clearOwnAppErrors();
  $('client-id').focus();
}

export function closeOwnApp(returnFocus = true) {
  const wasOpen = !$('own-app').hidden;
  show($('own-app'), false);
  $('show-own-app').setAttribute('aria-expanded', 'false');
  $('reauth-own-app').setAttribute('aria-expanded', 'false');
  $('client-secret').value = '';
  if (wasOpen && returnFocus) {
    if (!$('connect-actions').hidden) $('show-own-app').focus();
    else if (!$('reauth-own-app').hidden) $('reauth-own-app').focus();
  }
}

function ownAppError(text) {
  const box = $('own-app-error');
  box.replaceChildren(h('p', { text }));
  show(box);
}

export async function onOwnAppSubmit(event) {
  event.preventDefault();
  clearOwnAppErrors();
  const idInput = $('client-id');
  const secretInput = $('client-secret');
  const body = { client_id: idInput.value.trim(), client_secret: secretInput.value };
  // The secret leaves the field at once; it is never written back or shown again.
  secretInput.value = '';
  const environment = $('environment').value;
  if (environment) body.environment = environment;
  const submit = $('own-app-submit');
  submit.disabled = true;
  submit.textContent = 'Connecting…';
  try {
    const { data } = await api.post('/api/v1/ramp/connect-with-credentials', body);
    body.client_secret = '';
    idInput.value = '';
    closeOwnApp(false);
    showBanner('success', 'Ramp is connected with your own Ramp app.');
    if (data && typeof data.status === 'string') {
      state.status = data;
      renderStatus();
    }
    await refresh();
    $('connection-title').scrollIntoView({ block: 'nearest' });
  } catch (error) {
    body.client_secret = '';
    if (handleAuthFailure(error)) return;
    if (error instanceof ApiFailure && error.status === 422 && Object.keys(error.fields).length > 0) {
      let first = null;
      for (const [name, message] of Object.entries(error.fields)) {
        const ids = OWN_APP_FIELDS[name];
        if (!ids) continue;
        setFieldError($(ids[0]), $(ids[1]), message);
        first ??= $(ids[0]);
      }
      if (first) first.focus();
      else ownAppError(error.detail);
    } else if (error instanceof ApiFailure && error.status === 409) {
      ownAppError('This business is already connected to Ramp. To switch apps, disconnect the current connection first.');
      void loadStatus();
    } else if (error instanceof ApiFailure && error.status === 403) {
      ownAppError('Only owners and admins of this business can connect Ramp.');
    } else {
      ownAppError(failureText(error));
      secretInput.focus();
    }
  } finally {
    submit.disabled = false;
    submit.textContent = 'Connect';
  }
}
