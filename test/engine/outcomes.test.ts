// Stateful expressions on both engines: every way the state can make a packet go is an outcome
// (src/engine/outcomes.ts) — kube-proxy's endpoint choice by numgen, a limit, a dynamic set looked
// up and updated (a full set ends the rule) — and a packet that meets no draw has one.

import { describe, expect, it } from 'vitest';
import { compileRuleset, parsePacket, ReferenceEngine } from '../../src/engine/index.js';
import { allOutcomes } from '../../src/engine/outcomes.js';
import type { Expr, NumberSource, NumgenSource, Table, VmapVerdict } from '../../src/model/ruleset.js';
import { ENV } from './generators.js';
import { base, chain, goto, m, nat, rule, table, v } from './ir.js';

const o = {};
const numgen = (mod: number, mode: 'inc' | 'random' = 'random', offset = 0): NumgenSource => ({ what: 'numgen', mode, mod, offset });
const vmap = (state: NumberSource, targets: string[]): VmapVerdict => ({
  kind: 'vmap', lookup: { key: [], state, elements: targets.map((t, i) => ({ key: [i], value: goto(t), origin: o })) }, origin: o,
});
const limit: Expr = { kind: 'state', source: { what: 'limit', rate: 10, rateUnit: 'packets', per: 'second', over: false }, op: '==', origin: o };
const inAffinity: Expr = { kind: 'state', source: { what: 'set', set: 'aff', key: ['ip saddr'], op: '==' }, op: '==', origin: o };
const update: Expr = { kind: 'set-update', op: 'update', set: 'aff', key: ['ip saddr'], origin: o };

/** Every outcome on both engines (they must agree, draws and traces included): verdict and destination each. */
function outcomes(tables: Table[], packet: string): string[] {
  const rs = { tables };
  const wasm = compileRuleset(rs, ENV);
  const ref = new ReferenceEngine(rs, ENV);
  const p = parsePacket(packet);
  const a = allOutcomes((state) => wasm.evaluate(p, { state, trace: true }));
  expect(a).toEqual(allOutcomes((state) => ref.evaluate(p, { state, trace: true })));
  expect(a.more).toBe(false);
  return a.outcomes.map((x) => `${x.result.verdict} ${x.result.packet.daddr}`);
}

const SERVICE = (mod: number, endpoints: string[]) => [
  table('ip', 'kp', [
    base('nat-pre', { type: 'nat', hook: 'prerouting', priority: -100 }, [rule([m('ip daddr', '172.30.0.44'), m('meta l4proto', 6), m('th dport', 80)], goto('svc'))]),
    chain('svc', [rule([], vmap(numgen(mod), endpoints.map((_, i) => `ep${i}`)))]),
    ...endpoints.map((ep, i) => chain(`ep${i}`, [rule([m('meta l4proto', 6), nat('dnat', ep, 80)])])),
  ]),
];

