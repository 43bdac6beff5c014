// Hand-built IR rulesets that use every IR construct (all match fields, masks, sets, ranges,
// prefixes incl. one with host bits, every statement and verdict, NAT in nat chains, the ip, ip6
// and inet families, the stateful expressions and dynamic sets), for the renderer tests and the
// kernel round trip.

import type { BaseChain, Chain, Expr, Family, Item, Match, MatchField, MatchValue, NamedSet, NumberSource, NumgenSource, Rule, Ruleset, StateMatch, StateSource, Statement, Table, Verdict } from '../../../src/model/ruleset.js';

const o = { file: 'samples.ts' };
/** A union member without its origin (Omit does not distribute over unions). */
type Bare<T> = T extends unknown ? Omit<T, 'origin'> : never;
export const m = (field: Match['field'], value: MatchValue, op: Match['op'] = '==', mask?: number): Match =>
  ({ kind: 'match', field, op, value, origin: o, ...(mask === undefined ? {} : { mask }) });
const s = (stmt: Bare<Statement>): Statement => ({ ...stmt, origin: o }) as Statement;
const v = (verdict: Bare<Verdict>): Verdict => ({ ...verdict, origin: o }) as Verdict;
export const r = (exprs: Expr[], verdict?: Bare<Verdict>, comment?: string): Rule => ({
  exprs, origin: o, ...(verdict ? { verdict: v(verdict) } : {}), ...(comment !== undefined ? { comment } : {}),
});
const base = (type: BaseChain['type'], hook: BaseChain['hook'], priority: number, policy: BaseChain['policy'] = 'accept'): BaseChain =>
  ({ type, hook, priority, policy });
const chain = (name: string, rules: Rule[], b?: BaseChain): Chain => ({ name, rules, origin: o, ...(b ? { base: b } : {}) });
const table = (family: Family, name: string, chains: Chain[]): Table => ({ family, name, chains, origin: o });

const TCP = m('meta l4proto', 6);
const UDP = m('meta l4proto', 17);

export const FILTER4 = table('ip', 'filter4', [
  chain('input', [
    r([m('ip saddr', { prefix: '10.0.0.0', len: 8 }), m('ip daddr', { set: ['1.2.3.4', { prefix: '10.1.0.0', len: 16 }, { range: ['1.1.1.1', '1.1.1.9'] }] }, '!='),
      TCP, m('th dport', { set: [22, { range: [100, 200] }] }), s({ kind: 'counter' })], { kind: 'accept' }, 'r1 "quoted"; flush ruleset'),
    r([m('ip saddr', { prefix: '10.1.2.3', len: 16 })], { kind: 'drop' }, 'host bits kept'),
    r([m('ip protocol', 17), m('th sport', 53), m('th dport', 53, '!=')], { kind: 'accept' }),
    r([m('meta iifname', 'eth*'), m('meta oifname', { set: ['lo', 'veth0'] }), m('meta mark', 0x10, '==', 0xff),
      m('ct mark', 5), m('ct state', { set: ['established', 'related'] })], { kind: 'accept' }),
    r([m('ct state', 'invalid')], { kind: 'drop' }),
    r([m('ct state', 'new', '!='), m('meta iifname', 'e\\*')], { kind: 'jump', target: 'sub' }),
    r([m('tcp flags', 0, '!=', 0x02)], { kind: 'goto', target: 'sub' }),
    r([m('meta l4proto', { set: [1, 6, 17] }), m('th sport', { range: [1024, 65535] })], { kind: 'continue' }),
    r([m('ip daddr', { range: ['10.0.0.1', '10.0.0.1'] })], { kind: 'reject' }),
    r([UDP], { kind: 'reject', with: { type: 'icmp', code: 'host-unreachable' } }),
    r([TCP, m('ip saddr', '192.0.2.1')], { kind: 'reject', with: { type: 'tcp reset' } }),
  ], base('filter', 'input', 0)),
  chain('sub', [
    r([s({ kind: 'log', prefix: 'sub: ' }), s({ kind: 'log' })]),
    r([s({ kind: 'set-mark', key: 'meta mark', value: 0x10 }), s({ kind: 'set-mark', key: 'ct mark', value: 'meta mark' }),
      s({ kind: 'set-mark', key: 'meta mark', value: 'ct mark' }), s({ kind: 'set-mark', key: 'ct mark', value: 7 })]),
    r([m('meta mark', 0x10)], { kind: 'return' }),
    // Issue 12: mark arithmetic, meta iif/oif (lo exists everywhere), fib type local.
    r([s({ kind: 'set-mark', key: 'meta mark', value: 'meta mark', and: 0xffff00ff, xor: 0x400 }),
      s({ kind: 'set-mark', key: 'ct mark', value: 'meta mark', xor: 0x4000 }), s({ kind: 'set-mark', key: 'meta mark', value: 'ct mark', and: 0xff00 })]),
    r([{ kind: 'match', field: 'meta iifname', op: '==', value: 'lo', ifindex: true, origin: o },
      { kind: 'match', field: 'meta oifname', op: '!=', value: { set: ['lo'] }, ifindex: true, origin: o },
      { kind: 'fib', addr: 'daddr', op: '==', result: 'type', type: 'local', origin: o }, { kind: 'fib', addr: 'saddr', op: '!=', result: 'type', type: 'local', origin: o }], { kind: 'return' }),
    r([]),
  ]),
  chain('raw', [
    r([m('ip saddr', '127.0.0.1'), s({ kind: 'notrack' })]),
    // Route lookups: the reverse-path check as firewalld and calico write it, a destination's.
    r([{ kind: 'fib', result: 'oif', addr: 'saddr', through: 'iif', op: '==', value: false, origin: o }], { kind: 'drop' }),
    r([{ kind: 'fib', result: 'oif', addr: 'saddr', mark: true, through: 'iif', op: '!=', value: 0, origin: o }, s({ kind: 'counter' })]),
    r([{ kind: 'fib', result: 'oif', addr: 'daddr', op: '==', value: true, origin: o }, s({ kind: 'counter' })]),
    // ct status: the flag test (`ct status dnat`), the whole value (`!= dnat`), a masked value.
    r([m('ct status', 0, '!=', 0x20), s({ kind: 'counter' })]),
    r([m('ct status', 0x20, '!='), s({ kind: 'counter' })]),
    r([m('ct status', 0x100, '==', 0x180), s({ kind: 'counter' })]),
    // meta pkttype: one type, a set of them, the complement.
    r([m('meta pkttype', 1), s({ kind: 'counter' })]),
    r([m('meta pkttype', { set: [1, 2] }), s({ kind: 'counter' })]),
    r([m('meta pkttype', 0, '!='), s({ kind: 'counter' })]),
  ], base('filter', 'prerouting', -300)),
  // `rt mtu` exists only from the routing decision on: forward, output, postrouting.
  chain('clamp', [
    r([m('tcp flags', 0x02, '==', 0x12), s({ kind: 'mss-clamp', size: 'rt mtu' })]),
    r([TCP, m('tcp flags', 0x02, '==', 0x17), s({ kind: 'mss-clamp', size: 1400 })]),
  ], base('filter', 'forward', 0, 'drop')),
]);

