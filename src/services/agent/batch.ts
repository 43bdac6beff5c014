// Applies from many reconciles, batched: the gateway applier writes any number of tables in one
// transaction and verifies them together, so intents that arrive while a transaction runs are
// merged into the next one (up to `max`). Each caller gets the result for its own tables. If the
// merged apply fails, each intent of the batch is applied alone, so that a failure is reported
// on the resource that caused it and the others still go in. Kernel work runs one at a time
// (Serial), deletions included, so the agent never waits on its own namespace lock. nft's start
// check (version, JSON) is made once, not once a transaction.

import { apply, startNftCheck, type ApplyResult, type Intent, type NftInfo } from '../../backends/gateway/index.js';
import { tableId } from '../../model/ruleset.js';
import type { KernelTarget, Serial } from './tables.js';

interface Pending {
  intent: Intent;
  resolve: (r: ApplyResult) => void;
  reject: (e: unknown) => void;
}

export function mergeIntents(list: readonly Intent[]): Intent {
  return {
    ruleset: { tables: list.flatMap((i) => i.ruleset.tables) },
    resources: list.flatMap((i) => i.resources),
    tableResource: new Map(list.flatMap((i) => [...i.tableResource])),
  };
}

/** The part of a merged apply's result that concerns the tables `ids`. */
export function resultFor(r: ApplyResult, ids: readonly string[]): ApplyResult {
  const tables = r.plan.tables.filter((t) => ids.includes(t.id));
  const changed = tables.some((t) => t.action !== 'unchanged');
  const out: ApplyResult = { plan: { tables, changed }, written: r.written && changed, rolledBack: r.rolledBack };
  if (r.verify) {
    const checks = r.verify.tables.filter((t) => ids.includes(t.id));
    out.verify = { inSync: checks.every((t) => t.inSync), tables: checks };
  }
  if (r.failure) out.failure = r.failure;
  return out;
}

export class ApplyBatcher {
  private readonly waiting: Pending[] = [];
  private pumping = false;
  /** Transactions attempted (merged or single). */
  batches = 0;
  /** nft's start check, made once and kept while it holds (a failed one is made again next time). */
  private checked?: Promise<NftInfo>;

  constructor(private readonly target: KernelTarget & { host?: string; lockTimeoutMs?: number }, private readonly serial: Serial, private readonly max = 64) {}

  apply(intent: Intent): Promise<ApplyResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ intent, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length) {
        const batch = this.waiting.splice(0, this.max);
        await this.serial.run(() => this.run(batch));
      }
    } finally {
      this.pumping = false;
    }
  }

  private nftCheck(): Promise<NftInfo> {
    if (!this.checked) {
      const c = startNftCheck({ netns: this.target.netns });
      c.catch(() => {
        if (this.checked === c) this.checked = undefined;
      });
      this.checked = c;
    }
    return this.checked;
  }

  private one(intent: Intent): Promise<ApplyResult> {
    this.batches++;
    const t = this.target;
    return apply(intent, { netns: t.netns, owner: t.owner, host: t.host, lockTimeoutMs: t.lockTimeoutMs, nftChecked: this.nftCheck() });
  }

  private async run(batch: Pending[]): Promise<void> {
    const ids = batch.map((p) => p.intent.ruleset.tables.map(tableId));
    const all = ids.flat();
    if (batch.length > 1 && new Set(all).size === all.length) {
      let merged: ApplyResult | undefined;
      try {
        merged = await this.one(mergeIntents(batch.map((p) => p.intent)));
      } catch {
        merged = undefined;
      }
      if (merged && !merged.failure) {
        batch.forEach((p, i) => p.resolve(resultFor(merged, ids[i]!)));
        return;
      }
    }
    for (const p of batch) {
      try {
        p.resolve(await this.one(p.intent));
      } catch (e) {
        p.reject(e);
      }
    }
  }
}
