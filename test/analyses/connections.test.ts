// The isolation analysis' connection relation (src/analyses/connections.ts): a breach of the packet
// relation is a connection only when the reply gets back too; each "can open" comes with a witness
// flow that the flow evaluation confirms, and the default result (no `connections`) is unchanged.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkIsolation, parseTenants } from '../../src/analyses/isolation.js';
import { formatIsolation, isolationJson } from '../../src/analyses/report.js';
import { makeEnvironment } from '../../src/engine/environment.js';
import { evaluateFlow } from '../../src/engine/flow.js';
import { planRuleset } from '../../src/engine/plan.js';
import { loadRuleset } from '../../src/frontends/load.js';
import type { Ruleset } from '../../src/model/ruleset.js';
import { m, rule } from './support.js';

const repo = new URL('../../', import.meta.url).pathname;
const tenants = parseTenants(readFileSync(`${repo}examples/tenants`, 'utf8'), 'examples/tenants');
const multi = (await loadRuleset([`${repo}examples/provider-protect-multi-consumer.yaml`])).ruleset;

/** The example plus a rule that lets venice's sources reach naples' pod 10.42.3.21 on tcp/443. */
function oneWay(): Ruleset {
  const rs: Ruleset = structuredClone(multi);
  rs.tables[0]!.chains[0]!.rules.unshift(rule('oops-venice-to-naples-pod', [
    m('ip saddr', { prefix: '10.112.0.0', len: 16 }), m('ip daddr', '10.42.3.21'), m('meta l4proto', 6), m('th dport', 443),
  ], 'accept'));
  return rs;
}

describe('isolation: the connection relation', () => {
  it('off by default: the result and its output are what they were', () => {
    const r = checkIsolation(oneWay(), tenants);
    expect(r.connections).toBeUndefined();
    expect(formatIsolation(r)).not.toContain('connections');
    expect(Object.keys(isolationJson(r) as object)).toEqual(['isolated', 'tenants', 'matrix', 'breaches']);
  });

  it('isolated tenants cannot open connections, exactly (no first packet gets through)', () => {
    const r = checkIsolation(multi, tenants, { connections: true });
    expect(r.connections!.map((c) => [c.from, c.to, c.opens, c.exact, c.tried])).toEqual([['venice', 'naples', false, true, 0], ['naples', 'venice', false, true, 0]]);
    expect(formatIsolation(r)).toContain('✓ venice → naples: cannot open a connection (no packet gets through)');
  });

  it('a packet breach whose replies the policy drops is no connection; an established rule makes it one', () => {
    const r = checkIsolation(oneWay(), tenants, { connections: true });
    expect(r.isolated).toBe(false);
    const c = r.connections!.find((x) => x.from === 'venice' && x.to === 'naples')!;
    // No NAT, and no packet from naples' pod to venice's sources gets through at all: proven.
    expect([c.opens, c.exact, c.reason]).toEqual([false, true, 'no-reply']);
    expect(c.tried).toBeGreaterThan(0);
    expect(c.flow!.failed).toBe('reply');
    expect(formatIsolation(r)).toContain('✓ venice → naples: cannot open a connection (packets get through, no reply gets back)');
    // With a NAT chain in the ruleset, replies may come from elsewhere: only the candidates tried.
    const withNat = oneWay();
    withNat.tables.push({ family: 'ip', name: 'nat', origin: {}, chains: [{ name: 'post', origin: {}, rules: [], base: { type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept' } }] });
    const n = checkIsolation(withNat, tenants, { connections: true }).connections!.find((x) => x.from === 'venice')!;
    expect([n.opens, n.exact, n.reason]).toEqual([false, false, 'candidates']);
    expect(formatIsolation(checkIsolation(withNat, tenants, { connections: true }))).toMatch(/\? venice → naples: no connection found among \d+ candidate flow\(s\)/);

    const stateful = oneWay();
    stateful.tables[0]!.chains[0]!.rules.unshift(rule('established', [m('ct state', { set: ['established', 'related'] })], 'accept'));
    const s = checkIsolation(stateful, tenants, { connections: true });
    const d = s.connections!.find((x) => x.from === 'venice' && x.to === 'naples')!;
    expect(d.opens).toBe(true);
    expect(d.decidedBy!.first.origin.rule).toBe('oops-venice-to-naples-pod');
    expect(d.decidedBy!.reply!.origin.rule).toBe('established');
    // The witness flow is a real one: the flow evaluation, run again, opens it.
    const again = evaluateFlow(planRuleset(stateful), makeEnvironment(), d.flow!.flow);
    expect(again.opens).toBe(true);
    expect(d.flow!.flow.daddr).toBe('10.42.3.21');
    expect(d.flow!.flow.dport).toBe(443);
    expect(s.connections!.find((x) => x.from === 'naples' && x.to === 'venice')!.opens).toBe(false);
    const json = isolationJson(s) as { connections: { from: string; opens: boolean; first?: string; reply?: string }[] };
    expect(json.connections[0]).toMatchObject({ from: 'venice', opens: true });
    expect(json.connections[0]!.reply).toContain('rule established');
    expect(formatIsolation(s)).toContain('✗ venice → naples: can open a connection');
  });

  it('finds the connection from the reply side when the first packet\'s witness has no way back', () => {
    const rs: Ruleset = structuredClone(multi);
    rs.tables[0]!.chains[0]!.rules.unshift(
      rule('venice-to-pod-any-port', [m('ip saddr', { prefix: '10.112.0.0', len: 16 }), m('ip daddr', '10.42.3.21'), m('meta l4proto', 6)], 'accept'),
      rule('pod-replies-from-8443', [m('ip saddr', '10.42.3.21'), m('meta l4proto', 6), m('th sport', 8443), m('ct state', 'established')], 'accept'),
    );
    const c = checkIsolation(rs, tenants, { connections: true }).connections!.find((x) => x.from === 'venice')!;
    expect(c.opens).toBe(true);
    expect(c.flow!.flow.dport).toBe(8443);
    expect(c.decidedBy!.reply!.origin.rule).toBe('pod-replies-from-8443');
  });
});