export const FILTER6 = table('ip6', 'filter6', [
  chain('forward', [
    r([m('ip6 saddr', { prefix: '2001:db8::', len: 32 }), m('ip6 daddr', { set: ['::1', { range: ['2001:db8::1', '2001:db8::9'] }] })], { kind: 'accept' }),
    r([m('ip6 saddr', { prefix: '2001:db8::1', len: 64 })], { kind: 'drop' }),
    r([m('meta l4proto', 58)], { kind: 'reject', with: { type: 'icmpv6', code: 'admin-prohibited' } }),
    r([], { kind: 'reject' }),
  ], base('filter', 'forward', -10, 'drop')),
]);

export const MIXED = table('inet', 'mixed', [
  chain('output', [
    r([m('meta nfproto', 'ipv6'), m('meta l4proto', { set: [6, 17] }), m('th dport', { range: [0, 1023] })], { kind: 'accept' }),
    r([m('ip protocol', 17), m('th sport', 53)], { kind: 'accept' }),
    r([m('ip saddr', '1.2.3.4')], { kind: 'reject', with: { type: 'icmp', code: 'host-unreachable' } }),
    r([m('meta nfproto', 'ipv4')], { kind: 'reject', with: { type: 'icmp', code: 'port-unreachable' } }),
    r([m('ct state', { set: ['invalid', 'untracked'] }, '!=')], { kind: 'reject', with: { type: 'icmpx', code: 'admin-prohibited' } }),
    r([], { kind: 'reject' }),
  ], base('filter', 'output', 10)),
]);

