// The agent's side of the kernel: a FirewallConfiguration from the API server rendered into the
// gateway applier's intent (through the Liqo front end, as `nftlens apply` reads a file), and the
// owned tables listed and deleted (a deleted resource's, orphans at start). Deletion touches only
// tables carrying this owner's marker, under the applier's namespace lock. Kernel work of one agent
// runs one at a time (a promise chain), so its workers never wait on their own lock.

import { intentFrom, readOwned, runBatch, splitId, withLock, type Intent } from '../../backends/gateway/index.js';
import { parseFirewallConfigurations } from '../../frontends/liqo/index.js';
import { NftlensError } from '../../model/diagnostics.js';
import type { FcObject } from '../kube/client.js';

export interface KernelTarget {
  netns?: string;
  owner: string;
}

/** The intent of one resource; throws NftlensError (located) when the resource is invalid. */
export function renderResource(o: FcObject): Intent {
  const file = `firewallconfiguration ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const { ruleset, resources, diagnostics } = parseFirewallConfigurations(JSON.stringify(o), file);
  return intentFrom({ ruleset, resources, diagnostics, files: [file] });
}

/** Table ids (`family name`) of owned tables in the kernel. */
export async function ownedTables(t: KernelTarget): Promise<string[]> {
  const s = await readOwned([], { netns: t.netns, owner: t.owner, all: true });
  return [...s.owned.keys()];
}

/** Deletes those of `ids` that this owner owns, in one transaction; returns the ones deleted. */
export async function deleteOwned(ids: readonly string[], t: KernelTarget): Promise<string[]> {
  if (ids.length === 0) return [];
  return withLock(t.owner, t.netns, async () => {
    const s = await readOwned(ids, { netns: t.netns, owner: t.owner });
    const mine = ids.filter((id) => s.owned.has(id));
    if (mine.length === 0) return [];
    const r = await runBatch(mine.map((id) => ({ delete: { table: splitId(id) } })), { netns: t.netns });
    if (r.code !== 0) throw NftlensError.of('NFT_COMMAND', `deleting ${mine.join(', ')}: ${r.stderr.trim() || `nft exited ${r.code}`}`, {});
    return mine;
  });
}

/** Runs kernel work one piece at a time. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
