// loadRuleset / listRuleset: nft's failures become NftlensError NFT_COMMAND carrying nft's message.

import { describe, expect, it } from 'vitest';
import { withNetns } from '../../../src/backends/netns/netns.js';
import { kernelReason } from '../../support/kernel.js';
import { listRuleset, loadRuleset } from '../../../src/backends/nft/nft.js';
import { NftlensError } from '../../../src/model/diagnostics.js';

const skip = kernelReason;

describe.skipIf(skip)(`nft commands${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('reports what nft says when it refuses a document', async () => {
    await withNetns('cmd', async (ns) => {
      const doc = { nftables: [{ add: { chain: { family: 'ip', table: 'absent', name: 'c' } } }] };
      const err = await loadRuleset(doc, { netns: ns.name }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NftlensError);
      const d = (err as NftlensError).diagnostics[0]!;
      expect(d.code).toBe('NFT_COMMAND');
      expect(d.message).toMatch(/No such file or directory/);
      expect(d.origin.file).toMatch(new RegExp(`^nft -j -f .* \\(netns ${ns.name}\\)$`));
    });
  });

  it('lists an empty namespace as an empty ruleset', async () => {
    await withNetns('cmd', async (ns) => {
      expect(await listRuleset({ netns: ns.name })).toEqual({ tables: [] });
    });
  });

  it('fails with NFT_COMMAND when the namespace does not exist', async () => {
    await expect(listRuleset({ netns: 'nftlens-no-such-namespace' })).rejects.toMatchObject({ code: 'NFT_COMMAND' });
  });
});
