// The agent end to end: a wire-level API server fake (test/support/kube-fake) with Liqo's CRD,
// the real @kubernetes/client-node, and the real kernel in a throwaway network namespace.
// create → table applied, verified, finalizer and status (observedGeneration) written; edit a
// middle rule → order kept; drift → healed by the periodic re-verify; Events (Applied, Drifted)
// as the real kubectl lists them; delete → table gone and
// finalizer released; restart of the API server and 410 Gone → nothing lost, nothing applied
// twice; an invalid resource and a table clash → status False, nothing applied; owned tables of
// no resource → removed at start (only after the first full list). And with Liqo's CRD alone (no
// status patch): the same, in Liqo's status shape, without rewriting the pruned fields.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, verify } from '../../../src/backends/gateway/index.js';
import { renderResource } from '../../../src/services/agent/tables.js';
import { finalizerName } from '../../../src/services/agent/finalizer.js';
import type { Agent } from '../../../src/services/agent/agent.js';
import type { KubeClient } from '../../../src/services/kube/client.js';
import type { KubeFake } from '../../support/kube-fake/index.js';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { listing, tableNames } from '../../backends/gateway/support.js';
import { kubectl } from '../../support/kubectl.js';
import { fakeCluster, fcObject, HOST, hostEntry, makeAgent, OWNER, waitFor, type Lines } from './support.js';

const rules3 = (mid: string) => [
  { name: 'first', action: 'accept', dst: '10.42.1.1' },
  { name: 'middle', action: 'accept', dst: mid },
  { name: 'last', action: 'drop', dst: '10.42.1.3' },
];

function ruleComments(list: string): string[] {
  const doc = JSON.parse(list) as { nftables: { rule?: { chain: string; comment?: string } }[] };
  return doc.nftables.filter((o) => o.rule && o.rule.chain === 'gate').map((o) => o.rule!.comment ?? '');
}

