// The comparison itself, on made-up kernel results: delivery against the verdict, NAT seen at the
// sink against the engine's packet, ICMP's checksum word exempt, counters key by key.
import { describe, expect, it } from 'vitest';
import { parsePacket } from '../../src/engine/packet.js';
import { ReferenceEngine } from '../../src/engine/index.js';
import { compareCounters, comparePacket, formatPacketOutcome, kernelPicksPorts } from '../../src/probe/compare.js';
import { counterKey } from '../../src/probe/counters.js';
import type { Ruleset } from '../../src/model/ruleset.js';

const O = {};
const ruleset: Ruleset = {
  tables: [{
    family: 'ip', name: 'nat', origin: O, chains: [{
      name: 'post', base: { type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept' }, origin: O,
      rules: [{ exprs: [{ kind: 'counter', origin: O }, { kind: 'nat', type: 'snat', to: '10.70.0.1', origin: O }], origin: O }],
    }],
  }],
};

describe('comparePacket', () => {
  const engine = new ReferenceEngine(ruleset);
  const sent = parsePacket('udp 10.1.0.5:4000 -> 10.42.0.5:53 iif eth0 oif eth1');
  const r = engine.evaluate(sent);

  it('agrees when the packet arrives as the engine left it', () => {
    expect(comparePacket(sent, r, { delivered: true, oif: 'eth1', saddr: '10.70.0.1', daddr: '10.42.0.5', sport: 4000, dport: 53 })).toEqual([]);
  });

  it('names what NAT did differently, and a missing packet', () => {
    expect(comparePacket(sent, r, { delivered: true, oif: 'eth1', saddr: '10.1.0.5', daddr: '10.42.0.5', sport: 4000, dport: 53 }))
      .toEqual(['source address 10.1.0.5 at the sink, the engine says 10.70.0.1']);
    expect(comparePacket(sent, r, { delivered: false })).toEqual(['the engine forwards it (accept) but the kernel did not deliver it']);
    const text = formatPacketOutcome({ index: 3, role: 'probe', packet: sent, status: 'mismatch', reasons: ['x'], kernel: { delivered: false }, engine: { verdict: 'accept', delivered: true, packet: r.packet, text: 'ACCEPT by …\n' } });
    expect(text).toContain('MISMATCH #3: udp 10.1.0.5:4000 -> 10.42.0.5:53');
    expect(text).toContain('kernel: not delivered (dropped or rejected)');
  });

  it('leaves the port of a rewritten side to the kernel when its NAT has random or fully-random', () => {
    const arrived = { delivered: true, oif: 'eth1', saddr: '10.70.0.1', daddr: '10.42.0.5', sport: 61234, dport: 53 } as const;
    expect(comparePacket(sent, r, arrived)).toEqual(['first transport word 61234 at the sink, the engine says 4000']);
    expect(comparePacket(sent, r, arrived, { src: true, dst: false })).toEqual([]);
    expect(comparePacket(sent, r, { ...arrived, dport: 54 }, { src: true, dst: true })).toEqual(['second transport word 54 at the sink, the engine says 53']);
    const random = structuredClone(ruleset);
    const stmt = random.tables[0]!.chains[0]!.rules[0]!.exprs[1]!;
    expect(kernelPicksPorts(new ReferenceEngine(ruleset).plan)).toEqual({ src: false, dst: false });
    if (stmt.kind === 'nat') stmt.flags = ['fully-random'];
    expect(kernelPicksPorts(new ReferenceEngine(random).plan)).toEqual({ src: true, dst: false });
  });

  it('does not compare ICMP checksum words, which NAT rewrites', () => {
    const icmp = parsePacket('icmp 10.1.0.5 -> 10.42.0.5 type 8 code 0 csum 0x1234 iif eth0 oif eth1');
    const ri = engine.evaluate(icmp);
    expect(comparePacket(icmp, ri, { delivered: true, oif: 'eth1', saddr: '10.70.0.1', daddr: '10.42.0.5', sport: 0x0800, dport: 0x9999 })).toEqual([]);
  });
});

describe('compareCounters', () => {
  it('keys engine counters by table, chain, rule and ordinal, and flags differences', () => {
    const engine = new ReferenceEngine(ruleset);
    engine.evaluate(parsePacket('udp 10.1.0.5:4000 -> 10.42.0.5:53 iif eth0 oif eth1'));
    const key = counterKey('ip', 'nat', 'post', 0, 0);
    const same = compareCounters(engine.plan, engine.counterValues, new Map([[key, { packets: 1, bytes: 28 }]]));
    expect(same).toEqual([expect.objectContaining({ table: 'ip nat', chain: 'post', rule: 0, ordinal: 0, match: true })]);
    const missing = compareCounters(engine.plan, engine.counterValues, new Map());
    expect(missing[0]).toMatchObject({ match: false, kernel: { packets: -1 } });
  });
});
