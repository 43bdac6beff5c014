// `nftlens verify --probe` against the kernel: the owned tables, as the live namespace lists them,
// are copied into a throwaway probe topology and judged packet by packet against the policies —
// zero disagreements on the examples, disagreements (with the packets) when a rule was changed by
// hand, a table gone from the kernel named; the live namespace sees no packet (its counters stay 0).
import { beforeAll, describe, expect, it } from 'vitest';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { cli } from '../../support/cli.js';

const POLICY = 'examples/provider-protect-multi-consumer.yaml';

interface ProbeJson {
  probe: { ok: boolean; compared: number; skipped: number; disagreements: { packet: string; kernel: string; intent: string; reasons: string[] }[]; copyMismatches: number };
}

describe.skipIf(noKernel)('nftlens verify --probe (kernel)', () => {
  const ns = suiteNetns('gwshadow');
  beforeAll(async () => {
    const r = await cli(['apply', '-f', POLICY, '--netns', ns.name]);
    expect(r.code, r.stderr).toBe(0);
  });

  const counters = async () => (await ns.nft(['list', 'table', 'ip', 'provider-protection'])).match(/packets \d+/g);

  it('the examples as applied: zero disagreements, the live gateway untouched', async () => {
    const r = await cli(['verify', '-f', POLICY, '--netns', ns.name, '--probe', '--random', '30', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as ProbeJson & { inSync: boolean };
    expect(out.inSync).toBe(true);
    expect(out.probe.ok).toBe(true);
    expect(out.probe.disagreements).toEqual([]);
    expect(out.probe.copyMismatches).toBe(0);
    expect(out.probe.compared).toBeGreaterThan(30);
    expect(new Set(await counters())).toEqual(new Set(['packets 0']));
  });

  it('a rule changed by hand (same comment): the packets it now treats otherwise', async () => {
    const doc = JSON.parse(await ns.nft(['-j', 'list', 'chain', 'ip', 'provider-protection', 'offloaded-pods-only']));
    const first = doc.nftables.find((o: { rule?: unknown }) => o.rule).rule as { handle: number; comment: string };
    await ns.nft(['replace', 'rule', 'ip', 'provider-protection', 'offloaded-pods-only', 'handle', String(first.handle),
      'meta', 'iifname', 'liqo-tunnel', 'ip', 'daddr', '10.42.9.9', 'counter', 'accept', 'comment', JSON.stringify(first.comment)]);
    const r = await cli(['verify', '-f', POLICY, '--netns', ns.name, '--probe', '--random', '30']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/shadow probe: \d+ packet\(s\) through a copy of the kernel's tables, \d+ skipped; [1-9]\d* where the kernel differs from the intent; 0 engine\/kernel mismatch/);
    // The rule's own packet: meant to be accepted, dropped by the kernel's copy.
    expect(r.stdout).toMatch(/✗ \S+ \S+ -> 10\.42\.1\.15:\S* iif liqo-tunnel[^\n]*\n\s+kernel  not delivered \(dropped or rejected\)\n\s+intent  accept/);
    expect(new Set(await counters())).toEqual(new Set(['packets 0']));
  });

  it('a table gone from the kernel is named, and the probe does not pass', async () => {
    await ns.nft(['delete', 'table', 'ip', 'provider-protection']);
    const r = await cli(['verify', '-f', POLICY, '--netns', ns.name, '--probe', '--random', '10', '-o', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as ProbeJson & { probe: { uncopied: string[] } };
    expect(out.probe.uncopied).toEqual(['ip provider-protection']);
    expect(out.probe.ok).toBe(false);
  });
});
