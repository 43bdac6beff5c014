// The symbolic evaluator against the reference interpreter: on seeded random rulesets (marks,
// notrack, jumps/gotos/returns, dnat/snat/masquerade, policies) every sampled packet lies in
// exactly one outcome of the partition, and that outcome is the reference's verdict, deciding
// rule/policy and chain; rules' reach/hit sets agree with the reference's traces.

import { describe, expect, it } from 'vitest';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import { ReferenceEngine } from '../../../src/engine/index.js';
import type { EngineOptions } from '../../../src/engine/environment.js';
import { generatePackets } from '../../../src/probe/generate.js';
import { randomRuleset } from '../../probe/random-ruleset.js';

const ENV = {
  localAddresses: ['10.0.0.2'],
  interfaceAddresses: { eth1: ['192.0.2.1/24'], 'liqo-tunnel': ['10.200.0.1'] },
  // What `fib … oif` looks up: nested prefixes through different interfaces, and a default.
  routes: ['10.0.0.0/15 dev eth0', '10.0.1.0/24 dev liqo-tunnel', '10.0.1.7 dev eth1', '10.1.0.0/16 dev liqo.abcdefghij', 'default dev eth1', 'fd00::/64 dev eth0'],
};

describe('symbolic evaluation agrees with the reference interpreter', () => {
  const cases = [
    ...Array.from({ length: 40 }, (_, i) => ({ seed: i + 1, maps: false })),
    // Verdict and mark maps, expanded into one rule per element before the walk.
    ...Array.from({ length: 15 }, (_, i) => ({ seed: 101 + i, maps: true })),
  ];
  // Without declared routes, lookups find one through any interface (engine/fib.ts).
  it('random rulesets without declared routes', () => {
    for (const seed of [3, 5, 8]) agreeOn(seed, false, { localAddresses: ['10.0.0.2'] });
  });
  for (const { seed, maps } of cases) it(`random ruleset #${seed}${maps ? ' with maps' : ''}`, () => agreeOn(seed, maps, ENV));
});

function agreeOn(seed: number, maps: boolean, env: EngineOptions): void {
  const ruleset = randomRuleset(seed, { sets: false, maps, pkttype: true, ctStatus: true });
  const a = symbolicAnalysis(ruleset, env);
  const ref = new ReferenceEngine(ruleset, env);
  const r = a.evaluator.run();
  // A partition: pairwise disjoint, covering every header.
  const hs = a.hs;
  r.outcomes.forEach((o, i) => r.outcomes.slice(i + 1).forEach((q) => expect(hs.overlaps(o.space, q.space)).toBe(false)));
  const union = hs.union(r.outcomes.map((o) => o.space));
  expect(hs.equals(union, hs.all)).toBe(true);
  const packets = generatePackets(ruleset, { random: 2500, seed });
  const statusRules = a.plan.rules.filter((x) => x.rule.exprs.some((e) => e.kind === 'match' && e.field === 'ct status')).map((x) => x.id);
  for (const p of packets) {
    const want = ref.evaluate(p, { trace: true });
    const o = r.outcomes.find((x) => hs.member(x.space, p))!;
    expect({ verdict: o.verdict, by: o.by, rule: o.rule, chain: o.chain }, JSON.stringify(p)).toEqual({
      verdict: want.verdict, by: want.by, rule: want.rule, chain: want.chain,
    });
    const hitRules = new Set(want.trace!.flatMap((e) => (e.kind === 'verdict' ? [e.rule] : [])));
    for (const id of hitRules) {
      const rs = r.rules[id];
      expect(rs !== undefined && a.hs.member(rs.hit, p), `rule ${id} ${JSON.stringify(p)}`).toBe(true);
    }
    // `ct status` rules (a match, then a mark set): the walk's hit holds the packet exactly when the engine ran the statement.
    const ran = new Set(want.trace!.flatMap((e) => (e.kind === 'stmt' ? [e.rule] : [])));
    for (const id of statusRules) {
      const rs = r.rules[id];
      expect(rs !== undefined && a.hs.member(rs.hit, p), `ct status rule ${id} ${JSON.stringify(p)}`).toBe(ran.has(id));
    }
  }
}
