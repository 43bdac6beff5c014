// pcap and pcapng captures as flows: frames crafted by the probe (src/probe/pcap.ts), written as
// pcap by the probe's writer and as pcapng (either byte order, Ethernet, SLL2 and raw-IP
// interfaces, if_name) by a test helper; packets grouped into flows by 5-tuple, direction-aware;
// hostile files (truncated, huge record lengths, unknown link types) refused with their record.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { craftFrame, parseFrame, readPcap, writePcap, type WirePacket } from '../../../src/probe/pcap.js';
import { writePcapng } from '../../support/pcapng.js';
import { readError, readFlows, tempFile } from '../../support/flows.js';

const MA = '02:00:00:00:00:01';
const MB = '02:00:00:00:00:02';
let tag = 1;
const pkt = (p: Partial<WirePacket> & Pick<WirePacket, 'saddr' | 'daddr' | 'l4proto' | 'sport' | 'dport'>): Buffer =>
  craftFrame({ version: p.saddr.includes(':') ? 6 : 4, tag: tag++, srcMac: MA, dstMac: MB, ...p });
const reply = (p: Parameters<typeof pkt>[0]) => pkt({ ...p, saddr: p.daddr, daddr: p.saddr, sport: p.dport, dport: p.sport });

const SYN = 0x02;
const SYNACK = 0x12;
const ACK = 0x10;
const tcp = { saddr: '10.0.0.1', daddr: '10.0.0.2', l4proto: 6, sport: 40000, dport: 80 };
const udp = { saddr: '10.0.0.1', daddr: '10.0.0.3', l4proto: 17, sport: 5000, dport: 53 };
const tcp6 = { saddr: 'fd00::1', daddr: 'fd00::2', l4proto: 6, sport: 1234, dport: 443 };
/** A conversation: TCP handshake and data, a UDP query and answer, ICMP echo both ways, IPv6 TCP, a mid-stream TCP packet. */
const frames = [
  pkt({ ...tcp, tcpFlags: SYN }),
  reply({ ...tcp, tcpFlags: SYNACK }),
  pkt({ ...tcp, tcpFlags: ACK }),
  pkt(udp),
  reply(udp),
  pkt({ saddr: '10.0.0.1', daddr: '10.0.0.2', l4proto: 1, sport: 8 << 8, dport: 0x1111, icmpId: 7 }),
  pkt({ saddr: '10.0.0.2', daddr: '10.0.0.1', l4proto: 1, sport: 0, dport: 0x2222, icmpId: 7 }),
  pkt({ ...tcp6, tcpFlags: SYN, length: 100 }),
  reply({ ...tcp6, tcpFlags: SYNACK }),
  pkt({ ...tcp, sport: 40001, tcpFlags: ACK }), // seen mid-stream: its first packet is an ack
  reply({ ...tcp, tcpFlags: ACK }),
];
const expected = [
  ['tcp 10.0.0.1:40000 -> 10.0.0.2:80 ct new flags syn len 40', 4],
  ['udp 10.0.0.1:5000 -> 10.0.0.3:53 ct new len 28', 2],
  ['icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0 csum 0x1111 ct new len 28', 2],
  ['tcp [fd00::1]:1234 -> [fd00::2]:443 ct new flags syn len 100', 2],
  ['tcp 10.0.0.1:40001 -> 10.0.0.2:80 ct new flags ack len 40', 1],
];

