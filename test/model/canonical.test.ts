// Model equality: canonical forms equal exactly when two rulesets mean the same, for the
// differences that are only spelling (value notation, match order within a run, handles,
// counters, reject defaults), and never when the meaning changes.

import { describe, expect, it } from 'vitest';
import { canonicalRuleset, diffRulesets } from '../../src/model/canonical.js';
import type { Expr, Family, Match, MatchValue, Rule, Ruleset, Verdict } from '../../src/model/ruleset.js';

const o = { file: 'x' };
const m = (field: Match['field'], value: MatchValue, op: Match['op'] = '==', mask?: number): Match =>
  ({ kind: 'match', field, op, value, origin: o, ...(mask === undefined ? {} : { mask }) });
const rule = (exprs: Expr[], verdict?: Verdict['kind'] | Verdict): Rule => ({
  exprs, origin: o, ...(verdict === undefined ? {} : { verdict: typeof verdict === 'string' ? ({ kind: verdict, origin: o } as Verdict) : verdict }),
});
const rs = (rules: Rule[], family: Family = 'ip', extra: Partial<Ruleset['tables'][0]> = {}): Ruleset => ({
  tables: [{ family, name: 't', origin: o, chains: [{ name: 'c', origin: o, rules }], ...extra }],
});
const same = (a: Rule[], b: Rule[], family: Family = 'ip') => expect(diffRulesets(rs(a, family), rs(b, family))).toEqual([]);
const differ = (a: Rule[], b: Rule[], family: Family = 'ip') => expect(diffRulesets(rs(a, family), rs(b, family))).not.toEqual([]);

describe('canonical values', () => {
  it('compares values as merged intervals', () => {
    same([rule([m('ip saddr', { set: [{ range: ['1.1.1.1', '1.1.1.2'] }] })])], [rule([m('ip saddr', { range: ['1.1.1.1', '1.1.1.2'] })])]);
    same([rule([m('ip saddr', { set: ['1.1.1.1', '1.1.1.2'] })])], [rule([m('ip saddr', { range: ['1.1.1.1', '1.1.1.2'] })])]);
    same([rule([m('ip daddr', { prefix: '10.0.0.0', len: 24 })])], [rule([m('ip daddr', { range: ['10.0.0.0', '10.0.0.255'] })])]);
    same([rule([m('th dport', { set: [23, 22, 22, { range: [20, 21] }] })])], [rule([m('th dport', { range: [20, 23] })])]);
    same([rule([m('ip6 saddr', '::ffff:0:1')])], [rule([m('ip6 saddr', '0:0:0:0:0:ffff:0:1')])]);
    differ([rule([m('th dport', { set: [22, 24] })])], [rule([m('th dport', { range: [22, 24] })])]);
  });

  it('treats a prefix with host bits as the kernel does: it covers nothing', () => {
    same([rule([m('ip saddr', { prefix: '10.1.2.3', len: 16 })])], [rule([m('ip saddr', { set: [] })])]);
    differ([rule([m('ip saddr', { prefix: '10.1.2.3', len: 16 })])], [rule([m('ip saddr', { prefix: '10.1.0.0', len: 16 })])]);
  });

  it('sorts interface-name sets and ct states, keeps wildcards distinct', () => {
    same([rule([m('meta iifname', { set: ['b', 'a*', 'b'] })])], [rule([m('meta iifname', { set: ['a*', 'b'] })])]);
    same([rule([m('ct state', { set: ['related', 'established'] })])], [rule([m('ct state', { set: ['established', 'related'] })])]);
    differ([rule([m('meta iifname', 'a*')])], [rule([m('meta iifname', 'a')])]);
    same([rule([m('meta nfproto', 2)])], [rule([m('meta nfproto', 'ipv4')])]);
  });

  it('keeps masks and operators', () => {
    differ([rule([m('meta mark', 16, '==', 255)])], [rule([m('meta mark', 16)])]);
    differ([rule([m('th dport', 22, '!=')])], [rule([m('th dport', 22)])]);
  });
});

describe('canonical rules', () => {
  const l4 = m('meta l4proto', 6);
  const port = m('th dport', 22);
  const saddr = m('ip saddr', '10.0.0.1');
  const counter: Expr = { kind: 'counter', packets: 5, bytes: 300, origin: o };

  it('sorts and de-duplicates a run of matches', () => {
    same([rule([l4, port, saddr], 'accept')], [rule([saddr, l4, l4, port], 'accept')]);
  });

  it('never moves a match across a statement', () => {
    differ([rule([saddr, counter, port])], [rule([port, counter, saddr])]);
    same([rule([saddr, l4, counter, port])], [rule([l4, saddr, counter, port])]);
  });

  it('drops counter values, handles and origins; `continue` is no verdict', () => {
    const a = rs([{ ...rule([counter], 'continue'), handle: 7 }]);
    const b = rs([rule([{ kind: 'counter', origin: { file: 'other' } }])]);
    expect(canonicalRuleset(a)).toEqual(canonicalRuleset(b));
  });

  it("spells out reject's default per family", () => {
    const reject = (type?: 'icmp' | 'icmpv6' | 'icmpx', code?: string): Verdict =>
      ({ kind: 'reject', origin: o, ...(type ? { with: { type, ...(code ? { code } : {}) } } : {}) });
    same([rule([], reject())], [rule([], reject('icmp', 'port-unreachable'))], 'ip');
    same([rule([], reject())], [rule([], reject('icmpv6'))], 'ip6');
    same([rule([], reject())], [rule([], reject('icmpx', 'port-unreachable'))], 'inet');
    differ([rule([], reject())], [rule([], reject('icmpx'))], 'ip');
    differ([rule([], reject('icmp', 'host-unreachable'))], [rule([], reject('icmp'))], 'ip');
  });

  it('normalises one-address NAT ranges and one-port ranges', () => {
    same(
      [rule([{ kind: 'nat', type: 'snat', to: { range: ['1.2.3.4', '1.2.3.4'] }, port: { range: [80, 80] }, origin: o }])],
      [rule([{ kind: 'nat', type: 'snat', to: '1.2.3.4', port: 80, origin: o }])],
    );
    differ(
      [rule([{ kind: 'nat', type: 'snat', to: { prefix: '10.0.0.0', len: 24 }, origin: o }])],
      [rule([{ kind: 'nat', type: 'snat', to: { range: ['10.0.0.0', '10.0.0.255'] }, origin: o }])],
    );
  });
});

