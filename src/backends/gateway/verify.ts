// `verify`: read the owned tables of the intent back from the kernel and compare them with the
// intent: a listing of the rendered intent's form is in sync as it is (form.ts); any other is
// imported and compared (compare.ts). Only the intent's tables are listed; foreign ones are never
// read in full.

import { NftlensError } from '../../model/diagnostics.js';
import { tableId, type Table } from '../../model/ruleset.js';
import { startNftCheck } from './nft-check.js';
import { canonMemo, compareState } from './compare.js';
import { renderMemo, type Rendered, type TableForm } from './form.js';
import type { NftRun, WhileRunning } from './nft-run.js';
import { checkOwnerName, OWNER_DEFAULT } from './owner.js';
import { readOwned } from './state.js';
import type { GatewayOptions, Intent, KernelState, NftInfo, VerifyResult } from './types.js';

/**
 * The start check and the first read, run together (nothing is written before both succeed):
 * once nft's listing has started (the long run), the start check is started and the intent
 * rendered while nft lists the kernel's tables.
 */
export async function checkAndRead(
  intent: Intent, rendered: (t: Table) => Rendered, read: (whileListing: WhileRunning) => Promise<KernelState>,
  run: NftRun & { nftChecked?: Promise<NftInfo> },
): Promise<KernelState> {
  let checking = run.nftChecked;
  const whileListing = () => {
    checking ??= startNftCheck(run); // handled at once: a failed check waiting for the listing is no unhandled rejection
    intent.ruleset.tables.forEach(rendered);
  };
  const [got] = await Promise.allSettled([read(whileListing)]);
  const [checked] = await Promise.allSettled([(checking ??= startNftCheck(run))]);
  if (checked!.status === 'rejected') throw checked!.reason;
  if (got!.status === 'rejected') throw got!.reason;
  return got!.value;
}

/** The rendered form of each intent table, by `family name`, for readOwned's fast paths. */
export function expectedForms(intent: Intent, rendered: (t: Table) => Rendered): (id: string) => TableForm | undefined {
  const byId = new Map(intent.ruleset.tables.map((t) => [tableId(t), t]));
  return (id) => {
    const t = byId.get(id);
    return t && rendered(t).form;
  };
}

export async function verify(intent: Intent, opts: GatewayOptions = {}): Promise<VerifyResult> {
  const owner = opts.owner ?? OWNER_DEFAULT;
  checkOwnerName(owner);
  if (intent.ruleset.tables.length === 0) throw NftlensError.of('INPUT_KIND', 'the input holds no table to verify', {});
  const rendered = renderMemo();
  const expect = expectedForms(intent, rendered);
  const ids = intent.ruleset.tables.map(tableId);
  const state = await checkAndRead(intent, rendered, (whileListing) => readOwned(ids, { ...opts, owner, adopt: opts.adopt, expect, whileListing }), opts);
  return compareState(intent.ruleset.tables, state, canonMemo());
}
