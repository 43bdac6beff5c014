// Rule anomalies: worked examples of every kind (with the rules named and witnesses checked by
// both engines), and brute force on seeded random rulesets — a rule reported as never firing
// never gives a verdict for any sampled packet; a rule that fires has a witness that fires it;
// a rule reported redundant changes no sampled packet's verdict when removed.

import { describe, expect, it } from 'vitest';
import { findAnomalies } from '../../src/analyses/anomalies.js';
import { symbolicAnalysis } from '../../src/analyses/symbolic/index.js';
import { ReferenceEngine } from '../../src/engine/index.js';
import { generatePackets } from '../../src/probe/generate.js';
import type { Expr, Ruleset } from '../../src/model/ruleset.js';
import { randomRuleset } from '../probe/random-ruleset.js';
import { chain, checkWitness, forwardRuleset, m, rule, verdictRules } from './support.js';

const kinds = (rs: Ruleset) => findAnomalies(symbolicAnalysis(rs)).findings.map((f) => [f.kind, f.subject?.origin.rule]);

describe('anomalies: stateful expressions shadow nothing and are not shadowed for what they may not do', () => {
  const limit: Expr = { kind: 'state', source: { what: 'limit', rate: 10, rateUnit: 'packets', per: 'second', over: false }, op: '==', origin: {} };
  const numgen: Expr = { kind: 'state', source: { what: 'numgen', mode: 'random', mod: 2, offset: 0 }, op: '==', value: 0, origin: {} };
  const rs = forwardRuleset([
    rule('ssh-limited', [m('meta l4proto', 6), m('th dport', 22), limit], 'accept'),
    rule('ssh-reject', [m('meta l4proto', 6), m('th dport', 22)], 'reject'),
    rule('half', [m('ip saddr', { prefix: '10.5.0.0', len: 16 }), numgen], 'drop'),
    rule('rest', [m('ip saddr', { prefix: '10.5.0.0', len: 16 })], 'accept'),
    rule('web', [m('meta l4proto', 6), m('th dport', 80)], 'accept'),
    rule('web-limited', [m('meta l4proto', 6), m('th dport', 80), limit], 'drop'),
  ], 'drop');
  const report = findAnomalies(symbolicAnalysis(rs));
  const byRule = (name: string) => report.findings.filter((f) => f.subject?.origin.rule === name).map((f) => f.kind).sort();

  it('a rule after a limit or a numgen on the same packets still fires (the state may say no); a stateful rule after a rule that takes all its packets never does', () => {
    expect(byRule('ssh-reject')).toEqual([]);
    expect(byRule('rest')).toEqual([]);
    expect(byRule('web-limited')).toEqual(['unreachable']);
  });
});

