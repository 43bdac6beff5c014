// The webhook's servers. HTTPS (the API server calls it): POST /validate and POST /mutate take an
// AdmissionReview v1 and answer one with the request's uid; the certificate and key files are
// re-read when they change (a renewed Secret), without a restart. Plain HTTP on a loopback port:
// /healthz, /readyz (once the HTTPS server listens with a certificate) and /metrics (prom-client).
// Every answer is logged (pino). Anything that goes wrong while deciding denies: it fails closed.
import { watchFile, unwatchFile, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';
import { DecisionRunner } from './budget.js';
import { nameNamelessRules, type AdmissionInput, type Obj, type Verdict } from './decide.js';
import type { WebhookPolicy } from './policy.js';

export interface Listen {
  host: string;
  port: number;
}

export interface WebhookOptions {
  certFile: string;
  keyFile: string;
  listen: Listen;
  health: Listen;
  policy: WebhookPolicy;
  /** The FirewallConfigurations the cluster holds now (from the API server, or a file). */
  others: () => Promise<Obj[]>;
  log: Logger;
  /** How often the certificate files are checked for a change. */
  certPollMs?: number;
}

export interface Webhook {
  url: string;
  healthUrl: string;
  close(): Promise<void>;
}

/** The paths the API server posts AdmissionReviews to (deploy/webhook/webhookconfigurations.yaml names them). */
export const WEBHOOK_PATHS = { validate: '/validate', mutate: '/mutate' } as const;

const MAX_BODY = 8 * 1024 * 1024;

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error(`the request body is over ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(new Error(`the request body is not JSON: ${(e as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

function listen(server: HttpServer | HttpsServer, at: Listen): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve(`${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    });
  });
}

export async function startWebhook(opts: WebhookOptions): Promise<Webhook> {
  const { log, policy } = opts;
  const registry = new Registry();
  const reviews = new Counter({ name: 'nftlens_webhook_reviews_total', help: 'AdmissionReviews answered, by path and result', labelNames: ['path', 'result'], registers: [registry] });
  const seconds = new Histogram({ name: 'nftlens_webhook_review_duration_seconds', help: 'Time to answer an AdmissionReview', labelNames: ['path'], registers: [registry] });
  const reloads = new Counter({ name: 'nftlens_webhook_certificate_reloads_total', help: 'Times the serving certificate was re-read', registers: [registry] });
  const runner = new DecisionRunner(policy);
  await runner.warm();

  const readPair = () => ({ cert: readFileSync(opts.certFile), key: readFileSync(opts.keyFile) });
  const https = createHttpsServer(readPair(), (req, res) => void serve(req, res));
  const reload = () => {
    try {
      https.setSecureContext(readPair());
      reloads.inc();
      log.info({ cert: opts.certFile }, 'serving certificate reloaded');
    } catch (e) {
      log.error({ err: (e as Error).message }, 'serving certificate not reloaded; the previous one stays');
    }
  };
  for (const f of [opts.certFile, opts.keyFile]) watchFile(f, { interval: opts.certPollMs ?? 1000, persistent: false }, (cur, prev) => cur.mtimeMs !== prev.mtimeMs && reload());

  async function answer(path: string, review: Obj): Promise<Obj> {
    const request = review.request;
    if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview' || typeof request?.uid !== 'string') {
      throw new Error('expected an admission.k8s.io/v1 AdmissionReview with a request and its uid');
    }
    const response: Obj = { uid: request.uid, allowed: true };
    if (path === WEBHOOK_PATHS.mutate) {
      const ops = request.operation === 'CREATE' || request.operation === 'UPDATE' ? nameNamelessRules(request.object) : [];
      if (ops.length) Object.assign(response, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });
      return response;
    }
    let verdict: Verdict;
    try {
      const input: AdmissionInput = { operation: request.operation, object: request.object, oldObject: request.oldObject ?? undefined, others: await opts.others() };
      verdict = await runner.decide(input);
    } catch (e) {
      verdict = { allowed: false, denials: [`nftlens could not decide, so it denies (fails closed): ${(e as Error).message}`], warnings: [] };
    }
    response.allowed = verdict.allowed;
    if (verdict.warnings.length) response.warnings = verdict.warnings;
    if (!verdict.allowed) response.status = { code: 403, reason: 'Forbidden', message: verdict.denials.join('; ') };
    return response;
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!;
    const end = seconds.startTimer({ path });
    if (req.method !== 'POST' || (path !== WEBHOOK_PATHS.validate && path !== WEBHOOK_PATHS.mutate)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('POST /validate or /mutate\n');
      return;
    }
    let review: Obj;
    try {
      review = (await readJson(req)) as Obj;
      const response = await answer(path, review);
      reviews.inc({ path, result: response.allowed ? 'allowed' : 'denied' });
      log.info({ path, uid: response.uid, kind: review.request?.kind?.kind, namespace: review.request?.namespace, name: review.request?.name, operation: review.request?.operation, allowed: response.allowed, warnings: response.warnings?.length ?? 0, reason: response.status?.message }, 'admission review');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    } catch (e) {
      reviews.inc({ path, result: 'bad-request' });
      log.warn({ path, err: (e as Error).message }, 'bad admission request');
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`${(e as Error).message}\n`);
    } finally {
      end();
    }
  }

  let ready = false;
  const health = createHttpServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz') res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    else if (path === '/readyz') res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ready ? 'ok\n' : 'not ready\n');
    else if (path === '/metrics') registry.metrics().then((body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body), (e: unknown) => res.writeHead(500).end(String(e)));
    else res.writeHead(404).end();
  });
  const healthAt = await listen(health, opts.health);
  const at = await listen(https, opts.listen);
  ready = true;
  log.info({ url: `https://${at}`, health: `http://${healthAt}` }, 'webhook serving');
  return {
    url: `https://${at}`,
    healthUrl: `http://${healthAt}`,
    async close() {
      ready = false;
      for (const f of [opts.certFile, opts.keyFile]) unwatchFile(f);
      await runner.close();
      await Promise.all(
        [https, health].map((s) => new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        })),
      );
    },
  };
}
