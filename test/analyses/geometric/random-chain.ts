// Seeded random chains of boxes for the geometric tests: one forward filter chain of rules that
// match prefixes (== and !=), protocols, port ranges and sets, marks and families, with accept,
// drop, reject or no verdict, in an `ip` or `inet` table, either policy.

import fc from 'fast-check';
import type { Match, Ruleset } from '../../../src/model/ruleset.js';
import { forwardRuleset, m, rule } from '../support.js';

const prefixes = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3/32', '10.2.0.0/16', '192.168.0.0/16', '10.0.0.0/7'];
const pfx = (p: string) => ({ prefix: p.split('/')[0]!, len: Number(p.split('/')[1]) });

export const arbMatch: fc.Arbitrary<Match> = fc.oneof(
  fc.tuple(fc.constantFrom('ip saddr', 'ip daddr') as fc.Arbitrary<'ip saddr' | 'ip daddr'>, fc.constantFrom(...prefixes), fc.boolean())
    .map(([f, p, neq]) => m(f, pfx(p), neq ? '!=' : '==')),
  fc.constantFrom(6, 17, 1).map((p) => m('meta l4proto', p)),
  fc.constantFrom(6, 17).map((p) => m('ip protocol', p)),
  fc.tuple(fc.constantFrom('th sport', 'th dport') as fc.Arbitrary<'th sport' | 'th dport'>, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 60 }), fc.boolean())
    .map(([f, lo, w, neq]) => m(f, w === 0 ? lo : { range: [lo, lo + w] }, neq ? '!=' : '==')),
  fc.constantFrom(22, 53, 80).map((p) => m('th dport', { set: [p, p + 1, 443] })),
  fc.integer({ min: 0, max: 3 }).map((k) => m('meta mark', k)),
  fc.constantFrom('ipv4', 'ipv6').map((f) => m('meta nfproto', f)),
);

export interface RandomRule {
  matches: Match[];
  verdict: 'accept' | 'drop' | 'reject' | undefined;
}

export interface RandomChain {
  rules: RandomRule[];
  policy: 'accept' | 'drop';
  family: 'ip' | 'inet';
}

/** Rules of up to three matches drawn from `match`. */
const rulesOf = (match: fc.Arbitrary<Match>): fc.Arbitrary<RandomRule> => fc.record({
  matches: fc.array(match, { minLength: 0, maxLength: 3 }),
  verdict: fc.constantFrom('accept', 'drop', 'reject', undefined),
});

export const arbRule = rulesOf(arbMatch);

export const arbChain: fc.Arbitrary<RandomChain> = fc.record({
  rules: fc.array(arbRule, { minLength: 1, maxLength: 9 }),
  policy: fc.constantFrom('accept', 'drop') as fc.Arbitrary<'accept' | 'drop'>,
  family: fc.constantFrom('ip', 'inet') as fc.Arbitrary<'ip' | 'inet'>,
});

export function chainRuleset(c: RandomChain, hook: 'forward' | 'input' | 'prerouting' = 'forward'): Ruleset {
  const rs = forwardRuleset(c.rules.map((r, i) => rule(`r${i}`, r.matches, r.verdict)), c.policy);
  rs.tables[0]!.family = c.family;
  rs.tables[0]!.chains[0]!.base!.hook = hook;
  return rs;
}

/** The chain without what nft refuses to load: `meta nfproto ipv6` in a rule matching IPv4 fields. */
export function installable(c: RandomChain): RandomChain {
  const v4 = (x: Match) => x.field === 'ip saddr' || x.field === 'ip daddr' || x.field === 'ip protocol';
  return {
    ...c,
    rules: c.rules.map((r) => ({
      ...r,
      matches: r.matches.some(v4) ? r.matches.filter((x) => !(x.field === 'meta nfproto' && x.value === 'ipv6')) : r.matches,
    })),
  };
}

// ─── the wider dimensions: interfaces, marks with masks, ct state, ct mark, IPv6 ────────────────

