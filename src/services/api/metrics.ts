// Prometheus metrics of the what-if service (prom-client), in a registry the app owns: requests
// and their latency by route, method and status; policies loaded; packets evaluated; plus the
// process's default metrics. Served at /metrics. Each route, method and status's series is looked
// up once (prom-client hashes the labels on every call otherwise).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'nftlens_http_requests_total', help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const, registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'nftlens_http_request_duration_seconds', help: 'Time to answer an HTTP request, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const, registers: [this.registry],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, 30],
  });
  readonly policies = new Gauge({ name: 'nftlens_policies_loaded', help: 'Policies held compiled', registers: [this.registry] });
  readonly packets = new Counter({ name: 'nftlens_packets_evaluated_total', help: 'Packets evaluated', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The request counter's and latency histogram's series of each route, method and status, made once. */
  private readonly series = new Map<string, { count: { inc: () => void }; latency: { observe: (v: number) => void } }>();

  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.series.get(key);
    if (!s) {
      const labels = { route, method, status: String(status) };
      s = { count: this.requests.labels(labels), latency: this.latency.labels(labels) };
      this.series.set(key, s);
    }
    s.count.inc();
    s.latency.observe(seconds);
  }
}
