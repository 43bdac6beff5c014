// Cells in words: describeBoxes on a cell of the core (as cellBoxes gives it: intervals, or a masked mark) says what the BDD's
// reading of the same cell says (cellsSpace, then describe), on seeded random chains of boxes.
// (Several cells may come out in other cubes than the BDD's paths give: both exact. And a box
// can have more diagram paths than describe reads: it reads the box whole.)

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import { cellBoxes, cellsSpace, geometricChain } from '../../../src/analyses/geometric/chain.js';
import { GeometricCore } from '../../../src/analyses/geometric/core.js';
import { describeBoxes } from '../../../src/analyses/headerspace/describe.js';
import { isMasked } from '../../../src/analyses/headerspace/layout.js';
import type { Ruleset } from '../../../src/model/ruleset.js';
import type { PathHook } from '../../../src/engine/plan.js';
import { arbChain, arbWideChain, chainRuleset, wideRuleset } from './random-chain.js';

/** Cells of random chains of boxes, each with its words read directly and by the BDD; how many compared, and how many of them with a masked mark. */
function compareWords(rulesets: fc.Arbitrary<{ rs: Ruleset; hook: PathHook }>, runs: number, seed: number): { compared: number; masked: number } {
  let compared = 0;
  let masked = 0;
  fc.assert(fc.property(rulesets, fc.nat(), ({ rs, hook }, pick) => {
    const a = symbolicAnalysis(rs);
    const base = a.plan.chains.findIndex((x) => x.chain.base);
    const boxes = geometricChain(a, hook, base);
    if (!boxes) return;
    const core = new GeometricCore(boxes, a.plan.chains[base]!.chain.origin, { maxCells: 6 });
    const n = boxes.pieces.length;
    const i = pick % n;
    for (const j of [-1, ...Array.from({ length: i }, (_, k) => k)]) {
      for (const cell of core.cells(i, j).cells) {
        const direct = cellBoxes(boxes.coder, [cell]);
        if (!direct) continue;
        const where = cellsSpace(boxes.coder, [cell]);
        const read = a.hs.describe(where);
        a.hs.release(where);
        if (read.at(-1) === '… and more') continue; // more diagram paths than describe reads
        expect(describeBoxes(a.hs, direct)).toEqual(read);
        compared++;
        if ([...direct[0]!.values()].some(isMasked)) masked++;
      }
    }
  }), { numRuns: runs, seed });
  return { compared, masked };
}

describe('cells in words', () => {
  it('read directly, they read as the BDD reads them', () => {
    expect(compareWords(arbChain.map((c) => ({ rs: chainRuleset(c), hook: 'forward' as const })), 200, 20261127).compared).toBeGreaterThan(200);
  });

  it('so do cells over interfaces, masked marks, ct state, ct mark and IPv6 addresses', () => {
    const { compared, masked } = compareWords(arbWideChain.map((c) => ({ rs: wideRuleset(c), hook: c.hook })), 100, 20261202);
    expect(compared).toBeGreaterThan(100);
    expect(masked).toBeGreaterThan(10);
  }, 300_000);
});
