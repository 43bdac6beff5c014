// The start check against fake `nft` programs first on PATH: missing, too old, without JSON
// support — each one NFT_ENV error, and apply writes nothing; the real nft passes.
import { describe, expect, it } from 'vitest';
import { apply, checkNft } from '../../../src/backends/gateway/index.js';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { fakeNft, fc, intentOf, realNft, tableNames, withPath } from './support.js';

const missing = fakeNft('exit 0').replace(/$/, '/empty-none');
const old = fakeNft('echo "nftables v0.9.3 (Topsy)"');
const noJson = fakeNft(`if [ "$1" = --version ]; then echo "nftables v1.0.6 (Lester Gooch #5)"; exit 0; fi
if [ "$1" = -j ]; then echo "Error: JSON support not compiled-in" >&2; exit 1; fi
exec "${realNft}" "$@"`);
const garbled = fakeNft('echo "nft version unknown"');

describe('checkNft with fake nft programs', () => {
  it('nft missing from PATH', async () => {
    await expect(withPath(missing, () => checkNft(), true)).rejects.toMatchObject({ code: 'NFT_ENV', message: expect.stringContaining('not installed') });
  });
  it('nft too old', async () => {
    await expect(withPath(old, () => checkNft())).rejects.toMatchObject({ code: 'NFT_ENV', message: expect.stringContaining('0.9.3 is too old') });
  });
  it('nft with an unreadable version', async () => {
    await expect(withPath(garbled, () => checkNft())).rejects.toMatchObject({ code: 'NFT_ENV', message: expect.stringContaining("cannot read nft's version") });
  });
  it('nft without JSON support', async () => {
    await expect(withPath(noJson, () => checkNft())).rejects.toMatchObject({ code: 'NFT_ENV', message: expect.stringContaining('JSON support') });
  });
});

describe.skipIf(noKernel)('checkNft and apply (kernel)', () => {
  const ns = suiteNetns('gwcheck');

  it('the real nft passes; a namespace that does not exist is an NFT_ENV error', async () => {
    expect((await checkNft({ netns: ns.name })).version).toMatch(/^1\.\d+/);
    await expect(checkNft({ netns: `${ns.name}-absent` })).rejects.toMatchObject({ code: 'NFT_ENV' });
  });

  it('apply writes nothing when nft is too old or lacks JSON', async () => {
    const intent = await intentOf(fc('gw-env', [{ name: 'r', action: 'accept', dst: '10.0.0.1' }]));
    for (const dir of [old, noJson]) {
      await expect(withPath(dir, () => apply(intent, { netns: ns.name }))).rejects.toMatchObject({ code: 'NFT_ENV' });
    }
    expect(await tableNames(ns)).toEqual([]);
  });
});
