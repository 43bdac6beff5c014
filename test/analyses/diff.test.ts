// Policy diff: a worked change (one rule's action flipped, one port range widened) summarised as
// cubes with witnesses that both engines confirm; identical rulesets have an empty diff; and on
// random ruleset pairs, diff empty ⇔ no sampled packet's verdict differs, each witness differs.

import { describe, expect, it } from 'vitest';
import { diffRulesets } from '../../src/analyses/diff.js';
import { ReferenceEngine, compileRuleset } from '../../src/engine/index.js';
import { generatePackets } from '../../src/probe/generate.js';
import type { Ruleset } from '../../src/model/ruleset.js';
import { randomRuleset } from '../probe/random-ruleset.js';
import { forwardRuleset, m, rule } from './support.js';

describe('diff', () => {
  const before = forwardRuleset([
    rule('web', [m('meta l4proto', 6), m('ip saddr', { prefix: '10.0.0.0', len: 24 }), m('ip daddr', '10.42.1.7'), m('th dport', { range: [80, 88] })], 'accept'),
    rule('dns', [m('meta l4proto', 17), m('th dport', 53)], 'accept'),
  ], 'drop');
  const after = forwardRuleset([
    rule('web', [m('meta l4proto', 6), m('ip saddr', { prefix: '10.0.0.0', len: 24 }), m('ip daddr', '10.42.1.7'), m('th dport', { range: [80, 88] })], 'drop'),
    rule('dns', [m('meta l4proto', 17), m('th dport', { range: [53, 54] })], 'accept'),
  ], 'drop');

  it('finds exactly what changed, as readable cubes with witnesses', () => {
    const d = diffRulesets(before, after);
    expect(d.changes.map((c) => `${c.before.verdict} → ${c.after.verdict}`).sort()).toEqual(['accept → drop', 'drop → accept']);
    const web = d.changes.find((c) => c.before.verdict === 'accept')!;
    expect(web.cubes).toEqual([expect.stringMatching(/^tcp 10\.0\.0\.0\/24 -> 10\.42\.1\.7 dport 80-88/)]);
    const dns = d.changes.find((c) => c.before.verdict === 'drop')!;
    expect(dns.cubes[0]).toMatch(/^(ip )?udp .*dport 54$/);
    for (const c of d.changes) {
      for (const [rs, want] of [[before, c.before.verdict], [after, c.after.verdict]] as const) {
        expect(new ReferenceEngine(rs).evaluate(c.witness).verdict).toBe(want);
        expect(compileRuleset(rs).evaluate(c.witness).verdict).toBe(want);
      }
    }
  });

  it('by rule: the same verdict from another rule is a change too', () => {
    const a = forwardRuleset([rule('x', [m('ip saddr', '10.0.0.1')], 'drop')], 'drop');
    expect(diffRulesets(a, forwardRuleset([], 'drop')).changes).toEqual([]);
    const d = diffRulesets(a, forwardRuleset([], 'drop'), { byRule: true });
    expect(d.changes).toHaveLength(1);
    expect(d.changes[0]!.before.decidedBy).toBe('ip t fwd rule x');
    expect(d.changes[0]!.after.decidedBy).toBe('ip t fwd policy drop');
  });

  it('identical rulesets: empty diff', () => {
    expect(diffRulesets(before, structuredClone(before)).changes).toEqual([]);
  });
});

describe('diff agrees with brute force on random ruleset pairs', () => {
  for (let seed = 201; seed <= 210; seed++) {
    it(`random rulesets #${seed} → #${seed} with one rule removed, and → #${seed + 1000}`, () => {
      const a = randomRuleset(seed, { sets: false });
      const mutated: Ruleset = structuredClone(a);
      const chains = mutated.tables.flatMap((t) => t.chains).filter((c) => c.rules.length);
      chains[seed % chains.length]!.rules.splice(0, 1);
      for (const b of [mutated, randomRuleset(seed + 1000, { sets: false })]) {
        const d = diffRulesets(a, b);
        const ra = new ReferenceEngine(a);
        const rb = new ReferenceEngine(b);
        for (const c of d.changes) {
          expect(ra.evaluate(c.witness).verdict).toBe(c.before.verdict);
          expect(rb.evaluate(c.witness).verdict).toBe(c.after.verdict);
        }
        const packets = [...generatePackets(a, { random: 2000, seed }), ...generatePackets(b, { random: 2000, seed })];
        const differs = packets.some((p) => ra.evaluate(p).verdict !== rb.evaluate(p).verdict);
        if (differs) expect(d.changes.length).toBeGreaterThan(0);
        if (d.changes.length === 0) expect(differs).toBe(false);
      }
    });
  }
});
