// The web page of `nftlens serve`: a fastify plugin that serves the what-if page (page/: HTML, one
// ES module, CSS — static files, read once at registration) at `/`, and the route the page needs
// beyond the what-if API: GET /v1/policies/{name}/rules, the policy's own rules with the ids its
// evaluation traces carry (./rules.ts). The page itself only calls the API (docs/api.md).

import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import type { Plan } from '../../engine/plan.js';
import { listRules } from './rules.js';

export interface WebOptions {
  /** The compiled plan of a named policy, or undefined when no policy has that name. */
  plan(name: string): Plan | undefined;
}

const PAGE = new URL('./page/', import.meta.url);
const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
};
/** Scripts and styles from this server only: no inline script, nothing fetched from elsewhere. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

export const webPlugin: FastifyPluginAsync<WebOptions> = async (app, opts) => {
  for (const [url, [file, type]] of Object.entries(FILES)) {
    const body = readFileSync(new URL(file, PAGE));
    app.get(url, async (_req, reply) =>
      reply.type(type).header('cache-control', 'no-cache').header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').send(body));
  }
  app.get<{ Params: { name: string } }>('/v1/policies/:name/rules', {
    schema: {
      params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    },
  }, async (req, reply) => {
    const plan = opts.plan(req.params.name);
    if (!plan) return reply.code(404).send({ message: `no policy named ${JSON.stringify(req.params.name)}` });
    return listRules(plan);
  });
};
