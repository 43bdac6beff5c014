// Large chains: ClassBench rule sets (bench/data) in many blocks of 1024 rules, checked against
// the expected first match of the shared trace (or a linear scan when the trace is absent), and a
// random 3000-rule chain with every match kind checked against the reference interpreter.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linearScanner, loadSet } from '../../bench/classbench-data.js';
import { compileRuleset, ReferenceEngine, makePacket } from '../../src/engine/index.js';
import type { Rule, Ruleset } from '../../src/model/ruleset.js';
import { formatIpv4 as ip } from '../../src/model/values.js';
import { ENV, randomPackets } from './generators.js';


describe('ClassBench rule sets', () => {
  // acl1_1k and ipc1_1k: small chains, built roomy (two-dim cuts); the 10k sets: the lean build.
  for (const name of ['acl1_1k', 'acl1_10k', 'fw1_10k', 'ipc1_1k']) {
    it(`${name}: first match of every packet of a 20000-line sample`, () => {
      const { rules, ruleset, trace } = loadSet(name);
      const c = compileRuleset(ruleset);
      const scan = linearScanner(rules);
      const pkts = [];
      const want: number[] = [];
      for (let i = 0; i < Math.min(20000, trace.n); i++) {
        pkts.push(makePacket({ saddr: ip(trace.src[i]!), daddr: ip(trace.dst[i]!), l4proto: trace.proto[i]!, sport: trace.sport[i]!, dport: trace.dport[i]! }));
        want.push(trace.expected[i]!);
        if (i < 200) expect(scan(trace.src[i]!, trace.dst[i]!, trace.sport[i]!, trace.dport[i]!, trace.proto[i]!)).toBe(trace.expected[i]);
      }
      const got = c.evaluateBatch(pkts).map((r) => r.rule);
      expect(got).toEqual(want);
    });
  }
});

describe('a 3000-rule chain (3 blocks) against the reference', () => {
  it('agrees on 2000 packets for 5 random chains', () => {
    const o = {};
    const ruleArb: fc.Arbitrary<Rule> = fc.record({
      s: fc.integer({ min: 0, max: 7 }), len: fc.constantFrom(8, 16, 24, 30, 32), port: fc.constantFrom(22, 53, 80, 443, 1024, 8080),
      neg: fc.boolean(), verdict: fc.constantFrom('accept', 'drop', 'continue', 'return' as const), set: fc.boolean(),
    }).map(({ s, len, port, neg, verdict, set }) => {
      const addr = ['10.0.0.0', '10.0.1.0', '192.168.0.0', '10.0.0.4', '172.16.0.0', '10.0.0.1', '10.0.1.9', '0.0.0.0'][s]!;
      const r: Rule = {
        origin: o, verdict: { kind: verdict, origin: o },
        exprs: [
          { kind: 'match', field: s % 2 ? 'ip saddr' : 'ip daddr', op: '==', value: { prefix: addr, len }, origin: o },
          { kind: 'match', field: 'th dport', op: neg ? '!=' : '==', value: set ? { set: [port, { range: [1000, 2000] }] } : port, origin: o },
        ],
      };
      return r;
    });
    fc.assert(fc.property(fc.array(ruleArb, { minLength: 3000, maxLength: 3000 }), fc.integer(), (rules, seed) => {
      const rs: Ruleset = { tables: [{ family: 'ip', name: 'big', origin: o, chains: [{ name: 'fwd', origin: o, base: { type: 'filter', hook: 'forward', priority: 0, policy: 'drop' }, rules }] }] };
      const c = compileRuleset(rs, ENV);
      const ref = new ReferenceEngine(rs, ENV);
      const pkts = randomPackets(seed, 2000).filter((p) => p.family === 4);
      const got = c.evaluateBatch(pkts);
      pkts.forEach((p, i) => expect(got[i]).toEqual(ref.evaluate(p)));
    }), { numRuns: 5 });
  });
});
