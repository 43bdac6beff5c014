// Random rulesets (fast-check arbitraries) and random packets (a seeded generator) for the
// property tests. Values come from small pools so that rules overlap and packets hit them:
// every match field, `!=`, sets, ranges, prefixes (some with host bits), masks, interface
// wildcards, concatenations in sets, marks set then matched, notrack, counters, NAT of every kind,
// nested jumps/gotos/returns, several tables, families, hooks and priorities.

import type { EngineOptions } from '../../src/engine/environment.js';
import fc from 'fast-check';
import { expect } from 'vitest';
import { compileRuleset, parsePacket, ReferenceEngine, type EvalResult } from '../../src/engine/index.js';
import type { Chain, ConcatMatch, Expr, Family, Item, Match, MatchField, NumgenSource, Rule, Ruleset, Statement, Table, Verdict, VmapVerdict } from '../../src/model/ruleset.js';
import type { Packet } from '../../src/engine/packet.js';
import { makePacket } from '../../src/engine/packet.js';
import type { CtState } from '../../src/model/values.js';
import { prng } from '../../src/model/prng.js';

const o = {};
const V4 = ['10.0.0.1', '10.0.0.2', '10.0.0.5', '10.0.1.1', '10.0.1.9', '192.168.0.1', '192.168.0.7', '172.16.0.3', '0.0.0.0', '255.255.255.255', '224.0.0.9', '127.0.0.1'];
const V6 = ['fd00::1', 'fd00::2', 'fd00::5', 'fd00:1::1', 'fd00:1::9', '2001:db8::1', 'fe80::1', 'fe80:0:0:1::1', '::1'];
const PORTS = [0, 1, 22, 53, 80, 443, 1023, 1024, 8080, 65535];
const IFACES = ['', 'eth0', 'eth1', 'lo', 'liqo-tunnel', 'liqo-gw1', 'wg0'];
const IF_PATTERNS = ['eth0', 'eth1', 'eth*', 'liqo*', 'liqo-tunnel', 'wg0', '*', 'e*', 'lo'];
const CT: CtState[] = ['new', 'established', 'related', 'invalid', 'untracked'];
const PROTOS = [6, 17, 1, 58, 47, 0];

export const ENV = {
  localAddresses: ['10.0.0.1', 'fd00::1'],
  interfaceAddresses: { eth1: ['192.168.0.1', 'fd00::ff'], wg0: ['10.0.1.1/24'] },
  // Longest first in effect: the eth1 /16 under the default, a host route inside wg0's /24, link-local outside fe80::/64.
  routes: ['192.168.0.0/16 dev eth1', '10.0.1.9 dev eth0', 'default dev liqo-tunnel', 'fd00::/16 dev eth0', 'fd00:1::/32 dev eth1', 'fe80::/10 dev wg0'],
};

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

function addrItem(v6: boolean): fc.Arbitrary<Item> {
  const pool = v6 ? V6 : V4;
  return fc.oneof(
    pick(pool),
    fc.record({ prefix: v6 ? pick(['fd00::', 'fd00:1::', 'fd00::4', '2001:db8::']) : pick(['10.0.0.0', '10.0.1.0', '192.168.0.0', '10.0.0.4', '0.0.0.0']), len: v6 ? pick([16, 32, 126, 128]) : pick([0, 8, 24, 30, 32]) }),
    fc.tuple(pick(pool), pick(pool)).map(([a, b]) => ({ range: (cmpAddr(a, b) <= 0 ? [a, b] : [b, a]) as [string, string] })),
  );
}

