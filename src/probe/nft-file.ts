// Feeds an nft JSON document to `nft -j -f FILE` inside a namespace. nft cannot read its input
// from a socket (`/dev/stdin` of a child Node spawns is one), so the document goes through a
// private temporary file; nothing from it is ever placed on a command line.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from '../backends/netns/netns.js';

export async function nftLoadJson(ns: Netns, doc: { nftables: unknown[] }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nftlens-nft-'));
  try {
    const file = join(dir, 'ruleset.json');
    await writeFile(file, JSON.stringify(doc), { mode: 0o600 });
    await ns.nft(['-j', '-f', file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