describe.skipIf(noKernel)('agent (API server fake, kernel)', () => {
  const ns = suiteNetns('kagent');
  let api: KubeFake;
  let kube: KubeClient;
  let agent: Agent;
  let logs: Lines;
  let cluster: Awaited<ReturnType<typeof fakeCluster>>;

  beforeAll(async () => {
    cluster = await fakeCluster();
    ({ api, kube } = cluster);
    ({ agent, logs } = makeAgent(cluster, ns.name, { resyncMs: 400 }));
    await agent.start();
  });
  afterAll(async () => {
    await agent?.stop();
    await api?.close();
  });

  it('create: the table is applied and verified, with finalizer and Liqo-shaped status (observedGeneration)', async () => {
    const obj = fcObject('web', 'kg-web', rules3('10.42.1.2'));
    await kube.createFirewallConfiguration(obj);
    const entry = await hostEntry(kube, 'web', 1);
    expect(entry).toMatchObject({ host: HOST, type: 'Applied', status: 'True', reason: 'Applied', observedGeneration: 1 });
    expect(typeof entry.lastTransitionTime).toBe('string');
    expect(await tableNames(ns)).toContain('ip kg-web');
    const stored = await kube.getFirewallConfiguration('tenant', 'web');
    expect(stored.metadata.finalizers).toEqual([finalizerName(HOST)]);
    const v = await verify(renderResource(stored), { netns: ns.name, owner: OWNER });
    expect(v.inSync).toBe(true);
    expect(agent.reconciler.writes.get('tenant/web')).toBe(1);
  });

  it('edit a middle rule: re-applied once, rule order kept, status at generation 2', async () => {
    const o = await kube.getFirewallConfiguration('tenant', 'web');
    const edited = fcObject('web', 'kg-web', rules3('10.42.9.9'));
    await kube.replaceFirewallConfiguration({ ...o, spec: edited.spec });
    await hostEntry(kube, 'web', 2);
    const list = (await listing(ns, 'ip', 'kg-web'))!;
    expect(ruleComments(list)).toEqual(['first', 'middle', 'last']);
    expect(list).toContain('10.42.9.9');
    expect(list).not.toContain('10.42.1.2');
    expect(agent.reconciler.writes.get('tenant/web')).toBe(2);
  });

  it('drift (a flushed chain) is healed by the periodic re-verify', async () => {
    await ns.nft(['flush', 'chain', 'ip', 'kg-web', 'gate']);
    expect(ruleComments((await listing(ns, 'ip', 'kg-web'))!)).toEqual([]);
    await waitFor('the chain healed', async () => ruleComments((await listing(ns, 'ip', 'kg-web'))!).length === 3);
    // the transaction is in the kernel before the applier has read it back and verified it
    await waitFor('the heal counted', () => agent.reconciler.writes.get('tenant/web') === 3);
    expect(logs.lines.some((l) => l.msg === 'the kernel had drifted from the resource: re-applied')).toBe(true);
    const metrics = await agent.metrics.registry.getSingleMetricAsString('nftlens_drift_detected_total');
    expect(metrics).toMatch(/table="ip kg-web"} [1-9]/);
  });

  it('events: Applied once per generation, Drifted on the heal — as the real kubectl lists them', async () => {
    const config = api.writeKubeconfig();
    const get = await waitFor('the Drifted event', async () => {
      const r = await kubectl(config, ['get', 'events', '-n', 'tenant', '-o', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const items = (JSON.parse(r.stdout) as { items: Record<string, any>[] }).items.filter((e) => e.involvedObject?.name === 'web');
      return items.some((e) => e.reason === 'Drifted') ? items : undefined;
    });
    expect(get.map((e) => e.reason)).toEqual(['Applied', 'Applied', 'Drifted']);
    for (const e of get) {
      expect(e.involvedObject).toMatchObject({ apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration', namespace: 'tenant', name: 'web' });
      expect(e.type).toBe(e.reason === 'Drifted' ? 'Warning' : 'Normal');
      expect(e.source).toEqual({ component: 'nftlens-agent', host: HOST });
    }
    expect(get[0]!.message).toContain('ip kg-web applied in one transaction and verified');
    const table = await kubectl(config, ['get', 'events', '-n', 'tenant']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/Warning\s+Drifted\s+web\s+the kernel had drifted/);
    expect(table.stdout).toMatch(/Normal\s+Applied\s+web\s+host gw-test: ip kg-web applied/);
  });

  it('an invalid resource and a clashing table get status False and are not applied', async () => {
    const bad = fcObject('bad', 'kg-bad', [{ name: 'dup', action: 'accept', dst: '10.1.1.1' }, { name: 'dup', action: 'accept', dst: '10.1.1.2' }]);
    await kube.createFirewallConfiguration(bad);
    expect(await hostEntry(kube, 'bad', 1)).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    const clash = fcObject('web-copy', 'kg-web', rules3('10.42.7.7'));
    await kube.createFirewallConfiguration(clash);
    const e = await hostEntry(kube, 'web-copy', 1);
    expect(e).toMatchObject({ status: 'False', reason: 'TableConflict' });
    expect(String(e.message)).toContain('tenant/web');
    expect(await tableNames(ns)).not.toContain('ip kg-bad');
    expect(await listing(ns, 'ip', 'kg-web')).not.toContain('10.42.7.7');
    // the loser of the clash, deleted, takes nothing of the winner's table with it
    const webWrites = agent.reconciler.writes.get('tenant/web');
    await kube.custom.deleteNamespacedCustomObject({ group: 'networking.liqo.io', version: 'v1beta1', plural: 'firewallconfigurations', namespace: 'tenant', name: 'web-copy' });
    await waitFor('web-copy gone', async () => !api.objects('networking.liqo.io', 'firewallconfigurations').some((o) => o.metadata?.name === 'web-copy'));
    expect(await listing(ns, 'ip', 'kg-web')).toContain('10.42.9.9');
    expect(agent.reconciler.writes.get('tenant/web')).toBe(webWrites);
  });

  it("a resource of another gateway is left alone, even when it names one of this gateway's tables", async () => {
    const reconciles = async () => (await agent.metrics.reconciles.get()).values.reduce((a, v) => a + v.value, 0);
    const before = await reconciles();
    const webWrites = agent.reconciler.writes.get('tenant/web');
    await kube.createFirewallConfiguration(fcObject('other', 'kg-web', rules3('10.0.0.2'), { 'networking.liqo.io/firewall-category': 'gateway', 'networking.liqo.io/firewall-unique': 'naples' }));
    // its event reconciled (the queue is first in, first out), and a few re-verifies after it
    await waitFor('reconciles after the event', async () => (await reconciles()) >= before + 6);
    const list = (await listing(ns, 'ip', 'kg-web'))!;
    expect(list).toContain('10.42.9.9');
    expect(list).not.toContain('10.0.0.2');
    expect(agent.reconciler.writes.get('tenant/web')).toBe(webWrites); // never deleted (then healed)
    expect((await kube.getFirewallConfiguration('tenant', 'other')).metadata.finalizers ?? []).toEqual([]);
  });

  it('delete: the table is removed, then the finalizer, then the resource', async () => {
    for (const name of ['bad']) await kube.custom.deleteNamespacedCustomObject({ group: 'networking.liqo.io', version: 'v1beta1', plural: 'firewallconfigurations', namespace: 'tenant', name });
    await kube.custom.deleteNamespacedCustomObject({ group: 'networking.liqo.io', version: 'v1beta1', plural: 'firewallconfigurations', namespace: 'tenant', name: 'web' });
    await waitFor('web deleted', async () => {
      try {
        await kube.getFirewallConfiguration('tenant', 'web');
        return false;
      } catch {
        return true;
      }
    });
    expect(await tableNames(ns)).not.toContain('ip kg-web');
    expect(api.objects('networking.liqo.io', 'firewallconfigurations').map((o) => o.metadata?.name)).toEqual(['other']);
  });

  it('API server restart and 410 Gone: no change lost, nothing applied twice', async () => {
    for (const n of [1, 2, 3]) await kube.createFirewallConfiguration(fcObject(`r${n}`, `kg-r${n}`, rules3(`10.9.${n}.1`)));
    for (const n of [1, 2, 3]) await hostEntry(kube, `r${n}`, 1);
    const lists = agent.informer.lists;
    await api.restart();
    // written right after the restart cut the agent's watch: it must be seen after the reconnect
    const r2 = await waitFor('r2 readable after the restart', () => kube.getFirewallConfiguration('tenant', 'r2'));
    await waitFor('r2 updated', () => kube.replaceFirewallConfiguration({ ...r2, spec: fcObject('r2', 'kg-r2', rules3('10.9.2.99')).spec }));
    await hostEntry(kube, 'r2', 2);
    // a long disconnection: changes meanwhile, history compacted → the resumed watch gets 410 Gone, the informer lists again
    await agent.informer.stop();
    const r3 = await kube.getFirewallConfiguration('tenant', 'r3');
    await kube.replaceFirewallConfiguration({ ...r3, spec: fcObject('r3', 'kg-r3', rules3('10.9.3.99')).spec });
    await kube.createFirewallConfiguration(fcObject('r4', 'kg-r4', rules3('10.9.4.1')));
    api.compact();
    void agent.informer.start();
    await hostEntry(kube, 'r4', 1);
    await hostEntry(kube, 'r3', 2);
    expect(agent.informer.lists).toBeGreaterThan(lists);
    await new Promise((r) => setTimeout(r, 1000)); // a few re-verifies
    expect(Object.fromEntries(['r1', 'r2', 'r3', 'r4'].map((n) => [n, agent.reconciler.writes.get(`tenant/${n}`)]))).toEqual({ r1: 1, r2: 2, r3: 2, r4: 1 });
    expect(await listing(ns, 'ip', 'kg-r2')).toContain('10.9.2.99');
  });

  it('at start, owned tables no resource names are removed only after the first full list', async () => {
    await agent.stop();
    // an owned table left by a resource deleted while no agent ran (liqo#3142), and the tables of r1..r4
    const orphan = renderResource(fcObject('gone', 'kg-gone', rules3('10.5.5.5')));
    expect((await apply(orphan, { netns: ns.name, owner: OWNER })).failure).toBeUndefined();
    const before = { ...Object.fromEntries(agent.reconciler.writes) };
    ({ agent, logs } = makeAgent(cluster, ns.name, { resyncMs: 400 }));
    await agent.start();
    expect(agent.ready).toBe(true);
    expect(agent.orphansRemoved).toEqual(['ip kg-gone']);
    const tables = await tableNames(ns);
    expect(tables).not.toContain('ip kg-gone');
    for (const n of [1, 2, 3, 4]) expect(tables).toContain(`ip kg-r${n}`);
    await new Promise((r) => setTimeout(r, 800));
    // the new agent found r1..r4 in place: nothing written
    expect([...agent.reconciler.writes.values()].reduce((a, b) => a + b, 0)).toBe(0);
    expect(Object.keys(before).length).toBeGreaterThan(0);
  });
});

// Liqo's CRD alone (deploy/crds/status-conditions.patch.yaml not applied): the API server prunes
// reason, message and observedGeneration from what the agent writes; nothing else changes.
describe.skipIf(noKernel)("agent with Liqo's CRD alone (status fields pruned)", () => {
  const ns = suiteNetns('kaliqo');
  let cluster: Awaited<ReturnType<typeof fakeCluster>>;
  let agent: Agent;

  beforeAll(async () => {
    cluster = await fakeCluster({ extendedStatus: false });
    ({ agent } = makeAgent(cluster, ns.name, { resyncMs: 300 }));
    await agent.start();
  });
  afterAll(async () => {
    await agent?.stop();
    await cluster?.api.close();
  });

  it("applies and verifies, with Liqo's status shape; the pruned fields are not written again and again", async () => {
    const { kube, api } = cluster;
    await kube.createFirewallConfiguration(fcObject('web', 'kl-web', rules3('10.42.1.2')));
    const entry = await hostEntry(kube, 'web');
    expect(entry).toEqual({ host: HOST, type: 'Applied', status: 'True', lastTransitionTime: entry.lastTransitionTime });
    expect(await tableNames(ns)).toContain('ip kl-web');
    const statusWrites = () => api.audit.filter((a) => a.resource === 'firewallconfigurations' && a.subresource === 'status' && a.verb !== 'get').length;
    const writes = statusWrites();
    expect(writes).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1500)); // several re-verifies
    expect(statusWrites()).toBe(writes);
    expect(agent.reconciler.writes.get('tenant/web')).toBe(1);
    // An edit: applied again, the condition still in Liqo's shape.
    const o = await kube.getFirewallConfiguration('tenant', 'web');
    await kube.replaceFirewallConfiguration({ ...o, spec: fcObject('web', 'kl-web', rules3('10.42.9.9')).spec });
    await waitFor('the edit applied', () => agent.reconciler.writes.get('tenant/web') === 2);
    expect(await listing(ns, 'ip', 'kl-web')).toContain('10.42.9.9');
    expect(await hostEntry(kube, 'web')).toMatchObject({ host: HOST, type: 'Applied', status: 'True' });
  });
});
