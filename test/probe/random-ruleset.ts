// Test helper: seeded random rulesets on the forward path, in the IR — filter chains at distinct
// priorities (policies, regular chains reached by jump/goto, return/continue), marks set before the
// filter and matched in it, a raw notrack chain, dnat in prerouting and snat/masquerade in
// postrouting — with values from small pools, so random packets hit the rules and NAT shows at the sink.
// Filter tables may hold named sets (addresses, ports, interface names, marks, concatenations) that
// added rules name, and anonymous concatenations; and maps: verdict maps (named or anonymous, keyed
// by an address, an interface name or a concatenation) and a mark map, some after a counter.
import type { Expr, Item, MapElement, Match, MatchValue, NamedMap, NamedSet, NumberSource, Rule, Ruleset, Table, Verdict, Chain, Statement } from '../../src/model/ruleset.js';
import { prng } from '../../src/model/prng.js';

const O = {};
const V4 = ['10.0.0.1', '10.0.0.2', '10.0.1.1', '10.0.1.7', '10.0.2.3', '10.0.3.9', '10.1.0.5', '10.1.2.3'];
const V4NETS = [{ prefix: '10.0.0.0', len: 24 }, { prefix: '10.0.1.0', len: 24 }, { prefix: '10.1.0.0', len: 16 }, { prefix: '10.0.0.0', len: 15 }];
const PORTS = [22, 53, 80, 443, 8080];
const IFS = ['eth0', 'eth1', 'liqo-tunnel', 'liqo.abcdefghij', 'liqo*', 'eth*'];
/** Every interface name packets for these rulesets use (`liqo*` → `liqo0`, `eth*` → `eth0`). */
export const RANDOM_INTERFACES = ['eth0', 'eth1', 'liqo-tunnel', 'liqo.abcdefghij', 'liqo0'];

/**
 * `sets: false` gives the rulesets as they were before named sets and concatenations were added
 * (the analyses' tests expect findings of particular seeds; the analyses refuse concatenations).
 */
export interface RandomOptions {
  sets?: boolean;
  /** Verdict and mark maps in filter tables (default: as `sets`). */
  maps?: boolean;
  /** Stateful expressions in filter tables: numgen, jhash, symhash, limit, quota, ct count, a dynamic set updated and looked up (default: as `sets`). */
  stateful?: boolean;
  /** A `meta pkttype` rule in the marks table (default: as `stateful`). */
  pkttype?: boolean;
  /** A forward and a postrouting chain of `ct status` rules in the marks table (default: no). */
  ctStatus?: boolean;
}

