// Liveness, readiness and metrics: /healthz answers while the process runs (also while analyses
// run: they are in worker threads), /readyz once the policies are loaded and until shutdown
// begins, /metrics in Prometheus's text format.

import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../app.js';
import { obj, str, int } from '../schemas.js';

export const healthRoutes: FastifyPluginAsync<Services> = async (app, s) => {
  const hidden = { tags: ['operations'] };
  app.get('/healthz', { schema: { ...hidden, summary: 'the process is alive', response: { 200: obj({ status: str }, ['status']) } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', {
    schema: { ...hidden, summary: 'policies are loaded and the server is not shutting down', response: { 200: obj({ status: str, policies: int }, ['status', 'policies']), 503: obj({ status: str, policies: int }) } },
  }, async (_req, reply) => {
    const ready = s.ready();
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'closing', policies: s.store.size });
  });
  app.get('/metrics', { schema: { ...hidden, summary: 'Prometheus metrics', produces: ['text/plain'], response: { 200: { type: 'string' } } } }, async (_req, reply) => {
    return reply.type(s.metrics.registry.contentType).send(await s.metrics.registry.metrics());
  });
};