describe('canonicalRuleset and diffRulesets', () => {
  it('sorts tables by family and name, chains by name; drops labels and comments of tables and chains', () => {
    const chain = (name: string) => ({ name, origin: o, rules: [] });
    const a: Ruleset = { tables: [
      { family: 'ip', name: 'b', origin: o, chains: [chain('z'), chain('a')], comment: 'x', labels: { k: 'v' }, handle: 3 },
      { family: 'inet', name: 'a', origin: o, chains: [] },
    ] };
    expect(canonicalRuleset(a)).toEqual({ tables: [
      { family: 'inet', name: 'a', chains: [] },
      { family: 'ip', name: 'b', chains: [{ name: 'a', rules: [] }, { name: 'z', rules: [] }] },
    ] });
  });

  it('says what differs, in words', () => {
    const base = { type: 'filter' as const, hook: 'input' as const, priority: 0, policy: 'accept' as const };
    const a: Ruleset = { tables: [
      { family: 'ip', name: 't', origin: o, chains: [
        { name: 'c', origin: o, base, rules: [rule([m('th dport', 22)], 'accept'), rule([], 'drop')] },
        { name: 'only-a', origin: o, rules: [] },
      ] },
      { family: 'ip6', name: 'gone', origin: o, chains: [] },
    ] };
    const b: Ruleset = { tables: [
      { family: 'ip', name: 't', origin: o, chains: [
        { name: 'c', origin: o, base: { ...base, policy: 'drop' }, rules: [rule([m('th dport', 23)], 'accept')] },
      ] },
      { family: 'inet', name: 'new', origin: o, chains: [] },
    ] };
    expect(diffRulesets(a, b)).toEqual([
      'table ip t, chain c: type filter hook input priority 0 policy accept ≠ type filter hook input priority 0 policy drop',
      'table ip t, chain c, rule #1: th dport == 22 accept  ≠  th dport == 23 accept',
      'table ip t, chain c, rule #2: drop  ≠  (no rule)',
      'table ip t, chain only-a: only in the first ruleset',
      'table ip6 gone: only in the first ruleset',
      'table inet new: only in the second ruleset',
    ]);
    expect(diffRulesets(a, a)).toEqual([]);
  });
});

describe('implied dependencies', () => {
  it('drops meta l4proto / meta nfproto that another match of the run implies', () => {
    same([rule([m('meta l4proto', 6), m('tcp flags', 2, '==', 0x12)])], [rule([m('tcp flags', 2, '==', 0x12)])]);
    same([rule([m('meta nfproto', 'ipv4'), m('ip saddr', '1.2.3.4')])], [rule([m('ip saddr', '1.2.3.4')])], 'inet');
    differ([rule([m('meta l4proto', 17), m('tcp flags', 2, '==', 0x12)])], [rule([m('tcp flags', 2, '==', 0x12)])]);
    differ([rule([m('meta l4proto', 6), m('th dport', 22)])], [rule([m('th dport', 22)])]);
    same([rule([m('ip protocol', 17), m('meta l4proto', 17), m('th sport', 53)])], [rule([m('ip protocol', 17), m('th sport', 53)])], 'inet');
    differ([rule([m('ip protocol', 6), m('meta l4proto', 17)])], [rule([m('ip protocol', 6)])], 'inet');
    differ([rule([m('meta nfproto', 'ipv4'), { kind: 'counter', origin: o }, m('ip saddr', '1.2.3.4')])], [rule([{ kind: 'counter', origin: o }, m('ip saddr', '1.2.3.4')])], 'inet');
  });
});

describe('family constants', () => {
  it('reads ip protocol as meta l4proto in an ip table (and only there)', () => {
    same([rule([m('ip protocol', 17), m('th sport', 53)])], [rule([m('meta l4proto', 17), m('th sport', 53)])], 'ip');
    differ([rule([m('ip protocol', 17), m('th sport', 53)])], [rule([m('meta l4proto', 17), m('th sport', 53)])], 'inet');
  });

  it('drops a meta nfproto match that the table family makes always true', () => {
    same([rule([m('meta nfproto', 'ipv4')], 'accept')], [rule([], 'accept')], 'ip');
    same([rule([m('meta nfproto', 'ipv4', '!=')], 'accept')], [rule([], 'accept')], 'ip6');
    differ([rule([m('meta nfproto', 'ipv6')], 'accept')], [rule([], 'accept')], 'ip');
    differ([rule([m('meta nfproto', 'ipv4')], 'accept')], [rule([], 'accept')], 'inet');
  });
});