export function randomRuleset(seed: number, opts: RandomOptions = {}): Ruleset {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number): boolean => rnd() < p;
  const m = (field: Match['field'], value: MatchValue, op: Match['op'] = chance(0.2) ? '!=' : '=='): Match => ({ kind: 'match', field, op, value, origin: O });
  const counter: Statement = { kind: 'counter', origin: O };

  const randomMatch = (v6ok: boolean): Expr[] => {
    switch (Math.floor(rnd() * 9)) {
      case 0: return [m(pick(['ip saddr', 'ip daddr'] as const), chance(0.5) ? pick(V4) : pick(V4NETS))];
      case 1: return [m('ip daddr', { set: [pick(V4), pick(V4NETS), { range: [pick(V4), '10.0.3.255'] }] })];
      case 2: {
        const proto = pick([6, 17]);
        const port: MatchValue = chance(0.5) ? pick(PORTS) : chance(0.5) ? { range: [1000, 30000] } : { set: [pick(PORTS), pick(PORTS)] };
        return [m('meta l4proto', proto, '=='), m(pick(['th dport', 'th sport'] as const), port)];
      }
      case 3: return [m(pick(['meta iifname', 'meta oifname'] as const), pick(IFS))];
      case 4: return [m('ct state', chance(0.5) ? pick(['new', 'established', 'invalid']) : { set: ['established', 'invalid'] })];
      case 5: return [m('meta l4proto', pick([1, 6, 17, 99]))];
      case 6: return [m('meta mark', pick([0, 0x10, 0x20]))];
      case 7: return [m('ct mark', pick([0, 0x5, 0x1]))];
      default: return v6ok ? [m(pick(['ip6 saddr', 'ip6 daddr'] as const), { prefix: 'fd00::', len: pick([16, 64]) })] : [m('th dport', pick(PORTS))];
    }
  };

  const rule = (exprs: Expr[], verdict?: Verdict['kind'], target?: string): Rule => {
    // A counter after the matches; NAT is terminal, so it goes before a NAT statement.
    const nat = exprs.findIndex((e) => e.kind === 'nat');
    const at = nat < 0 ? exprs.length : nat;
    const r: Rule = { exprs: [...exprs.slice(0, at), counter, ...exprs.slice(at)], origin: O };
    if (verdict === 'jump' || verdict === 'goto') r.verdict = { kind: verdict, target: target!, origin: O };
    else if (verdict) r.verdict = { kind: verdict, origin: O } as Verdict;
    return r;
  };

  const tables: Table[] = [];
  const priorities = new Set<number>();
  const prio = (base: number): number => {
    let p = base;
    while (priorities.has(p)) p++;
    priorities.add(p);
    return p;
  };
  const nFilter = 1 + Math.floor(rnd() * 3);
  for (let t = 0; t < nFilter; t++) {
    const family = pick(['ip', 'inet'] as const);
    const name = `f${t}`;
    const regular: Chain[] = [];
    const nReg = Math.floor(rnd() * 3);
    for (let c = 0; c < nReg; c++) {
      const rules: Rule[] = [];
      for (let i = 0; i < 1 + Math.floor(rnd() * 4); i++) {
        const later = c + 1 < nReg && chance(0.2) ? `r${c + 1}` : undefined;
        const v = later ? pick(['jump', 'goto'] as const) : pick(['accept', 'drop', 'reject', 'return', 'continue', undefined] as const);
        rules.push(rule(randomMatch(family === 'inet'), v, later));
      }
      regular.push({ name: `r${c}`, rules, origin: O });
    }
    const rules: Rule[] = [];
    for (let i = 0; i < 2 + Math.floor(rnd() * 6); i++) {
      const v = nReg && chance(0.3) ? pick(['jump', 'goto'] as const) : pick(['accept', 'accept', 'drop', 'reject', 'continue', undefined] as const);
      rules.push(rule(randomMatch(family === 'inet'), v, `r${Math.floor(rnd() * nReg)}`));
    }
    const base: Chain = {
      name: 'fw', base: { type: 'filter', hook: 'forward', priority: prio(-20 + Math.floor(rnd() * 40)), policy: chance(0.75) ? 'accept' : 'drop' }, rules, origin: O,
    };
    const table: Table = { family, name, chains: [base, ...regular], origin: O };
    if (opts.sets ?? true) withNamedSets(table, seed * 31 + t);
    if (opts.maps ?? opts.sets ?? true) withMaps(table, seed * 37 + t);
    if (opts.stateful ?? opts.sets ?? true) withStateful(table, seed * 41 + t);
    tables.push(table);
  }
  if (chance(0.5)) {
    const rules: Rule[] = [
      rule([m('meta l4proto', 6, '=='), m('th dport', pick(PORTS), '=='), { kind: 'set-mark', key: 'meta mark', value: 0x10, origin: O }]),
      rule([m('meta l4proto', 17, '=='), { kind: 'set-mark', key: 'ct mark', value: 0x5, origin: O }, { kind: 'set-mark', key: 'meta mark', value: 'ct mark', origin: O }]),
      // Mark arithmetic: `meta mark set meta mark & 0xffffff0f | 0x20` turns 0x10 into 0x20;
      // `ct mark set meta mark ^ 0x4` turns udp's 0x5 into 0x1.
      rule([m('meta l4proto', 6, '=='), { kind: 'set-mark', key: 'meta mark', value: 'meta mark', and: 0xffffff0f, xor: 0x20, origin: O }]),
      rule([m('meta l4proto', 17, '=='), { kind: 'set-mark', key: 'ct mark', value: 'meta mark', xor: 0x4, origin: O }]),
      // fib: no forwarded packet has a local address, so `!= local` marks them all.
      rule([{ kind: 'fib', addr: 'daddr', op: '==', result: 'type', type: 'local', origin: O }, { kind: 'set-mark', key: 'meta mark', value: 0x30, origin: O }]),
      rule([{ kind: 'fib', addr: 'saddr', op: '!=', result: 'type', type: 'local', origin: O }, m('th dport', 8080, '=='), { kind: 'set-mark', key: 'meta mark', value: 'meta mark', xor: 0x1, origin: O }]),
      // Reverse-path checks, as firewalld and calico write them, and a lookup of the destination.
      rule([{ kind: 'fib', result: 'oif', addr: 'saddr', through: 'iif', op: '==', value: false, origin: O }, { kind: 'counter', origin: O }, { kind: 'set-mark', key: 'meta mark', value: 'meta mark', xor: 0x100, origin: O }]),
      rule([{ kind: 'fib', result: 'oif', addr: 'saddr', mark: true, through: 'iif', op: '!=', value: 0, origin: O }, { kind: 'counter', origin: O }, { kind: 'set-mark', key: 'meta mark', value: 'meta mark', xor: 0x200, origin: O }]),
      rule([{ kind: 'fib', result: 'oif', addr: 'daddr', op: '==', value: true, origin: O }, { kind: 'counter', origin: O }, { kind: 'set-mark', key: 'meta mark', value: 'meta mark', xor: 0x400, origin: O }]),
      rule([{ kind: 'fib', result: 'type', addr: 'daddr', through: 'iif', op: '!=', type: 'local', origin: O }, { kind: 'counter', origin: O }, { kind: 'set-mark', key: 'meta mark', value: 'meta mark', xor: 0x800, origin: O }]),
    ];
    // The link-layer packet type (a broadcast or multicast frame: counted here, dropped at the routing decision).
    if (opts.pkttype ?? opts.stateful ?? opts.sets ?? true) rules.push(rule([m('meta pkttype', { set: [1, 2] }, '=='), { kind: 'set-mark', key: 'meta mark', value: 'meta mark', xor: 0x1000, origin: O }]));
    const chains: Chain[] = [{ name: 'pre', base: { type: 'filter', hook: 'prerouting', priority: prio(-150), policy: 'accept' }, rules, origin: O }];
    if (opts.ctStatus) {
      // The conntrack status after the NAT points: DST_NAT where a dnat changed the tuple, the NAT_DONE bits, a whole value.
      const status = (value: MatchValue, mask: number | undefined, op: Match['op'], xor: number): Rule =>
        rule([{ kind: 'match', field: 'ct status', op, value, ...(mask === undefined ? {} : { mask }), origin: O }, { kind: 'set-mark', key: 'meta mark', value: 'meta mark', xor, origin: O }]);
      const statusRules = () => [status(0x20, 0x20, '==', 0x2000), status(0x100, 0x180, '==', 0x4000), status(0x10a, undefined, '!=', 0x8000)];
      chains.push({ name: 'st-fw', base: { type: 'filter', hook: 'forward', priority: 10, policy: 'accept' }, rules: statusRules(), origin: O });
      chains.push({ name: 'st-post', base: { type: 'filter', hook: 'postrouting', priority: 200, policy: 'accept' }, rules: [...statusRules(), status(0x10, 0x10, '==', 0x10000)], origin: O });
    }
    tables.push({ family: 'inet', name: 'marks', chains, origin: O });
  }
  if (chance(0.3)) {
    const rules = [rule([m('meta l4proto', 17, '=='), m('th dport', pick(PORTS), '=='), { kind: 'notrack', origin: O }])];
    tables.push({ family: 'ip', name: 'raw', chains: [{ name: 'pre', base: { type: 'filter', hook: 'prerouting', priority: prio(-300), policy: 'accept' }, rules, origin: O }], origin: O });
  }
  if (chance(0.7)) {
    const pre: Rule[] = [];
    for (let i = 0; i < 1 + Math.floor(rnd() * 3); i++) {
      const withPort = chance(0.5);
      const exprs: Expr[] = [m('ip daddr', pick(V4), '==')];
      if (withPort) exprs.push(m('meta l4proto', pick([6, 17]), '=='));
      exprs.push({ kind: 'nat', type: 'dnat', to: pick(V4), ...(withPort ? { port: pick(PORTS) } : {}), origin: O });
      pre.push(rule(exprs));
    }
    // redirect: to the input interface's own address (the packet then goes to input, not forwarded).
    pre.push(rule([m('meta l4proto', 6, '=='), m('th dport', 8081, '=='), { kind: 'nat', type: 'redirect', port: 80, origin: O }]));
    const post: Rule[] = [];
    for (let i = 0; i < 1 + Math.floor(rnd() * 3); i++) {
      const exprs: Expr[] = [m(pick(['ip saddr', 'meta oifname'] as const), chance(0.5) ? pick(V4NETS) : pick(IFS.slice(0, 4)), '==')];
      if (exprs[0]!.kind === 'match' && exprs[0]!.field === 'meta oifname') exprs[0]!.value = pick(IFS.slice(0, 4));
      if (exprs[0]!.kind === 'match' && exprs[0]!.field === 'ip saddr') exprs[0]!.value = pick(V4NETS);
      exprs.push(chance(0.3)
        ? { kind: 'nat', type: 'masquerade', origin: O }
        : chance(0.5) ? { kind: 'nat', type: 'snat', to: pick(V4), origin: O } : { kind: 'nat', type: 'snat', to: { prefix: '10.9.0.0', len: 16 }, origin: O });
      post.push(rule(exprs));
    }
    tables.push({
      family: 'ip', name: 'nat', origin: O, chains: [
        { name: 'pre', base: { type: 'nat', hook: 'prerouting', priority: prio(-100), policy: 'accept' }, rules: pre, origin: O },
        { name: 'post', base: { type: 'nat', hook: 'postrouting', priority: prio(100), policy: 'accept' }, rules: post, origin: O },
      ],
    });
  }
  return { tables };
}

