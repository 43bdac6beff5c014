// The geometric core against the BDD analysis: on seeded random chains of boxes (prefixes,
// ranges, sets, !=, protocols, marks, families; accept/drop/reject/no verdict; both policies),
// findAnomalies gives exactly the same findings both ways, and every witness checks out on both
// engines. Plus the core's questions on a hand-made chain.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findAnomalies } from '../../../src/analyses/anomalies.js';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import { GeometricCore } from '../../../src/analyses/geometric/core.js';
import type { Match, Ruleset } from '../../../src/model/ruleset.js';
import { checkWitness, forwardRuleset, m, rule } from '../support.js';

const box = (...iv: number[]) => Uint32Array.from(iv);

describe('geometric core: the worked example of its Theory of Operation', () => {
  // One dimension (dport): r0 [0,99] accept, r1 [50,199] drop, r2 [80,120] accept, r3 [0,300] drop.
  const core = new GeometricCore({ dims: 1, pieces: [[box(0, 99)], [box(50, 199)], [box(80, 120)], [box(0, 300)]], act: [1, 2, 1, 2] }, {});

  it('finds the takers and whether a rule fires', () => {
    expect(core.takers(2)).toEqual({ takers: [0, 1], hit: undefined });
    const r3 = core.takers(3);
    expect(r3.takers).toEqual([0, 1]);
    expect([...r3.hit!]).toEqual([200, 300]);
  });

  it('gives the cells one rule takes from another, and a rule its own', () => {
    expect(core.cells(2, 1).cells.map((c) => [...c])).toEqual([[100, 120]]);
    expect(core.cells(3, -1).cells.map((c) => [...c])).toEqual([[200, 300]]);
  });

  it('knows redundancy and coverage', () => {
    expect(core.unchanged(3, 2)).toBe(true); // r3 drops [200,300]; without it the policy (drop) does
    expect(core.unchanged(3, 1)).toBe(false);
    expect(core.unchanged(0, 2)).toBe(false); // [0,49] would go to r3 (drop) instead of accept
    expect(core.covered(2, 1)).toBe(true);
    expect(core.covered(1, 2)).toBe(false);
    expect(core.covered(1, 0)).toBe(false);
  });

  it('stops at its cell limit and says so', () => {
    const many = new GeometricCore({ dims: 1, pieces: [...Array.from({ length: 20 }, (_, k) => [box(2 * k, 2 * k)]), [box(0, 40)]], act: [...Array(20).fill(1), 2] }, {}, { maxCells: 4 });
    const r = many.cells(20, -1);
    expect(r.cells.length).toBe(4);
    expect(r.truncated).toBe(true);
  });
});

const prefixes = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3/32', '10.2.0.0/16', '192.168.0.0/16', '10.0.0.0/7'];
const pfx = (p: string) => ({ prefix: p.split('/')[0]!, len: Number(p.split('/')[1]) });

const arbMatch: fc.Arbitrary<Match> = fc.oneof(
  fc.tuple(fc.constantFrom('ip saddr', 'ip daddr') as fc.Arbitrary<'ip saddr' | 'ip daddr'>, fc.constantFrom(...prefixes), fc.boolean())
    .map(([f, p, neq]) => m(f, pfx(p), neq ? '!=' : '==')),
  fc.constantFrom(6, 17, 1).map((p) => m('meta l4proto', p)),
  fc.constantFrom(6, 17).map((p) => m('ip protocol', p)),
  fc.tuple(fc.constantFrom('th sport', 'th dport') as fc.Arbitrary<'th sport' | 'th dport'>, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 60 }), fc.boolean())
    .map(([f, lo, w, neq]) => m(f, w === 0 ? lo : { range: [lo, lo + w] }, neq ? '!=' : '==')),
  fc.constantFrom(22, 53, 80).map((p) => m('th dport', { set: [p, p + 1, 443] })),
  fc.integer({ min: 0, max: 3 }).map((k) => m('meta mark', k)),
  fc.constantFrom('ipv4', 'ipv6').map((f) => m('meta nfproto', f)),
);

const arbChain: fc.Arbitrary<RandomChain> = fc.record({
  rules: fc.array(fc.record({
    matches: fc.array(arbMatch, { minLength: 0, maxLength: 3 }),
    verdict: fc.constantFrom('accept', 'drop', 'reject', undefined),
  }), { minLength: 1, maxLength: 9 }),
  policy: fc.constantFrom('accept', 'drop') as fc.Arbitrary<'accept' | 'drop'>,
  family: fc.constantFrom('ip', 'inet') as fc.Arbitrary<'ip' | 'inet'>,
});

interface RandomChain {
  rules: { matches: Match[]; verdict: 'accept' | 'drop' | 'reject' | undefined }[];
  policy: 'accept' | 'drop';
  family: 'ip' | 'inet';
}

function toRuleset(c: RandomChain): Ruleset {
  const rs = forwardRuleset(c.rules.map((r, i) => rule(`r${i}`, r.matches, r.verdict)), c.policy);
  rs.tables[0]!.family = c.family;
  return rs;
}

describe('geometric core: same findings as the BDD analysis', () => {
  it('on 300 random chains of boxes, and every witness checks out', () => {
    fc.assert(fc.property(arbChain, (c) => {
      const rs = toRuleset(c);
      const summary = (geometric: boolean) => {
        const rep = findAnomalies(symbolicAnalysis(rs), { geometric });
        for (const f of rep.findings) checkWitness(rs, f);
        return rep.findings.map((f) => ({ kind: f.kind, rule: f.subject?.origin.rule, related: f.related.map((r) => r.label), message: f.message }))
          .sort((a, b) => `${a.rule}${a.kind}`.localeCompare(`${b.rule}${b.kind}`));
      };
      expect(summary(true)).toEqual(summary(false));
    }), { numRuns: 300, seed: 20261126 });
  });
});
