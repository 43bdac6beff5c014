// The compiled program's rule table: a rule that only decides (accept, drop, reject after its
// leading matches) carries RULE_VERDICT | V_* and has no op stream; any other rule points at its
// ops. Its trace stays `rule` then `verdict`, as the reference interpreter gives it, on both searches.

import { afterEach, describe, expect, it } from 'vitest';
import { compileRuleset, parsePacket, ReferenceEngine } from '../../src/engine/index.js';
import { compileProgram, lookupChoice } from '../../src/engine/compile.js';
import { makeEnvironment } from '../../src/engine/environment.js';
import * as L from '../../src/engine/layout.js';
import { planRuleset } from '../../src/engine/plan.js';
import type { Ruleset } from '../../src/model/ruleset.js';
import { base, chain, counter, jump, m, rule, table, v } from './ir.js';

/** The rule-table words of chain `c` of the compiled ruleset. */
function ruleWords(rs: Ruleset, c: number): number[] {
  const p = compileProgram(planRuleset(rs), makeEnvironment({}));
  const w = new Uint32Array(p.length);
  p.writeTo(w);
  const rec = w[L.H_CHAINS]! + c * L.CHAIN_WORDS;
  return Array.from(w.subarray(w[rec + L.C_RULES]!, w[rec + L.C_RULES]! + w[rec + L.C_NRULES]!));
}

const ruleset: Ruleset = {
  tables: [table('ip', 'f', [
    base('fwd', { hook: 'forward' }, [
      rule([m('th dport', 22)], v('accept')),
      rule([m('th dport', 23)], v('drop')),
      rule([m('th dport', 24)], v('reject')),
      rule([m('th dport', 25), counter], v('accept')),
      rule([m('th dport', 26), counter, m('ip saddr', { prefix: '10.0.0.0', len: 8 })], v('drop')),
      rule([m('th dport', 27)], jump('sub')),
      rule([m('th dport', 28)], v('return')),
      rule([m('th dport', 29)]),
    ]),
    chain('sub', [rule([], v('drop'))]),
  ])],
};

describe('rule table', () => {
  it('holds the verdict of a rule that only decides, the op-stream offset of any other', () => {
    const words = ruleWords(ruleset, 0);
    expect(words.slice(0, 3)).toEqual([L.RULE_VERDICT | L.V_ACCEPT, L.RULE_VERDICT | L.V_DROP, L.RULE_VERDICT | L.V_REJECT].map((x) => x >>> 0));
    for (const w of words.slice(3)) expect(w & L.RULE_VERDICT).toBe(0);
    expect(ruleWords(ruleset, 1)).toEqual([(L.RULE_VERDICT | L.V_DROP) >>> 0]);
  });
});

describe('a rule that only decides', () => {
  afterEach(() => {
    lookupChoice.forest = 'auto';
  });

  for (const forest of ['never', 'always'] as const) {
    it(`traces rule then verdict, as the reference does (${forest === 'always' ? 'cut trees' : 'bit vectors'})`, () => {
      lookupChoice.forest = forest;
      const c = compileRuleset(ruleset);
      const ref = new ReferenceEngine(ruleset);
      for (const [port, verdict, rule] of [[22, 'accept', 0], [23, 'drop', 1], [24, 'reject', 2], [25, 'accept', 3], [27, 'drop', 8]] as const) {
        const p = parsePacket(`tcp 10.0.0.5:40000 -> 10.42.1.7:${port} iif eth0 oif eth1`);
        const a = c.evaluate(p, { trace: true });
        expect(a).toEqual(ref.evaluate(p, { trace: true }));
        expect(a.verdict).toBe(verdict);
        expect(a.rule).toBe(rule);
        if (port <= 24) expect(a.trace!.filter((e) => e.kind === 'rule' || e.kind === 'verdict')).toEqual([{ kind: 'rule', rule }, { kind: 'verdict', rule, verdict }]);
      }
    });
  }
});
