// The login form: paste a token; whoami checks it before it is kept (sessionStorage).

import { h, replace } from '../dom.js';
import { ApiError } from '../api.js';

export function renderLogin(main, { message, onLogin }) {
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'token-help token-error',
  });
  const error = h('p', { id: 'token-error', class: 'error field-error', role: 'alert' });
  const submit = h('button', { type: 'submit', id: 'login' }, 'Log in');
  const form = h('form', { class: 'card login', novalidate: true },
    h('h1', { tabindex: '-1' }, 'Log in to Meridian'),
    message ? h('p', { class: 'notice', id: 'login-notice' }, message) : null,
    h('label', { for: 'token' }, 'API token'),
    input,
    h('p', { id: 'token-help', class: 'help' },
      'Paste a Meridian API token. The admin token is in ', h('code', {}, 'data/admin.token'),
      ' (or MERIDIAN_ADMIN_TOKEN); an admin creates other tokens with POST /api/v1/tokens. ',
      'It is kept only in this browser tab and forgotten when the tab closes.'),
    error,
    submit);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    error.textContent = '';
    input.removeAttribute('aria-invalid');
    if (!token) {
      error.textContent = 'Enter a token.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    submit.disabled = true;
    try {
      await onLogin(token);
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401
        ? 'This token is not valid (unknown or revoked).'
        : `Could not log in: ${e.message}`;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      input.select();
    } finally {
      submit.disabled = false;
    }
  });

  replace(main, h('div', { class: 'page login-page' }, form));
  input.focus();
}
