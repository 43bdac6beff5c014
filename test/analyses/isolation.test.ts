// Tenant isolation on the seed's multi-consumer example: isolated as shipped; one added rule
// (venice may reach naples' pod) is a breach with a witness that both engines accept, from
// venice's sources to naples' destination, naming the rule; a DNAT to another tenant's pod is a
// breach too. The SVG matrix shows it.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkIsolation, parseTenants } from '../../src/analyses/isolation.js';
import { isolationSvg } from '../../src/analyses/matrix-svg.js';
import { loadRuleset } from '../../src/frontends/load.js';
import { ReferenceEngine, compileRuleset } from '../../src/engine/index.js';
import type { Ruleset } from '../../src/model/ruleset.js';
import { parseAddress } from '../../src/model/values.js';
import { NftlensError } from '../../src/model/diagnostics.js';
import { chain, m, rule } from './support.js';

const repo = new URL('../../', import.meta.url).pathname;
const tenants = parseTenants(readFileSync(`${repo}examples/tenants`, 'utf8'), 'examples/tenants');
const multi = (await loadRuleset([`${repo}examples/provider-protect-multi-consumer.yaml`])).ruleset;
const both = (await loadRuleset([])).ruleset;

function inside(addr: string, list: { lo: bigint; hi: bigint }[]): boolean {
  const v = parseAddress(addr)!.value;
  return list.some((iv) => iv.lo <= v && v <= iv.hi);
}

describe('isolation', () => {
  it('reads the tenants file', () => {
    expect(tenants.map((t) => t.name)).toEqual(['venice', 'naples']);
    expect(tenants[1]!.destinations[4]).toHaveLength(2);
    expect(() => parseTenants('tenants: { x: { sources: [10.0.0.0/33], destinations: [] } }', 'f')).toThrow(NftlensError);
  });

  it('the multi-consumer example (alone, and with the single-consumer one) isolates its tenants', () => {
    for (const rs of [multi, both]) {
      const r = checkIsolation(rs, tenants);
      expect(r.isolated).toBe(true);
      expect(r.breaches).toEqual([]);
      expect(r.matrix[0]![1]).toBe(0);
      expect(r.matrix[1]![0]).toBe(0);
      expect(r.matrix[0]![0]).toBeGreaterThan(0); // venice reaches its own pods
    }
  });

  it('one more accept rule breaks it: a witness from venice to naples, accepted by that rule', () => {
    const broken: Ruleset = structuredClone(multi);
    broken.tables[0]!.chains[0]!.rules.push(rule('oops-venice-to-naples-pod', [
      m('ip saddr', { prefix: '10.112.0.0', len: 16 }), m('ip daddr', '10.42.3.21'), m('meta l4proto', 6), m('th dport', 443),
    ], 'accept'));
    const r = checkIsolation(broken, tenants);
    expect(r.isolated).toBe(false);
    expect(r.breaches).toHaveLength(1);
    const b = r.breaches[0]!;
    expect([b.from, b.to]).toEqual(['venice', 'naples']);
    expect(b.decidedBy.origin.rule).toBe('oops-venice-to-naples-pod');
    expect(b.count).toBeGreaterThan(2 ** 32); // 2^16 sources × 2^16 sports × marks, states …
    expect(b.cubes.join('\n')).toContain('10.112.0.0/16 -> 10.42.3.21');
    for (const engine of [new ReferenceEngine(broken), compileRuleset(broken)]) {
      const e = engine.evaluate(b.witness);
      expect(e.verdict).toBe('accept');
      expect(e.hooks).toContain('forward');
    }
    expect(inside(b.witness.saddr, tenants[0]!.sources[4])).toBe(true);
    expect(inside(b.witness.daddr, tenants[1]!.destinations[4])).toBe(true);
    expect(b.witness.iifname).toBe('liqo-tunnel');
    const svg = isolationSvg(r);
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('BREACH');
  });

  it('a DNAT in prerouting that sends venice to a naples pod is a breach (destination after NAT)', () => {
    const nat: Ruleset = structuredClone(multi);
    nat.tables.push({ family: 'ip', name: 'nat', origin: {}, chains: [chain('pre', [
      rule('redirect', [m('ip saddr', { prefix: '10.112.0.0', len: 16 }), m('ip daddr', '10.42.9.9'), { kind: 'nat', type: 'dnat', to: '10.42.1.15', origin: {} }]),
    ], { type: 'nat', hook: 'prerouting', priority: -100, policy: 'accept' })] });
    // venice → 10.42.9.9 becomes venice → its own pod 10.42.1.15: not a breach.
    expect(checkIsolation(nat, tenants).isolated).toBe(true);
    nat.tables[1]!.chains[0]!.rules[0]!.exprs[2] = { kind: 'nat', type: 'dnat', to: '10.42.1.41', origin: {} };
    nat.tables[0]!.chains[0]!.rules.push(rule('fwd-any-to-41', [m('ip daddr', '10.42.1.41')], 'accept'));
    const r = checkIsolation(nat, tenants);
    const b = r.breaches.find((x) => x.from === 'venice' && x.to === 'naples')!;
    expect(b).toBeDefined();
    const e = new ReferenceEngine(nat).evaluate(b.witness);
    expect(e.verdict).toBe('accept');
    expect(e.packet.daddr).toBe('10.42.1.41');
    // Sent straight to the pod, or to 10.42.9.9 as a new connection and rewritten: both breach.
    expect(b.cubes.join('\n')).toContain('10.42.9.9');
    expect(b.cubes.join('\n')).toContain('10.42.1.41');
  });
});
