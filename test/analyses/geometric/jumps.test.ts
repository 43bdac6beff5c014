// Chains with jumps to regular chains (per-tenant chains) in the geometric core: the chains jumped
// to are inlined after their jumps (geometric/chain.ts flatRules). On seeded random trees the
// findings are the BDD path's, every witness checks out; what stays with the BDD path: a chain
// jumped to twice, a goto, a return.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findAnomalies } from '../../../src/analyses/anomalies.js';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import type { Ruleset } from '../../../src/model/ruleset.js';
import { chain, checkWitness, forwardRuleset, m, rule } from '../support.js';
import { arbWideMatch, arbWideRule, type RandomRule } from './random-chain.js';

interface JumpTree {
  /** Base chain rules; a number k: `matches jump sub-k`. */
  rules: (RandomRule | { matches: RandomRule['matches']; jump: number })[];
  subs: RandomRule[][];
  policy: 'accept' | 'drop';
  family: 'ip' | 'inet';
}

const arbTree: fc.Arbitrary<JumpTree> = fc.record({
  rules: fc.array(fc.oneof(arbWideRule, fc.record({ matches: fc.array(arbWideMatch, { maxLength: 2 }), jump: fc.nat({ max: 2 }) })), { minLength: 1, maxLength: 6 }),
  subs: fc.array(fc.array(arbWideRule, { minLength: 1, maxLength: 4 }), { minLength: 3, maxLength: 3 }),
  policy: fc.constantFrom('accept', 'drop') as fc.Arbitrary<'accept' | 'drop'>,
  family: fc.constantFrom('ip', 'inet') as fc.Arbitrary<'ip' | 'inet'>,
});

/** The tree as a ruleset: each sub-chain jumped to at most once (a second jump to it is dropped), unless `twice`. */
function treeRuleset(t: JumpTree, twice = false): Ruleset {
  const used = new Set<number>();
  const base = t.rules.flatMap((r, i) => {
    if (!('jump' in r)) return [rule(`r${i}`, r.matches, r.verdict)];
    if (used.has(r.jump) && !twice) return [];
    used.add(r.jump);
    return [rule(`r${i}`, r.matches, 'jump', `sub-${r.jump}`)];
  });
  const subs = t.subs.map((rules, k) => chain(`sub-${k}`, rules.map((r, i) => rule(`s${k}.${i}`, r.matches, r.verdict))));
  const rs = forwardRuleset(base, t.policy, subs);
  rs.tables[0]!.family = t.family;
  return rs;
}

/** The findings, in a stable order, and the witnesses checked on both engines. */
function findings(rs: Ruleset, geometric: boolean): { found: unknown[]; bytes: number } {
  const rep = findAnomalies(symbolicAnalysis(rs), { geometric });
  for (const f of rep.findings) checkWitness(rs, f);
  const found = rep.findings.map((f) => ({ kind: f.kind, rule: f.subject?.origin.rule, related: f.related.map((r) => r.label).sort(), message: f.message }))
    .sort((a, b) => `${a.rule}${a.kind}`.localeCompare(`${b.rule}${b.kind}`));
  return { found, bytes: rep.geometricBytes };
}

describe('chains that jump to regular chains, in the geometric core', () => {
  it('on 150 random trees: the BDD path\'s findings, and every witness checks out', () => {
    let geometric = 0;
    fc.assert(fc.property(arbTree, (t) => {
      const rs = treeRuleset(t);
      const geo = findings(rs, true);
      if (geo.bytes > 0) geometric++;
      // Takers are named in the order a packet meets them, the BDD path's in the order of the chains: compared as sets.
      expect(geo.found).toEqual(findings(rs, false).found);
    }), { numRuns: 150, seed: 20261203 });
    expect(geometric).toBeGreaterThan(80);
  }, 600_000);

  it('a tenant chain\'s rule is shadowed by another tenant\'s, across the jumps', () => {
    const rs = forwardRuleset([
      rule('to-a', [m('meta iifname', 'liqo.a')], 'jump', 'tenant-a'),
      rule('to-b', [m('ip saddr', { prefix: '10.1.0.0', len: 16 })], 'jump', 'tenant-b'),
    ], 'drop', [
      chain('tenant-a', [rule('a-drop', [m('ip saddr', { prefix: '10.0.0.0', len: 8 })], 'drop')]),
      chain('tenant-b', [rule('b-accept', [m('meta iifname', 'liqo.a'), m('ip daddr', '10.2.0.1')], 'accept')]),
    ]);
    const rep = findAnomalies(symbolicAnalysis(rs));
    expect(rep.geometricBytes).toBeGreaterThan(0);
    const f = rep.findings.find((x) => x.subject?.origin.rule === 'b-accept')!;
    expect(f).toMatchObject({ kind: 'shadowed', related: [{ label: expect.stringContaining('a-drop') }] });
    checkWitness(rs, f);
  });

  it.each([
    ['a chain jumped to twice', (t: Ruleset) => t.tables[0]!.chains[0]!.rules.push(rule('again', [m('meta mark', 1)], 'jump', 'sub'))],
    ['a goto', (t: Ruleset) => (t.tables[0]!.chains[0]!.rules[0]!.verdict = { kind: 'goto', target: 'sub', origin: {} })],
    ['a return', (t: Ruleset) => t.tables[0]!.chains[1]!.rules.unshift(rule('back', [m('meta mark', 2)], 'return'))],
  ])('%s: left to the BDD path, with the same findings', (_, change) => {
    const rs = forwardRuleset([rule('in', [m('meta iifname', 'eth0')], 'jump', 'sub'), rule('last', [m('meta mark', 1)], 'accept')], 'drop', [
      chain('sub', [rule('s', [m('meta mark', 1)], 'drop')]),
    ]);
    expect(findAnomalies(symbolicAnalysis(rs)).geometricBytes).toBeGreaterThan(0);
    change(rs);
    expect(findings(rs, true)).toEqual({ ...findings(rs, false), bytes: 0 });
  });
});
