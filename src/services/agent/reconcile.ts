// One reconcile of one FirewallConfiguration key (`namespace/name`), level-based: it reads the
// resource afresh from the API server and makes the kernel and the status agree with it.
//   gone, or no longer selected   → delete the tables applied for it (owned ones only); drop our finalizer
//   being deleted                 → delete its tables, then remove our finalizer (the API server
//                                   then deletes the resource once every host has removed its own)
//   otherwise                     → add our finalizer; render (an invalid resource: status False,
//                                   InvalidSpec, no retry until it changes); refuse a table another
//                                   selected resource holds (TableConflict); apply atomically and
//                                   verify (the gateway applier, through batch.ts: nothing written
//                                   when in place, rolled back when the kernel does not hold it); delete the
//                                   table a rename left behind; write this host's status entry.
// The outcome says whether to retry with backoff (failures of nft, of the lock or of the API).

import { statusRecords, type ApplyResult, type Intent } from '../../backends/gateway/index.js';
import type { Logger } from '../../backends/gateway/telemetry.js';
import { NftlensError, formatDiagnostic } from '../../model/diagnostics.js';
import { tableId } from '../../model/ruleset.js';
import { KubeError, type FcObject, type KubeClient } from '../kube/client.js';
import { hasFinalizer, withFinalizer, withoutFinalizer } from './finalizer.js';
import { keyOf } from './informer.js';
import { selects, type LabelSet } from './labels.js';
import type { AgentMetrics } from './metrics.js';
import { hostCondition, withHostCondition, type HostCondition } from './status.js';
import type { EventRecorder } from './events.js';
import type { ApplyBatcher } from './batch.js';
import { deleteOwned, renderResource, type KernelTarget, type Serial } from './tables.js';
import { getter, updateWithRetry } from './update.js';

export interface ReconcileDeps {
  kube: KubeClient;
  target: KernelTarget;
  host: string;
  finalizer: string;
  selectors: readonly LabelSet[];
  serial: Serial;
  /** Applies (batched into shared transactions). */
  applier: ApplyBatcher;
  log: Logger;
  metrics: AgentMetrics;
  /** The informer's objects, for the table-conflict check. */
  cached: () => readonly FcObject[];
  /** Kubernetes Events on the resources' transitions (none without). */
  events?: EventRecorder;
}

export type Outcome = 'done' | 'retry';

/** Table ids of a resource, or [] when it cannot be rendered. */
export function tablesOf(o: FcObject): string[] {
  try {
    return renderResource(o).ruleset.tables.map(tableId);
  } catch (e) {
    if (e instanceof NftlensError) return [];
    throw e;
  }
}

export class Reconciler {
  /** key → the table ids last applied for it, and the generation they were applied from. */
  readonly applied = new Map<string, { ids: string[]; generation?: number }>();
  /** key → nft transactions written for it (a converged reconcile writes none). */
  readonly writes = new Map<string, number>();

  /** key → table ids of the resource at a generation (rendering every cached resource on every reconcile is quadratic). */
  private readonly idsMemo = new Map<string, { generation?: number; ids: string[] }>();

  constructor(private readonly d: ReconcileDeps) {}

  private idsOf(o: FcObject): string[] {
    const k = keyOf(o);
    const m = this.idsMemo.get(k);
    if (m && m.generation === o.metadata.generation && o.metadata.generation !== undefined) return m.ids;
    const ids = tablesOf(o);
    this.idsMemo.set(k, { generation: o.metadata.generation, ids });
    return ids;
  }

