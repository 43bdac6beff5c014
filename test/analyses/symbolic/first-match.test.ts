// The lazy first-match form of run.ts (a plain rule fires for its match minus the overlapping
// earlier takers' matches) against the rule-by-rule split (forced by `reach: true`): on seeded
// random flat chains with wildcards, `!=`, sets and ranges, every rule's hit and ends sets and
// the verdict partition are the same sets.
import { describe, expect, it } from 'vitest';
import type { Expr, Rule } from '../../../src/model/ruleset.js';
import { prng } from '../../../src/model/prng.js';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import { forwardRuleset, m, rule } from '../support.js';

const NETS = [{ prefix: '10.0.0.0', len: 8 }, { prefix: '10.1.0.0', len: 16 }, { prefix: '10.1.2.0', len: 24 }, { prefix: '192.168.0.0', len: 16 }];
const HOSTS = ['10.1.2.3', '10.0.0.1', '192.168.1.1'];

function flatChain(seed: number): Rule[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const op = () => (rnd() < 0.2 ? '!=' : '==') as '==' | '!=';
  const rules: Rule[] = [];
  const n = 20 + Math.floor(rnd() * 40);
  for (let i = 0; i < n; i++) {
    const exprs: Expr[] = [];
    if (rnd() < 0.6) exprs.push(m('ip saddr', rnd() < 0.3 ? { set: [pick(HOSTS), pick(NETS)] } : pick(NETS), op()));
    if (rnd() < 0.6) exprs.push(m('ip daddr', rnd() < 0.3 ? { range: ['10.0.0.0', pick(HOSTS)] } : pick(NETS), op()));
    if (rnd() < 0.5) {
      exprs.push(m('meta l4proto', pick([6, 17])));
      if (rnd() < 0.7) exprs.push(m('th dport', rnd() < 0.5 ? { range: [1000, 2000 + Math.floor(rnd() * 3000)] } : { set: [22, 80, 443] }, op()));
    }
    if (rnd() < 0.1) exprs.push(m('meta mark', pick([0, 0x10])));
    if (rnd() < 0.05) exprs.push({ kind: 'set-mark', key: 'meta mark', value: 0x10, origin: {} });
    else if (rnd() < 0.3) exprs.push({ kind: 'counter', origin: {} });
    const v = pick(['accept', 'accept', 'drop', 'drop', 'reject', 'continue', undefined] as const);
    rules.push(rule(`r${i}`, exprs, v));
  }
  return rules;
}

describe('lazy first-match runs equal the rule-by-rule split', () => {
  for (let seed = 1; seed <= 30; seed++) {
    it(`random flat chain #${seed}`, () => {
      const rs = forwardRuleset(flatChain(seed), seed % 2 ? 'accept' : 'drop');
      const a = symbolicAnalysis(rs);
      const { hs } = a;
      const fast = a.evaluator.run({ hook: 'forward' });
      const slow = a.evaluator.run({ hook: 'forward', reach: true });
      let fired = 0;
      for (let id = 0; id < a.plan.rules.length; id++) {
        for (const k of ['hit', 'ends'] as const) {
          const x = fast.rules[id]?.[k] ?? hs.none;
          const y = slow.rules[id]?.[k] ?? hs.none;
          expect(hs.equals(x, y), `rule ${id} ${k}`).toBe(true);
        }
        if (!hs.isEmpty(fast.rules[id]?.hit ?? hs.none)) fired++;
      }
      expect(fired).toBeGreaterThan(0);
      const key = (o: { verdict: string; by: string; rule?: number }) => `${o.verdict}|${o.by}|${o.rule}`;
      const slowBy = new Map(slow.outcomes.map((o) => [key(o), o.space]));
      expect(fast.outcomes.map(key).sort()).toEqual([...slowBy.keys()].sort());
      for (const o of fast.outcomes) expect(hs.equals(o.space, slowBy.get(key(o))!), key(o)).toBe(true);
    });
  }
});
