// `fib saddr|daddr type local` on both engines (they must agree, trace and counters included):
// local are the declared local and interface addresses (ENV) and loopback (127.0.0.0/8, ::1);
// the address read is the current one, after DNAT; a failing fib ends the rule like a match.

import { describe, expect, it } from 'vitest';
import type { Expr } from '../../src/model/ruleset.js';
import { evaluateBoth } from './generators.js';
import { base, counter, m, nat, rule, setMark, table, v } from './ir.js';

const fib = (addr: 'saddr' | 'daddr', op: '==' | '!=' = '=='): Expr => ({ kind: 'fib', addr, op, type: 'local', origin: {} });

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
