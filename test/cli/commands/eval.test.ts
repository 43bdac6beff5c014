// `nftlens eval` end to end: packets from -p and --packets, text and JSON output, trace, errors.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';
import { sharedCorpus } from '../../support/corpus.js';

const single = new URL('../../../examples/provider-protect-single-consumer.yaml', import.meta.url).pathname;
const shared = sharedCorpus('fixtures/');
const fixtures = shared ?? '';

describe('nftlens eval', () => {
  it('names the deciding rule and its resource', async () => {
    const r = await cli(['eval', '-f', single, '-p', 'tcp 10.0.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^packet: tcp 10\.0\.0\.5:40000 -> 10\.42\.1\.15:80 iif liqo-tunnel oif eth0/);
    expect(r.stdout).toMatch(/ACCEPT by ip provider-protection-venice offloaded-pods-only rule allow-venice-to-10-42-1-15 \(.*resource liqo-tenant-venice\/venice-provider-protection/);
  });

  it('drops by policy, with a trace, as JSON', async () => {
    const r = await cli(['eval', '-f', single, '-p', 'udp 10.0.0.5:1 -> 10.42.9.9:53 iif eth0 oif liqo-tunnel', '--trace', '-o', 'json']);
    expect(r.code).toBe(0);
    const [res] = JSON.parse(r.stdout) as { verdict: string; by: string; chain: { label: string }; hooks: string[]; trace: { kind: string }[] }[];
    expect(res).toMatchObject({ verdict: 'drop', by: 'policy', hooks: ['prerouting', 'forward'] });
    expect(res!.chain.label).toBe('ip provider-protection-venice offloaded-pods-only');
    expect(res!.trace.map((e) => e.kind)).toEqual(['hook', 'conntrack', 'route', 'hook', 'chain', 'policy']);
  });

  it('reads packets from a file, text and JSON lines, and locates a bad line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftlens-eval-'));
    const good = join(dir, 'good.txt');
    writeFileSync(good, '# two packets\ntcp 10.0.0.5:1 -> 10.42.2.7:80 iif liqo-tunnel\n{"saddr":"10.0.0.5","daddr":"10.42.9.9","l4proto":"udp","iifname":"liqo-tunnel"}\n');
    const r = await cli(['eval', '-f', single, '--packets', good, '-o', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { verdict: string }[]).map((x) => x.verdict)).toEqual(['accept', 'drop']);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'tcp 10.0.0.5:1 -> 10.42.2.7:80\ntcp 10.0.0.5 -> nowhere\n');
    const e = await cli(['eval', '-f', single, '--packets', bad]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/^error\[INPUT_PARSE\] .*bad\.txt:2: "nowhere" is not an IP address/);
  });

  it.skipIf(!shared)('applies NAT from a Liqo fixture and shows the packet after it', async () => {
    const nat = fixtures + 'liqo/valid/test-nat-rules.yaml';
    const r = await cli(['eval', '-f', nat, '-p', 'tcp 10.0.2.9:1000 -> 10.70.0.80:80 iif eth1 oif eth2', '-p', 'udp 10.9.9.9:53 -> 10.8.8.8:53 oif eth0', '--if-addr', 'eth0=192.0.2.1']);
    expect(r.code).toBe(0);
    // dnat in prerouting, then the subnet snat keeps the host bits
    expect(r.stdout).toContain('packet after: tcp 10.0.1.9:1000 -> 10.0.0.1:80');
    // masquerade takes eth0's address
    expect(r.stdout).toContain('packet after: udp 192.0.2.1:53 -> 10.8.8.8:53');
  });

  it('answers reverse-path checks from --route and --if-addr prefixes, and locates a bad route', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftlens-eval-'));
    const rpf = join(dir, 'rpf.json');
    writeFileSync(rpf, JSON.stringify({ nftables: [
      { table: { family: 'inet', name: 'raw' } },
      { chain: { family: 'inet', table: 'raw', name: 'pre', type: 'filter', hook: 'prerouting', prio: -300, policy: 'accept' } },
      { rule: { family: 'inet', table: 'raw', chain: 'pre', comment: 'rpf', expr: [{ match: { op: '==', left: { fib: { result: 'oif', flags: ['saddr', 'iif'] } }, right: false } }, { drop: null }] } },
    ] }));
    const host = ['--route', 'default dev eth0', '--if-addr', 'eth1=10.1.0.1/16'];
    const r = await cli(['eval', '-f', rpf, ...host, '-o', 'json',
      '-p', 'tcp 10.1.2.3:1000 -> 198.51.100.1:80 iif eth1 oif eth0', // routed back through eth1: passes
      '-p', 'tcp 10.1.2.3:1000 -> 198.51.100.1:80 iif eth0 oif eth1', // its route is eth1's, not eth0's: dropped
      '-p', 'tcp 203.0.113.9:1000 -> 10.1.0.7:80 iif eth0 oif eth1']); // the default route: passes
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { verdict: string }[]).map((x) => x.verdict)).toEqual(['accept', 'drop', 'accept']);
    const e = await cli(['eval', '-f', rpf, '--route', '10.0.0.0/8 via eth0', '-p', 'tcp 10.1.2.3:1000 -> 198.51.100.1:80 iif eth1']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/route "10\.0\.0\.0\/8 via eth0" is not "PREFIX dev INTERFACE"/);
  });

  it('requires packets', async () => {
    const r = await cli(['eval', '-f', single]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no packets/);
  });
});
