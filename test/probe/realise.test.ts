// What the probe can send: the ct state conntrack gives a crafted first packet, the packet that
// opens a flow before an established one, and the refusals (with reasons) for the rest.
import { describe, expect, it } from 'vitest';
import { parsePacket } from '../../src/engine/packet.js';
import { firstPacketState, flowKey, realise } from '../../src/probe/realise.js';

const P = (t: string) => parsePacket(`${t} iif eth0 oif eth1`);

describe('firstPacketState', () => {
  it.each([
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 flags syn', 'new'],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 flags ack', 'new'],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 flags psh,ack', 'new'],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 flags syn,ack', 'invalid'],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 flags fin', 'invalid'],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 flags 0', 'invalid'],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 flags rst', 'invalid'],
    ['udp 10.0.0.1:1 -> 10.0.0.2:2', 'new'],
    ['icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0', 'new'],
    ['icmp 10.0.0.1 -> 10.0.0.2 type 0 code 0', 'invalid'],
    ['icmp 10.0.0.1 -> 10.0.0.2 type 3 code 1', 'invalid'],
    ['icmpv6 fd00::1 -> fd00::2 type 128 code 0', 'new'],
    ['icmpv6 fd00::1 -> fd00::2 type 1 code 0', 'invalid'],
    ['99 10.0.0.1 -> 10.0.0.2', 'new'],
    // Conntrack's ICMP trackers refuse the other IP version: never a flow, whatever the type.
    ['icmp fd00::1 -> fd00::2 type 8 code 0', 'invalid'],
    ['icmpv6 10.0.0.1 -> 10.0.0.2 type 128 code 0', 'invalid'],
  ])('%s → %s', (t, state) => {
    expect(firstPacketState(P(t))).toBe(state);
  });
});

describe('realise', () => {
  it('sends an established UDP packet after the reverse packet that opens its flow', () => {
    const r = realise(P('udp 10.0.0.1:53 -> 10.0.0.2:4000 ct established'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.setup).toHaveLength(1);
    expect(r.setup[0]).toMatchObject({ saddr: '10.0.0.2', daddr: '10.0.0.1', sport: 4000, dport: 53, iifname: 'eth1', oifname: 'eth0', ctState: 'new' });
  });

  it('gives the opening packet of another protocol room for its two words (regression: it had 20 bytes)', () => {
    const r = realise(P('99 10.0.0.1:7 -> 10.0.0.2:9 len 28 ct established'));
    expect(r.ok && r.setup[0]).toMatchObject({ l4proto: 99, sport: 9, dport: 7, length: 28 });
  });

  it('opens an established SYN-ACK with a SYN and an echo reply with an echo request', () => {
    const tcp = realise(P('tcp 10.0.0.1:80 -> 10.0.0.2:4000 ct established flags syn,ack'));
    expect(tcp.ok && tcp.setup[0]!.tcpFlags).toBe(0x02);
    const icmp = realise(P('icmp 10.0.0.1 -> 10.0.0.2 type 0 code 0 ct established'));
    expect(icmp.ok && icmp.setup[0]!.sport).toBe(0x0800);
  });

  it.each([
    ['tcp 10.0.0.1:80 -> 10.0.0.2:4000 ct established flags ack', /syn,ack/],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 ct new flags fin', /ct state invalid, not new/],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 ct related', /related/],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 ctmark 0x10', /ct mark 0/],
    ['tcp 127.0.0.1:1 -> 10.0.0.2:2', /loopback/],
    ['tcp 10.0.0.1:1 -> 224.0.0.5:2', /multicast/],
    ['tcp [fe80::1]:1 -> [fd00::2]:2', /link-local/],
    ['132 10.0.0.1 -> 10.0.0.2 len 40', /sctp/],
    ['99 10.0.0.1 -> 10.0.0.2', /length 20/],
  ])('refuses %s', (t, why) => {
    const r = realise(P(t));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(why);
  });

  it('sends ICMP in IPv6 and ICMPv6 in IPv4 as they are, in any state but untracked: both sides read invalid', () => {
    for (const ct of ['new', 'established', 'related', 'invalid']) {
      const r = realise(P(`icmp fd00::1 -> fd00::2 type 0 code 0 ct ${ct} ctmark 0x3`));
      expect(r, ct).toEqual({ ok: true, setup: [] });
      expect(realise(P(`icmpv6 10.0.0.1 -> 10.0.0.2 type 129 code 0 ct ${ct}`)), ct).toEqual({ ok: true, setup: [] });
    }
    expect(realise(P('icmp fd00::1 -> fd00::2 type 8 code 0 ct untracked')).ok).toBe(false);
  });

  it('refuses local packets, packets without interfaces and the name lo', () => {
    expect(realise(parsePacket('tcp 10.0.0.1:1 -> 10.0.0.2:2 local')).ok).toBe(false);
    expect(realise(parsePacket('tcp 10.0.0.1:1 -> 10.0.0.2:2 iif eth0')).ok).toBe(false);
    expect(realise(parsePacket('tcp 10.0.0.1:1 -> 10.0.0.2:2 iif lo oif eth0')).ok).toBe(false);
    expect(realise(parsePacket('tcp 10.0.0.1:1 -> 10.0.0.2:2 iif eth0 oif eth1 dst-local'))).toMatchObject({ ok: false, reason: /addressed to the gateway itself/ });
  });

  it('refuses interface names the kernel refuses, with the reason', () => {
    expect(realise(parsePacket('tcp 10.0.0.1:1 -> 10.0.0.2:2 iif voilà oif eth1'))).toMatchObject({ ok: false, reason: /"voilà" cannot be a Linux interface name: it holds the byte 0xa0/ });
    expect(realise(parsePacket('tcp 10.0.0.1:1 -> 10.0.0.2:2 iif e#0 oif eth1')).ok).toBe(true);
  });
});

describe('flowKey', () => {
  it('is the same both ways, and has no ports for other protocols', () => {
    const a = P('udp 10.0.0.1:53 -> 10.0.0.2:4000');
    const b = P('udp 10.0.0.2:4000 -> 10.0.0.1:53');
    expect(flowKey(a, 1)).toBe(flowKey(b, 2));
    expect(flowKey(P('99 10.0.0.1:1 -> 10.0.0.2:2 len 28'), 1)).toBe(flowKey(P('99 10.0.0.1:3 -> 10.0.0.2:4 len 28'), 1));
    expect(flowKey(P('icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0'), 1)).not.toBe(flowKey(P('icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0'), 2));
  });
});
