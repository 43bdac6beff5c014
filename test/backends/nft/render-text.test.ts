// renderNftText: `nft list ruleset`-style text for people (the kernel test in roundtrip.test.ts
// also loads it with `nft -f` and compares the read-back).

import { describe, expect, it } from 'vitest';
import { renderNftText } from '../../../src/backends/nft/render-text.js';
import type { Rule, Ruleset } from '../../../src/model/ruleset.js';
import { m, NAT4, r } from './samples.js';

const o = { file: 't' };
const st = (s: object) => ({ ...s, origin: o }) as Rule['exprs'][number];

describe('renderNftText', () => {
  it('prints tables, base and regular chains, rules with their comments', () => {
    const rs: Ruleset = { tables: [{ family: 'inet', name: 'gw', origin: o, chains: [
      { name: 'fwd', origin: o, base: { type: 'filter', hook: 'forward', priority: -10, policy: 'drop' }, rules: [
        r([m('meta iifname', 'liqo-tunnel'), m('ip saddr', { set: [{ prefix: '10.42.0.0', len: 16 }, '10.70.0.0'] }),
          m('meta l4proto', 6), m('th dport', { range: [1, 1024] }), st({ kind: 'counter' })], { kind: 'accept' }, 'allow-tunnel'),
        r([m('ct state', { set: ['established', 'related'] }), m('meta mark', 16, '==', 255), m('tcp flags', 2, '==', 0x12)], { kind: 'jump', target: 'my chain' }),
        r([m('ip6 saddr', { prefix: '2001:db8::1', len: 64 }, '!=')], { kind: 'reject', with: { type: 'icmpv6', code: 'admin-prohibited' } }),
      ] },
      { name: 'my chain', origin: o, rules: [
        r([st({ kind: 'set-mark', key: 'ct mark', value: 'meta mark' }), st({ kind: 'set-mark', key: 'meta mark', value: 5 }),
          st({ kind: 'notrack' }), st({ kind: 'mss-clamp', size: 'rt mtu' }), st({ kind: 'log', prefix: 'x ' })], { kind: 'return' }),
        r([st({ kind: 'counter', packets: 3, bytes: 120 })]),
      ] },
    ] }] };
    expect(renderNftText(rs)).toBe(`table inet gw {
	chain fwd {
		type filter hook forward priority -10; policy drop;
		meta iifname "liqo-tunnel" ip saddr { 10.42.0.0/16, 10.70.0.0 } meta l4proto tcp th dport 1-1024 counter accept comment "allow-tunnel"
		ct state { established, related } meta mark & 0x000000ff == 0x00000010 tcp flags & (syn | ack) == syn jump "my chain"
		ip6 saddr & ffff:ffff:ffff:ffff:: != 2001:db8::1 reject with icmpv6 admin-prohibited
	}

	chain "my chain" {
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

  it('quotes names that are not plain identifiers; strings keep nft literal stars', () => {
    const rs: Ruleset = { tables: [{ family: 'ip', name: 'a b', origin: o, chains: [{ name: 'c', origin: o, rules: [
      r([m('meta oifname', 'e\\*')], undefined, 'say "hi"'),
    ] }] }] };
    expect(renderNftText(rs)).toBe('table ip "a b" {\n\tchain c {\n\t\tmeta oifname "e\\*" comment "say \\"hi\\""\n\t}\n}\n');
  });
});