describe('anomalies: worked examples', () => {
  const rs = forwardRuleset([
    rule('lan', [m('ip saddr', { prefix: '10.0.0.0', len: 8 })], 'accept'),
    rule('lab', [m('ip saddr', { prefix: '10.1.0.0', len: 16 })], 'drop'),
    rule('lab-again', [m('ip saddr', { prefix: '10.2.0.0', len: 16 })], 'accept'),
    rule('ssh', [m('meta l4proto', 6), m('th dport', 22)], 'drop'),
    rule('web', [m('meta l4proto', 6), m('th dport', 80), m('ip saddr', { prefix: '10.0.0.0', len: 8 })], 'accept'),
    rule('never', [m('ip saddr', { prefix: '10.0.0.5', len: 16 })], 'accept'),
    rule('dns', [m('meta l4proto', 17), m('th dport', 53)], 'drop'),
    rule('dns-too', [m('meta l4proto', 17), m('th dport', 53), m('ip saddr', { prefix: '192.168.0.0', len: 16 })], 'drop'),
  ], 'accept');
  const report = findAnomalies(symbolicAnalysis(rs));
  const byRule = (name: string) => report.findings.filter((f) => f.subject?.origin.rule === name).map((f) => f.kind).sort();

  it('names shadowed, redundant, unreachable, correlated and generalization findings', () => {
    expect(byRule('lab')).toEqual(['shadowed']);
    expect(byRule('lab-again')).toEqual(['redundant']);
    expect(byRule('never')).toEqual(['unreachable']);
    expect(byRule('ssh')).toEqual(['correlated']);
    expect(byRule('web')).toEqual(['redundant']); // 10.0.0.0/8 is all accepted by `lan` already
    expect(byRule('dns-too')).toEqual(['redundant']);
    expect(byRule('lan')).toEqual([]);
    const lab = report.findings.find((f) => f.subject?.origin.rule === 'lab')!;
    expect(lab.severity).toBe('error');
    expect(lab.related.map((r) => r.origin.rule)).toEqual(['lan']);
    expect(lab.message).toMatch(/taken first by ip t fwd rule lan/);
  });

  it('every witness is what the finding says, for both engines', () => {
    for (const f of report.findings) checkWitness(rs, f);
    expect(report.findings.filter((f) => f.witness).length).toBeGreaterThanOrEqual(4);
  });

  it('generalization: a later rule covering an earlier one with another action', () => {
    const g = forwardRuleset([
      rule('one-host', [m('ip saddr', '10.0.0.7')], 'drop'),
      rule('the-net', [m('ip saddr', { prefix: '10.0.0.0', len: 24 })], 'accept'),
    ], 'drop');
    expect(kinds(g)).toEqual([['generalization', 'the-net']]);
  });

  it('coverage by several rules, through a jump and a return', () => {
    const j = forwardRuleset([
      rule('to-sub', [m('meta l4proto', 6)], 'jump', 'sub'),
      rule('tcp-low', [m('meta l4proto', 6), m('th dport', { range: [0, 1000] })], 'accept'),
      rule('any', [], 'accept'),
    ], 'drop', [chain('sub', [
      rule('low', [m('th dport', { range: [0, 499] })], 'drop'),
      rule('back', [m('th dport', { range: [1001, 1999] })], 'return'),
      rule('high', [m('th dport', { range: [500, 65535] })], 'reject'),
    ])]);
    const report = findAnomalies(symbolicAnalysis(j));
    const f = report.findings.find((x) => x.subject?.origin.rule === 'tcp-low')!;
    expect(f.kind).toBe('shadowed');
    expect(f.related.map((r) => r.origin.rule).sort()).toEqual(['high', 'low']);
    for (const x of report.findings) checkWitness(j, x);
  });

  it('accept ends only its base chain: a drop in a later base chain is no cover', () => {
    const two: Ruleset = { tables: [
      { family: 'ip', name: 'a', origin: {}, chains: [chain('c', [rule('a-acc', [m('ip saddr', '10.0.0.1')], 'accept')], { type: 'filter', hook: 'forward', priority: 0, policy: 'accept' })] },
      { family: 'inet', name: 'b', origin: {}, chains: [chain('c', [rule('b-drop', [m('ip saddr', '10.0.0.1')], 'drop')], { type: 'filter', hook: 'forward', priority: 10, policy: 'accept' })] },
    ] };
    const r = findAnomalies(symbolicAnalysis(two));
    // a-acc fires, but removing it changes nothing: b-drop drops those packets anyway.
    expect(r.findings.map((f) => [f.kind, f.subject?.origin.rule])).toEqual([['redundant', 'a-acc']]);
  });
});

describe('anomalies agree with brute force on random rulesets', () => {
  for (let seed = 101; seed <= 130; seed++) {
    it(`random ruleset #${seed}`, () => {
      const ruleset = randomRuleset(seed, { sets: false });
      const a = symbolicAnalysis(ruleset);
      const report = findAnomalies(a);
      for (const f of report.findings) checkWitness(ruleset, f);
      const ref = new ReferenceEngine(ruleset);
      const packets = generatePackets(ruleset, { random: 3400, seed });
      const never = new Map<number, string>();
      for (const f of report.findings) {
        if (f.kind === 'shadowed' || f.kind === 'unreachable' || (f.kind === 'redundant' && f.message.includes('never fires'))) {
          never.set(f.subject!.rule!, f.check?.hook ?? f.message.split(':')[0]!);
        }
      }
      const hooks = new Set([...never.values()]);
      for (const hook of hooks) {
        for (const p of packets) {
          const fired = verdictRules(ref.evaluate(p, { trace: true, hook: hook as 'forward' }).trace!);
          for (const [id, h] of never) if (h === hook) expect(fired.has(id), `rule ${id} at ${hook}: ${JSON.stringify(p)}`).toBe(false);
        }
      }
      // Rules that fire: a witness of their hit set fires them.
      for (const hook of ['prerouting', 'forward', 'postrouting'] as const) {
        const res = a.evaluator.run({ hook });
        res.rules.forEach((rs, id) => {
          if (!rs || a.hs.isEmpty(rs.hit) || ruleset === undefined) return;
          const w = a.hs.witness(rs.hit)!;
          const t = ref.evaluate(w, { trace: true, hook }).trace!;
          expect(t.some((e) => (e.kind === 'verdict' || e.kind === 'stmt') && e.rule === id), `rule ${id} ${JSON.stringify(w)}`).toBe(true);
        });
      }
      // Redundant rules that fire: removing them changes no sampled verdict.
      for (const f of report.findings.filter((x) => x.kind === 'redundant' && !x.message.includes('never fires'))) {
        const id = f.subject!.rule!;
        const info = a.plan.rules[id]!;
        const without = structuredClone(ruleset);
        without.tables[info.chain === undefined ? 0 : a.plan.chains[info.chain]!.tableIndex]!
          .chains[a.plan.chains[info.chain]!.chainIndex]!.rules.splice(info.index, 1);
        const ref2 = new ReferenceEngine(without);
        for (const p of packets.slice(0, 1500)) {
          expect(ref2.evaluate(p, { hook: f.check!.hook }).verdict).toBe(ref.evaluate(p, { hook: f.check!.hook }).verdict);
        }
      }
    });
  }
});
