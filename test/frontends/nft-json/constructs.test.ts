// The nft-JSON front end construct by construct: what each nft JSON expression becomes in the IR
// (checked against what nft 1.0.6 prints and the kernel runs), and how bad input is reported.

import { describe, expect, it } from 'vitest';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import type { Rule } from '../../../src/model/ruleset.js';
import { fails } from './support.js';

type J = unknown;
const table = (family = 'inet') => ({ table: { family, name: 't', handle: 1 } });
const chain = (family = 'inet', name = 'c', base = true) => ({
  chain: { family, table: 't', name, handle: 2, ...(base ? { type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } : {}) },
});
const rule = (expr: J[], family = 'inet', chainName = 'c', handle = 3) => ({ rule: { family, table: 't', chain: chainName, handle, expr } });
const doc = (...items: J[]) => ({ nftables: [{ metainfo: { json_schema_version: 1 } }, ...items] });
const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
const meta = (key: string) => ({ meta: { key } });
const ct = (key: string) => ({ ct: { key } });
const match = (op: string, left: J, right: J) => ({ match: { op, left, right } });

/** Imports one rule in an inet (or given family) table and returns it without origins. */
function one(expr: J[], family = 'inet'): Rule {
  const { ruleset } = importNftJson(doc(table(family), chain(family), rule(expr, family)), 'test.json');
  return JSON.parse(JSON.stringify(ruleset.tables[0]!.chains[0]!.rules[0], (k, v) => (k === 'origin' || k === 'handle' ? undefined : v)));
}
const m = (field: string, op: string, value: J, mask?: number) => ({ kind: 'match', field, op, ...(mask === undefined ? {} : { mask }), value });

describe('matches', () => {
  it('lowers tcp/udp/sctp/dccp ports to meta l4proto + th, the protocol first', () => {
    expect(one([match('!=', payload('udp', 'sport'), 53), match('==', payload('tcp', 'dport'), { set: [22, { range: [100, 200] }] })]).exprs).toEqual([
      m('meta l4proto', '==', 17), m('th sport', '!=', 53), m('meta l4proto', '==', 6), m('th dport', '==', { set: [22, { range: [100, 200] }] }),
    ]);
    expect(one([match('==', payload('sctp', 'dport'), 9)]).exprs).toEqual([m('meta l4proto', '==', 132), m('th dport', '==', 9)]);
    expect(one([match('==', payload('dccp', 'sport'), 10)]).exprs).toEqual([m('meta l4proto', '==', 33), m('th sport', '==', 10)]);
    expect(one([match('==', payload('th', 'dport'), 53)]).exprs).toEqual([m('th dport', '==', 53)]);
  });

  it('reads protocol names as numbers, interface wildcards as written', () => {
    expect(one([
      match('==', meta('l4proto'), { set: ['icmp', 'tcp', 'ipv6-icmp'] }), match('==', payload('ip', 'protocol'), 'udp'),
      match('==', meta('nfproto'), 'ipv6'), match('==', meta('iifname'), 'eth*'), match('!=', meta('oifname'), { set: ['a', 'e\\*'] }),
    ]).exprs).toEqual([
      m('meta l4proto', '==', { set: [1, 6, 58] }), m('ip protocol', '==', 17), m('meta nfproto', '==', 'ipv6'),
      m('meta iifname', '==', 'eth*'), m('meta oifname', '!=', { set: ['a', 'e\\*'] }),
    ]);
  });

  it("reads nft's implicit flag test as (flags & bits) != 0, and its negation", () => {
    expect(one([
      match('in', payload('tcp', 'flags'), 'syn'),
      match('in', payload('tcp', 'flags'), ['syn', 'ack']),
      match('!', payload('tcp', 'flags'), ['fin', 'rst']),
      match('==', { '&': [payload('tcp', 'flags'), ['syn', 'ack']] }, 'syn'),
      match('!=', { '&': [payload('tcp', 'flags'), ['fin', 'syn', 'rst', 'ack']] }, 'syn'),
      match('==', payload('tcp', 'flags'), ['syn', 'ack']),
    ]).exprs).toEqual([
      m('tcp flags', '!=', 0, 0x02), m('tcp flags', '!=', 0, 0x12), m('tcp flags', '==', 0, 0x05),
      m('tcp flags', '==', 2, 0x12), m('tcp flags', '!=', 2, 0x17), m('tcp flags', '==', 0x12),
    ]);
  });

  it('reads ct state flag lists as membership: a packet has exactly one state', () => {
    expect(one([
      match('in', ct('state'), ['established', 'related']), match('in', ct('state'), 'new'),
      match('!', ct('state'), ['established', 'related']), match('!=', ct('state'), 'invalid'),
      match('==', { '&': [ct('state'), ['established', 'related']] }, 0), match('==', ct('state'), { set: ['new', 'untracked'] }),
    ]).exprs).toEqual([
      m('ct state', '==', { set: ['established', 'related'] }), m('ct state', '==', 'new'),
      m('ct state', '!=', { set: ['established', 'related'] }), m('ct state', '!=', 'invalid'),
      m('ct state', '!=', { set: ['established', 'related'] }), m('ct state', '==', { set: ['new', 'untracked'] }),
    ]);
  });

  it('keeps prefix host bits, whether listed as a prefix or as `& mask ==`', () => {
    expect(one([
      match('==', payload('ip', 'saddr'), { prefix: { addr: '10.1.2.3', len: 16 } }),
      match('!=', { '&': [payload('ip', 'daddr'), '255.255.0.0'] }, '10.1.2.3'),
      match('==', { '&': [payload('ip6', 'saddr'), 'ffff:ffff::'] }, '2001:db8::1'),
    ]).exprs).toEqual([
      m('ip saddr', '==', { prefix: '10.1.2.3', len: 16 }), m('ip daddr', '!=', { prefix: '10.1.2.3', len: 16 }),
      m('ip6 saddr', '==', { prefix: '2001:db8::1', len: 32 }),
    ]);
  });

  it('reads marks with masks and comparisons as ranges', () => {
    expect(one([
      match('==', { '&': [meta('mark'), 255] }, 16), match('==', ct('mark'), 5),
      match('<', payload('th', 'dport'), 1024), match('>=', payload('ip', 'daddr'), '10.0.0.0'), match('<', payload('th', 'sport'), 0),
    ]).exprs).toEqual([
      m('meta mark', '==', 16, 255), m('ct mark', '==', 5), m('th dport', '==', { range: [0, 1023] }),
      m('ip daddr', '==', { range: ['10.0.0.0', '255.255.255.255'] }), m('th sport', '==', { range: [65535, 0] }),
    ]);
  });
});

