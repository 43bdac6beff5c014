// conntrack -L output as flows: real samples (written by conntrack on traffic in test namespaces,
// test/support/flow-traffic.ts; kept as fixtures, and made afresh where the kernel tests run),
// plain and -o extended, IPv4 and IPv6, tcp/udp/icmp/icmpv6, accounting, mark, zone; and malformed
// lines, each located.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePacket, formatPacket } from '../../../src/engine/packet.js';
import { readPcap, parseFrame } from '../../../src/probe/pcap.js';
import { noKernel } from '../../support/kernel.js';
import { makeTraffic } from '../../support/flow-traffic.js';
import { readError, readFlows, tempFile } from '../../support/flows.js';

const fixture = (name: string) => new URL(`../../fixtures/flows/${name}`, import.meta.url).pathname;
const ports = JSON.parse(readFileSync(fixture('ports.json'), 'utf8')) as { tcp4: number; tcp6: number; udp: number };

/** What the sample traffic must give, whatever the client's own (random) ports. */
function expectSample(flows: { packet: string; packets: number; bytes: number }[], p: typeof ports, v6only = false): void {
  const find = (re: RegExp) => {
    const f = flows.filter((x) => re.test(x.packet));
    expect(f, re.source).toHaveLength(1);
    return f[0]!;
  };
  const tcp6 = find(new RegExp(`^tcp \\[::1\\]:\\d+ -> \\[::1\\]:${p.tcp6} ct new flags syn len 60$`));
  expect(tcp6.packets).toBe(10);
  const icmp6 = find(/^icmpv6 fd77::1 -> fd77::2 type 128 code 0 csum 0x[0-9a-f]+ ct new len 48$/);
  expect(icmp6.packets).toBe(2);
  if (v6only) return expect(flows).toHaveLength(2);
  expect(find(new RegExp(`^tcp 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:${p.tcp4} ct new flags syn len 40$`)).packets).toBe(10);
  const udp = find(new RegExp(`^udp 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:${p.udp} ct new len 28$`));
  expect([udp.packets, udp.bytes]).toEqual([2, 64]);
  expect(find(/^udp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:9 ct new len 28$/).packets).toBe(1); // [UNREPLIED], zone=3
  expect(find(/^icmp 10\.77\.0\.1 -> 10\.77\.0\.2 type 8 code 0 csum 0xf7ff ct new len 28$/).packets).toBe(2);
  expect(flows).toHaveLength(6);
}

