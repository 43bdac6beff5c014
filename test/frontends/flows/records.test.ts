// JSON-lines and CSV flow logs, the format sniffer and what it refuses: wrong formats, conntrack's
// XML, binary data, and a 1 GiB sparse file (refused from its first block, not read through).
import { closeSync, openSync, ftruncateSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readError, readFlows, tempFile } from '../../support/flows.js';

const JSONL = [
  '{"src":"10.0.0.1","dst":"10.0.0.2","proto":"tcp","sport":40000,"dport":80,"iif":"eth0","oif":"eth1","packets":12,"bytes":3400,"extra":"ignored"}',
  '',
  '{"src":"fd00::1","dst":"fd00::2","proto":17,"sport":"53","dport":"53"}',
  '{"src":"10.0.0.1","dst":"10.0.0.9","proto":"icmp","type":8,"code":0,"mark":"0x10","flags":"ack"}',
].join('\n');
const CSV = 'src,dst,proto,sport,dport,iif,oif,packets,bytes\n10.0.0.1,10.0.0.2,tcp,40000,80,eth0,eth1,12,3400\n\n"fd00::1",fd00::2,17,53,53,,,1,0\n';

describe('JSON-lines and CSV flow logs', () => {
  it('reads the documented columns, with defaults, and the same flows from either', async () => {
    const j = await readFlows(tempFile(JSONL));
    expect(j.format).toBe('jsonl');
    expect(j.flows).toEqual([
      { packet: 'tcp 10.0.0.1:40000 -> 10.0.0.2:80 iif eth0 oif eth1 ct new flags syn len 40', packets: 12, bytes: 3400, at: 1 },
      { packet: 'udp [fd00::1]:53 -> [fd00::2]:53 ct new len 48', packets: 1, bytes: 0, at: 3 },
      { packet: 'icmp 10.0.0.1 -> 10.0.0.9 type 8 code 0 csum 0xf7ff ct new mark 0x10 flags ack len 28', packets: 1, bytes: 0, at: 4 },
    ]);
    const c = await readFlows(tempFile(CSV));
    expect(c.format).toBe('csv');
    expect(c.flows.map((f) => [f.packet, f.packets, f.bytes, f.at])).toEqual([
      [j.flows[0]!.packet, 12, 3400, 2],
      [j.flows[1]!.packet, 1, 0, 4],
    ]);
  });

  it('locates bad records by line and column name', async () => {
    const cases: [string, string, RegExp][] = [
      ['jsonl', '{"src":"10.0.0.1","dst":"fd00::1","proto":"tcp"}', /"line":2,"field":"dst"} dst "fd00::1" is not an IPv4 address/],
      ['jsonl', '{"src":"10.0.0.1","dst":"10.0.0.2","proto":"tcpx"}', /"field":"proto"} proto "tcpx" is not a protocol/],
      ['jsonl', '{"src":"10.0.0.1","dst":"10.0.0.2","proto":"tcp","dport":70000}', /"field":"dport"} dport "70000" is not a number up to 65535/],
      ['jsonl', '{"src":"10.0.0.1","dst":"10.0.0.2","proto":"tcp","iif":"a-very-long-interface"}', /"field":"iif"} iif "a-very-long-interface" is longer than 15 bytes/],
      ['jsonl', '{"src":"10.0.0.1","dst":"10.0.0.2","proto":"tcp","flags":"syn,bogus"}', /"field":"flags"} "bogus" is not a tcp flag/],
      ['jsonl', '{"src":"10.0.0.1", broken', /"line":2} not JSON/],
      ['jsonl', '[1,2]', /"line":2} a flow is a JSON object/],
      ['jsonl', '{"dst":"10.0.0.2","proto":"tcp"}', /"field":"src"} no src address/],
    ];
    const ok = '{"src":"10.0.0.1","dst":"10.0.0.2","proto":"tcp"}';
    for (const [fmt, bad, want] of cases) expect(await readError(tempFile(`${ok}\n${bad}\n`), fmt as 'jsonl')).toMatch(new RegExp('^FLOW_RECORD .*' + want.source));
    expect(await readError(tempFile('src,dst,proto\n10.0.0.1,10.0.0.2,tcp\n10.0.0.1,10.0.0.2\n'))).toMatch(/^FLOW_RECORD .*"line":3} not CSV: Invalid Record Length/);
    expect(await readError(tempFile('src,dst,proto\n10.0.0.1,10.0.0.2,tcp\n10.0.0.1,nowhere,tcp\n'))).toMatch(/"line":3,"field":"dst"} dst "nowhere" is not an IPv4 address/);
    expect(await readError(tempFile('src,dst,proto\n"10.0.0.1,10.0.0.2,tcp\n'))).toMatch(/^FLOW_RECORD .*not CSV: Quote Not Closed/);
  });
});

describe('the format sniffer', () => {
  it('refuses what is no flow file, and a file of another format than --format says', async () => {
    expect(await readError(tempFile('hello world\nmore\n'))).toMatch(/^FLOW_FORMAT .*"line":1} not a flow file: its first line is none of/);
    expect(await readError(tempFile('<?xml version="1.0"?><conntrack/>'))).toMatch(/^FLOW_FORMAT .*conntrack -o xml is not read/);
    expect(await readError(tempFile(Buffer.from([1, 2, 0, 4, 5])))).toMatch(/^FLOW_FORMAT .*binary data \(NUL bytes\)/);
    expect(await readError(tempFile(JSONL), 'conntrack')).toMatch(/^FLOW_FORMAT .*not conntrack -L output: it looks like jsonl/);
    expect(await readError(tempFile(CSV), 'pcap')).toMatch(/^FLOW_FORMAT .*not a pcap file: it looks like csv/);
    expect(await readFlows(tempFile(''))).toEqual({ format: undefined, flows: [] });
  });

  it('refuses a 1 GiB sparse file from its first block', async () => {
    const file = tempFile('', 'sparse');
    const fd = openSync(file, 'r+');
    ftruncateSync(fd, 1 << 30);
    closeSync(fd);
    expect(await readError(file)).toMatch(/^FLOW_FORMAT .*binary data \(NUL bytes\)/);
    expect(await readError(file, 'conntrack')).toMatch(/^FLOW_FORMAT .*binary data/);
  });
});
