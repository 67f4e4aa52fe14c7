/**
 * @module HTML pages of the authorization endpoint.
 *
 * The consent page must work for a person and for headless Chromium: a plain form with two labelled
 * submit buttons (keyboard reachable, no script). Pages set `X-Frame-Options`/`frame-ancestors`
 * against clickjacking (RFC 6749 §10.13) and `no-store` so a code-bearing page is never cached.
 */
import type { FastifyReply } from 'fastify';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f4f3ef; color: #1a1a1a; margin: 0; }
  main { max-width: 32rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 12px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
  h1 { font-size: 1.4rem; margin-top: 0; }
  .env { display: inline-block; font-size: .8rem; padding: .1rem .5rem; border-radius: 999px; background: #e8e4d8; }
  ul { padding-left: 1.2rem; } code { font-size: .9rem; }
  label { display: block; margin: 1rem 0 .25rem; font-weight: 600; }
  select { width: 100%; padding: .4rem; font-size: 1rem; }
  .actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
  button { font-size: 1rem; padding: .6rem 1.4rem; border-radius: 8px; border: 1px solid #1a1a1a; cursor: pointer; }
  button[value=approve] { background: #1a1a1a; color: #fff; }
  button[value=deny] { background: #fff; color: #1a1a1a; }
  button:focus-visible { outline: 3px solid #e4f222; outline-offset: 2px; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(html);
}

/** Error page for requests that must not redirect (RFC 6749 §4.1.2.1: bad client or redirect URI). */
export function sendErrorPage(reply: FastifyReply, status: number, heading: string, detail: string): FastifyReply {
  return sendPage(reply, status, page(`${heading} — Ramp`, `<h1>${escapeHtml(heading)}</h1>\n<p>${escapeHtml(detail)}</p>`));
}

export interface ConsentPageInput {
  actionPath: string;
  requestId: string;
  appName: string;
  environment: string;
  scopes: readonly string[];
  businesses: readonly { id: string; name: string }[];
  selectedBusinessId: string;
}

export function sendConsentPage(reply: FastifyReply, input: ConsentPageInput): FastifyReply {
  const scopes = input.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('');
  const businesses = input.businesses
    .map((business) => `<option value="${escapeHtml(business.id)}"${business.id === input.selectedBusinessId ? ' selected' : ''}>${escapeHtml(business.name)}</option>`)
    .join('');
  const body = `<p class="env">Ramp emulator · ${escapeHtml(input.environment)}</p>
<h1>Allow ${escapeHtml(input.appName)} to access your Ramp account?</h1>
<p>${escapeHtml(input.appName)} is requesting these permissions:</p>
<ul aria-label="Requested permissions">${scopes}</ul>
<form method="post" action="${escapeHtml(input.actionPath)}">
<input type="hidden" name="request_id" value="${escapeHtml(input.requestId)}">
<label for="business_id">Business</label>
<select id="business_id" name="business_id">${businesses}</select>
<label for="role">Sign in as</label>
<select id="role" name="role">
<option value="admin" selected>Admin</option>
<option value="owner">Business Owner</option>
<option value="member">Employee (not allowed to authorize apps)</option>
</select>
<div class="actions">
<button type="submit" name="decision" value="approve" autofocus>Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</div>
</form>`;
  return sendPage(reply, 200, page(`Authorize ${input.appName} — Ramp`, body));
}
