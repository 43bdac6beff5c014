// Lookups expanded into rules (src/model/expand-maps.ts): the rules each map and concatenation
// becomes, what is kept once, what stays a lookup, what is refused (located), and that the plan
// still names and counts rules as written.
import { describe, expect, it } from 'vitest';
import { expandMaps } from '../../src/model/expand-maps.js';
import { NftlensError } from '../../src/model/diagnostics.js';
import type { Expr, MapElement, Match, Rule, Ruleset, Verdict } from '../../src/model/ruleset.js';
import { planRuleset } from '../../src/engine/plan.js';

const o = (field: string) => ({ field });
const m = (field: Match['field'], value: Match['value']): Match => ({ kind: 'match', field, op: '==', value, origin: o(field) });
const counter: Expr = { kind: 'counter', origin: o('counter') };
const v = (kind: 'accept' | 'drop'): Verdict => ({ kind, origin: o(kind) });
const el = <V>(key: MapElement<V>['key'], value: V, i: number): MapElement<V> => ({ key, value, origin: o(`elem[${i}]`) });
const ruleset = (...rules: Rule[]): Ruleset => ({
  tables: [{ family: 'inet', name: 't', origin: {}, chains: [
    { name: 'c', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'accept' }, rules, origin: {} },
    { name: 'x', rules: [], origin: {} },
  ] }],
});
const rulesOf = (rs: Ruleset) => rs.tables[0]!.chains[0]!.rules;
/** A rule as `field=value … -> verdict`, for comparing shapes. */
const shape = (r: Rule): string => [
  ...r.exprs.map((e) => (e.kind === 'match' ? `${e.field}=${JSON.stringify(e.value)}` : e.kind === 'set-mark' ? `mark:=${String(e.value)}` : e.kind === 'nat' ? `${e.type}:${JSON.stringify(e.to)}` : e.kind)),
  `-> ${r.verdict ? r.verdict.kind : 'next'}`,
].join(' ');

