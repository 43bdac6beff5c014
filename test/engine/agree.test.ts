// Property: the WASM classifier and the reference interpreter agree — verdict, deciding rule and
// chain, path, final packet, counters, and (on a sample) the full trace — on random rulesets
// using every construct × random packets, with each chain's lookup as compiled (cut trees or bit
// vectors) and again with cut trees forced wherever a chain's fields allow them. RULESETS/PACKETS
// env vars scale it (CI: 1000 × 1000).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lookupChoice } from '../../src/engine/compile.js';
import { compileRuleset, ReferenceEngine } from '../../src/engine/index.js';
import type { Ruleset } from '../../src/model/ruleset.js';
import { allOutcomes } from '../../src/engine/outcomes.js';
import { batchView, ENV, randomPackets, rulesetArb } from './generators.js';

const RULESETS = Number(process.env.RULESETS ?? 1000);
const PACKETS = Number(process.env.PACKETS ?? 1000);
const TRACED = 50;

// Packet streams, drawn once and shared across rulesets (the rulesets are what vary most).
const POOLS = Array.from({ length: 8 }, (_, i) => randomPackets(i + 1, PACKETS));
const pool = (seed: number) => POOLS[Math.abs(seed) % POOLS.length]!;

function check(rs: Ruleset, seed: number): void {
  const wasm = compileRuleset(rs, ENV);
  const ref = new ReferenceEngine(rs, ENV);
  const packets = pool(seed);
  const got = wasm.evaluateBatch(packets);
  for (let i = 0; i < packets.length; i++) {
    const want = batchView(ref.evaluate(packets[i]!));
    if (JSON.stringify(got[i]) !== JSON.stringify(want)) {
      expect({ packet: packets[i], result: got[i] }).toEqual({ packet: packets[i], result: want });
    }
  }
  expect(Array.from(wasm.counterArray())).toEqual(Array.from(ref.counterValues));
  for (let i = 0; i < TRACED; i++) {
    const a = wasm.evaluate(packets[i]!, { trace: true });
    const b = ref.evaluate(packets[i]!, { trace: true });
    expect(a).toEqual(b);
  }
  // Every outcome of the packets that met draws, each state word on both engines.
  for (let i = 0, n = 0; i < packets.length && n < TRACED; i++) {
    if (!got[i]!.draws) continue;
    n++;
    const a = allOutcomes((state) => wasm.evaluate(packets[i]!, { state, trace: true }));
    const b = allOutcomes((state) => ref.evaluate(packets[i]!, { state, trace: true }));
    expect(a).toEqual(b);
  }
}

describe('WASM classifier vs reference interpreter', () => {
  it(`agree on ${RULESETS} random rulesets × ${PACKETS} packets`, () => {
    fc.assert(fc.property(rulesetArb, fc.integer(), (rs, seed) => check(rs, seed)), { numRuns: RULESETS });
  }, 300_000);

  it(`agree with cut trees on every chain that takes them (${Math.max(10, RULESETS / 4)} rulesets)`, () => {
    lookupChoice.forest = 'always';
    try {
      fc.assert(fc.property(rulesetArb, fc.integer(), (rs, seed) => check(rs, seed)), { numRuns: Math.max(10, RULESETS / 4) });
    } finally {
      lookupChoice.forest = 'auto';
    }
  }, 300_000);

  it('agree per hook evaluated alone', () => {
    fc.assert(
      fc.property(rulesetArb, fc.integer(), fc.constantFrom('prerouting', 'input', 'forward', 'output', 'postrouting' as const), (rs, seed, hook) => {
        const wasm = compileRuleset(rs, ENV);
        const ref = new ReferenceEngine(rs, ENV);
        const packets = pool(seed).slice(0, 100);
        const got = wasm.evaluateBatch(packets, { hook });
        packets.forEach((p, i) => expect(got[i]).toEqual(batchView(ref.evaluate(p, { hook }))));
      }),
      { numRuns: Math.max(10, RULESETS / 10) },
    );
  });
});
