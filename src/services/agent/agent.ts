// `nftlens agent`: the gateway's FirewallConfiguration controller. Wiring, in data-flow order:
//   informer (informer.ts: list + watch, resume, relist on 410, backoff) → events filtered to those
//   that change what a reconcile does (generation, labels, deletion) → work queue (queue.ts:
//   de-duplicated by key, one run per key at a time, retries with backoff) → workers → reconcile
//   (reconcile.ts: finalizer, render, apply + verify, status). After the first full list, owned
//   tables that no listed resource names are deleted, then the agent is ready. A timer re-queues
//   every key (re-verify: the applier writes nothing when the kernel is in place, heals when not).
//   With --generate, another timer keeps the provider-protection resource current (generate/write.ts).
// stop() ends the informer and timers, lets the reconciles in flight finish, closes the endpoints.

import type { KubeConfig } from '@kubernetes/client-node';
import type { Listen, Logger } from '../../backends/gateway/telemetry.js';
import { NftlensError, formatDiagnostic } from '../../model/diagnostics.js';
import type { FcObject, KubeClient } from '../kube/client.js';
import type { PolicyOptions } from '../generate/policy.js';
import { generateInCluster } from '../generate/write.js';
import type { Backoff } from './backoff.js';
import { ApplyBatcher } from './batch.js';
import { finalizerName } from './finalizer.js';
import { FcInformer, keyOf } from './informer.js';
import { commonSelector, selects, type LabelSet } from './labels.js';
import { AgentMetrics } from './metrics.js';
import { EventRecorder } from './events.js';
import { Reconciler, tablesOf } from './reconcile.js';
import { serveAgent, type AgentServer } from './server.js';
import { deleteOwned, ownedTables, Serial } from './tables.js';
import { WorkQueue } from './queue.js';
import { splitId } from '../../backends/gateway/index.js';

export interface AgentOptions {
  config: KubeConfig;
  kube: KubeClient;
  netns?: string;
  owner: string;
  host: string;
  selectors: LabelSet[];
  workers?: number;
  /** Re-verify every resource this often. */
  resyncMs: number;
  listen?: Listen;
  log: Logger;
  generate?: { intervalMs: number; policy: PolicyOptions };
  backoff?: Backoff;
  lockTimeoutMs?: number;
}

export class Agent {
  readonly queue: WorkQueue;
  readonly metrics: AgentMetrics;
  readonly informer: FcInformer;
  readonly reconciler: Reconciler;
  readonly applier: ApplyBatcher;
  private readonly serial = new Serial();
  private readonly seen = new Map<string, string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private workers: Promise<void>[] = [];
  private server?: AgentServer;
  private generating = false;
  /** Generation runs finished (--generate), whatever their outcome. */
  generations = 0;
  ready = false;
  /** Owned tables deleted at start because no resource names them. */
  orphansRemoved: string[] = [];

  constructor(private readonly o: AgentOptions) {
    this.queue = new WorkQueue({ backoff: o.backoff });
    this.metrics = new AgentMetrics(() => this.queue.depth);
    this.informer = new FcInformer(o.config, o.kube, {
      labelSelector: commonSelector(o.selectors),
      backoff: o.backoff,
      onEvent: (kind, obj) => this.onEvent(kind, obj),
      onError: (e, ms) => o.log.warn({ error: (e as Error)?.message ?? String(e), retryInMs: ms }, 'informer: list/watch failed; retrying'),
      onList: (n) => o.log.info({ resources: n }, 'informer: listed'),
    });
    this.reconciler = new Reconciler({
      kube: o.kube, target: { netns: o.netns, owner: o.owner }, host: o.host, finalizer: finalizerName(o.host),
      selectors: o.selectors, serial: this.serial, log: o.log, metrics: this.metrics,
      applier: this.applier = new ApplyBatcher({ netns: o.netns, owner: o.owner, host: o.host, lockTimeoutMs: o.lockTimeoutMs }, this.serial),
      cached: () => this.informer.list(),
      events: new EventRecorder(o.kube, o.host, o.log),
    });
  }

  /** Events that change what a reconcile would do: generation, labels, deletion (not status, not finalizers). */
  private onEvent(kind: string, obj: FcObject): void {
    const key = keyOf(obj);
    if (kind === 'delete') {
      this.seen.delete(key);
      this.queue.add(key);
      return;
    }
    const m = obj.metadata;
    const print = `${m.generation ?? ''}|${m.deletionTimestamp ? 1 : 0}|${JSON.stringify(Object.entries(m.labels ?? {}).sort())}`;
    if (this.seen.get(key) === print) return;
    this.seen.set(key, print);
    this.queue.add(key);
  }

