// The wider dimensions of the geometric core (interfaces with wildcards, marks with nested masks,
// ct state, ct mark, IPv6 addresses; every hook, a prerouting chain before conntrack) against the
// BDD path, on seeded random chains: the same findings, witnesses that check out on both engines,
// and the same policy diff (changes, counts, cubes, witnesses). How marks are coded, and the
// chains left to the BDD path (more than 8 dimensions in use, masks that do not nest).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findAnomalies } from '../../../src/analyses/anomalies.js';
import { diffRulesets } from '../../../src/analyses/diff.js';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import { MarkOrder } from '../../../src/analyses/geometric/marks.js';
import type { Match } from '../../../src/model/ruleset.js';
import { checkWitness, forwardRuleset, m, rule } from '../support.js';
import { arbWideChain, arbWideRule, wideRuleset, type WideChain } from './random-chain.js';

describe('marks coded for masks', () => {
  it('makes every nested mask a prefix, and reads cells back as masked values', () => {
    const o = MarkOrder.of([0xff00, 0xffff00])!;
    expect(o.identity).toBe(false);
    expect(MarkOrder.of([0xff00, 0x00ff])).toBeUndefined(); // not nested
    expect(MarkOrder.of([0xffff0000])!.identity).toBe(true); // a prefix mask keeps the order
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), fc.constantFrom(0xff00, 0xffff00), (x, mask) => {
      expect(o.decode(o.code(x))).toBe(x >>> 0);
      const [iv] = o.intervals([{ lo: BigInt(x & mask), hi: BigInt(x & mask) }], mask)!;
      expect(BigInt(o.code(x)) >= iv!.lo && BigInt(o.code(x)) <= iv!.hi).toBe(true);
      // The blocks of the interval are exactly the one masked value.
      expect(o.blocks(Number(iv!.lo), Number(iv!.hi))).toEqual([{ value: (x & mask) >>> 0, mask }]);
    }), { numRuns: 300, seed: 5 });
  });
});

describe('geometric core with the wider dimensions: the BDD path\'s answers', () => {
  it('on 100 random chains: the same findings, and every witness checks out', () => {
    let geometric = 0;
    fc.assert(fc.property(arbWideChain, (c) => {
      const rs = wideRuleset(c);
      const summary = (geo: boolean) => {
        const rep = findAnomalies(symbolicAnalysis(rs), { geometric: geo });
        if (geo && rep.geometricBytes > 0) geometric++;
        for (const f of rep.findings) checkWitness(rs, f);
        return rep.findings.map((f) => ({ kind: f.kind, rule: f.subject?.origin.rule, related: f.related.map((r) => r.label), message: f.message, space: f.space }))
          .sort((a, b) => `${a.rule}${a.kind}`.localeCompare(`${b.rule}${b.kind}`));
      };
      const geo = summary(true);
      const bdd = summary(false);
      // The words may cut the same set into other cubes; the findings and their kinds may not differ.
      expect(geo.map((f) => ({ ...f, space: undefined }))).toEqual(bdd.map((f) => ({ ...f, space: undefined })));
    }), { numRuns: 100, seed: 20261202 });
    // Most of these chains are chains of boxes (the rest: a mask that does not nest, an `ip6` match in an `ip` table).
    expect(geometric).toBeGreaterThan(60);
  }, 600_000);

  it('on 100 random chains and edits of them: the same diff', () => {
    let geometric = 0;
    fc.assert(fc.property(arbWideChain, fc.array(fc.tuple(fc.nat(), fc.option(arbWideRule)), { maxLength: 3 }), fc.boolean(), (c, edits, byRule) => {
      const after = c.rules.map((r) => ({ ...r }));
      for (const [at, r] of edits) {
        if (r) after.splice(at % (after.length + 1), 0, r);
        else if (after.length > 1) after.splice(at % after.length, 1);
      }
      const A = wideRuleset(c);
      const B = wideRuleset({ ...c, rules: after } as WideChain);
      const geo = diffRulesets(A, B, { byRule });
      const bdd = diffRulesets(A, B, { byRule, geometric: false });
      if (geo.geometricBytes > 0) geometric++;
      const key = (x: (typeof geo.changes)[number]) => `${x.count}|${JSON.stringify(x.before)}|${JSON.stringify(x.after)}`;
      expect(geo.changes.sort((x, y) => key(x).localeCompare(key(y)))).toEqual(bdd.changes.sort((x, y) => key(x).localeCompare(key(y))));
      expect(geo.changed).toBe(bdd.changed);
    }), { numRuns: 100, seed: 20261202 });
    // Diffs with edits compared geometrically (no edit: nothing to walk; a mask that does not nest: BDDs).
    expect(geometric).toBeGreaterThan(30);
  }, 600_000);
});

describe('chains the geometric core leaves to the BDD path', () => {
  const rules = (extra: Match[]) => [
    rule('wide', [m('ip saddr', { prefix: '10.0.0.0', len: 8 }), m('ip daddr', { prefix: '10.1.0.0', len: 16 }), m('th sport', 1), m('th dport', 2),
      m('meta l4proto', 6), m('meta mark', 3), m('meta iifname', 'eth0'), m('meta oifname', 'eth1'), m('ct state', 'new'), ...extra], 'accept'),
    rule('narrow', [m('ip saddr', { prefix: '10.1.0.0', len: 16 })], 'drop'),
  ];
  it.each([
    ['more than 8 dimensions in use', rules([])],
    ['masks that do not nest', [rule('a', [{ ...m('meta mark', 0x100), mask: 0xff00 }], 'accept'), rule('b', [{ ...m('meta mark', 0x1), mask: 0xff }], 'drop')]],
  ])('%s: analysed by BDDs, with the same findings', (_, rs) => {
    const ruleset = forwardRuleset(rs, 'drop');
    const rep = findAnomalies(symbolicAnalysis(ruleset));
    expect(rep.geometricBytes).toBe(0);
    expect(rep.findings.map((f) => f.kind)).toEqual(findAnomalies(symbolicAnalysis(ruleset), { geometric: false }).findings.map((f) => f.kind));
    for (const f of rep.findings) checkWitness(ruleset, f);
  });
  it('a chain within 8 dimensions goes through the core', () => {
    const rep = findAnomalies(symbolicAnalysis(forwardRuleset(rules([]).map((r) => ({ ...r, exprs: r.exprs.filter((e) => e.kind !== 'match' || e.field !== 'ct state') })), 'drop')));
    expect(rep.geometricBytes).toBeGreaterThan(0);
  });
});
