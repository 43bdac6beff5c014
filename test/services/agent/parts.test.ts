// The agent's pure parts: the work queue (de-duplication, one run per key, re-run when added in
// flight, retries with growing backoff, shutdown and drain), backoff with jitter, Liqo's label
// sets and selection, the per-host finalizer name, the per-host status entry, and the events recorder.
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/services/agent/backoff.js';
import { finalizerName, withFinalizer, withoutFinalizer } from '../../../src/services/agent/finalizer.js';
import { CATEGORY, commonSelector, gatewaySelectors, parseLabelSet, selects, SUBCATEGORY, UNIQUE } from '../../../src/services/agent/labels.js';
import { WorkQueue } from '../../../src/services/agent/queue.js';
import { hostCondition, withHostCondition } from '../../../src/services/agent/status.js';
import { mergeIntents, resultFor } from '../../../src/services/agent/batch.js';
import type { FcObject, KubeClient } from '../../../src/services/kube/client.js';
import { EventRecorder } from '../../../src/services/agent/events.js';
import { createLogger } from '../../../src/backends/gateway/telemetry.js';
import { Lines } from './support.js';
import type { ApplyResult } from '../../../src/backends/gateway/index.js';

function manualTimers() {
  const pending: { fn: () => void; ms: number }[] = [];
  return {
    pending,
    opts: { setTimer: (fn: () => void, ms: number) => pending.push({ fn, ms }), clearTimer: () => undefined, backoff: { baseMs: 100, maxMs: 1000, jitter: 0, random: () => 0 } },
    fire: () => pending.splice(0).forEach((t) => t.fn()),
  };
}

describe('work queue', () => {
  it('hands a key out once however often it is added, and never to two workers at a time', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.depth).toBe(2);
    expect(await q.get()).toBe('a');
    q.add('a'); // in flight: runs again after done, not concurrently
    expect(await q.get()).toBe('b');
    expect(q.depth).toBe(0);
    q.done('a');
    expect(await q.get()).toBe('a');
    q.done('a');
    q.done('b');
    expect(q.depth).toBe(0);
  });

  it('retries with a backoff that doubles per consecutive failure, up to its cap; forget restarts it', () => {
    const t = manualTimers();
    const q = new WorkQueue(t.opts);
    expect([q.retry('k'), q.retry('k'), q.retry('k'), q.retry('k'), q.retry('k')]).toEqual([100, 200, 400, 800, 1000]);
    q.forget('k');
    expect(q.retry('k')).toBe(100);
    t.fire();
    expect(q.depth).toBe(1);
  });

  it('shutDown wakes waiting workers with undefined; drain waits for the run in flight', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    const q2 = new WorkQueue();
    q2.add('x');
    expect(await q2.get()).toBe('x');
    q2.shutDown();
    let drained = false;
    const d = q2.drain().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    q2.done('x');
    await d;
    expect(drained).toBe(true);
    q2.add('y');
    expect(await q2.get()).toBeUndefined();
  });
});

describe('backoff', () => {
  it('grows exponentially, is capped, and jitter only shortens it within its fraction', () => {
    const b = { baseMs: 200, maxMs: 30_000, jitter: 0.5 };
    expect(backoffDelay(0, { ...b, random: () => 0 })).toBe(200);
    expect(backoffDelay(3, { ...b, random: () => 0 })).toBe(1600);
    expect(backoffDelay(20, { ...b, random: () => 0 })).toBe(30_000);
    expect(backoffDelay(20, { ...b, random: () => 1 })).toBe(15_000);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(4, b);
      expect(d).toBeGreaterThanOrEqual(1600);
      expect(d).toBeLessThanOrEqual(3200);
    }
  });
});

