// The what-if service's app, built by a factory (tests drive it over real HTTP on loopback;
// server.ts listens and handles signals): fastify with pino logs, every body validated by its
// schema (unknown fields refused, nothing coerced), answers written with JSON.stringify, the
// OpenAPI 3 document at /openapi.json with interactive docs at /docs, Prometheus metrics, the
// error handler of errors.ts, and one plugin per route group (routes/). No CORS: browsers of
// other origins get no access. Everything the routes share (store, metrics, runner, limits) is
// owned by this app: no module state.

import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { installErrorHandler } from './errors.js';
import type { Limits } from './evaluate.js';
import { Metrics } from './metrics.js';
import { installOpenApi } from './openapi.js';
import { AnalysisRunner } from './runner.js';
import { SHARED } from './schemas.js';
import { PolicyStore } from './store.js';
import { healthRoutes } from './routes/health.js';
import { policyRoutes } from './routes/policies.js';
import { evaluateRoutes } from './routes/evaluate.js';
import { analysisRoutes } from './routes/analyses.js';
import { webPlugin } from '../web/plugin.js';
import { replayRoutes } from './routes/replay.js';

export interface AppOptions {
  /** Bearer token that PUT and DELETE require; none: they are open (the listener is loopback by default). */
  token?: string;
  /** Largest request body, bytes. */
  bodyLimit?: number;
  limits?: Partial<Limits>;
  /** Time an analysis may run, ms (a request may ask for less). */
  analysisTimeoutMs?: number;
  /** Analyses run at once (worker threads). */
  workers?: number;
  logger?: FastifyServerOptions['logger'];
}

export const DEFAULTS = { bodyLimit: 16 * 1024 * 1024, maxBatch: 200_000, maxTrace: 1000, analysisTimeoutMs: 30_000, workers: 2 };

/** What every route group is given. */
export interface Services {
  store: PolicyStore;
  metrics: Metrics;
  runner: AnalysisRunner;
  limits: Limits;
  /** Largest request body, bytes (for the routes that read their bodies themselves). */
  bodyLimit: number;
  analysisTimeoutMs: number;
  token?: string;
  /** False once the server is closing: /readyz says so. */
  ready: () => boolean;
}

export interface App {
  app: FastifyInstance;
  services: Services;
}

export async function buildApp(opts: AppOptions = {}): Promise<App> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? DEFAULTS.bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
    // Shut down promptly: keep-alive connections are closed with the server.
    forceCloseConnections: true,
    return503OnClosing: false,
    // Every request logged (fastify's "incoming request" and "request completed") only at debug or
    // trace: at info, 5,000 requests/s would be 10,000 log lines/s on the hot path.
    logController: new LogController({ disableRequestLogging: !logsRequests(opts.logger) }),
  });
  const metrics = new Metrics();
  let closing = false;
  const services: Services = {
    store: new PolicyStore((n) => metrics.policies.set(n)),
    metrics,
    runner: new AnalysisRunner(opts.workers ?? DEFAULTS.workers),
    limits: { maxBatch: opts.limits?.maxBatch ?? DEFAULTS.maxBatch, maxTrace: opts.limits?.maxTrace ?? DEFAULTS.maxTrace },
    bodyLimit: opts.bodyLimit ?? DEFAULTS.bodyLimit,
    analysisTimeoutMs: opts.analysisTimeoutMs ?? DEFAULTS.analysisTimeoutMs,
    token: opts.token,
    ready: () => !closing,
  };
  app.addHook('preClose', async () => {
    closing = true;
    await services.runner.close();
  });
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observe(req.routeOptions.url ?? 'unmatched', req.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installErrorHandler(app);
  for (const s of SHARED) app.addSchema(s);
  await installOpenApi(app);
  await app.register(healthRoutes, services);
  await app.register(policyRoutes, services);
  await app.register(evaluateRoutes, services);
  await app.register(analysisRoutes, services);
  await app.register(webPlugin);
  await app.register(replayRoutes, services);
  return { app, services };
}

/** Whether the logger's level logs each request: debug or trace. */
function logsRequests(logger: AppOptions['logger']): boolean {
  const level = typeof logger === 'object' && logger !== null && 'level' in logger ? logger.level : undefined;
  return level === 'debug' || level === 'trace';
}
