/**
 * @module A minimal browser for HTTP-level tests: keeps the cookies each host sets and sends them back
 * to that host (as browsers do, whatever the port), so the OAuth flow's browser binding (docs/guarantees.md#g41) is exercised
 * without Chromium. Two instances are two browsers.
 */
export class TestBrowser {
  readonly #jar = new Map<string, Map<string, string>>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target.hostname);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const cookies = this.#jar.get(target.hostname) ?? new Map<string, string>();
      cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
      this.#jar.set(target.hostname, cookies);
    }
    return res;
  }

  /** Opens a connect URL as a browser does: our launch route, then Ramp's authorize page; returns Ramp's answer. */
  async openConnectUrl(connectUrl: string | URL): Promise<Response> {
    const launch = await this.fetch(connectUrl);
    if (launch.status !== 302) return launch;
    return this.fetch(launch.headers.get('location')!);
  }

  cookieHeader(host: string): string | undefined {
    const cookies = this.#jar.get(host);
    return cookies && cookies.size > 0 ? [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') : undefined;
  }
}
