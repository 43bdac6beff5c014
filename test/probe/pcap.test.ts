// Crafted frames: checksums verified independently (ones' complement over the whole header plus
// pseudo-header must fold to 0xffff), ICMP's checksum word made to read as the wanted `th dport`,
// the tag in IPv4 ID / IPv6 flow label, pcap files written and read back, SLL2 captures parsed.
import { describe, expect, it } from 'vitest';
import { craftFrame, onesSum, parseFrame, readPcap, writePcap, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, type WirePacket } from '../../src/probe/pcap.js';

const base = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', tag: 0x1234 };
const v4 = (p: Partial<WirePacket>): WirePacket => ({ ...base, version: 4, saddr: '10.0.0.1', daddr: '10.42.0.7', l4proto: 6, sport: 4000, dport: 80, ...p });
const v6 = (p: Partial<WirePacket>): WirePacket => ({ ...base, version: 6, saddr: 'fd00::1', daddr: 'fd00::2', l4proto: 17, sport: 53, dport: 53, ...p });

function pseudo(f: Buffer, version: 4 | 6, l4proto: number): number {
  const ip = f.subarray(14);
  const l4len = version === 4 ? ip.readUInt16BE(2) - 20 : ip.readUInt16BE(4);
  const b = Buffer.alloc(version === 4 ? 12 : 40);
  if (version === 4) {
    ip.copy(b, 0, 12, 20);
    b[9] = l4proto;
    b.writeUInt16BE(l4len, 10);
  } else {
    ip.copy(b, 0, 8, 40);
    b.writeUInt32BE(l4len, 32);
    b[39] = l4proto;
  }
  return onesSum(b);
}

describe('craftFrame', () => {
  it('writes a valid IPv4 header with the tag as ID and a valid TCP checksum', () => {
    const f = craftFrame(v4({ tcpFlags: 0x12, length: 100 }));
    expect(f.readUInt16BE(12)).toBe(0x0800);
    const ip = f.subarray(14, 34);
    expect(onesSum(ip)).toBe(0xffff);
    expect(ip.readUInt16BE(2)).toBe(100);
    expect(ip.readUInt16BE(4)).toBe(0x1234);
    const tcp = f.subarray(34);
    expect(tcp.length).toBe(80);
    expect(tcp[13]).toBe(0x12);
    expect(onesSum(tcp, pseudo(f, 4, 6))).toBe(0xffff);
  });

  it('writes an IPv6 UDP packet with the tag as flow label and a valid checksum', () => {
    const f = craftFrame(v6({}));
    expect(f.readUInt32BE(14) & 0xfffff).toBe(0x1234);
    expect(onesSum(f.subarray(54), pseudo(f, 6, 17))).toBe(0xffff);
  });

  it.each([0x0000, 0x1234, 0xfffe, 0xffff])('makes the ICMP checksum word read %i and still verify', (dport) => {
    const f = craftFrame(v4({ l4proto: 1, sport: 0x0800, dport }));
    const icmp = f.subarray(34);
    expect(icmp.readUInt16BE(2)).toBe(dport);
    expect(onesSum(icmp)).toBe(0xffff);
  });

  it('does the same for ICMPv6, whose checksum covers the pseudo-header', () => {
    const f = craftFrame(v6({ l4proto: 58, sport: 0x8000, dport: 0xbeef, icmpId: 7 }));
    const icmp = f.subarray(54);
    expect(icmp.readUInt16BE(2)).toBe(0xbeef);
    expect(icmp.readUInt16BE(4)).toBe(7);
    expect(onesSum(icmp, pseudo(f, 6, 58))).toBe(0xffff);
  });

  it('puts the raw words of any other protocol first in its transport header', () => {
    const f = craftFrame(v4({ l4proto: 99, sport: 0xabcd, dport: 0x0102 }));
    expect(f.subarray(34, 38).toString('hex')).toBe('abcd0102');
  });
});

describe('pcap files and captures', () => {
  it('reads back what it writes, and parses the packets', () => {
    const frames = [craftFrame(v4({})), craftFrame(v6({ tag: 0xfffff }))];
    const { linktype, frames: back } = readPcap(writePcap(frames));
    expect(linktype).toBe(LINKTYPE_ETHERNET);
    expect(back.map((b) => b.toString('hex'))).toEqual(frames.map((b) => b.toString('hex')));
    expect(parseFrame(back[0]!, linktype)).toEqual({ version: 4, tag: 0x1234, l4proto: 6, saddr: '10.0.0.1', daddr: '10.42.0.7', sport: 4000, dport: 80 });
    expect(parseFrame(back[1]!, linktype)).toMatchObject({ version: 6, tag: 0xfffff, saddr: 'fd00::1', daddr: 'fd00::2' });
  });

  it('parses Linux SLL2 frames, keeps the interface index and ignores outgoing ones', () => {
    const ip = craftFrame(v4({})).subarray(14);
    const sll = (pkttype: number) => {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(0x0800, 0);
      h.writeUInt32BE(3, 4);
      h[10] = pkttype;
      return Buffer.concat([h, ip]);
    };
    expect(parseFrame(sll(3), LINKTYPE_LINUX_SLL2)).toMatchObject({ ifindex: 3, tag: 0x1234, dport: 80 });
    expect(parseFrame(sll(4), LINKTYPE_LINUX_SLL2)).toBeUndefined();
  });
});
