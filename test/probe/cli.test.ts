// `nftlens probe` end to end (as root): packets from -p, --packets and --random, text and JSON
// reports, and the refusal to run without packets.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noKernel } from '../support/kernel.js';
import { cli } from '../support/cli.js';

/** The repository's own example of the seed scenario. */
const seed = new URL('../../examples/provider-protect-single-consumer.yaml', import.meta.url).pathname;

describe.skipIf(noKernel)('nftlens probe', () => {
  it('agrees with the kernel on the seed policy, packets given by -p and --packets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftlens-probe-cli-'));
    const file = join(dir, 'packets.txt');
    writeFileSync(file, '# inbound to an offloaded pod, then to another pod\ntcp 10.112.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0\n{"saddr": "10.112.0.5", "daddr": "10.42.9.9", "l4proto": "udp", "sport": 1, "dport": 53, "iifname": "liqo-tunnel", "oifname": "eth0"}\n');
    const r = await cli(['probe', '-f', seed, '--packets', file, '-p', 'udp 10.42.2.7:53 -> 10.112.0.9:4000 iif eth0 oif liqo-tunnel', '-v']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: 3 packet\(s\) probed \(3 sent in 1 round\(s\)\), 0 packet mismatch\(es\), 0 of 6 counter\(s\) differ, 0 not sendable$/m);
    expect(r.stdout).toMatch(/MATCH #0: tcp 10\.112\.0\.5:40000 -> 10\.42\.1\.15:80/);
    expect(r.stdout).toMatch(/COUNTER ok .*rule allow-venice-to-10-42-1-15.*kernel 1 packets 40 bytes, engine 1 packets 40 bytes/);
  });

  it('generates packets with --random and reports as JSON', async () => {
    const r = await cli(['probe', '-f', seed, '--random', '40', '--seed', '7', '-o', 'json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as { ok: boolean; summary: { sent: number }; packets: { status: string; kernel?: { delivered: boolean } }[] };
    expect(rep.ok).toBe(true);
    expect(rep.summary.sent).toBeGreaterThanOrEqual(40);
    expect(rep.packets.some((p) => p.kernel?.delivered === true)).toBe(true);
    expect(rep.packets.some((p) => p.kernel?.delivered === false)).toBe(true);
  });

  it('agrees with the kernel on the embedded examples: two tables at forward priority 0', async () => {
    // The order of equal-priority chains decides the counters of the second table.
    const r = await cli(['probe', '--random', '150', '--seed', '3']);
    expect(r.stdout).toMatch(/^OK: \d+ packet\(s\) probed .*, 0 packet mismatch\(es\), 0 of 14 counter\(s\) differ/m);
    expect(r.code).toBe(0);
  });

  it('needs packets', async () => {
    const r = await cli(['probe', '-f', seed]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no packets/);
  });

  it('takes the least compared share: a probe of unsendable packets fails under it, and --min-compared must be a share', async () => {
    const local = 'tcp 10.0.0.5:40000 -> 10.42.1.15:80 local oif eth0';
    const r = await cli(['probe', '-f', seed, '-p', local]);
    expect(r.stdout).toMatch(/TOO FEW COMPARED/);
    expect(r.code).toBe(1);
    const bad = await cli(['probe', '-f', seed, '-p', local, '--min-compared', '2']);
    expect(bad.stderr).toMatch(/--min-compared takes a share/);
    expect(bad.code).toBe(2);
  });
});
