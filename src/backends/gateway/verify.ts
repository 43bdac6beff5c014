// `verify`: read the owned tables of the intent back from the kernel and compare them with the
// intent (compare.ts). Only the intent's tables are listed; foreign ones are never read in full.

import { NftlensError } from '../../model/diagnostics.js';
import { tableId } from '../../model/ruleset.js';
import { checkNft } from './nft-check.js';
import { canonMemo, compareState, type Canon } from './compare.js';
import type { NftRun } from './nft-run.js';
import { checkOwnerName, digestOf, OWNER_DEFAULT } from './owner.js';
import { readOwned } from './state.js';
import type { GatewayOptions, Intent, KernelState, VerifyResult } from './types.js';

/**
 * The start check and the first read, run together (nothing is written before both succeed);
 * the intent's canonical forms are computed while nft lists the kernel's tables.
 */
export async function checkAndRead(intent: Intent, canon: Canon, read: () => Promise<KernelState>, run: NftRun): Promise<KernelState> {
  const reading = Promise.allSettled([checkNft(run), read()]);
  for (const t of intent.ruleset.tables) canon.text(t);
  const [checked, got] = await reading;
  if (checked.status === 'rejected') throw checked.reason;
  if (got.status === 'rejected') throw got.reason;
  return got.value;
}

/** The intent's digest of each of its tables, by `family name`, for readOwned's fast path. */
export function expectedDigests(intent: Intent, canon: Canon): (id: string) => string | undefined {
  const byId = new Map(intent.ruleset.tables.map((t) => [tableId(t), t]));
  return (id) => {
    const t = byId.get(id);
    return t && digestOf(canon.text(t));
  };
}

export async function verify(intent: Intent, opts: GatewayOptions = {}): Promise<VerifyResult> {
  const owner = opts.owner ?? OWNER_DEFAULT;
  checkOwnerName(owner);
  if (intent.ruleset.tables.length === 0) throw NftlensError.of('INPUT_KIND', 'the input holds no table to verify', {});
  const canon = canonMemo();
  const expect = expectedDigests(intent, canon);
  const state = await checkAndRead(intent, canon, () => readOwned(intent.ruleset.tables.map(tableId), { ...opts, owner, adopt: opts.adopt, expect }), opts);
  return compareState(intent.ruleset.tables, state, canon);
}
