// The symbolic walk over stateful expressions (numgen, limit, quota, ct count, dynamic sets and
// their updates) is sound: every outcome the reference interpreter finds for a packet, under every
// state (src/engine/outcomes.ts), lies in an outcome of the walk with the same verdict, deciding
// rule and chain — the walk takes both ways of each draw, so it never calls a reachable thing
// unreachable.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import { ReferenceEngine } from '../../../src/engine/index.js';
import { allOutcomes } from '../../../src/engine/outcomes.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import type { Ruleset } from '../../../src/model/ruleset.js';
import { generatePackets } from '../../../src/probe/generate.js';
import { ENV, rulesetArb } from '../../engine/generators.js';

const stateful = (rs: Ruleset) => JSON.stringify(rs).includes('"state"') || JSON.stringify(rs).includes('"set-update"');

describe('symbolic walk over stateful expressions', () => {
  it('covers every outcome of the reference, on random rulesets', () => {
    const rulesets = fc.sample(rulesetArb, { seed: 42, numRuns: 400 }).filter(stateful);
    let checked = 0;
    let drawn = 0;
    for (const rs of rulesets) {
      let a;
      try {
        a = symbolicAnalysis(rs, ENV);
      } catch (e) {
        if (e instanceof NftlensError && e.code === 'NFT_UNSUPPORTED') continue; // a construct the analyses refuse (a negated concatenation)
        throw e;
      }
      const r = a.evaluator.run();
      const ref = new ReferenceEngine(rs, ENV);
      for (const p of generatePackets(rs, { random: 300, seed: checked + 1 })) {
        const all = allOutcomes((state) => ref.evaluate(p, { state }));
        if (all.outcomes.length > 1) drawn++;
        for (const { result: want } of all.outcomes) {
          const found = r.outcomes.some((o) => a.hs.member(o.space, p) && o.verdict === want.verdict && o.by === want.by && o.rule === want.rule && o.chain === want.chain);
          expect(found, `${JSON.stringify(p)} → ${JSON.stringify(want)}`).toBe(true);
        }
      }
      if (++checked >= 40) break;
    }
    expect(checked).toBeGreaterThanOrEqual(20);
    expect(drawn).toBeGreaterThan(100);
  }, 300_000);
});
