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

export const arbRule: fc.Arbitrary<RandomRule> = fc.record({
  matches: fc.array(arbMatch, { minLength: 0, maxLength: 3 }),
  verdict: fc.constantFrom('accept', 'drop', 'reject', undefined),
});

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