describe('statements and verdicts', () => {
  it('reads counters, marks, notrack, MSS clamping and log', () => {
    const r = one([
      { counter: { packets: 3, bytes: 252 } }, { counter: null },
      { mangle: { key: meta('mark'), value: 16 } }, { mangle: { key: ct('mark'), value: meta('mark') } },
      { mangle: { key: meta('mark'), value: ct('mark') } }, { notrack: null },
      { mangle: { key: { 'tcp option': { name: 'maxseg', field: 'size' } }, value: { rt: { key: 'mtu' } } } },
      { mangle: { key: { 'tcp option': { name: 'maxseg', field: 'size' } }, value: 1400 } },
      { log: { prefix: 'x: ' } }, { log: null }, { accept: null },
    ]);
    expect(r).toEqual({
      exprs: [
        { kind: 'counter', packets: 3, bytes: 252 }, { kind: 'counter' },
        { kind: 'set-mark', key: 'meta mark', value: 16 }, { kind: 'set-mark', key: 'ct mark', value: 'meta mark' },
        { kind: 'set-mark', key: 'meta mark', value: 'ct mark' }, { kind: 'notrack' },
        { kind: 'mss-clamp', size: 'rt mtu' }, { kind: 'mss-clamp', size: 1400 },
        { kind: 'log', prefix: 'x: ' }, { kind: 'log' },
      ],
      verdict: { kind: 'accept' },
    });
  });

  it('reads NAT: address and port, netmap prefix, a plain prefix as its range, ranges, masquerade', () => {
    const nat = (stmt: J) => one([stmt]).exprs[0];
    expect(nat({ snat: { family: 'ip', addr: '2.2.2.2', port: 80 } })).toEqual({ kind: 'nat', type: 'snat', to: '2.2.2.2', port: 80 });
    expect(nat({ dnat: { family: 'ip', addr: { prefix: { addr: '10.0.0.0', len: 24 } }, flags: 'netmap', type_flags: 'prefix' } }))
      .toEqual({ kind: 'nat', type: 'dnat', to: { prefix: '10.0.0.0', len: 24 } });
    expect(nat({ snat: { family: 'ip', addr: { prefix: { addr: '10.0.0.0', len: 24 } } } }))
      .toEqual({ kind: 'nat', type: 'snat', to: { range: ['10.0.0.0', '10.0.0.255'] } });
    expect(nat({ snat: { family: 'ip6', addr: { range: ['::1', '::5'] }, port: { range: [5, 9] } } }))
      .toEqual({ kind: 'nat', type: 'snat', to: { range: ['::1', '::5'] }, port: { range: [5, 9] } });
    expect(nat({ masquerade: { port: { range: [1000, 2000] } } })).toEqual({ kind: 'nat', type: 'masquerade', port: { range: [1000, 2000] } });
    expect(nat({ masquerade: null })).toEqual({ kind: 'nat', type: 'masquerade' });
  });

  it('warns about log options that do not change verdicts, and keeps NAT flags (rendered back, compared)', () => {
    const { ruleset, diagnostics } = importNftJson(doc(table(), chain(), rule([{ log: { prefix: 'p', level: 'info', flags: 'all' } }, { snat: { family: 'ip', addr: '1.1.1.1', flags: ['random', 'persistent'] } }])), 'w.json');
    expect(diagnostics.map((d) => [d.severity, d.message.split(' — ')[0]])).toEqual([['warning', 'unsupported: log level, flags']]);
    expect(ruleset.tables[0]!.chains[0]!.rules[0]!.exprs[1]).toMatchObject({ kind: 'nat', type: 'snat', to: '1.1.1.1', flags: ['random', 'persistent'] });
    expect(one([{ masquerade: { flags: 'fully-random' } }]).exprs[0]).toEqual({ kind: 'nat', type: 'masquerade', flags: ['fully-random'] });
    expect(fails(doc(table(), chain(), rule([{ masquerade: { flags: ['sideways'] } }]))).map((d) => d.message)).toEqual([
      'unknown masquerade flag sideways (nft knows random, fully-random, persistent, netmap)',
    ]);
  });

  it('reads every verdict', () => {
    const v = (x: J) => one([x]).verdict;
    expect(v({ drop: null })).toEqual({ kind: 'drop' });
    expect(v({ continue: null })).toEqual({ kind: 'continue' });
    expect(v({ return: null })).toEqual({ kind: 'return' });
    expect(v({ reject: null })).toEqual({ kind: 'reject' });
    expect(v({ reject: { type: 'icmpx', expr: 'admin-prohibited' } })).toEqual({ kind: 'reject', with: { type: 'icmpx', code: 'admin-prohibited' } });
  });

  it('states the dependency nft adds and hides: tcp reset only for TCP, icmp only for its family in inet', () => {
    expect(one([match('==', payload('ip', 'saddr'), '1.2.3.4'), { reject: { type: 'tcp reset' } }], 'ip').exprs).toEqual([
      m('meta l4proto', '==', 6), m('ip saddr', '==', '1.2.3.4'),
    ]);
    expect(one([match('==', meta('l4proto'), 'tcp'), { reject: { type: 'tcp reset' } }]).exprs).toEqual([m('meta l4proto', '==', 6)]);
    expect(one([{ reject: { type: 'icmp', expr: 'host-unreachable' } }]).exprs).toEqual([m('meta nfproto', '==', 'ipv4')]);
    expect(one([match('==', payload('ip6', 'saddr'), '::1'), { reject: { type: 'icmpv6', expr: 'admin-prohibited' } }]).exprs)
      .toEqual([m('ip6 saddr', '==', '::1')]);
    expect(one([{ reject: { type: 'icmp', expr: 'host-unreachable' } }], 'ip').exprs).toEqual([]);
  });
});

