// The page's static files as the server sends them (without a browser): HTML, one ES module and
// CSS at fixed URLs, with types, a content security policy that allows only this server's own
// script and styles (no inline script), and nothing the page loads from elsewhere.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type Served } from '../api/support.js';

const page = (f: string) => readFileSync(new URL(`../../../src/services/web/page/${f}`, import.meta.url), 'utf8');

describe('the web plugin', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve();
  });
  afterAll(async () => {
    await s?.close();
  });

  it.each([
    ['/', 'index.html', 'text/html'],
    ['/app.js', 'app.js', 'text/javascript'],
    ['/app.css', 'app.css', 'text/css'],
  ])('serves %s: %s as %s, under a strict content security policy', async (url, file, type) => {
    const r = await s.req(url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(`${type}; charset=utf-8`);
    expect(r.text).toBe(page(file));
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self';/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('loads nothing from elsewhere, and has no inline script or style', () => {
    const html = page('index.html');
    expect([...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1])).toEqual(['data:,', 'app.css', 'app.js']);
    expect(html).not.toMatch(/<script>|<style|style="|\son[a-z]+=/i);
    expect(page('app.js')).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });

  it('keeps the API routes and their 404s: an unknown file is the API\'s NOT_FOUND', async () => {
    const r = await s.req('/app.jsx');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await s.req('/v1/policies')).status).toBe(200);
  });
});
