// assembly/engine/cuts.ts: the cut-tree search against the reference interpreter on adversarial
// chains — all-wildcard rules, many overlapping ranges, 10 000 rules on one field, sets and `!=`
// (rules in several pieces), masks, statements and returns (first match from a position) — and
// against the bit-vector search on raw batch columns holding keys beyond a field's width.

import { afterEach, describe, expect, it } from 'vitest';
import { lookupChoice } from '../../../src/engine/compile.js';
import { compileRuleset, makePacket, ReferenceEngine, type Packet } from '../../../src/engine/index.js';
import * as L from '../../../src/engine/layout.js';
import { compileProgram } from '../../../src/engine/compile.js';
import { makeEnvironment } from '../../../src/engine/environment.js';
import { planRuleset } from '../../../src/engine/plan.js';
import type { Rule, Ruleset } from '../../../src/model/ruleset.js';
import { prng } from '../../../src/model/prng.js';
import { formatIpv4 as ipOf } from '../../../src/model/values.js';
import { base, chain, counter, jump, m, rule, setMark, table, v } from '../../engine/ir.js';

const fwd = (rules: Rule[], extra = [] as ReturnType<typeof chain>[]): Ruleset => ({ tables: [table('ip', 'f', [base('fwd', { hook: 'forward', policy: 'drop' }, rules), ...extra])] });

function packets(seed: number, n: number, addr: () => number, port: () => number): Packet[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => makePacket({
    saddr: ipOf(addr()), daddr: ipOf(addr()), l4proto: r() < 0.7 ? 6 : 17, sport: port(), dport: port(), mark: Math.floor(r() * 512),
  }));
}

/** The chain gets cut trees, and agrees with the reference on every packet (rule, verdict, packet). */
function agrees(rs: Ruleset, pkts: Packet[]): void {
  expect(compileProgram(planRuleset(rs), makeEnvironment({})).lookups[0]).toBe('forest');
  const c = compileRuleset(rs);
  const ref = new ReferenceEngine(rs);
  const got = c.evaluateBatch(pkts);
  pkts.forEach((p, i) => expect(got[i]).toEqual(ref.evaluate(p)));
  expect(Array.from(c.counterArray())).toEqual(Array.from(ref.counterValues));
}

describe('cut trees vs the reference', () => {
  afterEach(() => {
    lookupChoice.forest = 'auto';
  });

  it('all-wildcard rules (counters) between specific ones: every packet walks them in order', () => {
    const rules: Rule[] = [];
    for (let i = 0; i < 300; i++) rules.push(i % 3 === 0 ? rule([counter]) : rule([m('th dport', 1000 + i), counter], i % 7 === 0 ? v('accept') : undefined));
    rules.push(rule([], v('accept')));
    const r = prng(1);
    agrees(fwd(rules), packets(2, 400, () => 0x0a000001, () => 1000 + Math.floor(r() * 320)));
  });

  it('many overlapping ranges: nested port ranges and address ranges, no verdict but the last', () => {
    const rules: Rule[] = [];
    for (let i = 0; i < 500; i++) {
      rules.push(rule([
        m('ip saddr', { range: [ipOf(0x0a000000 + i * 7), ipOf(0x0a00ffff - i * 11)] }),
        m('th dport', { range: [i * 60, 65535 - i * 60] }), counter,
      ], i % 50 === 49 ? v('drop') : undefined));
    }
    rules.push(rule([m('th sport', { range: [0, 30000] })], v('accept')));
    const r = prng(3);
    agrees(fwd(rules), packets(4, 500, () => 0x0a000000 + Math.floor(r() * 0x10000), () => Math.floor(r() * 65536)));
  });

  it('10 000 rules on one field (distinct /32 destinations, then a few /16s)', () => {
    const rules: Rule[] = [];
    for (let i = 0; i < 10000; i++) rules.push(rule([m('ip daddr', ipOf(0xc0a80000 + i * 3))], i % 2 ? v('accept') : v('drop')));
    for (let i = 0; i < 4; i++) rules.push(rule([m('ip daddr', { prefix: ipOf(0xc0a80000 + i * 0x10000), len: 16 })], v('accept')));
    const r = prng(5);
    agrees(fwd(rules), packets(6, 2000, () => 0xc0a80000 + Math.floor(r() * 0x40000), () => 80));
  });

  it('sets, `!=` and masks: rules in several pieces', () => {
    const rules: Rule[] = [];
    for (let i = 0; i < 120; i++) {
      rules.push(rule([
        m('th dport', { set: [i, 1000 + i, { range: [2000 + 10 * i, 2005 + 10 * i] }] }),
        m('meta mark', i & 0xff, i % 2 ? '==' : '!=', 0xff),
        m('ip saddr', { prefix: ipOf(0x0a000000 + (i << 8)), len: 24 }, i % 5 ? '==' : '!='),
      ], v(i % 3 ? 'accept' : 'drop')));
    }
    const r = prng(7);
    const ports = () => [Math.floor(r() * 120), 1000 + Math.floor(r() * 120), 2000 + Math.floor(r() * 1250)][Math.floor(r() * 3)]!;
    agrees(fwd(rules), packets(8, 1500, () => 0x0a000000 + Math.floor(r() * 0x10000), ports));
  });

  it('first match from a position: statements, a jump whose chain returns, marks set then matched', () => {
    const sub = chain('sub', [rule([m('th sport', { range: [0, 1023] })], v('return')), rule([m('meta mark', 1)], v('drop'))]);
    const rules: Rule[] = [];
    for (let i = 0; i < 200; i++) {
      if (i % 40 === 0) rules.push(rule([m('th dport', { range: [0, 4000] })], jump('sub')));
      else if (i % 9 === 0) rules.push(rule([m('th dport', 40 * i), setMark('meta mark', 1)]));
      else rules.push(rule([m('th dport', { range: [20 * i, 20 * i + 100] }), m('meta mark', 1)], v(i % 2 ? 'accept' : 'drop')));
    }
    lookupChoice.forest = 'always';
    const r = prng(9);
    agrees(fwd(rules, [sub]), packets(10, 1000, () => 0x0a000001, () => Math.floor(r() * 4100)));
  });
});