describe('references', () => {
  it('resolves jumps after reading the whole document, in any order', () => {
    const { ruleset } = importNftJson(doc(
      rule([{ jump: { target: 'later' } }]), chain(), table(), chain('inet', 'later', false), rule([{ goto: { target: 'c' } }], 'inet', 'later', 4),
    ), 'o.json');
    expect(ruleset.tables[0]!.chains.map((c) => [c.name, c.rules.map((r) => r.verdict)])).toMatchObject([
      ['c', [{ kind: 'jump', target: 'later' }]], ['later', [{ kind: 'goto', target: 'c' }]],
    ]);
  });

  it('reports a jump to a chain that does not exist, and a rule of a missing chain', () => {
    const ds = fails(doc(table(), chain(), rule([{ jump: { target: 'nowhere' } }]), rule([{ accept: null }], 'inet', 'ghost', 9)));
    expect(ds.map((d) => [d.code, d.origin.chain, d.origin.rule, d.origin.field])).toEqual([
      ['NFT_REFERENCE', 'ghost', 'handle 9', 'nftables[4].rule'],
      ['NFT_REFERENCE', 'c', 'handle 3', 'nftables[3].rule.expr[0]'],
    ]);
  });

  it('reports every unsupported construct, not only the first, and named maps by name', () => {
    const ds = fails(doc(
      table(), chain(), { set: { family: 'inet', table: 't', name: 'blacklist', type: 'ipv4_addr', handle: 5 } },
      { map: { family: 'inet', table: 't', name: 'm', type: 'inet_service', map: 'verdict', handle: 6 } },
      rule([match('==', payload('ip', 'saddr'), '@blacklist'), { limit: 'five' }, { drop: null }]),
      rule([{ vmap: { key: { numgen: { mode: 'random', mod: 2, offset: 0 } }, data: '@m' } }], 'inet', 'c', 4),
      rule([match('==', { fib: { result: 'oifname', flags: ['saddr'] } }, 'eth0'), match('==', payload('icmp', 'code'), 'no-such-code')], 'inet', 'c', 7),
    ));
    expect(ds.map((d) => [d.message, d.origin.rule, d.origin.field])).toEqual([
      ['"no-such-code" is not an icmp code', 'handle 7', 'nftables[7].rule.expr[1].right'],
      ['unsupported: named limit "five"', 'handle 3', 'nftables[5].rule.expr[1]'],
      ['unsupported: numgen looked up in a named map (@m)', 'handle 4', 'nftables[6].rule.expr[0].vmap.data'],
      ['unsupported: fib saddr oifname', 'handle 7', 'nftables[7].rule.expr[0].left'],
    ]);
    expect(ds.every((d) => (d.code === 'NFT_UNSUPPORTED' || d.code === 'NFT_SCHEMA') && d.origin.file === 'bad.json' && d.origin.table === 'inet t')).toBe(true);
  });

  it('counts a named object as used by any rule that names it, and reports that rule', () => {
    const ds = fails(doc(
      table(), chain(), { flowtable: { family: 'inet', table: 't', name: 'ft', hook: 'ingress', prio: 0, dev: ['lo'], handle: 7 } },
      { 'ct helper': { family: 'inet', table: 't', name: 'ftp', type: 'ftp', protocol: 'tcp', l3proto: 'ip', handle: 8 } },
      { counter: { family: 'inet', table: 't', name: 'unused', packets: 0, bytes: 0, handle: 9 } },
      rule([{ flow: { op: 'add', flowtable: '@ft' } }]), rule([{ 'ct helper': 'ftp' }], 'inet', 'c', 4),
    ));
    expect(ds.map((d) => [d.severity, d.message])).toEqual([
      ['error', 'unsupported: flow offload @ft (flowtable)'],
      ['error', 'unsupported: named ct helper "ftp"'],
      ['warning', 'named counter "unused" is not used by any rule (imported as a warning: it does not change verdicts)'],
    ]);
  });
});