/** Disjoint elements (nft refuses overlapping intervals in a named set) to pick named sets from. */
const SET_POOLS: { type: NamedSet['type']; field: Match['field'][]; items: Item[] }[] = [
  { type: 'ipv4_addr', field: ['ip saddr', 'ip daddr'], items: [{ prefix: '10.0.1.0', len: 24 }, '10.0.0.2', { range: ['10.0.2.0', '10.0.2.127'] }, { prefix: '10.1.0.0', len: 16 }, '10.0.3.9'] },
  { type: 'inet_service', field: ['th dport', 'th sport'], items: [22, { range: [50, 60] }, 443, { range: [8000, 8080] }] },
  { type: 'ifname', field: ['meta iifname', 'meta oifname'], items: ['eth1', 'liqo*', 'eth0'] },
  { type: 'mark', field: ['meta mark', 'ct mark'], items: [0, 0x5, 0x10] },
];

/**
 * With its own random stream (the rest of the ruleset stays what each seed always gave): up to two
 * named sets in the table and a rule naming each, inserted at random places of its chains.
 */
function withNamedSets(table: Table, seed: number): void {
  const rnd = prng(seed ^ 0x5e75);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const sets: NamedSet[] = [];
  for (let i = 0; i < 3; i++) {
    if (rnd() < 0.4) continue;
    const pool = pick(SET_POOLS);
    const elements = pool.items.filter(() => rnd() < 0.6);
    if (elements.length === 0) elements.push(pool.items[0]!);
    const interval = elements.some((e) => typeof e === 'object') || pool.type === 'ifname';
    const set: NamedSet = { name: `s${i}`, type: pool.type, flags: interval ? ['interval'] : [], elements, origin: O };
    sets.push(set);
    const field = pick(pool.field);
    const exprs: Expr[] = field.startsWith('th ') ? [{ kind: 'match', field: 'meta l4proto', op: '==', value: pick([6, 17]), origin: O }] : [];
    exprs.push({ kind: 'match', field, op: rnd() < 0.3 ? '!=' : '==', value: { set: elements }, set: set.name, origin: O });
    exprs.push({ kind: 'counter', origin: O });
    const chain = pick(table.chains);
    const verdict = pick(['accept', 'accept', 'continue', 'drop'] as const);
    const r: Rule = { exprs, origin: O, ...(verdict === 'continue' ? {} : { verdict: { kind: verdict, origin: O } }) };
    chain.rules.splice(Math.floor(rnd() * (chain.rules.length + 1)), 0, r);
  }
  // A concatenation `ip saddr . th dport` (or `ip daddr . meta iifname`), anonymous or named: its
  // elements take distinct addresses of the disjoint pool, so no two overlap (nft refuses that).
  if (rnd() < 0.6) {
    const addrs = SET_POOLS[0]!.items.filter(() => rnd() < 0.5);
    if (addrs.length === 0) addrs.push(SET_POOLS[0]!.items[1]!);
    const byIf = rnd() < 0.4;
    const fields: Match['field'][] = byIf ? ['ip daddr', 'meta iifname'] : ['ip saddr', 'th dport'];
    const elements = addrs.map((a) => [a, byIf ? pick(['eth0', 'eth1', 'liqo*']) : pick(SET_POOLS[1]!.items)]);
    const named = rnd() < 0.5;
    const exprs: Expr[] = byIf ? [] : [{ kind: 'match', field: 'meta l4proto', op: '==', value: pick([6, 17]), origin: O }];
    exprs.push({ kind: 'concat', fields, op: rnd() < 0.3 ? '!=' : '==', elements, ...(named ? { set: 'cc' } : {}), origin: O });
    exprs.push({ kind: 'counter', origin: O });
    if (named) {
      sets.push({ name: 'cc', type: 'ipv4_addr', flags: ['interval'], elements: [], concat: { types: ['ipv4_addr', byIf ? 'ifname' : 'inet_service'], elements }, origin: O });
    }
    const chain = pick(table.chains);
    const verdict = pick(['accept', 'accept', 'continue', 'drop'] as const);
    chain.rules.splice(Math.floor(rnd() * (chain.rules.length + 1)), 0, { exprs, origin: O, ...(verdict === 'continue' ? {} : { verdict: { kind: verdict, origin: O } }) });
  }
  if (sets.length) table.sets = sets;
}

