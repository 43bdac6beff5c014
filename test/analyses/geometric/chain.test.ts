// Cells in words: describeBoxes on a cell of the core (as cellBoxes gives it) says what the BDD's
// reading of the same cell says (cellsSpace, then describe), on seeded random chains of boxes.
// (Several cells may come out in other cubes than the BDD's paths give: both exact. And a box
// can have more diagram paths than describe reads: it reads the box whole.)

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import { cellBoxes, cellsSpace, geometricChain } from '../../../src/analyses/geometric/chain.js';
import { GeometricCore } from '../../../src/analyses/geometric/core.js';
import { describeBoxes } from '../../../src/analyses/headerspace/describe.js';
import { arbChain, chainRuleset } from './random-chain.js';

describe('cells in words', () => {
  it('read directly, they read as the BDD reads them', () => {
    let compared = 0;
    fc.assert(fc.property(arbChain, fc.nat(), (c, pick) => {
      const a = symbolicAnalysis(chainRuleset(c));
      const base = a.plan.chains.findIndex((x) => x.chain.base);
      const boxes = geometricChain(a, 'forward', base);
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
        }
      }
    }), { numRuns: 200, seed: 20261127 });
    expect(compared).toBeGreaterThan(200);
  });
});