describe('bad input', () => {
  it('locates malformed JSON', () => {
    const [d] = fails('{\n  "nftables": [\n    {"table": }\n  ]\n}', 'broken.json');
    expect(d).toMatchObject({ code: 'INPUT_PARSE', origin: { file: 'broken.json', line: 3, column: 15 } });
    expect(fails('{"nftables": [1, 2', 'cut.json')[0]!.origin).toEqual({ file: 'cut.json', line: 1, column: 19 });
    expect(fails('{"nftables": []} x', 'tail.json')[0]!.origin).toEqual({ file: 'tail.json', line: 1, column: 18 });
  });

  it('reports schema violations with their JSON path', () => {
    expect(fails({ rules: [] })[0]).toMatchObject({ code: 'NFT_SCHEMA', origin: { file: 'bad.json', field: 'nftables' } });
    const ds = fails(doc({ table: { family: 'ipx', name: 't' } }, table(), chain(),
      rule([match('==', payload('ip', 'saddr'), '10.0.0.300')]), rule([{ accept: null }, { counter: null }], 'inet', 'c', 4)));
    expect(ds.map((d) => [d.code, d.origin.field])).toEqual([
      ['NFT_SCHEMA', 'nftables[1].table.family'],
      ['NFT_SCHEMA', 'nftables[4].rule.expr[0].right'],
      ['NFT_SCHEMA', 'nftables[5].rule.expr[1]'],
    ]);
  });

  it('refuses nft scripts (commands) with a clear message', () => {
    const [d] = fails({ nftables: [{ add: { table: { family: 'ip', name: 't' } } }] });
    expect(d!.message).toMatch(/nft command "add".*listings/);
  });
});
