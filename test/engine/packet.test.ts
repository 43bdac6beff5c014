// The packet's text and JSON forms: parsing, defaults, formatting, and clear errors.
import { describe, expect, it } from 'vitest';
import { formatPacket, packetFromJson, parsePacket, parsePacketLine } from '../../src/engine/packet.js';
import { NftlensError } from '../../src/model/diagnostics.js';

describe('packet text', () => {
  it('parses every field of the documented example', () => {
    const p = parsePacket('tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif liqo-tunnel ct new mark 0x1 flags syn len 60');
    expect(p).toEqual({
      family: 4, saddr: '10.0.0.5', daddr: '10.42.1.7', l4proto: 6, sport: 40000, dport: 80, iifname: 'eth0',
      oifname: 'liqo-tunnel', ctState: 'new', mark: 1, ctMark: 0, tcpFlags: 2, length: 60, local: false,
    });
  });

  it('fills defaults: ct new, syn for a new tcp packet, ack otherwise, header-sized length', () => {
    expect(parsePacket('tcp 1.2.3.4 -> 5.6.7.8')).toMatchObject({ sport: 0, dport: 0, ctState: 'new', tcpFlags: 2, length: 40, iifname: '' });
    expect(parsePacket('tcp 1.2.3.4:1 -> 5.6.7.8:2 ct established').tcpFlags).toBe(0x10);
    expect(parsePacket('udp 1.2.3.4:1 -> 5.6.7.8:2').length).toBe(28);
  });

  it('ICMP: type/code are the first transport word, the checksum the second', () => {
    const p = parsePacket('icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0');
    expect([p.sport, p.dport]).toEqual([0x0800, 0xf7ff]);
    expect(formatPacket(p)).toBe('icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0 csum 0xf7ff ct new len 28');
  });

  it('IPv6 in brackets, canonical addresses, local packets', () => {
    const p = parsePacket('udp [fd00:0::1]:53 -> [fd00::2]:53 local');
    expect(p).toMatchObject({ family: 6, saddr: 'fd00::1', local: true, length: 48 });
    expect(formatPacket(p)).toBe('udp [fd00::1]:53 -> [fd00::2]:53 ct new len 48 local');
    // Without brackets, no port: unambiguous addresses are read as they are.
    expect(parsePacket('tcp fd00::1 -> 2001:db8::1')).toMatchObject({ saddr: 'fd00::1', daddr: '2001:db8::1', sport: 0, dport: 0 });
    expect(parsePacket('udp [fd00::1:53] -> [fd00::2]:53')).toMatchObject({ saddr: 'fd00::1:53', sport: 0, dport: 53 });
    expect(parsePacket('icmpv6 fd00::1:2 -> fd00::2 type 128 code 0')).toMatchObject({ saddr: 'fd00::1:2' });
  });

  it('round-trips through text and JSON', () => {
    for (const t of ['tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif wg0 ct established mark 0x10 ctmark 0x3 flags ack,psh len 1400', 'icmpv6 fd00::1 -> fd00::2 type 128 code 0', '47 10.0.0.1:0 -> 10.0.0.2:0 ct untracked']) {
      const p = parsePacket(t);
      expect(parsePacket(formatPacket(p))).toEqual(p);
      expect(packetFromJson(JSON.parse(JSON.stringify(p)))).toEqual(p);
      expect(parsePacketLine(JSON.stringify(p))).toEqual(p);
    }
  });

  it('says what is wrong', () => {
    const err = (t: string) => {
      try {
        parsePacket(t);
      } catch (e) {
        expect(e).toBeInstanceOf(NftlensError);
        expect((e as NftlensError).code).toBe('INPUT_PARSE');
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err('tcp 10.0.0.1 10.0.0.2')).toMatch(/expected "PROTO SRC/);
    expect(err('tcp 10.0.0.1 -> fd00::1')).toMatch(/not of one IP version/);
    // An IPv6 address without brackets has no port: `fd00::1:53` could mean either, so it is refused.
    expect(err('udp fd00::1:53 -> fd00::2:53')).toMatch(/"fd00::1:53" is ambiguous: write \[fd00::1\]:53 for a port, or \[fd00::1:53\]/);
    expect(err('tcp [fd00::1]:80 -> fd00::2:443')).toMatch(/"fd00::2:443" is ambiguous/);
    expect(err('tcp 10.0.0.1:70000 -> 10.0.0.2')).toMatch(/16-bit/);
    expect(err('tcp 10.0.0.1 -> 10.0.0.2 ct maybe')).toMatch(/not a ct state/);
    expect(err('tcp 10.0.0.1 -> 10.0.0.2 iif averyveryverylongname')).toMatch(/longer than 15/);
    expect(err('foo 10.0.0.1 -> 10.0.0.2')).toMatch(/unknown protocol/);
    expect(err('tcp 10.0.0.1 -> 10.0.0.2 flags syn,wat')).toMatch(/not a tcp flag/);
  });

  it('ICMP in IPv6 and ICMPv6 in IPv4 are packets too (analysis witnesses print and parse back)', () => {
    const icmp6 = parsePacket('icmp fd00::1 -> fd00::2 type 4 code 0 iif eth0 oif eth1');
    expect(icmp6).toMatchObject({ family: 6, l4proto: 1, sport: 0x0400, length: 48 });
    expect(icmp6.dport).toBe(0xfbff); // the ICMP checksum: no pseudo-header outside ICMPv6-in-IPv6
    const v6in4 = parsePacket('icmpv6 10.0.0.1 -> 10.0.0.2 type 128 code 0');
    expect(v6in4).toMatchObject({ family: 4, l4proto: 58, sport: 0x8000, dport: 0x7fff, length: 28 });
    for (const p of [icmp6, v6in4]) {
      expect(parsePacket(formatPacket(p))).toEqual(p);
      expect(packetFromJson(JSON.parse(JSON.stringify(p)))).toEqual(p);
    }
  });
});
