// The geometric diff against the BDD diff: seeded random chains of boxes and edits of them
// (verdicts flipped, rules removed, inserted, changed), verdicts and deciding rules, with and
// without local addresses — the same changes, counts, cubes and witnesses both ways. And the
// edit script (Myers) against a dynamic-programming LCS.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { diffRulesets } from '../../../src/analyses/diff.js';
import { editedRules } from '../../../src/analyses/geometric/diff.js';
import { arbRule, chainRuleset } from './random-chain.js';

function lcs(a: string[], b: string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) t[i]![j] = a[i] === b[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!);
  }
  return t[0]![0]!;
}

describe('editedRules', () => {
  it('leaves a longest common subsequence', () => {
    const word = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 14 });
    fc.assert(fc.property(word, word, (a, b) => {
      const e = editedRules(a, b)!;
      const keptA = a.filter((_, i) => !e.removed.includes(i));
      const keptB = b.filter((_, j) => !e.added.includes(j));
      expect(keptA).toEqual(keptB);
      expect(keptA.length).toBe(lcs(a, b));
    }), { numRuns: 500, seed: 7 });
  });
});

const arbEdit = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), rule: arbRule }),
);

describe('geometric diff: the same changes as the BDD diff', () => {
  it('on 200 random chains and edits of them', () => {
    fc.assert(fc.property(
      fc.array(arbRule, { minLength: 1, maxLength: 8 }), fc.constantFrom('ip', 'inet') as fc.Arbitrary<'ip' | 'inet'>, fc.array(arbEdit, { minLength: 0, maxLength: 3 }),
      fc.constantFrom('accept', 'drop') as fc.Arbitrary<'accept' | 'drop'>, fc.constantFrom('forward', 'input', 'prerouting') as fc.Arbitrary<'forward' | 'input' | 'prerouting'>,
      fc.boolean(), fc.boolean(),
      (rules, family, edits, policy, hook, byRule, local) => {
        const after = rules.map((r) => ({ ...r }));
        for (const e of edits) {
          const at = e.at % (after.length + 1);
          if (e.kind === 'insert') after.splice(at, 0, e.rule);
          else if (at < after.length && e.kind === 'remove') after.splice(at, 1);
          else if (at < after.length) after[at] = { ...after[at]!, verdict: after[at]!.verdict === 'drop' ? 'accept' : 'drop' };
        }
        const opts = { byRule, localAddresses: local ? ['10.1.2.3'] : [] };
        const A = chainRuleset({ rules, policy, family }, hook);
        const B = chainRuleset({ rules: after, policy, family }, hook);
        const geo = diffRulesets(A, B, opts);
        const bdd = diffRulesets(A, B, { ...opts, geometric: false });
        const sortKey = (c: (typeof geo.changes)[number]) => `${c.count}|${JSON.stringify(c.before)}|${JSON.stringify(c.after)}`;
        expect(geo.changes.sort((x, y) => sortKey(x).localeCompare(sortKey(y))))
          .toEqual(bdd.changes.sort((x, y) => sortKey(x).localeCompare(sortKey(y))));
        expect(geo.changed).toBe(bdd.changed);
      },
    ), { numRuns: 200, seed: 20261126 });
  });
});
