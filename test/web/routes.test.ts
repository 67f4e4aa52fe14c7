/**
 * The web page's HTTP side, without a browser: `/` and `/assets/*` with the right content types, a strict
 * CSP and the other security headers, ETag revalidation, 404 for anything else under `/assets/`, hidden
 * from OpenAPI, and a page that cannot leak a secret into a URL (no inline script or style, no `name`
 * on any input, so even a script-less submit sends nothing).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_CONTENT_SECURITY_POLICY, webRoutes } from '../../src/web/routes.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const EXPECTED_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

describe('web page routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', [webRoutes]);
  });
  afterAll(async () => t?.close());

  it('serves the page at / with the strict CSP and security headers', async () => {
    const res = await fetch(`${t.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(EXPECTED_CSP);
    expect(WEB_CONTENT_SECURITY_POLICY).toBe(EXPECTED_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/assets/app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/assets/app.css">');
  });

  it('serves every asset with its content type, and revalidates with the ETag', async () => {
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
    const names = readdirSync(new URL('../../src/web/assets/', import.meta.url));
    expect(names).toEqual(expect.arrayContaining(['app.js', 'api.js', 'state.js', 'session.js', 'connection-panel.js', 'transactions-panel.js', 'sync-panel.js', 'chart.js', 'format.js', 'app.css', 'favicon.svg']));
    for (const name of names) {
      const res = await fetch(`${t.url}/assets/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type'), name).toBe(types[name.split('.').pop()!]);
      expect(res.headers.get('content-security-policy'), name).toBe(EXPECTED_CSP);
      expect(res.headers.get('x-content-type-options'), name).toBe('nosniff');
      const etag = res.headers.get('etag')!;
      expect(await res.text()).toBe(readFileSync(new URL(`../../src/web/assets/${name}`, import.meta.url), 'utf8'));
      const again = await fetch(`${t.url}/assets/${name}`, { headers: { 'if-none-match': etag } });
      expect(again.status, name).toBe(304);
      expect(await again.text()).toBe('');
    }
  });

  it('every module the page imports is served: the import graph from app.js stays inside /assets/', async () => {
    const seen = new Set<string>();
    const queue = ['app.js'];
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const res = await fetch(`${t.url}/assets/${name}`);
      expect(res.status, name).toBe(200);
      const source = await res.text();
      for (const [, specifier] of source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        // A sibling file only: no server code, no package, no other origin.
        expect(specifier, `${name} imports ${specifier}`).toMatch(/^\.\/[a-z0-9-]+\.js$/);
        queue.push(specifier!.slice(2));
      }
    }
    // Every .js file in the folder is reached, so none is dead code nor loaded some other way.
    const modules = readdirSync(new URL('../../src/web/assets/', import.meta.url)).filter((n) => n.endsWith('.js'));
    expect([...seen].sort()).toEqual(modules.sort());
  });

  it('serves /favicon.ico (browsers and the /docs page ask for it)', async () => {
    const res = await fetch(`${t.url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0])); // ICO header: reserved 0, type 1 (icon)
  });

  it('answers 404 for anything else under /assets (no directory traversal)', async () => {
    for (const path of ['/assets/nope.js', '/assets/..%2Froutes.ts', '/assets/%2e%2e/routes.ts', '/assets/', '/assets/index.html', '/index.html']) {
      const res = await fetch(`${t.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
    }
  });

  it('is not in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).not.toContain('/');
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/assets'))).toBe(false);
  });

  it('has no inline script or style, and no named inputs a script-less submit could send', () => {
    const html = readFileSync(new URL('../../src/web/index.html', import.meta.url), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/<(input|select|textarea)[^>]*\sname=/i);
    // Every input and select has a label.
    const ids = [...html.matchAll(/<(?:input|select)[^>]*\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) expect(html, id).toContain(`for="${id}"`);
    // The scripts never use innerHTML/console and never put the token in a URL.
    for (const name of readdirSync(new URL('../../src/web/assets/', import.meta.url)).filter((n) => n.endsWith('.js'))) {
      const source = readFileSync(new URL(`../../src/web/assets/${name}`, import.meta.url), 'utf8');
      expect(source, name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|console\.|eval\(|localStorage/);
    }
  });
});