const ifnames = ['eth0', 'eth1', 'eth*', 'veth*', 'liqo-tunnel', 'liqo*', 'liqo.abc'];
const v6 = ['fd00::/8', 'fd00:1::/32', 'fd00:1::5/128', 'fd00:1:0:2::/64', '2001:db8::/32', '::/0'];
/** Masks that nest (0xff00 inside 0xffff00), and now and then one that does not (0xf0f0: no boxes). */
const masks = [undefined, undefined, 0xff00, 0xffff00, 0xff00, 0xf0f0];
const withMask = (x: Match, mask: number | undefined): Match => (mask === undefined ? x : { ...x, mask });
const ne = (x: Match, neq: boolean): Match => (neq ? { ...x, op: '!=' } : x);

export const arbWideMatch: fc.Arbitrary<Match> = fc.oneof(
  { arbitrary: arbMatch, weight: 3 },
  fc.tuple(fc.constantFrom('meta iifname', 'meta oifname') as fc.Arbitrary<'meta iifname' | 'meta oifname'>, fc.subarray(ifnames, { minLength: 1, maxLength: 2 }), fc.boolean())
    .map(([f, names, neq]) => ne(m(f, names.length === 1 ? names[0]! : { set: names }), neq)),
  fc.tuple(fc.constantFrom('meta mark', 'ct mark') as fc.Arbitrary<'meta mark' | 'ct mark'>, fc.constantFrom(...masks), fc.constantFrom(0, 0x100, 0x200, 0x10100, 3), fc.boolean())
    .map(([f, mask, v, neq]) => ne(withMask(m(f, mask === undefined ? v : v & mask), mask), neq)),
  fc.tuple(fc.subarray(['new', 'established', 'related', 'invalid', 'untracked'], { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([s, neq]) => ne(m('ct state', s.length === 1 ? s[0]! : { set: s }), neq)),
  fc.tuple(fc.constantFrom('ip6 saddr', 'ip6 daddr') as fc.Arbitrary<'ip6 saddr' | 'ip6 daddr'>, fc.constantFrom(...v6), fc.boolean())
    .map(([f, p, neq]) => ne(m(f, pfx(p)), neq)),
  fc.constantFrom(1, 58).map((p) => m('meta l4proto', p)),
);

export interface WideChain extends Omit<RandomChain, 'family'> {
  family: 'ip' | 'ip6' | 'inet';
  hook: 'forward' | 'input' | 'output' | 'prerouting';
  /** -300: a prerouting chain before conntrack. */
  priority: 0 | -300;
}

export const arbWideRule = rulesOf(arbWideMatch);

export const arbWideChain: fc.Arbitrary<WideChain> = fc.record({
  rules: fc.array(arbWideRule, { minLength: 1, maxLength: 8 }),
  policy: fc.constantFrom('accept', 'drop') as fc.Arbitrary<'accept' | 'drop'>,
  family: fc.constantFrom('ip', 'ip6', 'inet') as fc.Arbitrary<'ip' | 'ip6' | 'inet'>,
  hook: fc.constantFrom('forward', 'input', 'output', 'prerouting') as fc.Arbitrary<WideChain['hook']>,
  priority: fc.constantFrom(0, -300) as fc.Arbitrary<0 | -300>,
});

export function wideRuleset(c: WideChain): Ruleset {
  const rs = forwardRuleset(c.rules.map((r, i) => rule(`r${i}`, r.matches, r.verdict)), c.policy);
  rs.tables[0]!.family = c.family;
  const base = rs.tables[0]!.chains[0]!.base!;
  base.hook = c.hook;
  base.priority = c.priority;
  return rs;
}

/** A wide chain nft loads and the probe can send through: forward, each rule's fields of the table's family (inet: of one family). */
export function installableWide(c: WideChain): WideChain {
  const fam = (x: Match) => (x.field.startsWith('ip6 ') ? 6 : x.field.startsWith('ip ') ? 4 : x.field === 'meta nfproto' ? (x.value === 'ipv6') === (x.op === '==') ? 6 : 4 : 0);
  return {
    ...c, hook: 'forward', priority: 0,
    rules: c.rules.map((r) => {
      const want = c.family === 'ip' ? 4 : c.family === 'ip6' ? 6 : r.matches.map(fam).find((f) => f !== 0) ?? 0;
      return { ...r, matches: r.matches.filter((x) => fam(x) === 0 || fam(x) === want) };
    }),
  };
}