describe('conntrack -L samples (fixtures)', () => {
  it('reads plain and -o extended output alike, IPv4 and IPv6', async () => {
    const plain = await readFlows(fixture('conntrack-plain.txt'));
    const ext = await readFlows(fixture('conntrack-extended.txt'));
    expect(plain.format).toBe('conntrack');
    expect(ext.format).toBe('conntrack');
    expectSample(plain.flows, ports);
    expect(ext.flows).toEqual(plain.flows);
    expectSample((await readFlows(fixture('conntrack-ipv6.txt'))).flows, ports, true);
  });

  it('gives first packets that read back as themselves (witness text)', async () => {
    for (const f of (await readFlows(fixture('conntrack-extended.txt'))).flows) expect(formatPacket(parsePacket(f.packet))).toBe(f.packet);
  });

  it('skips blank lines, CRLF endings, event prefixes and the trailer conntrack prints on stderr', async () => {
    const line = readFileSync(fixture('conntrack-plain.txt'), 'utf8').split('\n')[0]!;
    const file = tempFile(`\r\n[NEW] ${line}\r\n\r\n${line}\r\nconntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\r\n`);
    const { flows } = await readFlows(file);
    expect(flows.map((f) => f.at)).toEqual([2, 4]);
    expect(flows[0]!.packet).toBe(flows[1]!.packet);
  });

  it('reads a line cut across read blocks and numbers lines across them', async () => {
    const line = 'udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1000 mark=0 use=1\n';
    const { flows } = await readFlows(tempFile(line.repeat(20000)));
    expect(flows).toHaveLength(20000);
    expect(flows[19999]!.at).toBe(20000);
    expect(new Set(flows.map((f) => f.packet))).toEqual(new Set(['udp 10.0.0.1:1000 -> 10.0.0.2:53 ct new len 28']));
  });

  it('locates malformed lines: file, line, column, field', async () => {
    const ok = 'tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 [ASSURED] mark=0 use=1\n';
    const cases: [string, RegExp][] = [
      [ok.replace('sport=40000', 'sport=99999'), /^FLOW_RECORD .*"line":2,"column":\d+,"field":"sport"} sport=99999 is not a number up to 65535/],
      [ok.replace('dst=10.0.0.2 ', 'dst=10.0.0.300 '), /"field":"dst"} dst=10.0.0.300 is not an IPv4 address/],
      [ok.replace('dst=10.0.0.2 ', 'dst=fd00::1 '), /"field":"dst"} dst=fd00::1 is not an IPv4 address/],
      [ok.replace('tcp      6', 'tcp      17'), /"field":"proto"} protocol number 17 is not that of the name before it \(6\)/],
      [ok.replace(/src=\S+ dst=\S+ sport=40000/, ''), /"field":"src"} no reply direction \(a second src=\)/],
      ['tcp 6 1 garbage here\n', /"line":2.*no src= and dst=/],
      ['tcp 6 1 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2\n', /"line":2.*no reply direction/],
      ['ipv4     10 tcp      6 1 src=1.1.1.1 dst=2.2.2.2\n', /"field":"l3proto"} the layer-3 number does not follow its name/],
      ['tcp      6 1 src=1.1.1.1 dst=2.2.2.2 mark=0x1zz\n', /"field":"mark"} mark=0x1zz is not a number/],
      [`tcp 6 1 src=1.1.1.1 dst=2.2.2.2 ${'x'.repeat(70000)}\n`, /"line":2} line longer than 65536 bytes/],
    ];
    for (const [bad, want] of cases) expect(await readError(tempFile(ok + bad + ok), 'conntrack')).toMatch(want);
  });
});

describe.skipIf(noKernel)('conntrack -L on live traffic (kernel)', () => {
  it('reads what conntrack lists for tcp, udp, icmp and icmpv6 flows in test namespaces, and what tcpdump captured', async () => {
    const t = await makeTraffic();
    const plain = (await readFlows(tempFile(t.plain))).flows;
    expectSample(plain, t.ports);
    expect((await readFlows(tempFile(t.extended))).flows).toEqual(plain);
    expectSample((await readFlows(tempFile(t.plain6))).flows, t.ports, true);
    const cap = await readFlows(tempFile(t.pcap));
    expect(cap.format).toBe('pcap');
    const tcp = cap.flows.filter((f) => f.packet.startsWith('tcp 127.0.0.1:') && f.packet.includes(`-> 127.0.0.1:${t.ports.tcp4} `));
    expect(tcp).toHaveLength(1);
    expect(tcp[0]!.packet).toMatch(/ flags syn len 60$/);
    // Both directions of the connection are one flow: as many packets as the probe's own parser
    // finds to or from the server's port (a loaded machine's capture may miss some; conntrack does not).
    const { frames, linktype } = readPcap(t.pcap);
    const seen = frames.map((f) => parseFrame(f, linktype)).filter((p) => p?.l4proto === 6 && p.version === 4 && (p.sport === t.ports.tcp4 || p.dport === t.ports.tcp4));
    expect(tcp[0]!.packets).toBe(seen.length);
    expect(seen.length).toBeGreaterThan(1);
    expect(cap.flows.filter((f) => f.packet.startsWith('icmp 10.77.0.1 -> 10.77.0.2 type 8 code 0 csum 0x1234 '))).toHaveLength(1);
  }, 60_000);
});