/**
 * With its own random stream: a verdict map (named or anonymous; keyed by an address, an interface
 * name or `ip saddr . th dport`; values accept, drop, jump or goto a regular chain) in the base chain,
 * sometimes after a counter, and sometimes a mark map (`meta mark set ip daddr map { … }`).
 * Keys come from the disjoint pools, so no two elements overlap.
 */
function withMaps(table: Table, seed: number): void {
  const rnd = prng(seed ^ 0x3a95);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const some = <T>(xs: readonly T[]): T[] => {
    const out = xs.filter(() => rnd() < 0.6);
    return out.length ? out : [xs[0]!];
  };
  const base = table.chains.find((c) => c.base)!;
  const regular = table.chains.filter((c) => !c.base).map((c) => c.name);
  const verdict = (): Verdict => {
    const k = pick(regular.length ? (['accept', 'drop', 'drop', 'jump', 'goto'] as const) : (['accept', 'drop'] as const));
    return k === 'jump' || k === 'goto' ? { kind: k, target: pick(regular), origin: O } : { kind: k, origin: O };
  };
  const maps: NamedMap[] = [];
  const insert = (r: Rule): void => void base.rules.splice(Math.floor(rnd() * (base.rules.length + 1)), 0, r);
  if (rnd() < 0.7) {
    const shape = Math.floor(rnd() * 3);
    const pre: Expr[] = shape === 2 ? [{ kind: 'match', field: 'meta l4proto', op: '==', value: pick([6, 17]), origin: O }] : [];
    const key: Match['field'][] = shape === 0 ? [pick(['ip saddr', 'ip daddr'] as const)] : shape === 1 ? [pick(['meta iifname', 'meta oifname'] as const)] : ['ip saddr', 'th dport'];
    const keys: Item[][] = shape === 0 ? some(SET_POOLS[0]!.items).map((a) => [a])
      : shape === 1 ? some(SET_POOLS[2]!.items).map((i) => [i])
      : some(SET_POOLS[0]!.items).map((a) => [a, pick(SET_POOLS[1]!.items)]);
    const elements: MapElement<Verdict>[] = keys.map((k) => ({ key: k, value: verdict(), origin: O }));
    const named = rnd() < 0.5;
    if (named) {
      const types = key.map((f) => (f.startsWith('ip ') ? 'ipv4_addr' : f.startsWith('th ') ? 'inet_service' : 'ifname') as NamedMap['key'][number]);
      maps.push({ name: 'vm', key: types, data: 'verdict', flags: ['interval'], elements, origin: O });
    }
    const counter: Expr[] = rnd() < 0.5 ? [{ kind: 'counter', origin: O }] : [];
    insert({ exprs: [...counter, ...pre], verdict: { kind: 'vmap', lookup: { key, elements, ...(named ? { map: 'vm' } : {}) }, origin: O }, origin: O });
  }
  if (rnd() < 0.4) {
    const elements: MapElement<number>[] = some(SET_POOLS[0]!.items).map((a) => ({ key: [a], value: pick([0x10, 0x20, 0x5]), origin: O }));
    insert({ exprs: [{ kind: 'set-mark', key: 'meta mark', value: { key: ['ip daddr'], elements }, origin: O }, { kind: 'counter', origin: O }], origin: O });
  }
  if (maps.length) table.maps = maps;
}

