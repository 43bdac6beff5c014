// `nftlens verify` end to end: exit 0 in sync, 1 on drift (the difference and a witness printed),
// JSON status records (InSync True / False Drifted), 3 when nft is missing.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { fakeNft, fc, policyFile, withPath } from '../../backends/gateway/support.js';

describe.skipIf(noKernel)('nftlens verify (kernel)', () => {
  const ns = suiteNetns('gwvercli');
  const file = policyFile(fc('gw-ver', [{ name: 'allow-web', action: 'accept', dst: '10.42.1.15' }], { generation: 3 }));

  it('missing before apply (1), in sync after (0), drifted after a hand edit (1) with a witness', async () => {
    const before = await cli(['verify', '-f', file, '--netns', ns.name]);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('missing  table ip gw-ver');
    expect((await cli(['apply', '-f', file, '--netns', ns.name])).code).toBe(0);
    const ok = await cli(['verify', '-f', file, '--netns', ns.name, '-o', 'json']);
    expect(ok.code).toBe(0);
    const j = JSON.parse(ok.stdout);
    expect(j.inSync).toBe(true);
    expect(j.status[0].conditions).toEqual([expect.objectContaining({ type: 'InSync', status: 'True', reason: 'InSync', observedGeneration: 3 })]);
    await ns.nft(['flush', 'chain', 'ip', 'gw-ver', 'gate']);
    const drift = await cli(['verify', '-f', file, '--netns', ns.name]);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toMatch(/drifted  table ip gw-ver[\s\S]*rule #1: .*allow-web.*\(no rule\)[\s\S]*behaviour: intent accept → kernel drop[\s\S]*witness  \S+ \S+ -> 10\.42\.1\.15/);
    const dj = JSON.parse((await cli(['verify', '-f', file, '--netns', ns.name, '-o', 'json'])).stdout);
    expect(dj.status[0].conditions[0]).toMatchObject({ type: 'InSync', status: 'False', reason: 'Drifted' });
    expect(dj.tables[0].semantic[0].witness).toContain('10.42.1.15');
  });

  it('nft missing: exit 3 with one NFT_ENV line', async () => {
    const r = await withPath(join(fakeNft('exit 0'), 'none'), () => cli(['verify', '-f', file, '--netns', ns.name]), true);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('error[NFT_ENV]');
  });

  it('-f is required', async () => {
    const r = await cli(['verify', '--netns', ns.name]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--filename');
  });
});