describe('expandMaps', () => {
  it('returns the ruleset itself when it has no lookup', () => {
    const rs = ruleset({ exprs: [m('ip saddr', '10.0.0.1')], verdict: v('accept'), origin: {} });
    expect(expandMaps(rs)).toBe(rs);
  });

  it('a verdict map becomes one rule per element, its key as one match per field, after the rule\'s own matches', () => {
    const vmap: Rule = {
      exprs: [m('meta l4proto', 6)],
      verdict: { kind: 'vmap', origin: o('vmap'), lookup: { key: ['ip daddr', 'th dport'], elements: [el(['10.0.0.1', 22], v('accept'), 0), el([{ prefix: '10.1.0.0', len: 16 }, { range: [80, 90] }], { kind: 'jump', target: 'x', origin: o('jump') }, 1)] } },
      origin: { rule: 'handle 7' },
    };
    const out = rulesOf(expandMaps(ruleset(vmap)));
    expect(out.map(shape)).toEqual([
      'meta l4proto=6 ip daddr="10.0.0.1" th dport=22 -> accept',
      'meta l4proto=6 ip daddr={"prefix":"10.1.0.0","len":16} th dport={"range":[80,90]} -> jump',
    ]);
    // Each expanded rule keeps the written rule's origin; its key matches point at the element.
    expect(out.map((r) => [r.origin.rule, r.exprs.at(-1)!.origin.field])).toEqual([['handle 7', 'elem[0]'], ['handle 7', 'elem[1]']]);
  });

  it('keeps counters and logs before the lookup in the first expanded rule only, and what follows it in every one', () => {
    const rule: Rule = {
      exprs: [counter, m('meta iifname', 'eth0'), { kind: 'concat', fields: ['ip saddr', 'th dport'], op: '==', elements: [['10.0.0.1', 22], ['10.0.0.2', 80]], origin: o('concat') }, counter],
      verdict: v('accept'),
      origin: {},
    };
    expect(rulesOf(expandMaps(ruleset(rule))).map(shape)).toEqual([
      'counter meta iifname="eth0" ip saddr="10.0.0.1" th dport=22 counter -> accept',
      'meta iifname="eth0" ip saddr="10.0.0.2" th dport=80 counter -> accept',
    ]);
  });

  it('puts each element\'s value into the statement a data map feeds', () => {
    const marks: Rule = { exprs: [{ kind: 'set-mark', key: 'meta mark', value: { key: ['ip saddr'], elements: [el(['10.0.0.1'], 1, 0), el(['10.0.0.2'], 2, 1)] }, origin: o('mark') }], origin: {} };
    const nat: Rule = { exprs: [{ kind: 'nat', type: 'snat', map: { key: ['ip saddr'], elements: [el([{ prefix: '10.1.0.0', len: 24 }], { prefix: '192.168.2.0', len: 24 }, 0)] }, origin: o('nat') }], origin: {} };
    expect(rulesOf(expandMaps(ruleset(marks, nat))).map(shape)).toEqual([
      'ip saddr="10.0.0.1" mark:=1 -> next',
      'ip saddr="10.0.0.2" mark:=2 -> next',
      'ip saddr={"prefix":"10.1.0.0","len":24} snat:{"prefix":"192.168.2.0","len":24} -> next',
    ]);
  });

  it('an empty map becomes a rule no packet passes (its counters still count)', () => {
    const rule: Rule = { exprs: [counter], verdict: { kind: 'vmap', origin: o('vmap'), lookup: { key: ['meta oifname'], elements: [], map: 'dispatch' } }, origin: {} };
    expect(rulesOf(expandMaps(ruleset(rule))).map(shape)).toEqual(['counter meta oifname={"set":[]} -> next']);
  });

  it('leaves negated concatenations, and concatenations after a statement that changes the packet, as lookups', () => {
    const neg: Rule = { exprs: [{ kind: 'concat', fields: ['ip saddr', 'th dport'], op: '!=', elements: [['10.0.0.1', 22]], origin: o('neg') }], origin: {} };
    const after: Rule = { exprs: [{ kind: 'set-mark', key: 'meta mark', value: 1, origin: o('mark') }, { kind: 'concat', fields: ['ip saddr', 'meta mark'], op: '==', elements: [['10.0.0.1', 1], ['10.0.0.2', 1]], origin: o('concat') }], origin: {} };
    expect(rulesOf(expandMaps(ruleset(neg, after))).map(shape)).toEqual(['concat -> next', 'mark:=1 concat -> next']);
  });

  it('refuses, located at the lookup, a map after a statement that changes the packet', () => {
    const rule: Rule = {
      exprs: [{ kind: 'set-mark', key: 'meta mark', value: 'meta mark', xor: 1, origin: o('mark') }],
      verdict: { kind: 'vmap', origin: { rule: 'handle 9', field: 'expr[1]' }, lookup: { key: ['meta mark'], elements: [el([1], v('drop'), 0)] } },
      origin: {},
    };
    try {
      expandMaps(ruleset(rule));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NftlensError);
      const d = (e as NftlensError).diagnostics[0]!;
      expect([d.code, d.origin]).toEqual(['NFT_UNSUPPORTED', { rule: 'handle 9', field: 'expr[1]' }]);
      expect(d.message).toContain('a map lookup after a set-mark statement');
    }
  });

  it('the plan numbers expanded rules as written: position in the chain, and the written rule', () => {
    const vmap: Rule = { exprs: [], verdict: { kind: 'vmap', origin: o('vmap'), lookup: { key: ['meta iifname'], elements: [el(['eth0'], v('accept'), 0), el(['eth1'], v('drop'), 1)] } }, origin: {} };
    const last: Rule = { exprs: [m('ip saddr', '10.0.0.9')], verdict: v('drop'), origin: {} };
    const plan = planRuleset(ruleset(vmap, last));
    expect(plan.rules.map((r) => [r.index, r.written === vmap ? 'vmap' : r.written === last ? 'last' : r.written === r.rule ? 'self' : '?'])).toEqual([
      [0, 'vmap'], [0, 'vmap'], [1, 'last'],
    ]);
  });
});
