// What the gateway loop tells operators: JSON-line logs (pino, to stderr) and Prometheus metrics
// (prom-client, on a registry of its own, served over HTTP on a loopback address). Metric names
// follow kube-proxy's and felix's shapes with an `nftlens_` prefix:
//   kube-proxy sync_proxy_rules_duration_seconds        → nftlens_sync_rules_duration_seconds{op}
//   kube-proxy sync_proxy_rules_last_timestamp_seconds  → nftlens_sync_rules_last_timestamp_seconds
//   felix int_dataplane_failures                         → nftlens_sync_rules_failures_total{op}
//   kube-proxy sync_proxy_rules_iptables_total{table}    → nftlens_sync_rules_nftables_total{table}
//   felix resync_state                                   → nftlens_in_sync{table}
// plus nftlens_drift_detected_total{table} and nftlens_monitor_events_total{kind}.

import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import ipaddr from 'ipaddr.js';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type { Logger } from 'pino';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A pino logger writing JSON lines to `stream` (stderr in the CLI, so stdout stays data). */
export function createLogger(stream: Writable, level: string = 'info'): Logger {
  return pino({ level, base: { name: 'nftlens' } }, stream);
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly syncDuration = new Histogram({
    name: 'nftlens_sync_rules_duration_seconds',
    help: 'Time to check the owned tables against the intent (op="check") or to re-apply them (op="heal")',
    labelNames: ['op'] as const,
    buckets: [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384],
    registers: [this.registry],
  });
  readonly lastSync = new Gauge({
    name: 'nftlens_sync_rules_last_timestamp_seconds',
    help: 'The last time the kernel was found (or made) in sync with the intent, in seconds since the epoch',
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'nftlens_sync_rules_failures_total',
    help: 'Checks or heals that failed (nft error, listing not importable, verification failed after a heal)',
    labelNames: ['op'] as const,
    registers: [this.registry],
  });
  readonly drift = new Counter({
    name: 'nftlens_drift_detected_total',
    help: 'Checks that found an owned table differing from the intent, by table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly rules = new Gauge({
    name: 'nftlens_sync_rules_nftables_total',
    help: 'Rules of each owned table in the intent',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly inSync = new Gauge({
    name: 'nftlens_in_sync',
    help: '1 when the owned table matched the intent at the last check, 0 otherwise',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'nftlens_monitor_events_total',
    help: 'Ruleset events seen by the monitor: of owned tables (kind="owned", they trigger a check) or ignored',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
}

export interface Listen {
  host: string;
  port: number;
}

/**
 * `HOST:PORT` or `[V6]:PORT`. Only loopback addresses unless `allowRemote`: the endpoint has no
 * authentication, and a gateway's metrics name its tables.
 */
export function parseListen(spec: string, allowRemote = false): Listen {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(spec) ?? /^([^:[\]]+):(\d{1,5})$/.exec(spec);
  if (!m) throw new Error(`expected HOST:PORT or [IPV6]:PORT, got ${JSON.stringify(spec)}`);
  const host = m[1] === 'localhost' ? '127.0.0.1' : m[1]!;
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`port ${port} is out of range`);
  if (!ipaddr.isValid(host)) throw new Error(`${JSON.stringify(host)} is not an IP address`);
  const addr = ipaddr.process(host);
  if (!allowRemote && addr.range() !== 'loopback') {
    throw new Error(`${host} is not a loopback address; the metrics endpoint has no authentication (--metrics-allow-remote to serve it anyway)`);
  }
  return { host, port };
}

export interface MetricsServer {
  /** `http://host:port/metrics`, with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

/** Answers a scrape: the registry's metrics in Prometheus text form. */
export function sendMetrics(registry: Registry, res: ServerResponse): void {
  registry.metrics().then(
    (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
    (e: unknown) => res.writeHead(500).end(String(e)),
  );
}

/** Listens at `at`; resolves once listening, with `http://host:port` as bound, and a close that ends open connections. */
export async function listenOn(server: Server, at: Listen): Promise<{ base: string; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    base: `http://${host}:${bound.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Serves GET /metrics from the registry; resolves once listening. */
export async function serveMetrics(registry: Registry, at: Listen): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    sendMetrics(registry, res);
  });
  const { base, close } = await listenOn(server, at);
  return { url: `${base}/metrics`, close };
}
