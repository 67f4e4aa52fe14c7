/**
 * The JSON API on this origin. The API token goes in the Authorization header only (never in a URL,
 * never logged); the business in `x-business-id`. Every failure comes back as an `ApiFailure` with the
 * server's stable `code`, a readable `detail`, and, for FastAPI 422 bodies, messages per field.
 */

export class ApiFailure extends Error {
  /**
   * @param {number} status HTTP status (0 when the request never reached the server)
   * @param {string} code stable snake_case code, or `validation_error` for 422, `network_error` for 0
   * @param {string} detail a sentence a person can read
   * @param {Record<string, string>} fields 422 messages by field name (the last element of `loc`)
   */
  constructor(status, code, detail, fields = {}) {
    super(detail);
    this.name = 'ApiFailure';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.fields = fields;
  }

  /** The route itself is missing (a feature not deployed on this server yet). */
  get routeMissing() {
    return this.status === 404 && this.code === 'route_not_found';
  }
}

/** FastAPI's `{"detail": [{loc, msg, type}]}` → one message per field plus a summary sentence. */
export function validationFailure(status, items) {
  const fields = {};
  const general = [];
  for (const item of items) {
    const loc = Array.isArray(item?.loc) ? item.loc : [];
    const msg = typeof item?.msg === 'string' ? item.msg : 'Invalid value';
    const field = loc.length > 1 ? String(loc[loc.length - 1]) : '';
    if (field && !(field in fields)) fields[field] = msg;
    else if (!field) general.push(msg);
  }
  const named = Object.keys(fields);
  const detail = general.length > 0 ? general.join(' ') : named.length > 0 ? `Check ${named.join(', ')}.` : 'The request was not valid.';
  return new ApiFailure(status, 'validation_error', detail, fields);
}

async function failureFrom(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (response.status === 422 && Array.isArray(body?.detail)) return validationFailure(422, body.detail);
  const code = typeof body?.code === 'string' ? body.code : `http_${response.status}`;
  const detail = typeof body?.detail === 'string' ? body.detail : `The server answered ${response.status} ${response.statusText}`.trim();
  return new ApiFailure(response.status, code, detail);
}

export class Api {
  /** @param {() => {token: string | null, businessId: string | null}} credentials */
  constructor(credentials) {
    this.credentials = credentials;
  }

  /**
   * @param {string} method
   * @param {string} path starting with /api/
   * @param {{query?: Record<string, string | number | null | undefined>, body?: unknown, business?: boolean, token?: string}} [options]
   * @returns {Promise<{status: number, data: any, headers: Headers}>}
   */
  async request(method, path, options = {}) {
    const { token, businessId } = this.credentials();
    const headers = { accept: 'application/json' };
    const bearer = options.token ?? token;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (options.business !== false && businessId) headers['x-business-id'] = businessId;
    let body;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let url = path;
    if (options.query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(options.query)) {
        if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
      }
      const text = params.toString();
      if (text) url += `?${text}`;
    }
    let response;
    try {
      response = await fetch(url, { method, headers, body, credentials: 'omit', cache: 'no-store', redirect: 'error' });
    } catch {
      throw new ApiFailure(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
    }
    if (!response.ok) throw await failureFrom(response);
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    return { status: response.status, data, headers: response.headers };
  }

  get(path, options) {
    return this.request('GET', path, options);
  }

  post(path, body, options = {}) {
    return this.request('POST', path, { ...options, body });
  }

  delete(path, options) {
    return this.request('DELETE', path, options);
  }
}