  async start(): Promise<void> {
    const { log } = this.o;
    if (this.o.listen) {
      this.server = await serveAgent(this.o.listen, this.metrics.registry, () => this.ready);
      log.info({ url: this.server.url }, 'serving /healthz, /readyz, /metrics');
    }
    for (let i = 0; i < (this.o.workers ?? 16); i++) this.workers.push(this.work());
    void this.informer.start();
    await this.informer.synced;
    await this.removeOrphans();
    this.ready = true;
    log.info({ owner: this.o.owner, host: this.o.host, netns: this.o.netns }, 'synced: ready');
    this.timers.push(setInterval(() => this.resync(), this.o.resyncMs));
    if (this.o.generate) {
      void this.generate();
      this.timers.push(setInterval(() => void this.generate(), this.o.generate.intervalMs));
    }
  }

  /** Re-queues every selected resource and every applied key. */
  resync(): void {
    const keys = new Set(this.reconciler.applied.keys());
    for (const obj of this.informer.list()) if (selects(this.o.selectors, obj.metadata.labels)) keys.add(keyOf(obj));
    for (const k of keys) this.queue.add(k);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const end = this.metrics.duration.startTimer();
      let outcome: 'done' | 'retry';
      try {
        outcome = await this.reconciler.reconcile(key);
      } catch (e) {
        const message = e instanceof NftlensError ? e.diagnostics.map(formatDiagnostic).join('; ') : (e as Error)?.message ?? String(e);
        this.o.log.error({ resource: key, error: message }, 'reconcile failed');
        outcome = 'retry';
      }
      end();
      this.metrics.reconciles.inc({ result: outcome === 'retry' ? 'error' : 'success' });
      if (outcome === 'retry') {
        const ms = this.queue.retry(key);
        this.o.log.info({ resource: key, retryInMs: ms }, 'will retry');
      } else this.queue.forget(key);
      this.queue.done(key);
    }
  }

  /** After the first full list: owned tables that no listed resource (or applied key) names. */
  private async removeOrphans(): Promise<void> {
    await this.serial.run(async () => {
      const wanted = new Set<string>();
      const names = new Set<string>();
      for (const obj of this.informer.list()) {
        if (!selects(this.o.selectors, obj.metadata.labels)) continue;
        const ids = tablesOf(obj);
        for (const id of ids) wanted.add(id);
        // a resource that cannot be rendered now may own a table from an earlier generation: keep its name
        const spec = (obj.spec ?? {}) as { table?: { name?: unknown } };
        if (ids.length === 0 && typeof spec.table?.name === 'string') names.add(spec.table.name);
      }
      for (const a of this.reconciler.applied.values()) for (const id of a.ids) wanted.add(id);
      const orphans = (await ownedTables({ netns: this.o.netns, owner: this.o.owner })).filter((id) => !wanted.has(id) && !names.has(splitId(id).name));
      this.orphansRemoved = await deleteOwned(orphans, { netns: this.o.netns, owner: this.o.owner });
      if (this.orphansRemoved.length) this.o.log.info({ tables: this.orphansRemoved }, 'removed owned tables that no resource names');
    });
  }

  private async generate(): Promise<void> {
    if (this.generating || !this.o.generate) return;
    this.generating = true;
    try {
      const r = await generateInCluster(this.o.kube, this.o.generate.policy);
      if (r.action !== 'unchanged') this.metrics.generated.inc();
      this.o.log.info({ action: r.action, consumers: r.generated.state.consumers.map((c) => c.clusterId) }, 'provider protection generated and proved');
    } catch (e) {
      const message = e instanceof NftlensError ? e.diagnostics.map(formatDiagnostic).join('; ') : (e as Error)?.message ?? String(e);
      this.o.log.error({ error: message }, 'provider protection not generated; the resource in place is kept');
    } finally {
      this.generating = false;
      this.generations++;
    }
  }

  /** Graceful stop: no new work; the reconciles in flight finish. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.informer.stop();
    this.queue.shutDown();
    await this.queue.drain();
    await Promise.all(this.workers);
    await this.server?.close();
    this.o.log.info('stopped');
  }
}
