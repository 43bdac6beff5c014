// `fib saddr|daddr type local` on both engines (they must agree, trace and counters included):
// local are the declared local and interface addresses (ENV) and loopback (127.0.0.0/8, ::1);
// the address read is the current one, after DNAT; a failing fib ends the rule like a match.

import { describe, expect, it } from 'vitest';
import type { Expr } from '../../src/model/ruleset.js';
import { evaluateBoth } from './generators.js';
import { base, chain, counter, jump, m, nat, rule, setMark, table, v } from './ir.js';
import { planRuleset } from '../../src/engine/plan.js';

const fib = (addr: 'saddr' | 'daddr', op: '==' | '!=' = '=='): Expr => ({ kind: 'fib', addr, op, result: 'type', type: 'local', origin: {} });

const both = evaluateBoth; // the engines agree, trace and counters included

const RULESET = [
  table('inet', 'f', [
    base('pre', { hook: 'prerouting', priority: -150 }, [
      rule([fib('daddr'), counter, setMark('meta mark', 1)]),
      rule([fib('saddr'), counter, setMark('meta mark', 2)]),
      rule([m('meta l4proto', 6), m('th dport', 81), fib('daddr', '!='), counter, setMark('meta mark', 3)]),
    ]),
    base('in', { hook: 'input', policy: 'drop' }, [rule([m('meta mark', 1), counter], v('accept'))]),
    base('fw', { hook: 'forward', policy: 'drop' }, [rule([m('meta mark', 3)], v('accept')), rule([m('meta mark', 0), fib('daddr', '!=')], v('accept'))]),
  ]),
];

describe('fib type local', () => {
  it('is true for the host addresses and loopback, false for others, in both families', () => {
    expect(both(RULESET, 'tcp 10.9.0.1:4000 -> 10.0.0.1:80 iif eth0').packet.mark).toBe(1); // a local address
    expect(both(RULESET, 'tcp 10.9.0.1:4000 -> 192.168.0.1:80 iif eth0').packet.mark).toBe(1); // eth1's address
    expect(both(RULESET, 'tcp [fd00::9]:4000 -> [fd00::ff]:80 iif eth0').packet.mark).toBe(1);
    const fwd = both(RULESET, 'tcp 10.9.0.1:4000 -> 10.0.0.9:80 iif eth0 oif eth1');
    expect([fwd.verdict, fwd.packet.mark]).toEqual(['accept', 0]);
    expect(both(RULESET, 'tcp 10.9.0.1:4000 -> 10.0.0.9:81 iif eth0 oif eth1').packet.mark).toBe(3);
    expect(both(RULESET, 'udp 127.0.0.1:53 -> 10.0.0.9:53 iif eth0 oif eth1').packet.mark).toBe(2);
    expect(both(RULESET, 'udp [::1]:53 -> [fd00::9]:53 iif eth0 oif eth1').packet.mark).toBe(2);
  });

  it('reads the destination after DNAT', () => {
    const tables = [
      table('ip', 'nat', [base('pre', { type: 'nat', hook: 'prerouting', priority: -100 }, [rule([m('ip daddr', '10.0.0.9'), nat('dnat', '10.0.0.1')])])]),
      table('ip', 'f', [base('late', { hook: 'prerouting', priority: 0 }, [rule([fib('daddr'), counter, setMark('meta mark', 7)])])]),
    ];
    const r = both(tables, 'tcp 10.9.0.1:4000 -> 10.0.0.9:80 iif eth0');
    expect([r.packet.daddr, r.packet.mark]).toEqual(['10.0.0.1', 7]);
    expect(both(tables, 'tcp 10.9.0.1:4000 -> 10.0.0.8:80 iif eth0 oif eth1').packet.mark).toBe(0);
  });
});

