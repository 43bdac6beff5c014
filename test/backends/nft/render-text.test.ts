// renderNftText: `nft list ruleset`-style text for people (the kernel test in roundtrip.test.ts
// also loads it with `nft -f` and compares the read-back).

import { describe, expect, it } from 'vitest';
import { renderNftText } from '../../../src/backends/nft/render-text.js';
import { renderNftJson } from '../../../src/backends/nft/render-json.js';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import type { Rule, Ruleset } from '../../../src/model/ruleset.js';
import { m, NAT4, r, STATEFUL } from './samples.js';

const o = { file: 't' };
const st = (s: object) => ({ ...s, origin: o }) as Rule['exprs'][number];

describe('renderNftText', () => {
  it('prints tables, base and regular chains, rules with their comments', () => {
    const rs: Ruleset = { tables: [{ family: 'inet', name: 'gw', origin: o, chains: [
      { name: 'fw', origin: o, base: { type: 'filter', hook: 'forward', priority: -10, policy: 'drop' }, rules: [
        r([m('meta iifname', 'liqo-tunnel'), m('ip saddr', { set: [{ prefix: '10.42.0.0', len: 16 }, '10.70.0.0'] }),
          m('meta l4proto', 6), m('th dport', { range: [1, 1024] }), st({ kind: 'counter' })], { kind: 'accept' }, 'allow-tunnel'),
        r([m('ct state', { set: ['established', 'related'] }), m('meta mark', 16, '==', 255), m('tcp flags', 2, '==', 0x12)], { kind: 'jump', target: 'my-chain' }),
        r([m('ip6 saddr', { prefix: '2001:db8::1', len: 64 }, '!=')], { kind: 'reject', with: { type: 'icmpv6', code: 'admin-prohibited' } }),
      ] },
      { name: 'my-chain', origin: o, rules: [
        r([st({ kind: 'set-mark', key: 'ct mark', value: 'meta mark' }), st({ kind: 'set-mark', key: 'meta mark', value: 5 }),
          st({ kind: 'notrack' }), st({ kind: 'mss-clamp', size: 'rt mtu' }), st({ kind: 'log', prefix: 'x ' })], { kind: 'return' }),
        r([st({ kind: 'counter', packets: 3, bytes: 120 })]),
      ] },
    ] }] };
    expect(renderNftText(rs)).toBe(`table inet gw {
	chain fw {
		type filter hook forward priority -10; policy drop;
		meta iifname "liqo-tunnel" ip saddr { 10.42.0.0/16, 10.70.0.0 } meta l4proto tcp th dport 1-1024 counter accept comment "allow-tunnel"
		ct state { established, related } meta mark & 0x000000ff == 0x00000010 tcp flags & (syn | ack) == syn jump my-chain
		ip6 saddr & ffff:ffff:ffff:ffff:: != 2001:db8::1 reject with icmpv6 admin-prohibited
	}

	chain my-chain {
		ct mark set meta mark meta mark set 0x00000005 notrack tcp option maxseg size set rt mtu log prefix "x " return
		counter packets 3 bytes 120
	}
}
`);
  });

  it('prints NAT with ports, ranges and netmap prefixes', () => {
    expect(renderNftText({ tables: [NAT4] })).toContain(
      '\t\tmeta l4proto tcp ip saddr 10.0.1.2 snat to 192.0.2.1-192.0.2.9:1000-2000\n' +
      '\t\tip saddr 10.0.2.0/24 snat prefix to 192.168.2.0/24\n' +
      '\t\tmeta l4proto udp masquerade to :3000-4000\n',
    );
    const inet: Ruleset = { tables: [{ family: 'inet', name: 'n', origin: o, chains: [{ name: 'p', origin: o, rules: [
      r([st({ kind: 'nat', type: 'dnat', to: '2001:db8::1', port: 80 })]),
      r([st({ kind: 'nat', type: 'snat', to: { prefix: '10.0.0.0', len: 8 } })]),
    ] }] }] };
    expect(renderNftText(inet)).toContain('\t\tdnat ip6 to [2001:db8::1]:80\n\t\tsnat ip prefix to 10.0.0.0/8\n');
  });

  it('writes strings as nft reads them: no escapes, so a literal star stays `\*`', () => {
    const rs: Ruleset = { tables: [{ family: 'ip', name: 'a.b/c-d', origin: o, chains: [{ name: '_c', origin: o, rules: [
      r([m('meta oifname', 'e\\*')], undefined, 'say hi; } table ip x {'),
    ] }] }] };
    expect(renderNftText(rs)).toBe('table ip a.b/c-d {\n\tchain _c {\n\t\tmeta oifname "e\\*" comment "say hi; } table ip x {"\n\t}\n}\n');
  });

  describe('refuses, located at the field, every string nft text cannot carry', () => {
    const at = (field: string) => ({ file: 'f.json', table: 'ip t', field });
    const rule = (exprs: Rule['exprs'], verdict?: Rule['verdict'], comment?: string): Rule =>
      ({ exprs, ...(verdict ? { verdict } : {}), ...(comment !== undefined ? { comment } : {}), origin: at('nftables[3].rule') });
    const one = (tname: string, cname: string, rules: Rule[], base?: Ruleset['tables'][number]['chains'][number]['base']): Ruleset =>
      ({ tables: [{ family: 'ip', name: tname, origin: at('nftables[1].table'), chains: [
        { name: cname, origin: at('nftables[2].chain'), rules, ...(base ? { base } : {}) }] }] });
    const cases: [string, Ruleset, string, RegExp][] = [
      ['a quote in a table name', one('x"\n}\ntable ip evil {', 'c', []), 'nftables[1].table.name', /table name .*not a name nft can read/],
      ['a keyword as chain name', one('t', 'accept', []), 'nftables[2].chain.name', /keyword/],
      ['a space in a chain name', one('t', 'my chain', []), 'nftables[2].chain.name', /not a name nft can read/],
      ['a 256-byte chain name', one('t', 'c'.repeat(256), []), 'nftables[2].chain.name', /256 bytes long; the kernel takes at most 255/],
      ['a quote and newline in a comment', one('t', 'c', [rule([], undefined, 'x"\n}\ntable ip evil {')]), 'nftables[3].rule.comment', /double quote/],
      ['a newline in a comment', one('t', 'c', [rule([], undefined, 'a\nb')]), 'nftables[3].rule.comment', /control character/],
      ['a 129-byte comment', one('t', 'c', [rule([], undefined, 'é'.repeat(64) + 'x')]), 'nftables[3].rule.comment', /129 bytes long; nft takes at most 128/],
      ['a quote in an interface name', one('t', 'c', [rule([{ ...m('meta iifname', 'a"b'), origin: at('nftables[3].rule.expr[0]') }])]),
        'nftables[3].rule.expr[0]', /meta iifname value .*double quote/],
      ['a 16-byte interface name', one('t', 'c', [rule([{ ...m('meta oifname', 'x'.repeat(16)), origin: at('nftables[3].rule.expr[0]') }])]),
        'nftables[3].rule.expr[0]', /16 bytes long; nft takes at most 15/],
      ['a lone * (every interface: nft refuses all-wildcard strings; found by the property test)',
        one('t', 'c', [rule([{ ...m('meta iifname', '*'), origin: at('nftables[3].rule.expr[0]') }])]),
        'nftables[3].rule.expr[0]', /lone "\*" would match every interface name/],
      ['a quote in a device', one('t', 'c', [], { type: 'filter', hook: 'ingress', priority: 0, policy: 'accept', device: 'lo"' }),
        'nftables[2].chain.dev', /chain device/],
      ['a quote in a log prefix', one('t', 'c', [rule([{ kind: 'log', prefix: '"', origin: at('nftables[3].rule.expr[0]') }])]),
        'nftables[3].rule.expr[0].log.prefix', /log prefix/],
      ['a $ in a log prefix (nft expands variables there)', one('t', 'c', [rule([{ kind: 'log', prefix: 'a$b', origin: at('nftables[3].rule.expr[0]') }])]),
        'nftables[3].rule.expr[0].log.prefix', /"\$", which nft reads in a log prefix as a variable/],
      ['a jump to a keyword', one('t', 'c', [rule([], { kind: 'jump', target: 'drop', origin: at('nftables[3].rule.expr[0]') })]),
        'nftables[3].rule.expr[0].jump.target', /jump target .*keyword/],
    ];
    for (const [what, rs, field, message] of cases) {
      it(what, () => {
        const err = (() => { try { renderNftText(rs); } catch (e) { return e; } })();
        expect(err).toBeInstanceOf(NftlensError);
        const d = (err as NftlensError).diagnostics[0]!;
        expect(d.code).toBe('NFT_TEXT');
        expect(d.origin).toMatchObject({ file: 'f.json', field });
        expect(d.message).toMatch(message);
      });
    }
  });

  it('refuses, at the JSON path, an imported name it cannot write (the kernel takes any bytes through JSON)', () => {
    const doc = { nftables: [
      { table: { family: 'ip', name: 't', handle: 1 } },
      { chain: { family: 'ip', table: 't', name: 'x\n}\ntable ip evil {', handle: 1 } },
    ] };
    const { ruleset } = importNftJson(JSON.stringify(doc), 'listing.json');
    expect(() => renderNftText(ruleset)).toThrow(NftlensError);
    try {
      renderNftText(ruleset);
    } catch (e) {
      expect((e as NftlensError).diagnostics[0]).toMatchObject({ code: 'NFT_TEXT', origin: { file: 'listing.json', field: 'nftables[1].chain.name' } });
    }
  });

  it('refuses a lone * as an interface name in nft JSON input, located', () => {
    const doc = { nftables: [
      { table: { family: 'ip', name: 't', handle: 1 } },
      { chain: { family: 'ip', table: 't', name: 'c', handle: 1 } },
      { rule: { family: 'ip', table: 't', chain: 'c', handle: 2, expr: [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: '*' } }, { accept: null }] } },
    ] };
    expect(() => importNftJson(JSON.stringify(doc), 'star.json')).toThrow(/lone "\*" would match every interface name/);
  });

  it('imports and renders as text a 200k-rule listing (import -o text)', () => {
    const rule = (i: number) => ({ rule: { family: 'ip', table: 't', chain: 'c', handle: i + 2,
      expr: [{ match: { op: '==', left: { payload: { protocol: 'th', field: 'dport' } }, right: i % 65536 } }, { accept: null }] } });
    const doc = { nftables: [{ table: { family: 'ip', name: 't', handle: 1 } }, { chain: { family: 'ip', table: 't', name: 'c', handle: 1 } },
      ...Array.from({ length: 200_000 }, (_, i) => rule(i))] };
    const { ruleset } = importNftJson(JSON.stringify(doc), 'big.json');
    expect(renderNftText(ruleset).split('\n').length).toBe(200_000 + 5);
  }, 120_000);

  it('renders a 200k-rule chain (no spread of the rules onto the stack)', () => {
    const rules = Array.from({ length: 200_000 }, (_, i) => r([m('th dport', i % 65536)], { kind: 'accept' }));
    const rs: Ruleset = { tables: [{ family: 'ip', name: 'big', origin: o, chains: [{ name: 'c', origin: o, rules }] }] };
    const text = renderNftText(rs);
    expect(text.split('\n').length).toBe(200_000 + 5);
    expect(renderNftJson(rs).nftables.length).toBe(1 + 3 + 1 + 200_000);
  });

  it('writes dynamic sets and stateful expressions in nft 1.0.6 syntax', () => {
    const text = renderNftText({ tables: [STATEFUL] });
    for (const line of [
      '\tset affinity {\n\t\ttype ipv4_addr\n\t\tflags dynamic,timeout\n\t\ttimeout 10800s\n\t\tsize 65535\n\t\tgc-interval 60s\n\t}',
      '\t\tip saddr != @seen add @seen { ip saddr }\n',
      '\t\tmeta l4proto tcp ip saddr . th dport @pairs accept\n',
      '\t\tupdate @affinity { ip saddr timeout 60s }\n',
      '\t\tadd @flood { ip saddr limit rate over 10/second } drop\n',
      '\t\tadd @flood { ip saddr ct count over 3 } drop\n',
      '\t\tnumgen random mod 2 vmap { 0 : goto a, 1 : goto b }\n',
      '\t\tnumgen inc mod 3 offset 5 vmap { 5 : goto a, 6-7 : goto b }\n',
      '\t\tmeta mark set numgen inc mod 2 map { 0 : 0x00000001, 1 : 0x00000002 }\n',
      '\t\tnumgen inc mod 2 != 1 accept\n',
      '\t\tnumgen random mod 4 { 0, 2 } accept\n',
      '\t\tlimit rate over 10/second burst 20 packets drop\n',
      '\t\tlimit rate over 1024 kbytes/minute burst 1000 kbytes drop\n',
      '\t\tquota over 25 mbytes used 0 bytes drop\n',
      '\t\tct count 1 accept\n',
      '\t\tmeta l4proto tcp th dport 80 dnat ip to numgen inc mod 2 map { 0 : 10.0.0.1, 1 : 10.0.0.2 }\n',
    ]) expect(text).toContain(line);
  });

  it('refuses, located, a set name nft cannot read back', () => {
    const rs = structuredClone({ tables: [STATEFUL] });
    rs.tables[0]!.sets![3]!.name = 'limit';
    rs.tables[0]!.sets![3]!.origin = { file: 'x.json', field: 'nftables[4].set' };
    expect(() => renderNftText(rs)).toThrow(/the set name cannot be written as nft text: "limit" is a keyword/);
  });
});