export const NAT4 = table('ip', 'nat4', [
  chain('post', [
    r([m('ip saddr', { prefix: '10.0.0.0', len: 24 })], { kind: 'accept' }),
    r([m('ip saddr', '10.0.1.1'), s({ kind: 'nat', type: 'snat', to: '192.0.2.1' })]),
    r([TCP, m('ip saddr', '10.0.1.2'), s({ kind: 'nat', type: 'snat', to: { range: ['192.0.2.1', '192.0.2.9'] }, port: { range: [1000, 2000] } })]),
    r([m('ip saddr', { prefix: '10.0.2.0', len: 24 }), s({ kind: 'nat', type: 'snat', to: { prefix: '192.168.2.0', len: 24 } })]),
    r([UDP, s({ kind: 'nat', type: 'masquerade', port: { range: [3000, 4000] } })]),
    r([s({ kind: 'counter' }), s({ kind: 'nat', type: 'masquerade' })]),
  ], base('nat', 'postrouting', 100)),
  chain('pre', [
    r([m('ip daddr', '192.0.2.1'), TCP, m('th dport', 80), s({ kind: 'nat', type: 'dnat', to: '10.0.0.1', port: 8080 })]),
    r([m('ip daddr', { prefix: '192.0.2.0', len: 28 }), s({ kind: 'nat', type: 'dnat', to: { prefix: '10.0.3.0', len: 28 } })]),
    r([TCP, m('th dport', 8081), s({ kind: 'nat', type: 'redirect', port: 80 })]),
    r([UDP, m('th dport', 5353), s({ kind: 'nat', type: 'redirect' })]),
  ], base('nat', 'prerouting', -100)),
]);

export const NAT6 = table('ip6', 'nat6', [
  chain('pre', [r([m('ip6 daddr', '2001:db8::1'), UDP, m('th dport', 53), s({ kind: 'nat', type: 'dnat', to: '::1', port: 5353 })])],
    base('nat', 'prerouting', -100)),
]);

export const NATINET = table('inet', 'natinet', [
  chain('post', [
    r([m('meta nfproto', 'ipv4'), s({ kind: 'nat', type: 'snat', to: '192.0.2.7' })]),
    r([m('ip6 saddr', '::1'), s({ kind: 'nat', type: 'snat', to: { range: ['2001:db8::1', '2001:db8::2'] } })]),
    r([m('meta oifname', 'wan*'), s({ kind: 'nat', type: 'masquerade' })]),
  ], base('nat', 'postrouting', 100)),
]);

// ─── stateful expressions ────────────────────────────────────────────────────────────────────────

const dynSet = (name: string, types: NamedSet['type'][], extra: Partial<NamedSet> = {}): NamedSet => ({
  name, type: types[0]!, flags: ['dynamic'], elements: [], dynamic: true, origin: o,
  ...(types.length > 1 ? { concat: { types, elements: [] } } : {}), ...extra,
});
const st = (source: StateSource, op: StateMatch['op'] = '==', value?: MatchValue): StateMatch =>
  ({ kind: 'state', source, op, origin: o, ...(value === undefined ? {} : { value }) });
const numgen = (mode: NumgenSource['mode'], mod: number, offset = 0): NumgenSource => ({ what: 'numgen', mode, mod, offset });
const inSet = (set: string, key: MatchField[], op: '==' | '!=' = '=='): StateMatch => st({ what: 'set', set, key, op });
const goto = (target: string): Verdict => ({ kind: 'goto', target, origin: o });
/** A rule that is only a verdict map keyed by numgen. */
const numgenVmap = (n: NumberSource, elements: [Item, Verdict][]): Rule => ({
  exprs: [], origin: o, verdict: { kind: 'vmap', lookup: { key: [], state: n, elements: elements.map(([k, value]) => ({ key: [k], value, origin: o })) }, origin: o },
});

