// Mark arithmetic in the symbolic evaluator: `meta mark set meta mark & X | Y`, xor, copies between
// meta and ct mark, chained, then masked and ranged matches on the result. Every packet (random
// marks, and marks on the edges of the matched values) lies in the outcome the reference gives it.

import { describe, expect, it } from 'vitest';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import { makePacket, ReferenceEngine } from '../../../src/engine/index.js';
import type { Expr, Match, Rule, Ruleset } from '../../../src/model/ruleset.js';
import { prng } from '../../../src/model/prng.js';

const O = {};
const m = (field: Match['field'], value: Match['value'], mask?: number, op: Match['op'] = '=='): Match => ({ kind: 'match', field, op, value, ...(mask === undefined ? {} : { mask }), origin: O });
const rule = (exprs: Expr[], verdict?: 'accept' | 'drop'): Rule => ({ exprs, ...(verdict ? { verdict: { kind: verdict, origin: O } } : {}), origin: O });

function ruleset(seed: number): Ruleset {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ANDS = [0xffff00ff, 0xff00, 0xfffffff0, 0, 0xffffffff, 0x0f0f0f0f];
  const XORS = [0, 0x100, 0x1, 0x4000, 0x10100, 0xf0];
  const pre: Rule[] = [];
  for (let i = 0; i < 4; i++) {
    pre.push(rule([
      m('th dport', pick([80, 53, { range: [0, 100] }])),
      { kind: 'set-mark', key: pick(['meta mark', 'ct mark'] as const), value: pick(['meta mark', 'ct mark'] as const), and: pick(ANDS), xor: pick(XORS), origin: O },
    ]));
  }
  const fw: Rule[] = [];
  for (let i = 0; i < 6; i++) {
    const field = pick(['meta mark', 'ct mark'] as const);
    const value = pick([0x100, 0x1, { range: [0x100, 0x1ff] }, { range: [0x3, 0x10105] }, { set: [0x4000, 0x4100, 0x0] }] as Match['value'][]);
    fw.push(rule([m(field, value, pick([undefined, 0xff00, 0xff, 0x1ffff]), pick(['==', '!='] as const))], pick(['accept', 'drop'] as const)));
  }
  return { tables: [{
    family: 'inet', name: 'm', origin: O, chains: [
      { name: 'pre', base: { type: 'filter', hook: 'prerouting', priority: -150, policy: 'accept' }, rules: pre, origin: O },
      { name: 'fw', base: { type: 'filter', hook: 'forward', priority: 0, policy: pick(['accept', 'drop'] as const) }, rules: fw, origin: O },
    ],
  }] };
}

describe('symbolic mark arithmetic agrees with the reference interpreter', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`ruleset #${seed}`, () => {
      const rs = ruleset(seed);
      const a = symbolicAnalysis(rs, {});
      const ref = new ReferenceEngine(rs, {});
      const r = a.evaluator.run();
      const rnd = prng(1000 + seed);
      const MARKS = [0, 1, 0x100, 0x101, 0x1ff, 0x200, 0x4000, 0x4100, 0x10105, 0x10106, 0xffffffff, 0xf0, 0xff];
      const mark = (): number => (rnd() < 0.7 ? MARKS[Math.floor(rnd() * MARKS.length)]! : Math.floor(rnd() * 2 ** 32));
      for (let i = 0; i < 600; i++) {
        const p = makePacket({
          saddr: '10.1.0.5', daddr: '10.42.0.5', l4proto: rnd() < 0.5 ? 6 : 17, sport: 4000, dport: [80, 53, 22][i % 3]!,
          iifname: 'eth0', oifname: 'eth1', mark: mark(), ctMark: mark(), ctState: rnd() < 0.5 ? 'new' : 'established',
        });
        const want = ref.evaluate(p);
        const o = r.outcomes.find((x) => a.hs.member(x.space, p))!;
        expect({ verdict: o.verdict, rule: o.rule, chain: o.chain }, JSON.stringify(p)).toEqual({ verdict: want.verdict, rule: want.rule, chain: want.chain });
      }
    });
  }
});