  async reconcile(key: string): Promise<Outcome> {
    const [namespace = '', name = ''] = key.split('/', 2);
    const get = getter(this.d.kube, namespace, name);
    let obj: FcObject | undefined;
    try {
      obj = await get();
    } catch (e) {
      if (!(e instanceof KubeError) || e.status !== 404) throw e;
    }
    if (!obj || !selects(this.d.selectors, obj.metadata.labels)) {
      // only what this agent applied for it: another gateway's resource may name a table of ours
      const mine = obj !== undefined && hasFinalizer(obj, this.d.finalizer);
      await this.removeTables(key, mine && obj ? this.unclaimed(key, tablesOf(obj)) : []);
      this.idsMemo.delete(key);
      this.d.events?.forget(key);
      if (mine) await this.dropFinalizer(get);
      return 'done';
    }
    if (obj.metadata.deletionTimestamp) {
      if (hasFinalizer(obj, this.d.finalizer)) {
        await this.removeTables(key, this.unclaimed(key, tablesOf(obj)));
        await this.dropFinalizer(get);
        this.d.events?.forget(key);
        this.d.log.info({ resource: key }, 'deleted: tables removed, finalizer released');
      }
      return 'done';
    }
    if (!hasFinalizer(obj, this.d.finalizer)) {
      const r = await updateWithRetry(get, (o) => withFinalizer(o, this.d.finalizer), (o) => this.d.kube.replaceFirewallConfiguration(o));
      if (r.outcome === 'gone' || !r.object) return 'done';
      obj = r.object;
      if (obj.metadata.deletionTimestamp) return this.reconcile(key);
    }

    let intent: Intent;
    try {
      intent = renderResource(obj);
    } catch (e) {
      if (!(e instanceof NftlensError)) throw e;
      const first = e.diagnostics[0];
      this.d.log.warn({ resource: key, error: first && formatDiagnostic(first) }, 'invalid resource: not applied');
      await this.writeStatus(get, { status: 'False', reason: 'InvalidSpec', message: first ? formatDiagnostic(first) : e.message, observedGeneration: obj.metadata.generation });
      return 'done';
    }
    const ids = intent.ruleset.tables.map(tableId);
    const rival = this.d.cached().find((o) => keyOf(o) !== key && !o.metadata.deletionTimestamp && selects(this.d.selectors, o.metadata.labels) && keyOf(o) < key && this.idsOf(o).some((t) => ids.includes(t)));
    if (rival) {
      await this.writeStatus(get, { status: 'False', reason: 'TableConflict', message: `table ${ids.join(', ')} is also the table of ${keyOf(rival)}, applied on this gateway; not applied`, observedGeneration: obj.metadata.generation });
      return 'done';
    }

    let result: ApplyResult;
    try {
      result = await this.d.applier.apply(intent);
    } catch (e) {
      if (!(e instanceof NftlensError)) throw e;
      const first = e.diagnostics[0]!;
      const input = first.code === 'GATEWAY_OWNER' || first.code === 'GATEWAY_RESERVED';
      await this.writeStatus(get, { status: 'False', reason: input ? 'NotOwned' : 'NftError', message: formatDiagnostic(first), observedGeneration: obj.metadata.generation });
      if (!input) await this.d.events?.record(obj, 'NftError', formatDiagnostic(first));
      return input ? 'done' : 'retry';
    }
    let drifted = false;
    if (result.written) {
      this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
      this.d.metrics.applies.inc();
      const before = this.applied.get(key);
      if (before && before.generation === obj.metadata.generation && sameIds(before.ids, ids)) {
        drifted = true;
        for (const t of ids) this.d.metrics.gateway.drift.inc({ table: t });
        this.d.log.warn({ resource: key, tables: ids }, 'the kernel had drifted from the resource: re-applied');
      }
    }
    if (!result.failure) {
      const stale = (this.applied.get(key)?.ids ?? []).filter((t) => !ids.includes(t));
      this.applied.set(key, { ids, generation: obj.metadata.generation });
      if (stale.length) await this.d.serial.run(() => deleteOwned(stale, this.d.target));
      const message = `${ids.join(', ')} applied in one transaction and verified`;
      await this.writeStatus(get, { status: 'True', reason: 'Applied', message, observedGeneration: obj.metadata.generation });
      if (drifted) await this.d.events?.record(obj, 'Drifted', `the kernel had drifted from the resource (${ids.join(', ')}): re-applied and verified`);
      else await this.d.events?.record(obj, 'Applied', `host ${this.d.host}: ${message}`);
      this.d.log.info({ resource: key, written: result.written, generation: obj.metadata.generation }, result.written ? 'applied and verified' : 'in place');
      return 'done';
    }
    const applied = statusRecords(intent, { apply: result }, this.d.host)[0]?.conditions.find((c) => c.type === 'Applied');
    await this.writeStatus(get, { status: 'False', reason: result.failure.reason, message: applied?.message ?? result.failure.message, observedGeneration: obj.metadata.generation });
    if (result.failure.reason === 'NftError') await this.d.events?.record(obj, 'NftError', `host ${this.d.host}: ${applied?.message ?? result.failure.message}`);
    this.d.log.error({ resource: key, reason: result.failure.reason, message: result.failure.message }, 'apply failed');
    return result.failure.reason === 'NftError' ? 'done' : 'retry';
  }

  /**
   * Those of `ids` no other selected resource names: the tables a resource not (or no longer)
   * recorded as applied may own — after a restart, or when it lost a table clash to another one.
   */
  private unclaimed(key: string, ids: string[]): string[] {
    const others = this.d.cached().filter((o) => keyOf(o) !== key && !o.metadata.deletionTimestamp && selects(this.d.selectors, o.metadata.labels));
    return ids.filter((t) => !others.some((o) => this.idsOf(o).includes(t)));
  }

  /** Deletes the tables applied for key (or, if none is recorded, `fallback`). */
  private async removeTables(key: string, fallback: string[]): Promise<void> {
    const ids = this.applied.get(key)?.ids ?? fallback;
    if (ids.length) {
      const gone = await this.d.serial.run(() => deleteOwned(ids, this.d.target));
      if (gone.length) this.d.log.info({ resource: key, tables: gone }, 'tables removed');
    }
    this.applied.delete(key);
  }

  private async dropFinalizer(get: () => Promise<FcObject>): Promise<void> {
    await updateWithRetry(get, (o) => withoutFinalizer(o, this.d.finalizer), (o) => this.d.kube.replaceFirewallConfiguration(o));
  }

  private async writeStatus(get: () => Promise<FcObject>, c: Pick<HostCondition, 'status' | 'reason' | 'message' | 'observedGeneration'>): Promise<void> {
    const next = hostCondition(this.d.host, { ...c, status: c.status, reason: c.reason as never, message: c.message ?? '' }, new Date());
    await updateWithRetry(get, (o) => withHostCondition(o, next), (o) => this.d.kube.replaceFirewallConfigurationStatus(o));
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