export const STATEFUL = {
  ...table('ip', 'state4', [
    chain('a', [r([s({ kind: 'counter' })])]),
    chain('b', [r([s({ kind: 'counter' })])]),
    chain('in', [
      // Lookups in dynamic sets (kube-proxy's affinity), a concatenation after its dependency.
      r([inSet('affinity', ['ip saddr'])], { kind: 'goto', target: 'a' }),
      r([inSet('seen', ['ip saddr'], '!='), s({ kind: 'set-update', op: 'add', set: 'seen', key: ['ip saddr'] })]),
      r([TCP, inSet('pairs', ['ip saddr', 'th dport'])], { kind: 'accept' }),
      // The set statement: add, update, delete, an element's timeout, a stateful statement on the element.
      r([s({ kind: 'set-update', op: 'update', set: 'affinity', key: ['ip saddr'] })]),
      r([s({ kind: 'set-update', op: 'update', set: 'affinity', key: ['ip saddr'], timeout: 60 })]),
      r([s({ kind: 'set-update', op: 'delete', set: 'seen', key: ['ip saddr'] })]),
      r([TCP, s({ kind: 'set-update', op: 'add', set: 'pairs', key: ['ip saddr', 'th dport'] })]),
      r([s({ kind: 'set-update', op: 'add', set: 'flood', key: ['ip saddr'], stateful: { what: 'limit', rate: 10, rateUnit: 'packets', per: 'second', over: true } })], { kind: 'drop' }),
      r([s({ kind: 'set-update', op: 'add', set: 'flood', key: ['ip saddr'], stateful: { what: 'ct count', count: 3, over: true } })], { kind: 'drop' }),
      r([s({ kind: 'set-update', op: 'add', set: 'flood', key: ['ip saddr'], stateful: { what: 'quota', val: 25, valUnit: 'mbytes', over: true } })], { kind: 'drop' }),
      // numgen as a map key (verdicts, marks) and compared with numbers.
      numgenVmap(numgen('random', 2), [[0, goto('a')], [1, goto('b')]]),
      numgenVmap(numgen('inc', 3, 5), [[5, goto('a')], [{ range: [6, 7] }, goto('b')]]),
      r([s({ kind: 'set-mark', key: 'meta mark', value: { key: [], state: numgen('inc', 2), elements: [{ key: [0], value: 1, origin: o }, { key: [1], value: 2, origin: o }] } })]),
      r([st(numgen('inc', 2), '==', 0)], { kind: 'accept' }),
      r([st(numgen('inc', 2), '!=', 1)], { kind: 'accept' }),
      r([st(numgen('random', 4), '==', { set: [0, 2] })], { kind: 'accept' }),
      r([st(numgen('random', 4), '==', { range: [1, 2] })], { kind: 'accept' }),
      // jhash (a seed, a concatenation and its dependency, an offset) and symhash, compared and as map keys.
      r([st({ what: 'jhash', key: ['ip saddr'], mod: 2, seed: 0xdeadbeef, offset: 0 }, '==', 0)], { kind: 'accept' }),
      r([TCP, st({ what: 'jhash', key: ['ip saddr', 'th dport'], mod: 4, offset: 100 }, '!=', { set: [100, 102] })], { kind: 'accept' }),
      r([st({ what: 'symhash', mod: 2, offset: 1 }, '==', 1)], { kind: 'drop' }),
      numgenVmap({ what: 'symhash', mod: 2, offset: 0 }, [[0, goto('a')], [1, goto('b')]]),
      numgenVmap({ what: 'jhash', key: ['ip saddr', 'ip daddr'], mod: 3, offset: 0 }, [[0, goto('a')], [{ range: [1, 2] }, goto('b')]]),
      // limit (packets, bytes, a burst), quota (over, until, used), ct count.
      r([st({ what: 'limit', rate: 10, rateUnit: 'packets', per: 'second', burst: 20, over: true })], { kind: 'drop' }),
      r([st({ what: 'limit', rate: 1, rateUnit: 'mbytes', per: 'second', over: false })], { kind: 'accept' }),
      r([st({ what: 'limit', rate: 1024, rateUnit: 'kbytes', per: 'minute', burst: 1000, burstUnit: 'kbytes', over: true })], { kind: 'drop' }),
      r([st({ what: 'limit', rate: 100, rateUnit: 'packets', per: 'day', over: false })], { kind: 'accept' }),
      r([st({ what: 'quota', val: 25, valUnit: 'mbytes', used: 0, usedUnit: 'bytes', over: true })], { kind: 'drop' }),
      r([st({ what: 'quota', val: 2048, valUnit: 'kbytes', over: false })], { kind: 'accept' }),
      r([st({ what: 'ct count', count: 3, over: true })], { kind: 'drop' }),
      r([st({ what: 'ct count', count: 1, over: false })], { kind: 'accept' }),
    ], base('filter', 'input', 0)),
    chain('pre', [
      r([TCP, m('th dport', 80), s({ kind: 'nat', type: 'dnat', map: { key: [], state: numgen('inc', 2), elements: [{ key: [0], value: '10.0.0.1', origin: o }, { key: [1], value: '10.0.0.2', origin: o }] } })]),
      r([TCP, m('th dport', 81), s({ kind: 'nat', type: 'dnat', map: { key: [], state: { what: 'jhash', key: ['ip saddr', 'th sport'], mod: 2, offset: 0 }, elements: [{ key: [0], value: '10.0.0.1', origin: o }, { key: [1], value: '10.0.0.2', origin: o }] } })]),
    ], base('nat', 'prerouting', -100)),
  ]),
  sets: [
    dynSet('affinity', ['ipv4_addr'], { flags: ['dynamic', 'timeout'], timeout: 10800, size: 65535, gcInterval: 60 }),
    dynSet('seen', ['ipv4_addr'], { flags: ['timeout'], elements: ['10.9.9.9'] }),
    dynSet('pairs', ['ipv4_addr', 'inet_service']),
    dynSet('flood', ['ipv4_addr'], { size: 1000 }),
  ],
};

/** All sample tables, one ruleset. */
export const SAMPLES: Ruleset = { tables: [FILTER4, FILTER6, MIXED, NAT4, NAT6, NATINET, STATEFUL] };
