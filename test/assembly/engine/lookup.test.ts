// assembly/engine/lookup.ts: the worked example of its Theory of Operation, run through the
// WASM classifier — the first match from position 0, then from the position after a rule
// without verdict — and rules in several 1024-rule blocks, with the match in a late block.

import { describe, expect, it } from 'vitest';
import { compileRuleset, parsePacket } from '../../../src/engine/index.js';
import type { Rule, Ruleset } from '../../../src/model/ruleset.js';
import { base, counter, m, rule, table, v } from '../../engine/ir.js';

// rule 0: ip saddr 10.0.0.0/8 tcp dport 22 (counter; in the example it accepts)
// rule 1: tcp dport 1024-65535 counter
// rule 2: ip saddr 10.0.0.5 drop
const example = (r0Verdict: boolean): Ruleset => ({
  tables: [table('ip', 'f', [base('fwd', { hook: 'forward' }, [
    rule([m('ip saddr', { prefix: '10.0.0.0', len: 8 }), m('meta l4proto', 6), m('th dport', 22), counter], r0Verdict ? v('accept') : undefined),
    rule([m('meta l4proto', 6), m('th dport', { range: [1024, 65535] }), counter]),
    rule([m('ip saddr', '10.0.0.5')], v('drop')),
  ])])],
});
const rulesMatched = (rs: Ruleset, pkt: string) =>
  compileRuleset(rs).evaluate(parsePacket(pkt), { trace: true }).trace!.filter((e) => e.kind === 'rule').map((e) => (e as { rule: number }).rule);

describe('first match from a position', () => {
  it('finds rule 0 for 10.0.0.5 → :22, and from position 1 skips rule 1 to rule 2', () => {
    expect(rulesMatched(example(true), 'tcp 10.0.0.5:40000 -> 10.9.9.9:22')).toEqual([0]);
    expect(rulesMatched(example(false), 'tcp 10.0.0.5:40000 -> 10.9.9.9:22')).toEqual([0, 2]);
  });

  it('finds rule 1 then rule 2 for 10.0.0.5 → :8080', () => {
    expect(rulesMatched(example(true), 'tcp 10.0.0.5:1 -> 10.9.9.9:8080')).toEqual([1, 2]);
  });

  it('walks blocks of 1024 rules: counters in every block, the verdict in the last one', () => {
    const rules: Rule[] = [];
    for (let i = 0; i < 3500; i++) rules.push(rule([m('th dport', i % 7 === 0 ? 80 : 81 + (i % 5)), counter]));
    rules.push(rule([m('th dport', 80)], v('drop')));
    const rs: Ruleset = { tables: [table('ip', 'f', [base('fwd', { hook: 'forward' }, rules)])] };
    const c = compileRuleset(rs);
    const r = c.evaluate(parsePacket('tcp 10.0.0.5:1 -> 10.9.9.9:80'), { trace: true });
    expect(r.verdict).toBe('drop');
    expect(r.rule).toBe(3500);
    const matched = r.trace!.filter((e) => e.kind === 'rule').map((e) => (e as { rule: number }).rule);
    expect(matched).toEqual([...Array.from({ length: 500 }, (_, k) => k * 7), 3500]);
    expect(c.counters().filter((x) => x.packets === 1)).toHaveLength(500);
  });
});
