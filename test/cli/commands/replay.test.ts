// `nftlens replay` on the command line: exit codes (0, 1 on a change, 2 for bad input with one
// located line and no stack), standard input, --local and --iif/--oif, and hostile flow files,
// with one thread and with the worker pool.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writePcap, craftFrame } from '../../../src/probe/pcap.js';
import { cli } from '../../support/cli.js';
import { tempFile } from '../../support/flows.js';

const multi = new URL('../../../examples/provider-protect-multi-consumer.yaml', import.meta.url).pathname;
const single = new URL('../../../examples/provider-protect-single-consumer.yaml', import.meta.url).pathname;
const line = (s: string, d: string, dport: number) => `tcp      6 300 ESTABLISHED src=${s} dst=${d} sport=40000 dport=${dport} src=${d} dst=${s} sport=${dport} dport=40000 [ASSURED] mark=0 use=1`;
const FLOWS = [line('10.112.0.5', '10.42.1.15', 80), line('10.113.0.5', '10.42.3.21', 80), line('10.112.0.5', '10.42.9.9', 80)].join('\n') + '\n';
const IFS = ['--iif', 'liqo-tunnel', '--oif', 'liqo.abcdefghij'];

describe('nftlens replay', () => {
  it('reports per deciding rule; with a baseline, exit 1 and each change with a witness eval -p reproduces', async () => {
    const file = tempFile(FLOWS);
    const plain = await cli(['replay', '-f', multi, '--flows', file, ...IFS]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^replay: 3 flow\(s\), 0 packet\(s\) from conntrack: 2 accepted, 1 dropped, 0 rejected\n/);
    const diff = await cli(['replay', '-f', multi, '--baseline', single, '--flows', file, ...IFS]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('changed: 1 flow(s), 0 packet(s) change fate, in 1 group(s)\n');
    expect(diff.stdout).toMatch(/DROP → ACCEPT {2}1 flow\(s\), 0 packet\(s\) {2}by ip provider-protection offloaded-pods-only rule allow-naples-to-10-42-3-21 /);
    const witness = /witness \(.*:2\): (.*)\n/.exec(diff.stdout)![1]!;
    expect(witness).toBe('tcp 10.113.0.5:40000 -> 10.42.3.21:80 iif liqo-tunnel oif liqo.abcdefghij ct new flags syn len 40');
    const ev = await cli(['eval', '-f', multi, '-p', witness]);
    expect(ev.stdout).toMatch(/^packet: .*\nACCEPT by ip provider-protection offloaded-pods-only rule allow-naples-to-10-42-3-21/);
  });

  it('reads standard input, and sends flows from --local addresses through output and to them through input', async () => {
    const r = await cli(['replay', '-f', multi, '--flows', '-', ...IFS, '--local', '10.42.1.15', '-o', 'json'], FLOWS);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as { totals: { accepted: number }; deciders: { by: string; flows: number }[] };
    // 10.42.1.15 is the gateway's own now: its flow goes to input, where no base chain is.
    expect(rep.deciders.find((d) => d.by === 'none')?.flows).toBe(1);
    const out = await cli(['replay', '-f', multi, '--flows', '-', ...IFS, '--local', '10.112.0.5', '-o', 'json'], FLOWS);
    // 10.112.0.5 is the gateway's own: its two flows leave through output, where no base chain is.
    expect((JSON.parse(out.stdout) as { deciders: { by: string; flows: number }[] }).deciders).toContainEqual(expect.objectContaining({ by: 'none', flows: 2 }));
  });

  it('refuses bad input with exit 2 and one located line, with one thread and with the pool', async () => {
    const deep = tempFile(FLOWS.repeat(3000) + 'tcp 6 300 src=10.0.0.1 dst=10.0.0.2 sport=x dport=80 src=10.0.0.2 dst=10.0.0.1\n' + FLOWS);
    const pcap = writePcap([craftFrame({ version: 4, saddr: '10.0.0.1', daddr: '10.0.0.2', l4proto: 6, sport: 1, dport: 2, tag: 1, srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' })]);
    const cases: [string[], RegExp][] = [
      [['--flows', deep, '--workers', '1'], /^error\[FLOW_RECORD\] .*:9001:\d+ field sport: sport=x is not a number up to 65535\n$/],
      [['--flows', deep, '--workers', '2'], /^error\[FLOW_RECORD\] .*:9001:\d+ field sport: sport=x is not a number up to 65535\n$/],
      [['--flows', tempFile(pcap.subarray(0, pcap.length - 10))], /^error\[FLOW_RECORD\] .* field record 1 \(byte 24\): record cut short/],
      [['--flows', tempFile(FLOWS), '--format', 'pcapng'], /^error\[FLOW_FORMAT\] .*: not a pcapng file: it looks like conntrack\n$/],
      [['--flows', tempFile('garbage\n')], /^error\[FLOW_FORMAT\] .*:1: not a flow file/],
      [['--flows', '/nonexistent/flows'], /^error\[INPUT_READ\] \/nonexistent\/flows: cannot read: ENOENT\n$/],
      [['--flows', new URL('.', import.meta.url).pathname], /^error\[INPUT_READ\] .*: not a regular file\n$/],
      [['--flows', tempFile(FLOWS), '--top', '-3'], /^error\[INPUT_PARSE\] field --top: --top "-3" is not a whole number\n$/],
      [['--flows', tempFile(FLOWS), '--local', 'nowhere'], /^error\[INPUT_PARSE\] field --local: --local "nowhere" is not an IP address\n$/],
      [['--flows', tempFile(FLOWS), '--workers', '0'], /^error\[INPUT_PARSE\] field --workers: --workers "0" is not a positive whole number\n$/],
      [['--flows', tempFile(FLOWS), '--iif', 'way-too-long-a-name'], /^error\[INPUT_PARSE\] field --iif: --iif "way-too-long-a-name" is not an interface name/],
      [['--flows', tempFile(FLOWS), '--format', 'xml'], /error: option '--format <format>' argument 'xml' is invalid/],
    ];
    for (const [args, want] of cases) {
      const r = await cli(['replay', '-f', multi, ...args]);
      expect([r.code, r.stderr], args.join(' ')).toEqual([2, expect.stringMatching(want)]);
      expect(r.stdout).toBe('');
    }
  }, 60_000);

  it('replays a pcap with the capture\'s skipped frames reported', async () => {
    const frame = (d: string) => craftFrame({ version: 4, saddr: '10.112.0.5', daddr: d, l4proto: 6, sport: 40000, dport: 80, tcpFlags: 2, tag: 1, srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' });
    const arp = Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    const r = await cli(['replay', '-f', multi, '--flows', tempFile(writePcap([frame('10.42.1.15'), frame('10.42.1.15'), arp, frame('10.42.9.9')])), ...IFS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^replay: 2 flow\(s\), 3 packet\(s\) from pcap: 1 accepted, 1 dropped, 0 rejected\n {2}frames that were no flow's packet: 1 not-ip\n/);
    expect(readFileSync(multi, 'utf8')).toContain('allow-venice-to-10-42-1-15');
  });
});