describe('fib … oif (route lookups)', () => {
  const orMark = (bit: number): Expr => ({ kind: 'set-mark', key: 'meta mark', value: 'meta mark', and: ~bit >>> 0, xor: bit, origin: {} });
  const oif = (addr: 'saddr' | 'daddr', through: 'iif' | 'oif' | undefined, value: boolean | 0, op: '==' | '!=' = '=='): Expr =>
    ({ kind: 'fib', result: 'oif', addr, op, value, ...(through ? { through } : {}), origin: {} });
  // Marks 1: `fib saddr . iif oif missing` (firewalld's reverse-path drop), 2: `fib daddr oif exists`,
  // 4: `fib saddr . mark . iif oif != 0` (calico's, nixos'), 8: `fib saddr oif 0` (no lookup restriction).
  const tables = [
    table('inet', 'raw', [
      base('pre', { hook: 'prerouting', priority: -300 }, [
        rule([oif('saddr', 'iif', false), orMark(1)]),
        rule([oif('daddr', undefined, true), orMark(2)]),
        rule([{ ...oif('saddr', 'iif', 0, '!='), mark: true } as Expr, orMark(4)]),
        rule([oif('saddr', undefined, 0), orMark(8)]),
      ]),
    ]),
  ];
  const routed = {
    localAddresses: ['10.0.0.1'],
    interfaceAddresses: { eth0: ['192.0.2.1/24'], eth1: ['198.51.100.1/24', 'fd00:1::1/64'] },
    routes: ['10.8.0.0/16 dev eth1', '10.8.3.0/24 dev eth0', 'default dev eth0', '2001:db8::/32 dev eth1'],
  };
  const mark = (pkt: string, env: object = routed) => evaluateBoth(tables, pkt, env).packet.mark;

  it('passes a source routed back through the input interface, longest prefix first', () => {
    expect(mark('tcp 10.8.1.1:4000 -> 192.0.2.9:80 iif eth1 oif eth0')).toBe(2 | 4); // 10.8/16 via eth1
    expect(mark('tcp 10.8.3.1:4000 -> 192.0.2.9:80 iif eth1 oif eth0')).toBe(1 | 2); // 10.8.3/24 via eth0: spoofed on eth1
    expect(mark('tcp 10.8.3.1:4000 -> 192.0.2.9:80 iif eth0 oif eth1')).toBe(2 | 4); // …and fine on eth0
    expect(mark('tcp 203.0.113.5:4000 -> 198.51.100.7:80 iif eth0 oif eth1')).toBe(2 | 4); // the default route
    expect(mark('tcp 198.51.100.9:4000 -> 192.0.2.9:80 iif eth1 oif eth0')).toBe(2 | 4); // a connected subnet
  });

  it('finds no route for the host\'s own addresses, nor without a route', () => {
    expect(mark('tcp 10.0.0.1:4000 -> 192.0.2.9:80 iif eth0 oif eth1')).toBe(1 | 2 | 8); // a local source
    expect(mark('tcp 192.0.2.9:4000 -> 10.0.0.1:80 iif eth0')).toBe(4); // a local destination: no route (2 unset)
    expect(mark('tcp [fd00:9::1]:4000 -> [2001:db8::1]:80 iif eth1 oif eth1')).toBe(1 | 2 | 8); // no IPv6 default
    expect(mark('tcp [2001:db8::7]:4000 -> [fd00:1::9]:80 iif eth1 oif eth1')).toBe(2 | 4);
  });

  it('keeps the kernel\'s special cases: loopback input, DHCP discovery, link-local sources', () => {
    expect(mark('tcp 10.8.3.1:4000 -> 10.8.1.1:80 iif lo oif eth1')).toBe(2 | 4);
    expect(mark('udp 0.0.0.0:68 -> 255.255.255.255:67 iif eth1')).toBe(2 | 4);
    expect(mark('udp [fe80::1]:546 -> [2001:db8::2]:547 iif eth1 oif eth1')).toBe(2 | 4); // fe80::/64 is on every interface
    expect(mark('udp [fe80:0:0:1::1]:546 -> [2001:db8::2]:547 iif eth1 oif eth1')).toBe(1 | 2 | 8); // outside it: no route on eth1
  });

  it('without declared routes finds one for every address but the host\'s own', () => {
    const bare = { localAddresses: ['10.0.0.1'] };
    expect(mark('tcp 10.8.3.1:4000 -> 192.0.2.9:80 iif eth1 oif eth0', bare)).toBe(2 | 4);
    expect(mark('tcp 10.0.0.1:4000 -> 192.0.2.9:80 iif eth1 oif eth0', bare)).toBe(1 | 2 | 8);
  });
});

