// Packets conntrack never tracks — ICMP (1) in IPv6, ICMPv6 (58) in IPv4 — on both engines: they
// read ct state invalid after conntrack whatever state they were given (no ct mark, no NAT
// chains, notrack untracks them), as the kernel does (nf_conntrack_icmp_packet and
// nf_conntrack_icmpv6_packet refuse the other IP version; checked by test/probe/semantics.test.ts);
// and the WASM classifier agrees with the reference interpreter on random rulesets × such packets.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRuleset, makePacket, ReferenceEngine, type Packet } from '../../src/engine/index.js';
import { batchView, ENV, evaluateBoth, randomPackets, rulesetArb } from './generators.js';
import { base, counter, m, nat, notrack, rule, setMark, table, v } from './ir.js';

const both = evaluateBoth;

const fwd = (rules: Parameters<typeof base>[2]) => base('fwd', { hook: 'forward' }, rules);
/** The rule random ruleset #336 rejected ICMP-in-IPv6 with, then a counter for what reads invalid. */
const REJECT_UNLESS_EST_OR_INVALID = [
  rule([m('ct state', { set: ['established', 'invalid'] }, '!='), counter], v('reject')),
  rule([m('ct state', 'invalid'), counter]),
];

describe('packets conntrack cannot track', () => {
  it.each([
    ['icmp fd00::1 -> fd00::2 type 8 code 0 iif eth0 oif eth1', 'new'],
    ['icmp fd00::1 -> fd00::2 type 4 code 0 iif eth0 oif eth1', 'established'],
    ['icmpv6 10.0.0.5 -> 10.0.1.9 type 128 code 0 iif eth0 oif eth1', 'new'],
    ['icmpv6 10.0.0.5 -> 10.0.1.9 type 129 code 0 iif eth0 oif eth1', 'related'],
  ])('%s (given ct %s) reads ct state invalid after conntrack', (pkt, ct) => {
    const r = both([table('inet', 'f', [fwd(REJECT_UNLESS_EST_OR_INVALID)])], `${pkt} ct ${ct}`);
    expect(r.verdict).toBe('accept');
    expect(r.packet.ctState).toBe('invalid');
    expect(r.trace).toContainEqual({ kind: 'conntrack', state: 'invalid' });
    expect(r.counters).toEqual([0, 0, 1, 48 - (pkt.includes('fd00') ? 0 : 20)]);
  });

  it('the same protocol in its own IP version keeps the state it was given', () => {
    const r = both([table('inet', 'f', [fwd(REJECT_UNLESS_EST_OR_INVALID)])], 'icmpv6 fd00::1 -> fd00::2 type 128 code 0 iif eth0 oif eth1');
    expect(r.verdict).toBe('reject');
    expect(r.packet.ctState).toBe('new');
  });

  it('without an entry: ct mark matches nothing, NAT chains skip it, notrack untracks it', () => {
    const r = both([table('ip6', 'f', [
      base('dnat', { hook: 'prerouting', type: 'nat', priority: -100 }, [rule([nat('dnat', 'fd00::9')])]),
      base('mark', { hook: 'prerouting', priority: 0 }, [rule([setMark('ct mark', 5)]), rule([m('ct mark', 5)], v('drop'))]),
      fwd([rule([notrack]), rule([m('ct state', 'untracked')], v('drop'))]),
    ])], 'icmp fd00::1 -> fd00::2 type 8 code 0 iif eth0 oif eth1 ct established ctmark 0x5');
    expect(r.verdict).toBe('drop');
    expect(r.by).toBe('rule');
    expect(r.chain).toBe(2);
    expect(r.packet.daddr).toBe('fd00::2');
    expect(r.trace).toContainEqual({ kind: 'nat-skip', chain: 0 });
  });
});

/** The ICMP and ICMPv6 packets of a random stream, each moved to the other protocol number. */
function crossed(seed: number): Packet[] {
  return randomPackets(seed, 2000)
    .filter((p) => p.l4proto === 1 || p.l4proto === 58)
    .map((p) => makePacket({ ...p, l4proto: p.family === 6 ? 1 : 58, dport: undefined }));
}

describe('WASM classifier vs reference interpreter on untrackable packets', () => {
  it('agree on 300 random rulesets (verdict, rule, chain, path, packet, counters, traces; one hook alone)', () => {
    const pools = [1, 2, 3].map(crossed);
    expect(pools.every((ps) => ps.length > 200)).toBe(true);
    const hooks = ['prerouting', 'input', 'forward', 'output', 'postrouting'] as const;
    fc.assert(fc.property(rulesetArb, fc.integer({ min: 0, max: 2 }), fc.constantFrom(...hooks), (rs, k, hook) => {
      const wasm = compileRuleset(rs, ENV);
      const ref = new ReferenceEngine(rs, ENV);
      const packets = pools[k]!;
      const got = wasm.evaluateBatch(packets);
      packets.forEach((p, i) => expect({ p, r: got[i] }).toEqual({ p, r: batchView(ref.evaluate(p)) }));
      expect(Array.from(wasm.counterArray())).toEqual(Array.from(ref.counterValues));
      for (const p of packets.slice(0, 20)) expect(wasm.evaluate(p, { trace: true })).toEqual(ref.evaluate(p, { trace: true }));
      const alone = wasm.evaluateBatch(packets.slice(0, 50), { hook });
      alone.forEach((r, i) => expect(r).toEqual(batchView(ref.evaluate(packets[i]!, { hook }))));
    }), { numRuns: 300 });
  }, 120_000);
});
