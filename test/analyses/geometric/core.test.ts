// The geometric core against the BDD analysis: on seeded random chains of boxes (prefixes,
// ranges, sets, !=, protocols, marks, families; accept/drop/reject/no verdict; both policies),
// findAnomalies gives exactly the same findings both ways, and every witness checks out on both
// engines. Plus the core's questions on a hand-made chain.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findAnomalies } from '../../../src/analyses/anomalies.js';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import { GeometricCore } from '../../../src/analyses/geometric/core.js';
import { checkWitness } from '../support.js';
import { arbChain, chainRuleset } from './random-chain.js';

const box = (...iv: number[]) => Uint32Array.from(iv);

// A core set up for diffs keeps one free cell a rule instead of HIT_CELLS: the same answers.
describe.each([{ maxDiff: 0 }, { maxDiff: 8 }])('geometric core: the worked example of its Theory of Operation (%o)', (opts) => {
  // One dimension (dport): r0 [0,99] accept, r1 [50,199] drop, r2 [80,120] accept, r3 [0,300] drop.
  const core = new GeometricCore({ dims: 1, pieces: [[box(0, 99)], [box(50, 199)], [box(80, 120)], [box(0, 300)]], act: [1, 2, 1, 2] }, {}, opts);

  it('finds the takers and whether a rule fires', () => {
    expect(core.takers(2)).toEqual({ takers: [0, 1], inside: [], overlapping: [], hit: undefined });
    const r3 = core.takers(3);
    expect(r3.takers).toEqual([0, 1]);
    expect(r3.inside).toEqual([0]); // r0 accepts, r3 drops and matches all of r0's packets
    expect(r3.overlapping).toEqual([]);
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
});

describe('geometric core: limits', () => {
  it('stops at its cell limit and says so', () => {
    const many = new GeometricCore({ dims: 1, pieces: [...Array.from({ length: 20 }, (_, k) => [box(2 * k, 2 * k)]), [box(0, 40)]], act: [...Array(20).fill(1), 2] }, {}, { maxCells: 4 });
    const r = many.cells(20, -1);
    expect(r.cells.length).toBe(4);
    expect(r.truncated).toBe(true);
  });
});

describe('geometric core: same findings as the BDD analysis', () => {
  it('on 300 random chains of boxes, and every witness checks out', () => {
    fc.assert(fc.property(arbChain, (c) => {
      const rs = chainRuleset(c);
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