describe('fib … . iif|. oif type local (an interface\'s own addresses)', () => {
  const on = (addr: 'saddr' | 'daddr', through: 'iif' | 'oif', op: '==' | '!=' = '=='): Expr => ({ kind: 'fib', result: 'type', addr, through, op, type: 'local', origin: {} });
  // Calico's `oifname "vxlan.calico" fib saddr . oif type != local … masquerade`, as marks.
  const tables = [
    table('inet', 'f', [
      base('post', { hook: 'postrouting', priority: 0 }, [rule([on('saddr', 'oif'), counter, setMark('meta mark', 1)])]),
      base('in', { hook: 'input', priority: 0 }, [rule([on('daddr', 'iif', '!='), counter, setMark('meta mark', 2)])]),
    ]),
  ];
  const mark = (p: string) => evaluateBoth(tables, p).packet.mark;

  it('holds for the addresses of that interface only; loopback\'s are lo\'s; a local address of no interface is none\'s', () => {
    expect(mark('udp 192.168.0.1:53 -> 10.9.9.9:53 oif eth1 local')).toBe(1); // eth1's own
    expect(mark('udp 192.168.0.1:53 -> 10.9.9.9:53 oif wg0 local')).toBe(0); // eth1's, leaving by wg0
    expect(mark('udp 10.0.0.1:53 -> 10.9.9.9:53 oif eth1 local')).toBe(0); // local, on no declared interface
    expect(mark('udp 127.0.0.5:53 -> 127.0.0.1:53 oif lo local')).toBe(1);
    expect(mark('udp [fd00::ff]:53 -> [fd00::9]:53 oif eth1 local')).toBe(1);
    expect(mark('udp 10.9.9.9:53 -> 10.0.1.1:53 iif wg0 dst-local')).toBe(0); // wg0's own, arriving on wg0
    expect(mark('udp 10.9.9.9:53 -> 10.0.1.1:53 iif eth1 dst-local')).toBe(2);
  });
});

describe('fib forms at the hooks the kernel allows them (nft_fib_validate)', () => {
  const oifLookup: Expr = { kind: 'fib', result: 'oif', addr: 'saddr', through: 'iif', op: '==', value: false, origin: { rule: 'rpf' } };
  const typeViaOif: Expr = { kind: 'fib', result: 'type', addr: 'saddr', through: 'oif', op: '!=', type: 'local', origin: { rule: 'masq-guard' } };
  const plan = (tables: Parameters<typeof planRuleset>[0]['tables']) => () => planRuleset({ tables });

  it('refuses a route lookup at output, a type through oif at prerouting, also through a jump; takes them where the kernel does', () => {
    expect(plan([table('ip', 'f', [base('out', { hook: 'output' }, [rule([oifLookup], v('drop'))])])])).toThrow(/a route lookup \(fib … \. iif oif\) runs at prerouting, input, forward only; chain "out" is at output/);
    expect(plan([table('ip', 'f', [base('pre', { hook: 'prerouting' }, [rule([], jump('x'))]), chain('x', [rule([typeViaOif], v('drop'))])])])).toThrow(/fib … \. oif type runs at output, postrouting, forward only; chain "pre" is at prerouting/);
    expect(plan([table('ip', 'f', [base('pre', { hook: 'prerouting' }, [rule([oifLookup], v('drop'))]), base('post', { hook: 'postrouting' }, [rule([typeViaOif], v('drop'))])])])).not.toThrow();
  });
});