describe('the worked example of the Theory of Operation (lookup.ts), cut trees forced', () => {
  const rs = fwd([
    rule([m('ip saddr', '10.0.0.1')], v('accept')),
    rule([m('ip saddr', '10.0.0.2'), m('meta l4proto', 6), m('th dport', 22)], v('accept')),
    rule([m('meta l4proto', 6), m('th dport', 80), counter]),
    rule([m('ip saddr', { prefix: '10.0.0.0', len: 30 })], v('drop')),
  ]);
  const run = (pkt: Packet) => {
    lookupChoice.forest = 'always';
    try {
      expect(compileProgram(planRuleset(rs), makeEnvironment({})).lookups[0]).toBe('forest');
      const r = compileRuleset(rs).evaluate(pkt, { trace: true });
      return { verdict: r.verdict, rules: r.trace!.filter((e) => e.kind === 'rule').map((e) => (e as { rule: number }).rule) };
    } finally {
      lookupChoice.forest = 'auto';
    }
  };
  const tcp = (saddr: string, dport: number) => makePacket({ saddr, daddr: '10.9.9.9', l4proto: 6, sport: 40000, dport });

  it('10.0.0.2 → :22: rule 1', () => expect(run(tcp('10.0.0.2', 22))).toEqual({ verdict: 'accept', rules: [1] }));
  it('10.0.0.2 → :80: rule 2 counts, then rule 3 drops', () => expect(run(tcp('10.0.0.2', 80))).toEqual({ verdict: 'drop', rules: [2, 3] }));
  it('192.168.0.1 → :22: no rule, the policy', () => expect(run(tcp('192.168.0.1', 22))).toEqual({ verdict: 'drop', rules: [] }));
});

describe('keys beyond a field width', () => {
  it('l4proto 300 and ports above 65535 in raw columns: same answers as the bit vectors', () => {
    const rules: Rule[] = [];
    for (let i = 0; i < 100; i++) rules.push(rule([m('th dport', { range: [i * 100, 65535] }), m('meta l4proto', 6, '!=')], v('accept')));
    rules.push(rule([m('meta l4proto', 6, '!=')], v('drop')));
    const rs = fwd(rules);
    expect(compileProgram(planRuleset(rs), makeEnvironment({})).lookups[0]).toBe('forest');
    const forest = compileRuleset(rs);
    lookupChoice.forest = 'never';
    const bits = compileRuleset(rs);
    lookupChoice.forest = 'auto';
    const keys = [[300, 80], [17, 70000], [300, 1 << 20], [17, 5000], [6, 80]];
    const answers = [forest, bits].map((c) => {
      const col = c.columns;
      keys.forEach(([proto, dport], i) => {
        col[L.K_NFPROTO]![i] = 2;
        col[L.K_SADDR]![i] = 0x0a000001;
        col[L.K_DADDR]![i] = 0x0a000002;
        col[L.K_L4PROTO]![i] = proto!;
        col[L.K_DPORT]![i] = dport!;
        col[L.K_IIF]![i] = c.interfaceClass('');
        col[L.K_OIF]![i] = c.interfaceClass('');
        col[L.K_CTSTATE]![i] = 8;
      });
      c.runBatch(keys.length);
      return keys.map((_, i) => [col[L.B_VERDICT]![i], col[L.B_RULE]![i]]);
    });
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]![3]).toEqual([L.VERDICT_ACCEPT, 0]);
    expect(answers[0]![1]).toEqual([L.VERDICT_DROP, 100]);
  });
});