/**
 * With its own random stream: one or two rules of stateful expressions at random places of the
 * base chain, and a dynamic set the packet path fills (by source address) and rules look up.
 */
function withStateful(table: Table, seed: number): void {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const base = table.chains[0]!;
  const counter: Expr = { kind: 'counter', origin: O };
  const udp: Match = { kind: 'match', field: 'meta l4proto', op: '==', value: 17, origin: O };
  const key = table.family === 'inet' ? [{ kind: 'match', field: 'meta nfproto', op: '==', value: 'ipv4', origin: O } as Match] : [];
  const made: Rule[] = [];
  let dynamic = false;
  /** numgen, jhash (of the source address, with a seed or not) or symhash, and the matches jhash's field needs. */
  const numbers = (mod: number, offset: number): { pre: Match[]; source: NumberSource } => {
    const which = Math.floor(rnd() * 3);
    if (which === 0) return { pre: [], source: { what: 'numgen', mode: pick(['inc', 'random'] as const), mod, offset } };
    if (which === 1) return { pre: [], source: { what: 'symhash', mod, offset } };
    return { pre: key, source: { what: 'jhash', key: ['ip saddr'], mod, offset, ...(rnd() < 0.5 ? { seed: Math.floor(rnd() * 2 ** 32) } : {}) } };
  };
  for (let i = 0; i < 1 + Math.floor(rnd() * 2); i++) {
    const v = (kind: 'accept' | 'drop'): Verdict => ({ kind, origin: O });
    switch (Math.floor(rnd() * 6)) {
      case 0: {
        const { pre, source } = numbers(2, 0);
        made.push({ exprs: [...pre, udp, counter], verdict: { kind: 'vmap', origin: O, lookup: { key: [], state: source, elements: [{ key: [0], value: v('accept'), origin: O }, { key: [1], value: v(pick(['drop', 'accept'] as const)), origin: O }] } }, origin: O });
        break;
      }
      case 1: {
        const { pre, source } = numbers(3, 1);
        made.push({ exprs: [...pre, { kind: 'state', source, op: pick(['==', '!='] as const), value: { set: [1, 3] }, origin: O }, counter], verdict: v(pick(['accept', 'drop'] as const)), origin: O });
        break;
      }
      case 2:
        made.push({ exprs: [udp, { kind: 'state', source: { what: 'limit', rate: pick([1, 1000]), rateUnit: 'packets', per: 'second', over: rnd() < 0.5 }, op: '==', origin: O }, counter], verdict: v(pick(['accept', 'drop'] as const)), origin: O });
        break;
      case 3:
        made.push({ exprs: [{ kind: 'state', source: { what: 'quota', val: 100, valUnit: 'mbytes', over: rnd() < 0.5 }, op: '==', origin: O }, counter], verdict: v(pick(['accept', 'drop'] as const)), origin: O });
        break;
      case 4:
        made.push({ exprs: [{ kind: 'state', source: { what: 'ct count', count: pick([0, 1000]), over: rnd() < 0.5 }, op: '==', origin: O }, counter], verdict: v(pick(['accept', 'drop'] as const)), origin: O });
        break;
      default:
        dynamic = true;
        made.push({ exprs: [...key, udp, { kind: 'set-update', op: pick(['add', 'update'] as const), set: 'seen', key: ['ip saddr'], origin: O }, counter], origin: O });
        made.push({ exprs: [...key, { kind: 'state', source: { what: 'set', set: 'seen', key: ['ip saddr'], op: '==' }, op: '==', origin: O }, counter], verdict: v(pick(['accept', 'drop'] as const)), origin: O });
    }
  }
  for (const r of made) base.rules.splice(Math.floor(rnd() * (base.rules.length + 1)), 0, r);
  if (dynamic) (table.sets ??= []).push({ name: 'seen', type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeout: 3600, size: 65535, dynamic: true, elements: [], origin: O });
}
