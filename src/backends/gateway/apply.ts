// `apply`: put the intent on the gateway and prove it is there. Under the namespace lock: read
// the owned tables (state.ts), plan (plan.ts); when nothing differs write nothing; otherwise one
// transaction (transaction.ts), then read back and compare (compare.ts). If nft refuses the batch,
// nothing was applied and the culprit is located; if the read-back differs, the previous state is
// restored in one transaction and the restore itself verified. Never half-applied.

import { NftlensError } from '../../model/diagnostics.js';
import { tableId, type Table } from '../../model/ruleset.js';
import { canonMemo, compareState } from './compare.js';
import { renderMemo } from './form.js';
import { withLock } from './lock.js';
import { checkOwnerName, checkReserved, markerUpdate, OWNER_DEFAULT } from './owner.js';
import { draftPlan } from './plan.js';
import { readOwned } from './state.js';
import { findRejected, restoreBatch, writeBatch } from './transaction.js';
import { runBatch, runTexts, type WhileRunning } from './nft-run.js';
import { checkAndRead, expectedForms } from './verify.js';
import type { ApplyResult, GatewayOptions, Intent, KernelState, KernelTable, OwnerMark } from './types.js';

export async function apply(intent: Intent, opts: GatewayOptions = {}): Promise<ApplyResult> {
  const owner = opts.owner ?? OWNER_DEFAULT;
  checkOwnerName(owner);
  intent.ruleset.tables.forEach(checkReserved);
  if (intent.ruleset.tables.length === 0 && !opts.prune) throw NftlensError.of('INPUT_KIND', 'the input holds no table to apply', {});
  const run = { netns: opts.netns, timeoutMs: opts.timeoutMs };
  const ids = intent.ruleset.tables.map(tableId);
  const canon = canonMemo();
  const rendered = renderMemo();
  const byId = new Map<string, Table>(intent.ruleset.tables.map((t) => [tableId(t), t]));
  const read = (adopt?: boolean, all?: boolean, whileListing?: WhileRunning) =>
    readOwned(ids, { ...run, owner, adopt, all, expect: expectedForms(intent, rendered), whileListing });

  return withLock(owner, opts.netns, async (): Promise<ApplyResult> => {
    const before = await checkAndRead(intent, rendered, (whileListing) => read(opts.adopt, opts.prune, whileListing), { ...run, nftChecked: opts.nftChecked });
    if (before.foreign.length) {
      const t = intent.ruleset.tables.find((x) => tableId(x) === before.foreign[0])!;
      throw NftlensError.of('GATEWAY_OWNER', `table ${before.foreign[0]} exists and nftlens does not own it: left untouched (--adopt takes it over)`, {
        ...t.origin, table: tableId(t),
      });
    }
    const { plan, describe } = draftPlan(intent, before, { prune: opts.prune, owner }, canon);
    if (!plan.changed || opts.dryRun) describe();
    if (!plan.changed) {
      // every table is structurally the intent: in sync, as compareState would find (cheaply here)
      const result: ApplyResult = { plan, written: false, rolledBack: false, verify: compareState(intent.ruleset.tables, before, canon) };
      if (opts.dryRun) result.failure = { reason: 'DryRun', message: 'dry run: nothing to change' };
      return result;
    }
    if (opts.dryRun) return { plan, written: false, rolledBack: false, failure: { reason: 'DryRun', message: 'dry run: changes not written' } };
    const write = plan.tables.filter((t) => t.action === 'create' || t.action === 'replace').map((t) => {
      const table = byId.get(t.id)!;
      const r = rendered(table);
      return { table, rendered: r, mark: { owner, digest: r.form.fingerprint } };
    });
    const removed = plan.tables.filter((t) => t.action === 'delete').map((t) => t.id);
    const batch = writeBatch(write, removed);
    const r = await runTexts(batch.texts, { ...run, whileRunning: describe }); // the plan's lines are written while nft loads
    const touched = [...write.map((w) => tableId(w.table)), ...removed];
    if (r.code !== 0) {
      const at = await findRejected(batch, run);
      const message = (r.stderr.trim().split('\n')[0] ?? '') || `nft exited ${r.code}`;
      // nft's transactions are atomic; still, a failure must leave the previous state: check it.
      const rolledBack = !(await unchanged(touched, before, run, owner));
      if (rolledBack) await restore(touched, before, run, owner);
      return {
        plan, written: false, rolledBack,
        failure: { reason: 'NftError', message: `nft refused the transaction; ${rolledBack ? 'what it left was rolled back' : 'nothing was applied'}: ${message}`, origin: at === undefined ? undefined : batch.origins[at] },
      };
    }
    // the verification reuses the intent rendered for the write: a table listed as written is in sync as it is
    const after = await read(true);
    const verify = compareState(intent.ruleset.tables, after, canon);
    const leftovers = removed.length ? await stillThere(removed, run, owner) : [];
    if (verify.inSync && leftovers.length === 0) {
      await markSeen(write.map((w) => w.mark), after, run);
      return { plan, written: true, rolledBack: false, verify };
    }

    await restore(touched, before, run, owner);
    const unsupported = verify.tables.some((t) => !t.inSync && !t.missing && t.structural.some((s) => s.includes('cannot be read back')));
    return {
      plan, written: true, rolledBack: true, verify,
      failure: {
        reason: unsupported ? 'NftUnsupported' : 'RolledBack',
        message: `the kernel did not hold the intent after the write${leftovers.length ? ` (pruned tables still there: ${leftovers.join(', ')})` : ''}; the previous state was restored and verified`,
      },
    };
  }, opts.lockTimeoutMs);
}

