// `verify`: read the owned tables of the intent back from the kernel and compare them with the
// intent (compare.ts). Only the intent's tables are listed; foreign ones are never read in full.

import { NftlensError } from '../../model/diagnostics.js';
import { tableId } from '../../model/ruleset.js';
import { checkNft } from './nft-check.js';
import { compareState } from './compare.js';
import { checkOwnerName, OWNER_DEFAULT } from './owner.js';
import { readOwned } from './state.js';
import type { GatewayOptions, Intent, VerifyResult } from './types.js';

export async function verify(intent: Intent, opts: GatewayOptions = {}): Promise<VerifyResult> {
  const owner = opts.owner ?? OWNER_DEFAULT;
  checkOwnerName(owner);
  if (intent.ruleset.tables.length === 0) throw NftlensError.of('INPUT_KIND', 'the input holds no table to verify', {});
  await checkNft(opts);
  const state = await readOwned(intent.ruleset.tables.map(tableId), { ...opts, owner, adopt: opts.adopt });
  return compareState(intent.ruleset.tables, state);
}