function cmpAddr(a: string, b: string): number {
  const n = (s: string) => (s.includes(':') ? BigInt('0x' + expand6(s)) : s.split('.').reduce((x, p) => x * 256n + BigInt(p), 0n));
  const x = n(a);
  const y = n(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function expand6(s: string): string {
  const [h, t] = s.split('::');
  const hs = h ? h.split(':') : [];
  const ts = t ? t.split(':') : [];
  const mid = Array(8 - hs.length - ts.length).fill('0');
  return [...hs, ...mid, ...ts].map((x) => x.padStart(4, '0')).join('');
}

function numItem(pool: readonly number[]): fc.Arbitrary<Item> {
  return fc.oneof(
    pick(pool),
    fc.tuple(pick(pool), pick(pool)).map(([a, b]) => ({ range: [Math.min(a, b), Math.max(a, b)] as [number, number] })),
  );
}

function valueFor(items: fc.Arbitrary<Item>) {
  return fc.oneof({ weight: 3, arbitrary: items }, { weight: 1, arbitrary: fc.array(items, { minLength: 1, maxLength: 3 }).map((set) => ({ set })) });
}

function matchArb(family: Family): fc.Arbitrary<Match> {
  const fields: MatchField[] = ['meta l4proto', 'meta nfproto', 'th sport', 'th dport', 'meta iifname', 'meta oifname', 'ct state', 'ct mark', 'meta mark', 'tcp flags', 'ct status', 'meta pkttype'];
  if (family !== 'ip6') fields.push('ip saddr', 'ip daddr', 'ip protocol');
  if (family !== 'ip') fields.push('ip6 saddr', 'ip6 daddr');
  return pick(fields).chain((field) => {
    let value: fc.Arbitrary<Match['value']>;
    let mask: fc.Arbitrary<number | undefined> = fc.constant(undefined);
    switch (field) {
      case 'ip saddr':
      case 'ip daddr': value = valueFor(addrItem(false)); break;
      case 'ip6 saddr':
      case 'ip6 daddr': value = valueFor(addrItem(true)); break;
      case 'meta l4proto':
      case 'ip protocol': value = valueFor(pick(PROTOS)); break;
      case 'meta nfproto': value = pick(['ipv4', 'ipv6']); break;
      case 'th sport':
      case 'th dport': value = valueFor(numItem(PORTS)); break;
      case 'meta iifname':
      case 'meta oifname': value = valueFor(pick(IF_PATTERNS)); break;
      case 'ct state': value = valueFor(pick(CT)); break;
      case 'ct mark':
      case 'meta mark':
        value = valueFor(numItem([0, 1, 2, 3, 0x10, 0x11]));
        mask = fc.option(pick([0x1, 0xf, 0xf0]), { nil: undefined });
        break;
      case 'tcp flags':
        value = valueFor(pick([0x02, 0x10, 0x12, 0x04, 0]));
        mask = fc.option(pick([0x02, 0x12, 0x17]), { nil: undefined });
        break;
      case 'meta pkttype': value = valueFor(pick([0, 1, 2, 3])); break;
      case 'ct status': // `ct status dnat` (& 0x20 != 0), `ct status != dnat` (the whole value), DONE bits
        value = valueFor(pick([0, 0x20, 0x10, 0xa, 0x18a, 0x1aa, 0x1a0]));
        mask = fc.option(pick([0x20, 0x10, 0x180, 0x30]), { nil: undefined });
        break;
    }
    return fc.record({ value, op: pick(['==', '!='] as const), mask }).map(({ value, op, mask }) => {
      const m: Match = { kind: 'match', field, op, value, origin: o };
      if (mask !== undefined) m.mask = mask;
      return m;
    });
  });
}

/** A concatenation of 2–3 fields in a set of 1–4 elements (`ip saddr . th dport . meta iifname { … }`). */
function concatArb(family: Family): fc.Arbitrary<ConcatMatch> {
  const parts: [MatchField, fc.Arbitrary<Item>][] = [
    ['th dport', numItem(PORTS)], ['th sport', numItem(PORTS)], ['meta l4proto', pick(PROTOS)], ['meta iifname', pick(IF_PATTERNS.filter((p) => p !== '*'))],
    ['ct mark', numItem([0, 1, 0x10])], ['meta mark', numItem([0, 1, 0x10])], ['ct state', pick(CT)],
  ];
  if (family !== 'ip6') parts.push(['ip saddr', addrItem(false)], ['ip daddr', addrItem(false)]);
  if (family !== 'ip') parts.push(['ip6 daddr', addrItem(true)]);
  return fc.uniqueArray(fc.integer({ min: 0, max: parts.length - 1 }), { minLength: 2, maxLength: 3 }).chain((idx) => {
    const chosen = idx.map((i) => parts[i]!);
    return fc.record({ op: pick(['==', '!='] as const), elements: fc.array(fc.tuple(...chosen.map(([, a]) => a)), { minLength: 1, maxLength: 4 }) })
      .map(({ op, elements }): ConcatMatch => ({ kind: 'concat', fields: chosen.map(([f]) => f), op, elements, origin: o }));
  });
}

function stmtArb(): fc.Arbitrary<Statement> {
  return fc.oneof(
    fc.constant<Statement>({ kind: 'counter', origin: o }),
    fc.record({ key: pick(['meta mark', 'ct mark'] as const), value: fc.oneof(pick([0, 1, 2, 3, 0x10]), pick(['meta mark', 'ct mark'] as const)) })
      .map((x): Statement => ({ kind: 'set-mark', ...x, origin: o })),
    // Mark arithmetic: `(source & and) ^ xor`, with masks that keep, clear and flip the low bits matched above.
    fc.record({ key: pick(['meta mark', 'ct mark'] as const), value: pick(['meta mark', 'ct mark'] as const), and: pick([0, 0xf0, 0xfffffffe, 0xffffffff]), xor: pick([0, 1, 0x10, 0x11]) })
      .map((x): Statement => ({ kind: 'set-mark', ...x, origin: o })),
    fc.constant<Statement>({ kind: 'notrack', origin: o }),
    fc.constant<Statement>({ kind: 'log', origin: o }),
    fc.constant<Statement>({ kind: 'mss-clamp', size: 'rt mtu', origin: o }),
  );
}

const numgenArb: fc.Arbitrary<NumgenSource> = fc.record({ mode: pick(['inc', 'random'] as const), mod: fc.integer({ min: 1, max: 3 }), offset: pick([0, 0, 1, 0xfffffffe]) })
  .map((x): NumgenSource => ({ what: 'numgen', ...x }));
const numgenItem: fc.Arbitrary<Item> = fc.oneof(pick([0, 1, 2, 3, 0xffffffff]), fc.constant({ range: [1, 2] as [number, number] }));

/** Stateful expressions: numgen compared, limit, quota, ct count, a dynamic set looked up or updated. */
function stateArb(family: Family): fc.Arbitrary<Expr> {
  const keys: MatchField[][] = [['meta mark'], ['th dport'], ['ct mark'], family === 'ip6' ? ['ip6 saddr'] : ['ip saddr'], ['meta l4proto', 'th dport']];
  return fc.oneof(
    fc.record({ source: numgenArb, op: pick(['==', '!='] as const), value: fc.oneof(numgenItem, fc.array(numgenItem, { maxLength: 2 }).map((set) => ({ set }))) })
      .map((x): Expr => ({ kind: 'state', ...x, origin: o })),
    fc.constant<Expr>({ kind: 'state', source: { what: 'limit', rate: 10, rateUnit: 'packets', per: 'second', over: false }, op: '==', origin: o }),
    fc.constant<Expr>({ kind: 'state', source: { what: 'quota', val: 1, valUnit: 'mbytes', over: true }, op: '==', origin: o }),
    fc.constant<Expr>({ kind: 'state', source: { what: 'ct count', count: 2, over: true }, op: '==', origin: o }),
    fc.record({ key: pick(keys), op: pick(['==', '!='] as const) }).map(({ key, op }): Expr => ({ kind: 'state', source: { what: 'set', set: 'dyn', key, op }, op: '==', origin: o })),
    fc.record({ key: pick(keys), op: pick(['add', 'update', 'delete'] as const) }).map((x): Expr => ({ kind: 'set-update', set: 'dyn', ...x, origin: o })),
  );
}

/** `numgen … vmap { 0 : V, … }` over some of the numbers it gives, sometimes with a catch-all. */
function numgenVmapArb(verdict: fc.Arbitrary<Verdict>): fc.Arbitrary<VmapVerdict> {
  return fc.record({ state: numgenArb, keys: fc.uniqueArray(pick([0, 1, 2, 3, 0xffffffff]), { minLength: 0, maxLength: 3 }), catchAll: fc.boolean(), verdicts: fc.array(verdict, { minLength: 4, maxLength: 4 }) })
    .map(({ state, keys, catchAll, verdicts }): VmapVerdict => {
      const elements = keys.map((k, i) => ({ key: [k] as Item[], value: verdicts[i]!, origin: o }));
      if (catchAll) elements.push({ key: [], value: verdicts[3]!, origin: o });
      return { kind: 'vmap', lookup: { key: [], state, elements }, origin: o };
    });
}

function natArb(family: Family, hook: string): fc.Arbitrary<Statement> {
  const types = hook === 'prerouting' || hook === 'output' ? (['dnat', 'dnat', 'redirect'] as const) : hook === 'postrouting' ? (['snat', 'masquerade'] as const) : (['snat'] as const);
  const v6 = family === 'ip6' ? fc.constant(true) : family === 'ip' ? fc.constant(false) : fc.boolean();
  return fc.tuple(pick(types), v6).chain(([type, six]) => {
    const to: fc.Arbitrary<Item> = six
      ? fc.oneof(pick(V6), fc.constant({ prefix: 'fd00:9::', len: 120 }), fc.constant({ range: ['fd00::5', 'fd00::9'] as [string, string] }))
      : fc.oneof(pick(V4), fc.constant({ prefix: '10.9.0.0', len: 16 }), fc.constant({ range: ['10.0.0.2', '10.0.0.5'] as [string, string] }));
    const port = fc.option(fc.oneof(pick([80, 8080]), fc.constant({ range: [1000, 2000] as [number, number] })), { nil: undefined });
    return fc.record({ to, port }).map(({ to, port }): Statement => {
      const n: Statement = { kind: 'nat', type, origin: o };
      if (type !== 'masquerade' && type !== 'redirect') n.to = to;
      if (port !== undefined) n.port = port;
      return n;
    });
  });
}

/** `hook`: the base chain's (undefined: a regular chain, which any hook may reach); fib forms follow the kernel's hooks for them (plan.ts). */
function ruleArb(family: Family, regular: string[], hook: string | undefined, nat?: string): fc.Arbitrary<Rule> {
  const verdicts: fc.Arbitrary<Verdict | undefined>[] = [
    fc.constant(undefined),
    pick(['accept', 'drop', 'reject', 'continue', 'return'] as const).map((kind): Verdict => ({ kind, origin: o })),
  ];
  if (regular.length) verdicts.push(fc.tuple(pick(['jump', 'goto'] as const), pick(regular)).map(([kind, target]): Verdict => ({ kind, target, origin: o })));
  const plain = fc.oneof(...verdicts.slice(1)) as fc.Arbitrary<Verdict>;
  const all: fc.Arbitrary<Rule['verdict']>[] = [...verdicts, numgenVmapArb(plain)];
  const viaIif = hook === 'prerouting' || hook === 'input' || hook === 'forward';
  const viaOif = hook === 'output' || hook === 'postrouting' || hook === 'forward';
  const throughs = [undefined, undefined, ...(viaIif ? ['iif' as const] : []), ...(viaOif ? ['oif' as const] : [])];
  const fib = fc.record({ addr: pick(['saddr', 'daddr'] as const), op: pick(['==', '!='] as const), through: pick(throughs) })
    .map(({ through, ...x }): Expr => ({ kind: 'fib', ...x, result: 'type', type: 'local', ...(through ? { through } : {}), origin: o }));
  const fibOif = fc.record({
    addr: pick(['saddr', 'daddr'] as const), op: pick(['==', '!='] as const), value: pick([true, false, 0] as const),
    through: pick([undefined, 'iif'] as const), mark: pick([undefined, true] as const),
  }).map(({ through, mark, ...x }): Expr => ({ kind: 'fib', result: 'oif', ...x, ...(through ? { through } : {}), ...(mark ? { mark } : {}), origin: o }));
  const exprs: fc.Arbitrary<Expr>[] = [matchArb(family), matchArb(family), stmtArb(), concatArb(family), fib, stateArb(family)];
  if (viaIif) exprs.push(fibOif);
  if (nat) exprs.push(natArb(family, nat));
  return fc.record({ exprs: fc.array(fc.oneof(...exprs), { maxLength: 4 }), verdict: fc.oneof(...all) }).map(({ exprs, verdict }) => {
    // A verdict map after a statement or a stateful expression is refused (model/expand-maps.ts).
    const kept = verdict?.kind === 'vmap' ? exprs.filter((e) => ['match', 'concat', 'fib', 'counter', 'log'].includes(e.kind)) : exprs;
    const r: Rule = { exprs: kept, origin: o };
    if (verdict) r.verdict = verdict;
    return r;
  });
}

const HOOK_TYPES = [
  ['filter', 'prerouting'], ['filter', 'input'], ['filter', 'forward'], ['filter', 'output'], ['filter', 'postrouting'],
  ['nat', 'prerouting'], ['nat', 'postrouting'], ['nat', 'output'], ['nat', 'input'],
] as const;

function tableArb(index: number): fc.Arbitrary<Table> {
  return fc.tuple(pick(['ip', 'ip6', 'inet'] as const), fc.integer({ min: 0, max: 3 }), fc.array(pick(HOOK_TYPES), { minLength: 1, maxLength: 3 }))
    .chain(([family, nRegular, bases]) => {
      const regular = Array.from({ length: nRegular }, (_, i) => `r${i}`);
      // Regular chain i may jump only to chains after it: no loops, depth ≤ 3.
      const regularChains = regular.map((name, i) =>
        fc.array(ruleArb(family, regular.slice(i + 1), undefined), { maxLength: 4 }).map((rules): Chain => ({ name, rules, origin: o })));
      const baseChains = bases.map(([type, hook], i) =>
        fc.tuple(fc.array(ruleArb(family, regular, hook, type === 'nat' ? hook : undefined), { maxLength: 5 }), pick([-300, -200, -150, -100, 0, 0, 10, 100, 200]), pick(['accept', 'accept', 'drop'] as const))
          .map(([rules, priority, policy]): Chain => ({ name: `b${i}`, rules, origin: o, base: { type, hook, priority, policy: type === 'nat' ? 'accept' : policy } })));
      return fc.tuple(fc.tuple(...baseChains), regularChains.length ? fc.tuple(...regularChains) : fc.constant([] as Chain[]))
        .map(([b, r]): Table => ({ family, name: `t${index}`, chains: [...b, ...r], origin: o }));
    });
}

export const rulesetArb: fc.Arbitrary<Ruleset> = fc.integer({ min: 1, max: 3 }).chain((n) =>
  fc.tuple(...Array.from({ length: n }, (_, i) => tableArb(i))).map((tables) => ({ tables })));


export function randomPackets(seed: number, n: number): Packet[] {
  const r = prng(seed);
  const of = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: Packet[] = [];
  for (let i = 0; i < n; i++) {
    const v6 = r() < 0.3;
    let l4proto = of(PROTOS);
    // ICMP mostly in its own family; one in ten crosses (never tracked by conntrack: ct invalid).
    if (r() >= 0.1) {
      if (l4proto === 1 && v6) l4proto = 58;
      if (l4proto === 58 && !v6) l4proto = 1;
    }
    const pool = v6 ? [...V6, 'fd00::ff', 'fd00:9::7'] : [...V4, '10.9.3.4'];
    const pktRoll = r();
    out.push(makePacket({
      saddr: of(pool),
      daddr: of(pool),
      l4proto,
      sport: r() < 0.8 ? of(PORTS) : Math.floor(r() * 65536),
      dport: r() < 0.8 ? of(PORTS) : Math.floor(r() * 65536),
      iifname: of(IFACES),
      oifname: of(IFACES),
      ctState: of(CT),
      mark: of([0, 1, 2, 3, 0x10, 0x11, 0x12]),
      ctMark: of([0, 1, 2, 3, 0x10]),
      tcpFlags: of([0x02, 0x10, 0x12, 0x04, 0x11, 0]),
      length: 40 + Math.floor(r() * 1400),
      ...(pktRoll < 0.2 ? { local: true } : pktRoll < 0.3 ? { pktType: of(['broadcast', 'multicast'] as const) } : {}),
    }));
  }
  return out;
}

/** The reference's result as a batch gives it: that there were draws, not which (result.ts). */
export function batchView(r: EvalResult): EvalResult {
  return r.draws ? { ...r, draws: [] } : r;
}

/** Evaluates on both engines (with ENV), checks they agree (trace and counters included), returns the result and the counters. */
export function evaluateBoth(tables: Table[], packet: string, env: EngineOptions = ENV): EvalResult & { counters: number[] } {
  const rs = { tables };
  const wasm = compileRuleset(rs, env);
  const ref = new ReferenceEngine(rs, env);
  const p = parsePacket(packet);
  const a = wasm.evaluate(p, { trace: true });
  expect(a).toEqual(ref.evaluate(p, { trace: true }));
  const counters = Array.from(wasm.counterArray());
  expect(counters).toEqual(Array.from(ref.counterValues));
  return { ...a, counters };
}
