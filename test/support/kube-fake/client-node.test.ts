// The fake API server driven by @kubernetes/client-node, the client the agent uses: informers
// (list + watch, then relist after an API server restart and a 410 Gone), bookmarks, watch
// timeouts, 409 Conflict, the status subresource, consistent paging and strategic merge on pods.
import { readFileSync } from 'node:fs';
import { CoreV1Api, CustomObjectsApi, KubeConfig, makeInformer, PatchStrategy, setHeaderOptions, Watch, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startKubeFake, type KubeFake, type Obj } from './index.js';

const G = { group: 'networking.liqo.io', version: 'v1beta1', plural: 'firewallconfigurations' };
const crd = parse(readFileSync('deploy/crds/networking.liqo.io_firewallconfigurations.yaml', 'utf8'));

function fw(name: string, namespace = 'liqo', policy = 'accept'): Obj {
  return {
    apiVersion: 'networking.liqo.io/v1beta1',
    kind: 'FirewallConfiguration',
    metadata: { name, namespace, labels: { 'networking.liqo.io/firewall-category': 'gateway' } },
    spec: { table: { name, family: 'IPV4', chains: [{ name: 'fwd', type: 'filter', hook: 'forward', policy, priority: 0, rules: { filterRules: [] } }] } },
  };
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('@kubernetes/client-node against the fake API server', () => {
  let api: KubeFake;
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  beforeAll(async () => {
    api = await startKubeFake({ bookmarkIntervalMs: 100 });
    kc = new KubeConfig();
    kc.loadFromString(api.kubeconfig());
    custom = kc.makeApiClient(CustomObjectsApi);
    await api.seed(crd, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'liqo' } });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('an informer lists, watches, and after a restart and a 410 relists to the exact current state', async () => {
    await api.seed(fw('a'), fw('b'), fw('c'));
    const list = () => custom.listNamespacedCustomObject({ ...G, namespace: 'liqo' });
    const informer = makeInformer<KubernetesObject>(kc, '/apis/networking.liqo.io/v1beta1/namespaces/liqo/firewallconfigurations', list);
    const seen: string[] = [];
    let errors = 0;
    informer.on('add', (o) => seen.push(`add ${o.metadata!.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata!.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata!.name}`));
    informer.on('error', () => {
      errors++;
      setTimeout(() => void informer.start(), 300);
    });
    await informer.start();
    try {
      expect(seen).toEqual(['add a', 'add b', 'add c']);
      await custom.createNamespacedCustomObject({ ...G, namespace: 'liqo', body: fw('d') });
      await custom.patchNamespacedCustomObject({ ...G, namespace: 'liqo', name: 'a', body: { spec: { table: { name: 'a2' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await custom.deleteNamespacedCustomObject({ ...G, namespace: 'liqo', name: 'b' });
      await waitFor(() => seen.length === 6);
      expect(seen.slice(3)).toEqual(['add d', 'update a', 'delete b']);

      const listsBefore = api.audit.filter((a) => a.verb === 'list').length;
      await api.restart(); // the watch is cut; the informer reconnects 300 ms later from its old resourceVersion
      const t = api.rest.types.find(G.group, G.version, G.plural)!;
      await api.rest.delete(t, 'liqo', 'c', {}, { dryRun: false, user: 'admin' });
      await api.seed(fw('e'));
      api.compact();
      await waitFor(() => seen.includes('delete c') && seen.includes('add e'));
      expect(errors).toBe(1);
      const watches = api.audit.filter((a) => a.verb === 'watch');
      expect(watches.length).toBeGreaterThanOrEqual(2);
      expect(api.audit.filter((a) => a.verb === 'list').length).toBe(listsBefore + 1); // relisted after the 410
      const cached = informer.list().map((o) => o.metadata!.name).sort();
      expect(cached).toEqual(api.objects(G.group, G.plural).map((o) => o.metadata.name).sort());
      expect(cached).toEqual(['a', 'd', 'e']);
    } finally {
      await informer.stop();
    }
  });

  it('a watch with allowWatchBookmarks gets BOOKMARKs carrying the current resourceVersion, and timeoutSeconds ends it', async () => {
    const events: { type: string; rv: string }[] = [];
    const started = Date.now();
    let ended = 0;
    await new Watch(kc).watch(
      '/apis/networking.liqo.io/v1beta1/namespaces/liqo/firewallconfigurations',
      { allowWatchBookmarks: true, timeoutSeconds: 1, resourceVersion: String(api.store.resourceVersion) },
      (type, obj) => events.push({ type, rv: obj.metadata.resourceVersion }),
      () => (ended = Date.now()),
    );
    await waitFor(() => ended > 0, 5000);
    expect(ended - started).toBeGreaterThanOrEqual(900);
    expect(ended - started).toBeLessThan(3000);
    expect(events.filter((e) => e.type === 'BOOKMARK').length).toBeGreaterThanOrEqual(3);
    expect(events.every((e) => e.rv === String(api.store.resourceVersion))).toBe(true);
  });

  it('a watch from a compacted resourceVersion gets an ERROR event with a 410 Expired Status', async () => {
    const old = api.store.resourceVersion;
    await api.seed(fw('f'));
    api.compact();
    const events: { type: string; obj: Obj }[] = [];
    let done = false;
    await new Watch(kc).watch('/apis/networking.liqo.io/v1beta1/namespaces/liqo/firewallconfigurations', { resourceVersion: String(old) }, (type, obj) => events.push({ type, obj }), () => (done = true));
    await waitFor(() => done);
    expect(events).toHaveLength(1);
    expect(events[0].type).toBe('ERROR');
    expect(events[0].obj).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('replace with a stale resourceVersion is 409 Conflict; the status subresource changes status only', async () => {
    const o = await custom.getNamespacedCustomObject({ ...G, namespace: 'liqo', name: 'd' });
    await custom.replaceNamespacedCustomObject({ ...G, namespace: 'liqo', name: 'd', body: { ...o, spec: { table: { ...o.spec.table, name: 'd2' } } } });
    const err = await custom.replaceNamespacedCustomObject({ ...G, namespace: 'liqo', name: 'd', body: o }).catch((e) => e);
    expect(err.code).toBe(409);
    expect(JSON.parse(err.body)).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });

    const cur = await custom.getNamespacedCustomObject({ ...G, namespace: 'liqo', name: 'd' });
    expect(cur.metadata.generation).toBe(2);
    const st = await custom.replaceNamespacedCustomObjectStatus({
      ...G,
      namespace: 'liqo',
      name: 'd',
      body: { ...cur, spec: { table: { name: 'ignored', family: 'IPV6' } }, status: { conditions: [{ host: 'gw', type: 'Applied', status: 'True' }] } },
    });
    expect(st.spec.table.name).toBe('d2');
    expect(st.status.conditions[0].host).toBe('gw');
    expect(st.metadata.generation).toBe(2);
    const main = await custom.replaceNamespacedCustomObject({ ...G, namespace: 'liqo', name: 'd', body: { ...st, status: { conditions: [] } } });
    expect(main.status.conditions).toHaveLength(1);
    expect(main.metadata.resourceVersion).toBe(st.metadata.resourceVersion); // nothing changed: no write
  });

  it('paging is a consistent snapshot; a continue token outlived by compaction is 410', async () => {
    for (const n of ['p1', 'p2', 'p3', 'p4']) await api.seed(fw(n));
    const first = await custom.listNamespacedCustomObject({ ...G, namespace: 'liqo', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata.remainingItemCount).toBeGreaterThan(0);
    await api.seed(fw('pz'));
    const t = api.rest.types.find(G.group, G.version, G.plural)!;
    const last = await custom.listNamespacedCustomObject({ ...G, namespace: 'liqo', limit: 100, _continue: first.metadata.continue });
    const names = [...first.items, ...last.items].map((o: Obj) => o.metadata.name);
    expect(names).not.toContain('pz');
    expect(names).toEqual(api.store.listAt('networking.liqo.io/firewallconfigurations', Number(first.metadata.resourceVersion)).map((o) => o.metadata.name));
    expect(t.kind).toBe('FirewallConfiguration');
    api.compact();
    const err = await custom.listNamespacedCustomObject({ ...G, namespace: 'liqo', limit: 1, _continue: first.metadata.continue }).catch((e) => e);
    expect(err.code).toBe(410);
    const tooNew = await custom.listNamespacedCustomObject({ ...G, namespace: 'liqo', resourceVersion: String(api.store.resourceVersion + 100) }).catch((e) => e);
    expect(tooNew.code).toBe(504);
  });

  it('strategic merge patches a pod by merge keys (containers by name); custom resources refuse it (415)', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: 'liqo',
      body: { metadata: { name: 'gw', labels: { app: 'gw' } }, spec: { nodeName: 'n1', containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } },
    });
    const patched = await core.patchNamespacedPod(
      { namespace: 'liqo', name: 'gw', body: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec!.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['a=a:1', 'b=b:2']);
    expect(patched.status!.phase).toBe('Pending');
    const byNode = await core.listNamespacedPod({ namespace: 'liqo', fieldSelector: 'spec.nodeName=n1' });
    expect(byNode.items.map((p) => p.metadata!.name)).toEqual(['gw']);
    const err = await custom
      .patchNamespacedCustomObject({ ...G, namespace: 'liqo', name: 'a', body: { spec: {} } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch))
      .catch((e) => e);
    expect(err.code).toBe(415);
    const missingNs = await custom.createNamespacedCustomObject({ ...G, namespace: 'nowhere', body: fw('x', 'nowhere') }).catch((e) => e);
    expect(missingNs.code).toBe(404);
  });
});
