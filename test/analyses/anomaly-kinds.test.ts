// src/analyses/anomaly-kinds.ts: the one classification of a rule's anomalies, from facts — each
// kind, where its witness is shown, and that costly facts are asked only when the kind needs them.

import { describe, expect, it } from 'vitest';
import { checkOf, classifyRule, opaqueFacts, type RuleFacts, type Taker } from '../../src/analyses/anomaly-kinds.js';
import type { Ref } from '../../src/analyses/findings.js';

const ref = (label: string): Ref => ({ label, origin: {} });
const t = (label: string, action: string): Taker => ({ ref: ref(label), action });
const asked: string[] = [];
function facts(f: Partial<RuleFacts<Taker>>): RuleFacts<Taker> {
  asked.length = 0;
  return {
    action: 'accept', empty: false, fires: true,
    takers: () => { asked.push('takers'); return []; },
    unchanged: () => { asked.push('unchanged'); return false; },
    overlaps: () => { asked.push('overlaps'); return { inside: [], overlapping: [] }; },
    ...f,
  };
}
const kinds = (f: RuleFacts<Taker>) => classifyRule('forward', f).map((x) => x.kind);

describe('classifyRule', () => {
  it('a rule that never fires: unreachable, shadowed or redundant, from its takers', () => {
    expect(kinds(facts({ empty: true, fires: false }))).toEqual(['unreachable']);
    expect(asked).toEqual([]);
    const none = classifyRule('forward', facts({ fires: false }));
    expect(none.map((x) => [x.kind, x.shown])).toEqual([['unreachable', 'would-match']]);
    const a = t('a', 'accept');
    const d = t('d', 'drop');
    const shadowed = classifyRule('forward', facts({ fires: false, takers: () => [a, d] }));
    expect(shadowed.map((x) => [x.kind, x.related, x.shown])).toEqual([['shadowed', [a, d], { taker: d }]]);
    expect(shadowed[0]!.message).toContain('some with another action (drop instead of accept)');
    const covered = classifyRule('forward', facts({ fires: false, takers: () => [a] }));
    expect(covered.map((x) => [x.kind, x.shown])).toEqual([['redundant', { taker: a }]]);
  });

  it('a rule that fires: redundant, generalization and correlated, asked only with a verdict', () => {
    const g = t('g', 'drop');
    const o = t('o', 'reject');
    const found = classifyRule('forward', facts({ unchanged: () => true, overlaps: () => ({ inside: [g], overlapping: [o] }) }));
    expect(found.map((x) => [x.kind, x.shown])).toEqual([['redundant', 'decides'], ['generalization', { taker: g }], ['correlated', { taker: o }]]);
    expect(kinds(facts({}))).toEqual([]);
    expect(asked).toEqual(['unchanged', 'overlaps']);
    expect(kinds(facts({ action: 'jump x' }))).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('an opaque rule is only unreachable or nothing; checks follow where a finding is shown', () => {
    expect(kinds(opaqueFacts('accept', false))).toEqual(['unreachable']);
    expect(kinds(opaqueFacts('accept', true))).toEqual([]);
    const by = t('b', 'drop');
    expect([checkOf(undefined, 3), checkOf('decides', 3), checkOf('would-match', 3), checkOf({ taker: by }, 3)])
      .toEqual([undefined, {}, { not: 3 }, { by: by.ref, not: 3 }]);
  });
});