describe('outcomes of stateful expressions', () => {
  it('numgen picks each endpoint of a service', () => {
    expect(outcomes(SERVICE(2, ['10.180.0.4', '10.180.0.5']), 'tcp 10.0.0.2:4000 -> 172.30.0.44:80 iif eth0 oif eth1'))
      .toEqual(['accept 10.180.0.4', 'accept 10.180.0.5']);
  });

  it('numgen mod 1 is no choice, and a packet the service does not take meets no draw', () => {
    const one = compileRuleset({ tables: SERVICE(1, ['10.180.0.1']) }, ENV).evaluate(parsePacket('tcp 10.0.0.2:4000 -> 172.30.0.44:80 iif eth0 oif eth1'));
    expect([one.packet.daddr, one.draws]).toEqual(['10.180.0.1', undefined]);
    expect(outcomes(SERVICE(3, ['10.180.0.4', '10.180.0.5', '10.180.0.6']), 'tcp 10.0.0.2:4000 -> 172.30.0.45:80 iif eth0 oif eth1')).toEqual(['accept 172.30.0.45']);
  });

  it('a number no element holds ends the lookup: the rule after it runs', () => {
    const tables = [table('ip', 'f', [base('fw', { hook: 'forward' }, [rule([], vmap(numgen(3, 'inc', 1), ['', 'x'].map(() => 'x'))), rule([], v('drop'))]), chain('x', [rule([], v('accept'))])])];
    // inc mod 3 offset 1 gives 1, 2 or 3; the map holds 0 and 1.
    expect(outcomes(tables, 'udp 10.0.0.2:53 -> 10.9.0.9:53 iif eth0 oif eth1')).toEqual(['accept 10.9.0.9', 'drop 10.9.0.9', 'drop 10.9.0.9']);
  });

  it('a limit holds or not; outcomes multiply along the path', () => {
    const tables = [table('ip', 'f', [
      base('pre', { hook: 'prerouting' }, [rule([limit], v('drop'))]),
      base('fw', { hook: 'forward' }, [rule([], vmap(numgen(2), ['a', 'b']))]),
      chain('a', [rule([], v('accept'))]), chain('b', [rule([], v('drop'))]),
    ])];
    expect(outcomes(tables, 'udp 10.0.0.2:53 -> 10.9.0.9:53 iif eth0 oif eth1')).toEqual(['drop 10.9.0.9', 'accept 10.9.0.9', 'drop 10.9.0.9']);
  });

  it('session affinity: the dynamic set holds the source or not, and a full set stops the update', () => {
    const tables = [table('ip', 'kp', [
      base('nat-pre', { type: 'nat', hook: 'prerouting', priority: -100 }, [rule([m('ip daddr', '5.6.7.8')], goto('svc'))]),
      chain('svc', [rule([inAffinity], goto('ep')), rule([], vmap(numgen(1), ['ep']))]),
      chain('ep', [rule([update]), rule([m('meta l4proto', 6), nat('dnat', '10.180.0.3', 80)])]),
    ])];
    // In the set: to the endpoint (the update refreshes it, or the set is full); not in it: numgen's endpoint, the same.
    expect(outcomes(tables, 'tcp 203.0.113.2:4000 -> 5.6.7.8:80 iif eth0 oif eth1')).toEqual(['accept 10.180.0.3', 'accept 10.180.0.3', 'accept 10.180.0.3', 'accept 10.180.0.3']);
    const updateEnds = [table('ip', 'f', [base('fw', { hook: 'forward', policy: 'drop' }, [rule([update], v('accept'))])])];
    expect(outcomes(updateEnds, 'tcp 203.0.113.2:4000 -> 5.6.7.8:80 iif eth0 oif eth1')).toEqual(['accept 5.6.7.8', 'drop 5.6.7.8']);
  });

  it('jhash and symhash draw every number; jhash needs the fields it hashes, as a lookup its key', () => {
    const jhash: NumberSource = { what: 'jhash', key: ['ip saddr', 'th sport'], mod: 2, seed: 7, offset: 0 };
    const tables = [table('inet', 'f', [
      base('fw', { hook: 'forward', policy: 'drop' }, [rule([], vmap(jhash, ['a', 'b'])), rule([{ kind: 'state', source: { what: 'symhash', mod: 4, offset: 10 }, op: '!=', value: { set: [10, 12] }, origin: o }], v('accept'))]),
      chain('a', [rule([], v('accept'))]), chain('b', [rule([], v('drop'))]),
    ])];
    const draws = (packet: string) => compileRuleset({ tables }, ENV).evaluate(parsePacket(packet)).draws?.map((d) => [d.rule, d.of]);
    // jhash to a (accept) or b (drop); the chains' verdicts end the walk before symhash.
    expect(outcomes(tables, 'udp 10.0.0.2:53 -> 10.9.0.9:53 iif eth0 oif eth1')).toEqual(['accept 10.9.0.9', 'drop 10.9.0.9']);
    expect(draws('udp 10.0.0.2:53 -> 10.9.0.9:53 iif eth0 oif eth1')).toEqual([[0, 2]]);
    // An IPv6 packet has no IPv4 source: jhash ends its rule with no draw; symhash draws 10 … 13, 11 and 13 accept.
    expect(outcomes(tables, 'udp [fd00::2]:53 -> [fd00::9]:53 iif eth0 oif eth1')).toEqual(['drop fd00::9', 'accept fd00::9', 'drop fd00::9', 'accept fd00::9']);
    expect(draws('udp [fd00::2]:53 -> [fd00::9]:53 iif eth0 oif eth1')).toEqual([[2, 4]]); // rules 0 and 1: the map's elements
  });

  it('a lookup in a dynamic set needs its key field first: no IPv4 address, no draw', () => {
    const tables = [table('inet', 'f', [base('fw', { hook: 'forward', policy: 'drop' }, [rule([inAffinity], v('accept'))])])];
    expect(outcomes(tables, 'tcp [fd00::2]:4000 -> [fd00::9]:80 iif eth0 oif eth1')).toEqual(['drop fd00::9']);
    expect(outcomes(tables, 'tcp 10.0.0.2:4000 -> 10.9.0.9:80 iif eth0 oif eth1')).toEqual(['accept 10.9.0.9', 'drop 10.9.0.9']);
  });

  it('a path with more draws than the executor records is answered whole (by the reference), and its outcomes are capped', () => {
    const tables = [table('ip', 'f', [base('fw', { hook: 'forward' }, Array.from({ length: 70 }, () => rule([limit])))])];
    const rs = { tables };
    const p = parsePacket('udp 10.0.0.2:53 -> 10.9.0.9:53 iif eth0 oif eth1');
    const r = compileRuleset(rs, ENV).evaluate(p, { state: 5 });
    expect(r).toEqual(new ReferenceEngine(rs, ENV).evaluate(p, { state: 5 }));
    expect(r.draws!.length).toBe(70);
    expect(r.draws!.slice(0, 3).map((d) => d.choice)).toEqual([1, 0, 1]);
    const all = compileRuleset(rs, ENV).outcomes(p);
    expect([all.outcomes.length, all.more]).toEqual([256, true]);
  });
});
