// The web page of `nftlens serve`: a fastify plugin that serves the what-if page (page/: HTML, one
// ES module, CSS — static files, read once at registration) at `/`. The page calls only the
// what-if API (docs/api.md); it draws a packet's path on the rules GET /v1/policies/{name} lists.

import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';

const PAGE = new URL('./page/', import.meta.url);
const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
};
/** Scripts and styles from this server only: no inline script, nothing fetched from elsewhere. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

export const webPlugin: FastifyPluginAsync = async (app) => {
  for (const [url, [file, type]] of Object.entries(FILES)) {
    const body = readFileSync(new URL(file, PAGE));
    app.get(url, { schema: { hide: true } }, async (_req, reply) =>
      reply.type(type).header('cache-control', 'no-cache').header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').send(body));
  }
};
