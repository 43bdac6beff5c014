// `nftlens counters` against the kernel in a throwaway namespace: each kernel rule's packets and
// bytes named by resource, table, chain and rule (a counting output rule sees the datagrams sent
// in the namespace; Liqo rules show zero), JSON and text; a table not on the gateway is exit 1.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { cli } from '../../support/cli.js';

const LIQO = 'examples/provider-protect-single-consumer.yaml';
const counting = JSON.stringify({ nftables: [
  { table: { family: 'ip', name: 'count-lo' } },
  { chain: { family: 'ip', table: 'count-lo', name: 'out', type: 'filter', hook: 'output', prio: 0, policy: 'accept' } },
  { rule: { family: 'ip', table: 'count-lo', chain: 'out', comment: 'udp to loopback', expr: [
    { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: '127.0.0.1' } },
    { match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: 9 } },
    { counter: null }, { accept: null },
  ] } },
  { rule: { family: 'ip', table: 'count-lo', chain: 'out', comment: 'no counter here', expr: [{ accept: null }] } },
] });

describe.skipIf(noKernel)('nftlens counters (kernel)', () => {
  const ns = suiteNetns('gwcount');
  let dir: string;
  let policy: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nftlens-counters-'));
    policy = join(dir, 'count-lo.json');
    await writeFile(policy, counting);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a table not applied: exit 1, named', async () => {
    const r = await cli(['counters', '-f', LIQO, '--netns', ns.name]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('table ip provider-protection-venice is not on the gateway');
  });

  it('maps the kernel counters to resources, chains and rules', async () => {
    const { apply, intentFrom } = await import('../../../src/backends/gateway/index.js');
    const { loadRuleset } = await import('../../../src/frontends/load.js');
    const applied = await apply(intentFrom(await loadRuleset([LIQO, policy])), { netns: ns.name });
    expect(applied.failure).toBeUndefined();
    for (let i = 0; i < 3; i++) await ns.run('bash', ['-c', 'echo x > /dev/udp/127.0.0.1/9']);
    const r = await cli(['counters', '-f', LIQO, '-f', policy, '--netns', ns.name, '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { counters: { table: string; chain: string; rule: string; resource: string; counter: { packets: number; bytes: number } | null; origin: string }[]; missing: string[] };
    expect(out.missing).toEqual([]);
    const lo = out.counters.find((c) => c.rule === 'udp to loopback')!;
    // Three datagrams of 30 bytes (20 IP + 8 UDP + "x\n").
    expect(lo).toMatchObject({ table: 'ip count-lo', chain: 'out', resource: policy });
    expect(lo.counter).toEqual({ packets: 3, bytes: 90 });
    expect(out.counters.find((c) => c.rule === 'no counter here')!.counter).toBeNull();
    const liqo = out.counters.filter((c) => c.table === 'ip provider-protection-venice');
    expect(liqo.map((c) => c.rule)).toEqual([
      'allow-venice-to-10-42-1-15', 'allow-venice-to-10-42-2-7', 'allow-venice-to-10-42-3-9',
      'allow-10-42-1-15-to-venice', 'allow-10-42-2-7-to-venice', 'allow-10-42-3-9-to-venice',
    ]);
    for (const c of liqo) {
      expect(c).toMatchObject({ chain: 'offloaded-pods-only', resource: 'liqo-tenant-venice/venice-provider-protection', counter: { packets: 0, bytes: 0 } });
      expect(c.origin).toMatch(/^examples\/provider-protect-single-consumer\.yaml:\d+:\d+ resource liqo-tenant-venice\/venice-provider-protection/);
    }
    // The marker chain is not a rule of the policies.
    expect(out.counters.some((c) => c.chain === 'nftlens-owner')).toBe(false);

    const text = await cli(['counters', '-f', LIQO, '-f', policy, '--netns', ns.name]);
    expect(text.stdout.split('\n')[0]).toMatch(/^PACKETS\s+BYTES\s+RULE\s+FROM$/);
    expect(text.stdout).toMatch(/^\s*3\s+90\s+ip count-lo out rule udp to loopback\s+\S*count-lo\.json$/m);
    expect(text.stdout).toMatch(/^\s*0\s+0\s+ip provider-protection-venice offloaded-pods-only rule allow-venice-to-10-42-1-15\s+examples\/provider-protect-single-consumer\.yaml:\d+:\d+ resource liqo-tenant-venice\/venice-provider-protection$/m);
  });
});