/**
 * Records in the mark of each written table the print of the listing just verified (owner.ts,
 * print.ts), so that later checks of the same listing neither parse nor import it. Only the
 * marker rule changes; if this fails, later checks simply take the slower paths. A table listed
 * without a print (with many others, from one ruleset listing) gets a record only when the kernel
 * rewrote it: a listing as rendered is recognised by its form anyway.
 */
async function markSeen(marks: OwnerMark[], after: KernelState, run: Run): Promise<void> {
  const cmds = [...after.owned.values()]
    .filter((k) => k.print !== undefined || k.holdsIntent !== 'rendered')
    .map((k) => {
      const m = marks.find((x) => x.digest === k.mark?.digest);
      return m && markerUpdate(k.raw, { ...m, seen: k.print ?? k.fingerprint });
    })
    .filter((c): c is object => c !== undefined);
  if (cmds.length) await runBatch(cmds, run);
}

async function stillThere(ids: string[], run: { netns?: string }, owner: string): Promise<string[]> {
  const s: KernelState = await readOwned(ids, { ...run, owner, adopt: true });
  return [...s.owned.keys()];
}

type Run = { netns?: string; timeoutMs?: number };

/** The first of `ids` whose listing differs from `before` (handles and counter values aside: form.ts). */
async function firstChanged(ids: string[], before: KernelState, run: Run, owner: string): Promise<string | undefined> {
  const now = await readOwned(ids, { ...run, owner, adopt: true });
  return ids.find((id) => {
    const was: KernelTable | undefined = before.owned.get(id);
    const is = now.owned.get(id);
    const same = (a: KernelTable, b: KernelTable) => a.fingerprint === b.fingerprint && JSON.stringify(a.mark) === JSON.stringify(b.mark);
    return !was !== !is || (was !== undefined && is !== undefined && !same(was, is));
  });
}

async function unchanged(ids: string[], before: KernelState, run: Run, owner: string): Promise<boolean> {
  return (await firstChanged(ids, before, run, owner)) === undefined;
}

/** Restores `ids` to `before` in one transaction and checks the kernel then lists what it did. */
async function restore(ids: string[], before: KernelState, run: Run, owner: string): Promise<void> {
  const r = await runTexts(restoreBatch(ids, before.owned).texts, run);
  const fail = (why: string) => NftlensError.of('GATEWAY_ROLLBACK', `restoring the previous state of ${ids.join(', ')} failed: ${why}`, {});
  if (r.code !== 0) throw fail(r.stderr.trim() || `nft exited ${r.code}`);
  const differs = await firstChanged(ids, before, run, owner);
  if (differs !== undefined) throw fail(`table ${differs} differs from its previous listing`);
}