describe('pcap and pcapng captures', () => {
  it('groups the probe\'s pcap into flows, replies with their requests, first packet first', async () => {
    const { format, flows } = await readFlows(tempFile(writePcap(frames)));
    expect(format).toBe('pcap');
    expect(flows.map((f) => [f.packet, f.packets])).toEqual(expected);
    expect(flows.map((f) => f.at)).toEqual([1, 4, 6, 8, 10]); // the record of each flow's first packet
    expect(flows[0]!.bytes).toBe(160); // 4 packets of 40 bytes
  });

  it('reads a real tcpdump -i any capture (Linux cooked SLL2) of the conntrack samples\' traffic', async () => {
    const fixture = (name: string) => new URL(`../../fixtures/flows/${name}`, import.meta.url).pathname;
    const ports = JSON.parse(readFileSync(fixture('ports.json'), 'utf8')) as { tcp4: number; tcp6: number; udp: number };
    const { format, flows } = await readFlows(fixture('tcpdump-any.pcap'));
    expect(format).toBe('pcap');
    // Each connection is one flow, opened by its first packet, holding as many packets as the
    // probe's own parser finds to or from the server's port (the capture, made on a loaded
    // machine, missed some; conntrack's counts are in its own samples).
    const { frames: raw, linktype } = readPcap(readFileSync(fixture('tcpdump-any.pcap')));
    const seen = raw.map((f) => parseFrame(f, linktype));
    const count = (proto: number, port: number) => seen.filter((p) => p?.l4proto === proto && (p.sport === port || p.dport === port)).length;
    for (const [re, proto, port] of [
      [new RegExp(`^tcp 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:${ports.tcp4} ct new flags syn len 60$`), 6, ports.tcp4],
      [new RegExp(`^tcp \\[::1\\]:\\d+ -> \\[::1\\]:${ports.tcp6} ct new flags syn len 80$`), 6, ports.tcp6],
      [new RegExp(`^udp 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:${ports.udp} ct new len 32$`), 17, ports.udp],
    ] as const) {
      const f = flows.filter((x) => re.test(x.packet));
      expect(f, re.source).toHaveLength(1);
      expect(f[0]!.packets).toBe(count(proto, port));
      expect(f[0]!.packets).toBeGreaterThan(1);
    }
  });

  it('reads pcapng of either byte order alike, with if_name as the input interface', async () => {
    const ng = (be: boolean) => writePcapng([{ linktype: 1, name: 'liqo-tunnel' }], frames.map((frame) => ({ iface: 0, frame })), be);
    const le = await readFlows(tempFile(ng(false)));
    expect(le.format).toBe('pcapng');
    expect(le.flows.map((f) => [f.packet, f.packets])).toEqual(expected.map(([p, n]) => [(p as string).replace(' ct new', ' iif liqo-tunnel ct new'), n]));
    expect((await readFlows(tempFile(ng(true)))).flows).toEqual(le.flows);
  });

  it('reads Linux cooked SLL2 and raw IP frames, and simple packet blocks', async () => {
    const ip = frames.map((f) => f.subarray(14));
    const sll2 = frames.map((f) => {
      const h = Buffer.alloc(20);
      f.copy(h, 0, 12, 14); // protocol
      return Buffer.concat([h, f.subarray(14)]);
    });
    const file = writePcapng([{ linktype: 101 }, { linktype: 276 }], [
      ...ip.slice(0, 5).map((frame) => ({ iface: 0, frame })),
      ...sll2.slice(5).map((frame) => ({ iface: 1, frame })),
    ]);
    expect((await readFlows(tempFile(file))).flows.map((f) => [f.packet, f.packets])).toEqual(expected);
    const simple = writePcapng([{ linktype: 1 }], frames.map((frame) => ({ iface: 0, frame, simple: true })));
    expect((await readFlows(tempFile(simple))).flows.map((f) => [f.packet, f.packets])).toEqual(expected);
  });

  it('skips what is no flow\'s packet: ARP, later IPv4 fragments', async () => {
    const arp = Buffer.concat([Buffer.from('020000000002020000000001', 'hex'), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    const frag = Buffer.from(frames[3]!);
    frag.writeUInt16BE(0x0010, 14 + 6); // fragment offset 16 × 8
    const { flows } = await readFlows(tempFile(writePcap([arp, frag, frames[0]!])));
    expect(flows.map((f) => f.packet)).toEqual([expected[0]![0]]);
  });

  it('refuses truncated captures, huge record lengths and unknown link types, locating the record', async () => {
    const good = writePcap(frames);
    expect(await readError(tempFile(good.subarray(0, good.length - 5)))).toMatch(/^FLOW_RECORD .*"field":"record 11 \(byte \d+\)"} record cut short: \d+ of its \d+ bytes \(a truncated capture\)/);
    expect(await readError(tempFile(good.subarray(0, 24 + 16 + frames[0]!.length + 7)))).toMatch(/"record 2 .*record header cut short/);
    expect(await readError(tempFile(good.subarray(0, 20)), 'pcap')).toMatch(/^FLOW_FORMAT .*shorter than its 24-byte header/);
    const huge = Buffer.from(good);
    huge.writeUInt32LE(0x40000000, 24 + 8); // incl_len 1 GiB
    expect(await readError(tempFile(huge))).toMatch(/"record 1 \(byte 24\)"} record of 1073741824 bytes is larger than/);
    const snap = Buffer.from(good);
    snap.writeUInt32LE(0xffffffff, 16); // a header snaplen of 4 GiB is no problem by itself
    expect((await readFlows(tempFile(snap))).flows).toHaveLength(5);
    const wifi = Buffer.from(good);
    wifi.writeUInt32LE(105, 20);
    expect(await readError(tempFile(wifi))).toMatch(/^FLOW_FORMAT .*capture link type 105 is not read/);
    const ng = writePcapng([{ linktype: 1 }], frames.map((frame) => ({ iface: 0, frame })));
    expect(await readError(tempFile(ng.subarray(0, ng.length - 3)))).toMatch(/^FLOW_RECORD .*"block 13 .*block cut short/);
    const badLen = Buffer.from(ng);
    badLen.writeUInt32LE(0x7ffffff0, 28 + 4); // the interface block's length
    expect(await readError(tempFile(badLen))).toMatch(/"block 2 .*block of 2147483632 bytes is larger than/);
    const orphan = writePcapng([], [{ iface: 3, frame: frames[0]! }]);
    expect(await readError(tempFile(orphan))).toMatch(/packet of interface 3, which no interface description block described/);
  });

  it('bounds its flow table: the oldest flows are handed on when it is full', async () => {
    const many = Array.from({ length: 40 }, (_, i) => pkt({ ...udp, sport: 1000 + i }));
    const { openFlows } = await import('../../../src/frontends/flows/index.js');
    const { Readable } = await import('node:stream');
    const src = await openFlows(tempFile(writePcap([...many, many[0]!])), 'auto', Readable.from([]), 16);
    let n = 0;
    for await (const b of src.batches()) n += b.n;
    expect(n).toBe(41); // the first flow was handed on before its second packet came, which starts a new one
  });
});
