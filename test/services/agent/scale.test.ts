// 200 FirewallConfigurations created at once: the agent converges — every table in the kernel,
// every status True at generation 1 — and applies each exactly once (its applies share
// transactions). The convergence time is printed (measured, not asserted).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/services/agent/agent.js';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { tableNames } from '../../backends/gateway/support.js';
import { fakeCluster, fcObject, HOST, makeAgent, waitFor } from './support.js';

const N = 200;

describe.skipIf(noKernel)('agent at scale (API server fake, kernel)', () => {
  const ns = suiteNetns('kagscale');
  let c: Awaited<ReturnType<typeof fakeCluster>>;
  let agent: Agent;

  beforeAll(async () => {
    c = await fakeCluster();
    ({ agent } = makeAgent(c, ns.name, { workers: 32 }));
    await agent.start();
  });
  afterAll(async () => {
    await agent?.stop();
    await c?.api.close();
  });

  it(`${N} resources at once converge, each applied once`, async () => {
    const t0 = Date.now();
    const objs = Array.from({ length: N }, (_, i) => fcObject(`s${i}`, `kg-s${i}`, [
      { name: 'a', action: 'accept', dst: `10.${Math.floor(i / 250)}.${i % 250}.1` },
      { name: 'b', action: 'drop', dst: `10.${Math.floor(i / 250)}.${i % 250}.2` },
    ]));
    for (let i = 0; i < N; i += 50) await Promise.all(objs.slice(i, i + 50).map((o) => c.kube.createFirewallConfiguration(o)));
    const created = Date.now() - t0;
    await waitFor('every status True', () => {
      const stored = c.api.objects('networking.liqo.io', 'firewallconfigurations');
      const done = stored.filter((o) => ((o.status as { conditions?: { host: string; status: string }[] } | undefined)?.conditions ?? []).some((e) => e.host === HOST && e.status === 'True'));
      return done.length === N;
    }, 1_500_000, 500);
    const converged = Date.now() - t0;
    const tables = (await tableNames(ns)).filter((t) => t.startsWith('ip kg-s'));
    expect(tables).toHaveLength(N);
    expect(new Set(agent.reconciler.writes.values())).toEqual(new Set([1]));
    expect(agent.reconciler.writes.size).toBe(N);
    console.log(`agent: ${N} resources created in ${created} ms, converged (applied, verified, status written) ${converged} ms after the first create, in ${agent.applier.batches} transaction(s)`);
    expect(agent.applier.batches).toBeLessThan(N);
  }, 1_800_000);
});
