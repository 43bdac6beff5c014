// The agent's Prometheus metrics, registered beside the gateway applier's (telemetry.ts) on one
// registry, named as controller-runtime names a controller's:
//   workqueue_depth                          → nftlens_agent_queue_depth
//   controller_runtime_reconcile_total{result} → nftlens_agent_reconcile_total{result}
//   controller_runtime_reconcile_time_seconds  → nftlens_agent_reconcile_duration_seconds
// plus nftlens_agent_applies_total (nft transactions written) and nftlens_agent_generated_writes_total
// (provider-protection resources written by --generate).

import { Counter, Gauge, Histogram } from 'prom-client';
import { GatewayMetrics } from '../../backends/gateway/telemetry.js';

export class AgentMetrics {
  readonly gateway = new GatewayMetrics();
  readonly registry = this.gateway.registry;
  readonly queueDepth: Gauge;
  readonly reconciles = new Counter({
    name: 'nftlens_agent_reconcile_total',
    help: 'Reconciles by result: success, error (retried with backoff) or invalid (the resource cannot be applied as it is)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'nftlens_agent_reconcile_duration_seconds',
    help: 'Time of one reconcile (render, apply, verify, status)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly applies = new Counter({
    name: 'nftlens_agent_applies_total',
    help: 'nft transactions the agent wrote (a reconcile that finds the kernel in place writes none)',
    registers: [this.registry],
  });
  readonly generated = new Counter({
    name: 'nftlens_agent_generated_writes_total',
    help: 'Provider-protection FirewallConfigurations written (created or replaced) by --generate',
    registers: [this.registry],
  });

  constructor(depth: () => number) {
    this.queueDepth = new Gauge({
      name: 'nftlens_agent_queue_depth',
      help: 'Keys waiting in the work queue',
      registers: [this.registry],
      collect() {
        this.set(depth());
      },
    });
  }
}
