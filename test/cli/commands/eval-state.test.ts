// `nftlens eval` on a ruleset with stateful expressions (docs/examples/load-balancer.json: a numgen
// endpoint choice and a limit): every outcome, in text and JSON, the same from -p, from a packets
// file (the batch path runs the outcomes of the rows that met draws) and with --trace; --flow
// works only when every outcome does.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';

const LB = new URL('../../../docs/examples/load-balancer.json', import.meta.url).pathname;
const PACKETS = ['tcp 10.1.0.9:40000 -> 10.96.0.10:80 iif eth0 oif eth1', 'tcp 10.1.0.9:40001 -> 10.244.1.5:22 iif eth0 oif eth1', 'tcp 10.1.0.9:40002 -> 10.244.1.5:23 iif eth0 oif eth1'];

describe('nftlens eval: outcomes that depend on state', () => {
  it('lists each way numgen and a limit can go, with what decides in each', async () => {
    const r = await cli(['eval', '-f', LB, ...PACKETS.flatMap((p) => ['-p', p])]);
    expect(r.code).toBe(0);
    const blocks = r.stdout.split('\n\n');
    expect(blocks[0]).toContain('DEPENDS ON STATE: 2 outcomes, all ACCEPT');
    expect(blocks[0]).toMatch(/outcome 1: numgen random mod 2 = 0 \(inet lb svc rule handle 6\)[\s\S]*-> 10\.244\.1\.5:8080[\s\S]*outcome 2: numgen random mod 2 = 1[\s\S]*-> 10\.244\.2\.7:8080/);
    expect(blocks[1]).toMatch(/DEPENDS ON STATE: 2 outcomes, ACCEPT or DROP\n  outcome 1: limit rate 10\/minute burst 5 packets: holds[\s\S]*ACCEPT by inet lb fw rule handle 9[\s\S]*outcome 2: limit rate 10\/minute burst 5 packets: does not hold[\s\S]*DROP by inet lb fw rule handle 10/);
    expect(blocks[2]).toMatch(/^packet: .*\nACCEPT by policy of inet lb fw/);
  });

  it('gives the same from a packets file, as text and as JSON, and traces the draws', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftlens-state-'));
    const file = join(dir, 'packets.txt');
    writeFileSync(file, PACKETS.join('\n') + '\n');
    for (const o of ['text', 'json']) {
      const a = await cli(['eval', '-f', LB, '--packets', file, '-o', o]);
      const b = await cli(['eval', '-f', LB, ...PACKETS.flatMap((p) => ['-p', p]), '-o', o]);
      expect(a.stdout).toBe(b.stdout);
    }
    const json = JSON.parse((await cli(['eval', '-f', LB, '--packets', file, '-o', 'json'])).stdout) as { verdict: string; outcomes?: { state: string[]; verdict: string; after: { daddr: string } }[] }[];
    expect(json.map((x) => x.verdict)).toEqual(['accept', 'depends-on-state', 'accept']);
    expect(json[0]!.outcomes!.map((o) => o.after.daddr)).toEqual(['10.244.1.5', '10.244.2.7']);
    expect(json[1]!.outcomes!.map((o) => [o.state, o.verdict])).toEqual([[['limit rate 10/minute burst 5 packets: holds (inet lb fw rule handle 9)'], 'accept'], [['limit rate 10/minute burst 5 packets: does not hold (inet lb fw rule handle 9)'], 'drop']]);
    expect(json[2]!.outcomes).toBeUndefined();
    const traced = await cli(['eval', '-f', LB, '-p', PACKETS[1]!, '--trace']);
    expect(traced.stdout).toContain('state: limit rate 10/minute burst 5 packets: does not hold (way 2 of 2)');
  });

  it('--flow: a connection through the limit works in one outcome of three (its first and next packets each meet it): exit 1', async () => {
    const r = await cli(['eval', '-f', LB, '--flow', PACKETS[1]!]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/DEPENDS ON STATE: 3 outcomes, 1 of them work in both directions/); // the next packet meets the limit too
    const ok = await cli(['eval', '-f', LB, '--flow', PACKETS[0]!, '-o', 'json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)[0]).toMatchObject({ works: true, opens: true, outcomes: [{ state: ['numgen random mod 2 = 0 (inet lb svc rule handle 6)'] }, { state: ['numgen random mod 2 = 1 (inet lb svc rule handle 6)'] }] });
  });
});