describe("Liqo's gateway label sets", () => {
  it('select as controller-runtime predicates OR-ed: every label of one set', () => {
    const sets = gatewaySelectors('venice');
    expect(selects(sets, { [CATEGORY]: 'gateway', [UNIQUE]: 'venice' })).toBe(true);
    expect(selects(sets, { [CATEGORY]: 'gateway', [UNIQUE]: 'naples' })).toBe(false);
    expect(selects(sets, { [CATEGORY]: 'gateway', [SUBCATEGORY]: 'fabric', other: 'x' })).toBe(true);
    expect(selects(sets, { [CATEGORY]: 'gateway', [SUBCATEGORY]: 'ip-mapping' })).toBe(true);
    expect(selects(sets, { [CATEGORY]: 'fabric', [SUBCATEGORY]: 'fabric' })).toBe(false);
    expect(selects(sets, undefined)).toBe(false);
    expect(selects(gatewaySelectors(), { [CATEGORY]: 'gateway', [UNIQUE]: 'venice' })).toBe(false);
    expect(commonSelector(sets)).toBe(`${CATEGORY}=gateway`);
    expect(commonSelector([{ a: '1' }, { b: '2' }])).toBeUndefined();
  });

  it('parses --selector sets and refuses malformed ones', () => {
    expect(parseLabelSet('a=1,example.com/b=')).toEqual({ a: '1', 'example.com/b': '' });
    for (const bad of ['a', '=1', 'a=b c', 'a=1;rm', `a=${'x'.repeat(64)}`]) expect(() => parseLabelSet(bad)).toThrow(/not a label/);
  });
});

const obj = (extra: Partial<FcObject['metadata']> = {}, status?: FcObject['status']): FcObject => ({
  apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration', metadata: { name: 'x', namespace: 'n', ...extra }, ...(status ? { status } : {}),
});

describe('finalizer', () => {
  it('is one valid qualified name per host, distinct for hosts that sanitise alike', () => {
    expect(finalizerName('gw-1')).toBe('nftlens.io/host-gw-1');
    const names = ['GW-1', 'gw-1/netns', 'gw_1', 'x'.repeat(100), 'x'.repeat(101), 'gw 1;rm -rf', ''].map(finalizerName);
    for (const n of names) expect(n).toMatch(/^nftlens\.io\/host-[a-z0-9]([-a-z0-9_.]{0,56}[a-z0-9])?$/);
    expect(new Set(names).size).toBe(names.length);
  });

  it('is added once, not while deleting, and removed alone', () => {
    const f = finalizerName('gw');
    const added = withFinalizer(obj({ finalizers: ['other'] }), f)!;
    expect(added.metadata.finalizers).toEqual(['other', f]);
    expect(withFinalizer(added, f)).toBeUndefined();
    expect(withFinalizer(obj({ deletionTimestamp: new Date() }), f)).toBeUndefined();
    expect(withoutFinalizer(added, f)!.metadata.finalizers).toEqual(['other']);
    expect(withoutFinalizer(obj(), f)).toBeUndefined();
  });
});

describe('per-host status', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  const later = new Date('2026-12-02T11:00:00Z');
  it("keeps Liqo's shape and other hosts' entries; moves lastTransitionTime only when status changes; writes nothing when nothing changed", () => {
    const other = { host: 'gw-b', type: 'Applied', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' };
    const ok = hostCondition('gw-a', { status: 'True', reason: 'Applied', message: 'm', observedGeneration: 1 }, now);
    const o1 = withHostCondition(obj({}, { conditions: [other] }), ok)!;
    expect(o1.status!.conditions).toEqual([other, { host: 'gw-a', type: 'Applied', status: 'True', reason: 'Applied', message: 'm', observedGeneration: 1, lastTransitionTime: '2026-12-02T10:00:00Z' }]);
    expect(withHostCondition(o1, hostCondition('gw-a', { status: 'True', reason: 'Applied', message: 'm', observedGeneration: 1 }, later))).toBeUndefined();
    const gen2 = withHostCondition(o1, hostCondition('gw-a', { status: 'True', reason: 'Applied', message: 'm', observedGeneration: 2 }, later))!;
    expect(gen2.status!.conditions![1]).toMatchObject({ observedGeneration: 2, lastTransitionTime: '2026-12-02T10:00:00Z' });
    const failed = withHostCondition(gen2, hostCondition('gw-a', { status: 'False', reason: 'NftError', message: 'no', observedGeneration: 2 }, later))!;
    expect(failed.status!.conditions![1]).toMatchObject({ status: 'False', reason: 'NftError', lastTransitionTime: '2026-12-02T11:00:00Z' });
  });

  it("an entry pruned to Liqo's CRD fields is not rewritten for the fields the server drops", () => {
    const pruned = obj({}, { conditions: [{ host: 'gw-a', type: 'Applied', status: 'True', lastTransitionTime: '2026-12-02T10:00:00Z' }] });
    expect(withHostCondition(pruned, hostCondition('gw-a', { status: 'True', reason: 'Applied', message: 'm', observedGeneration: 3 }, later))).toBeUndefined();
    expect(withHostCondition(pruned, hostCondition('gw-a', { status: 'False', reason: 'NftError', message: 'm' }, later))).toBeDefined();
  });
});

