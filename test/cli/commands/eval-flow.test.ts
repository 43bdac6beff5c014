// `nftlens eval --flow` end to end: whole connections (first packet, reply, next packet), text and
// JSON, exit 0 when a connection works both ways, 1 when one does not, 2 on bad input (located).
import { describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';

const single = new URL('../../../examples/provider-protect-single-consumer.yaml', import.meta.url).pathname;
const WEB = 'tcp 10.0.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0';

describe('nftlens eval --flow', () => {
  it('a connection that works: each step and the rule that decides it, exit 0', async () => {
    const r = await cli(['eval', '-f', single, '--flow', WEB]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^flow tcp 10\.0\.0\.5:40000 -> 10\.42\.1\.15:80 .*: WORKS in both directions$/m);
    expect(r.stdout).toMatch(/^ {2}first packet: ACCEPT by ip provider-protection-venice offloaded-pods-only rule allow-venice-to-10-42-1-15 \(.*resource liqo-tenant-venice\/venice-provider-protection/m);
    expect(r.stdout).toMatch(/^ {2}reply: ACCEPT by ip provider-protection-venice offloaded-pods-only rule allow-10-42-1-15-to-venice /m);
    expect(r.stdout).toMatch(/^ {4}in: {2}tcp 10\.42\.1\.15:80 -> 10\.0\.0\.5:40000 iif eth0 oif liqo-tunnel ct established flags syn,ack/m);
    expect(r.stdout).toMatch(/^ {2}next packet: ACCEPT by .*rule allow-venice-to-10-42-1-15 /m);
  });

  it('one that does not (the first packet dropped by the policy): exit 1, JSON says which step', async () => {
    const r = await cli(['eval', '-f', single, '--flow', WEB, '--flow', 'tcp 10.0.0.5:40000 -> 10.42.9.9:80 iif liqo-tunnel oif eth0', '-o', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { works: boolean; opens: boolean; failed?: string; steps: { step: string; verdict: string; by: string; chain?: string }[] }[];
    expect(out.map((f) => [f.works, f.opens, f.failed, f.steps.length])).toEqual([[true, true, undefined, 3], [false, false, 'first', 1]]);
    expect(out[1]!.steps[0]).toMatchObject({ step: 'first', verdict: 'drop', by: 'policy', chain: 'ip provider-protection-venice offloaded-pods-only' });
  });

  it('--trace shows every step\'s path', async () => {
    const r = await cli(['eval', '-f', single, '--flow', WEB, '--trace', '-o', 'json']);
    const [f] = JSON.parse(r.stdout) as { steps: { trace: string[] }[] }[];
    expect(f!.steps[1]!.trace).toContain('conntrack: ct state established');
  });

  it('bad input: exit 2 with a located message, no stack', async () => {
    for (const [args, msg] of [
      [['--flow', 'tcp 10.0.0.5:1 -> 10.42.1.15:80 ct established'], /field --flow\[0\]: flow .*"ct" is not for a flow/],
      [['--flow', WEB, '--flow', 'gre 10.0.0.5 -> 10.42.1.15'], /field --flow\[1\]: .*flows are tcp, udp/],
      [['--flow', WEB, '-p', WEB], /give flows or packets/],
      [['--flow', WEB, '--if-addr', 'eth0'], /field --if-addr: --if-addr "eth0": expected NAME=ADDRESS/],
    ] as const) {
      const r = await cli(['eval', '-f', single, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
