// Test helper: a Ruleset from nft text, the way a user would write it — loaded by nft itself in a
// scratch namespace, listed back as JSON, and imported by the nft-JSON front end.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withNetns } from '../../src/backends/netns/netns.js';
import { importNftJson } from '../../src/frontends/nft-json/index.js';
import type { Ruleset } from '../../src/model/ruleset.js';

/** `interfaces`: links (veth) made first, for rules that name them by index (`meta iif "eth0"`). */
export async function rulesetFromNftText(text: string, name = 'inline.nft', interfaces: readonly string[] = []): Promise<Ruleset> {
  const dir = await mkdtemp(join(tmpdir(), 'nftlens-test-'));
  try {
    const file = join(dir, name);
    await writeFile(file, text);
    const listing = await withNetns('probetext', async (ns) => {
      for (const [i, dev] of interfaces.entries()) await ns.run('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `peer${i}`]);
      await ns.nft(['-f', file]);
      return ns.nft(['-j', 'list', 'ruleset']);
    });
    return importNftJson(listing, name).ruleset;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
