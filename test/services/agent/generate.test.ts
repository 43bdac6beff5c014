// `agent --generate` end to end: recorded peering states served by the API server fake (Liqo's
// ForeignCluster and Configuration kinds, offloaded Pods with status), the agent generating the
// provider-protection resource, proving it, writing it once, and applying it to the kernel of a
// throwaway namespace like any selected resource; unchanged state → no further write; a consumer
// removed → the resource replaced once and the kernel table re-applied without its rules.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { verify } from '../../../src/backends/gateway/index.js';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import type { Agent } from '../../../src/services/agent/agent.js';
import { gatewaySelectors } from '../../../src/services/agent/labels.js';
import { renderResource } from '../../../src/services/agent/tables.js';
import type { Obj } from '../../support/kube-fake/index.js';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { listing } from '../../backends/gateway/support.js';
import { deleteObject, fakeCluster, hostEntry, makeAgent, OWNER, seedPeering, waitFor } from './support.js';

const fixture = (name: string) => (parseAllDocuments(readFileSync(new URL(`../../fixtures/peering/${name}.yaml`, import.meta.url), 'utf8'))[0]!.toJS() as { items: Obj[] }).items;

describe.skipIf(noKernel)('agent --generate (API server fake, kernel)', () => {
  const ns = suiteNetns('kaggen');
  let c: Awaited<ReturnType<typeof fakeCluster>>;
  let agent: Agent;

  beforeAll(async () => {
    c = await fakeCluster();
    await seedPeering(c.api, c.kube, fixture('three-consumers'));
    ({ agent } = makeAgent(c, ns.name, { selectors: gatewaySelectors(), resyncMs: 500, generate: { intervalMs: 300, policy: {} } }));
    await agent.start();
  });
  afterAll(async () => {
    await agent?.stop();
    await c?.api.close();
  });

  it('writes the proved resource once and the agent applies it', async () => {
    const entry = await hostEntry(c.kube, 'nftlens-provider-protection', 1, 'liqo');
    expect(entry).toMatchObject({ status: 'True', reason: 'Applied' });
    const stored = await c.kube.getFirewallConfiguration('liqo', 'nftlens-provider-protection');
    expect((await verify(renderResource(stored), { netns: ns.name, owner: OWNER })).inSync).toBe(true);
    const list = (await listing(ns, 'ip', 'nftlens-provider-protection'))!;
    for (const id of ['allow-venice-1', 'allow-naples-1', 'allow-milan-1']) expect(list).toContain(id);
    // the kernel's own listing: replies only on the way back (no connection opened by an offloaded pod)
    const rules = importNftJson(list, 'kernel').ruleset.tables[0]!.chains[0]!.rules;
    for (const id of ['return-venice-1', 'return-naples-1', 'return-milan-1']) {
      const ct = rules.find((r) => r.comment === id)!.exprs.find((e) => e.kind === 'match' && e.field === 'ct state');
      expect(ct, id).toMatchObject({ op: '==', value: { set: ['established', 'related'] } });
    }
    // more generation ticks with the state unchanged (each reads the state and proves the policy again)
    const ticks = () => agent.generations;
    const now = ticks();
    await waitFor('two more generations', () => ticks() >= now + 2);
    expect(await agent.metrics.registry.getSingleMetricAsString('nftlens_agent_generated_writes_total')).toMatch(/ 1$/m);
    const writes = c.api.audit.filter((a) => a.resource === 'firewallconfigurations' && !a.subresource && (a.verb === 'create' || a.verb === 'update'));
    expect(writes.map((a) => a.verb)).toEqual(['create', 'update']); // the generator's create, the agent's finalizer
  });

  it('a consumer removed: the resource is replaced once, the kernel table loses its rules', async () => {
    const removed = fixture('three-consumers').filter((o) => o.metadata?.name === 'naples' && (o.kind === 'ForeignCluster' || o.kind === 'Configuration'));
    for (const o of removed) await deleteObject(c.kube, o);
    await hostEntry(c.kube, 'nftlens-provider-protection', 2, 'liqo');
    await waitFor('naples gone from the kernel', async () => !(await listing(ns, 'ip', 'nftlens-provider-protection'))!.includes('allow-naples'));
    const list = (await listing(ns, 'ip', 'nftlens-provider-protection'))!;
    expect(list).toContain('allow-venice-1');
    const now = agent.generations;
    await waitFor('two more generations', () => agent.generations >= now + 2);
    expect(await agent.metrics.registry.getSingleMetricAsString('nftlens_agent_generated_writes_total')).toMatch(/ 2$/m);
    expect(agent.reconciler.writes.get('liqo/nftlens-provider-protection')).toBe(2);
  });
});