describe('batched applies', () => {
  it("give each caller its own tables' part of the result", () => {
    const r: ApplyResult = {
      plan: { changed: true, tables: [{ id: 'ip a', action: 'create', lines: [] }, { id: 'ip b', action: 'unchanged', lines: [] }] },
      written: true, rolledBack: false,
      verify: { inSync: true, tables: [{ id: 'ip a', inSync: true, missing: false, structural: [], semantic: [] }, { id: 'ip b', inSync: true, missing: false, structural: [], semantic: [] }] },
    };
    expect(resultFor(r, ['ip a'])).toMatchObject({ written: true, plan: { changed: true, tables: [{ id: 'ip a' }] } });
    expect(resultFor(r, ['ip b'])).toMatchObject({ written: false, plan: { changed: false }, verify: { inSync: true, tables: [{ id: 'ip b' }] } });
    const m = mergeIntents([
      { ruleset: { tables: [] }, resources: [], tableResource: new Map([['ip a', { name: 'n/a', kind: 'FirewallConfiguration', tables: ['ip a'], origin: {} }]]) },
      { ruleset: { tables: [] }, resources: [], tableResource: new Map([['ip b', { name: 'n/b', kind: 'FirewallConfiguration', tables: ['ip b'], origin: {} }]]) },
    ]);
    expect([...m.tableResource.keys()]).toEqual(['ip a', 'ip b']);
  });
});

describe('events recorder', () => {
  const fcAt = (generation: number): FcObject => ({
    apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration',
    metadata: { name: 'web', namespace: 'tenant', uid: 'u-1', generation, resourceVersion: String(10 + generation) }, spec: {},
  }) as unknown as FcObject;

  it('one event per transition: the same reason at the same generation is not repeated, Drifted always is', async () => {
    const sent: Record<string, any>[] = [];
    const kube = { createEvent: async (b: Record<string, any>) => void sent.push(b) } as unknown as KubeClient;
    const r = new EventRecorder(kube, 'gw-a', createLogger(new Lines()));
    await r.record(fcAt(1), 'Applied', 'ok');
    await r.record(fcAt(1), 'Applied', 'ok'); // an in-place reconcile
    await r.record(fcAt(1), 'Drifted', 'healed');
    await r.record(fcAt(1), 'Drifted', 'healed');
    await r.record(fcAt(1), 'Applied', 'ok'); // after a heal: still applied, no new event
    await r.record(fcAt(2), 'NftError', 'refused');
    await r.record(fcAt(2), 'NftError', 'refused'); // a retry
    await r.record(fcAt(2), 'Applied', 'ok');
    r.forget('tenant/web');
    await r.record(fcAt(2), 'Applied', 'ok'); // recreated
    expect(sent.map((e) => `${e.type} ${e.reason}`)).toEqual(['Normal Applied', 'Warning Drifted', 'Warning Drifted', 'Warning NftError', 'Normal Applied', 'Normal Applied']);
    expect(new Set(sent.map((e) => e.metadata.name)).size).toBe(sent.length);
    expect(sent[0]).toMatchObject({
      apiVersion: 'v1', kind: 'Event', metadata: { namespace: 'tenant' }, reason: 'Applied', message: 'ok', count: 1,
      involvedObject: { apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration', namespace: 'tenant', name: 'web', uid: 'u-1', resourceVersion: '11' },
      source: { component: 'nftlens-agent', host: 'gw-a' },
    });
    expect(sent[0]!.metadata.name).toMatch(/^web\./);
  });

  it('an event the API server refuses is logged, never thrown', async () => {
    const kube = { createEvent: async () => { throw new Error('forbidden'); } } as unknown as KubeClient;
    const lines = new Lines();
    await new EventRecorder(kube, 'gw-a', createLogger(lines)).record(fcAt(1), 'NftError', 'x');
    expect(lines.lines.some((l) => l.msg === 'event not recorded' && l.err === 'forbidden')).toBe(true);
  });
});
