// Liqo-style chains for the analyses benchmark: one forward filter chain of n rules in the shapes
// a Liqo gateway generates (an interface, a source /24 and a destination host; output interface;
// a masked mark; ct state; IPv6), and a base chain jumping to per-tenant regular chains. Rule i
// drops iff i·2654435761 mod 7 < 3, the others accept; every 500th rule is a broad one (a /24 of
// destinations, an IPv6 /64) so that later rules overlap it.

import type { Chain, Match, Rule, Ruleset } from '../src/model/ruleset.js';

export const LIQO_SHAPES = ['iif', 'oif', 'mark', 'ctstate', 'ipv6', 'tenants'] as const;
export type LiqoShape = (typeof LIQO_SHAPES)[number];

const o = {};
const IFS = ['liqo-tunnel', 'eth0', 'liqo.abcdefghij', 'liqo.klmnopqrst'];
const match = (field: Match['field'], value: Match['value'], mask?: number): Match =>
  mask === undefined ? { kind: 'match', field, op: '==', value, origin: o } : { kind: 'match', field, op: '==', value, mask, origin: o };
const verdict = (i: number) => ({ kind: (i * 2654435761) % 7 < 3 ? 'drop' : 'accept', origin: o }) as Rule['verdict'];
const v4 = (i: number, net: number) => `10.${net}.${(i >> 8) & 255}.${i & 255}`;
const v6 = (i: number, net: number) => `fd00:${net.toString(16)}:${((i >> 8) & 255).toString(16)}:${(i & 255).toString(16)}::`;

/** The matches of rule i of a shape (the broad ones every 50th). */
function matches(shape: LiqoShape, i: number): Match[] {
  const iface = IFS[i % IFS.length]!;
  const broad = i % 500 === 499;
  switch (shape) {
    case 'iif':
    case 'oif':
    case 'tenants':
      return [
        match(shape === 'oif' ? 'meta oifname' : 'meta iifname', iface),
        match('ip saddr', { prefix: v4(i, 100).replace(/\.\d+$/, '.0'), len: 24 }),
        match('ip daddr', broad ? { prefix: v4(i + 1, 42).replace(/\.\d+$/, '.0'), len: 24 } : v4(i, 42)),
      ];
    case 'mark':
      return [match('meta mark', ((i % 16) << 8) >>> 0, 0xff00), match('ip daddr', broad ? { prefix: v4(i + 1, 42).replace(/\.\d+$/, '.0'), len: 24 } : v4(i, 42))];
    case 'ctstate':
      return [match('ct state', 'new'), ...matches('iif', i)];
    case 'ipv6':
      return [
        match('meta iifname', iface),
        match('ip6 saddr', { prefix: v6(i, 100), len: 64 }),
        match('ip6 daddr', broad ? { prefix: v6(i + 1, 42), len: 64 } : `${v6(i, 42)}1`),
      ];
  }
}

/** A 10k-rule (n-rule) ruleset of a shape. */
export function liqoRuleset(shape: LiqoShape, n: number): Ruleset {
  const family = shape === 'ipv6' ? 'ip6' : 'ip';
  const base = (rules: Rule[]): Chain => ({ name: 'forward', origin: o, base: { type: 'filter', hook: 'forward', priority: 0, policy: 'drop' }, rules });
  const rule = (i: number): Rule => ({ exprs: matches(shape, i), verdict: verdict(i), origin: { rule: `r${i}` } });
  const first: Rule[] = shape === 'ctstate' ? [{ exprs: [match('ct state', { set: ['established', 'related'] })], verdict: { kind: 'accept', origin: o }, origin: { rule: 'established' } }] : [];
  if (shape !== 'tenants') {
    return { tables: [{ family, name: 'liqo', origin: o, chains: [base([...first, ...Array.from({ length: n - first.length }, (_, i) => rule(i))])] }] };
  }
  // 100 tenants: the base chain jumps on the tenant's interface; each tenant chain holds its share.
  const tenants = 100;
  const per = Math.floor(n / tenants) - 1;
  const chains: Chain[] = Array.from({ length: tenants }, (_, t) => ({
    name: `tenant-${t}`, origin: o,
    rules: Array.from({ length: per }, (_, k) => rule(t * per + k)).map((r) => ({ ...r, exprs: r.exprs.slice(1) })),
  }));
  const jumps: Rule[] = chains.map((c, t) => ({
    exprs: [match('meta iifname', `liqo.t${t}`)], verdict: { kind: 'jump', target: c.name, origin: o }, origin: { rule: `to-${c.name}` },
  }));
  return { tables: [{ family, name: 'liqo', origin: o, chains: [base(jumps), ...chains] }] };
}

/** The ruleset with 100 rules' verdicts flipped (every 97th), for the diff. */
export function flipped(rs: Ruleset): Ruleset {
  const after: Ruleset = structuredClone(rs);
  const rules = after.tables[0]!.chains.flatMap((c) => c.rules).filter((r) => r.verdict?.kind === 'accept' || r.verdict?.kind === 'drop');
  for (let k = 0; k < 100; k++) {
    const r = rules[(k * 97) % rules.length]!;
    r.verdict = { kind: r.verdict!.kind === 'drop' ? 'accept' : 'drop', origin: r.verdict!.origin };
  }
  return after;
}
