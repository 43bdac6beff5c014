// The applier's nft transactions, each ONE `nft -j -f` batch (every table or none):
// - write: each table to create or replace, as renderTable renders it (add + delete + add the
//   table, its chains, its rules; serialised once, form.ts), then its ownership marker; each
//   table to prune, deleted;
// - restore: the tables a write touched, put back as they were listed before it (handles
//   dropped, counter values kept), or deleted when they did not exist.
// When nft refuses a batch, the failing command is found without reading nft's English: check
// mode (`nft -c -j -f`, nothing applied) on prefixes of the batch, bisected; the shortest failing
// prefix ends with the culprit, which maps back to its table, chain or rule origin.

import type { Origin } from '../../model/origin.js';
import { tableId, type Table } from '../../model/ruleset.js';
import { markerCommands } from './owner.js';
import type { Rendered } from './form.js';
import { runTexts, type NftRun } from './nft-run.js';
import { splitId } from './state.js';
import type { KernelTable, OwnerMark } from './types.js';

export interface Batch {
  commands: object[];
  /** Each command as JSON text (same index): the batch is serialised once. */
  texts: string[];
  /** Where each command comes from (same index). */
  origins: Origin[];
}

function push(batch: Batch, command: object, origin: Origin, text = JSON.stringify(command)): void {
  batch.commands.push(command);
  batch.texts.push(text);
  batch.origins.push(origin);
}

type Json = Record<string, unknown>;

/** Origins of rendered commands, read from the commands themselves (not from their count). */
function originOf(t: Table, cmd: Json, ruleCount: Map<string, number>): Origin {
  const add = cmd.add as Json | undefined;
  const id = tableId(t);
  const chainOrigin = (name: string): Origin => t.chains.find((c) => c.name === name)?.origin ?? { ...t.origin, table: id, chain: name };
  if (add?.chain) return chainOrigin((add.chain as Json).name as string);
  if (add?.rule) {
    const chain = (add.rule as Json).chain as string;
    const i = ruleCount.get(chain) ?? 0;
    ruleCount.set(chain, i + 1);
    const rule = t.chains.find((c) => c.name === chain)?.rules[i];
    return rule?.origin ?? chainOrigin(chain);
  }
  return { ...t.origin, table: id };
}

/** Each table of `write` as rendered (form.ts) and then its marker; each table of `remove` deleted. */
export function writeBatch(write: { table: Table; rendered: Rendered; mark: OwnerMark }[], remove: string[]): Batch {
  const batch: Batch = { commands: [], texts: [], origins: [] };
  for (const { table, rendered, mark } of write) {
    const counts = new Map<string, number>();
    rendered.commands.forEach((c, i) => push(batch, c, originOf(table, c as Json, counts), rendered.texts[i]));
    for (const c of markerCommands(table, mark)) push(batch, c, originOf(table, c as Json, counts));
  }
  for (const id of remove) {
    const t = splitId(id);
    push(batch, { add: { table: t } }, { table: id });
    push(batch, { delete: { table: t } }, { table: id });
  }
  return batch;
}

function withoutHandles(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) if (k !== 'handle') out[k] = v;
  return out;
}

const KIND_ORDER = (o: object): number => ('table' in o ? 0 : 'chain' in o ? 2 : 'rule' in o ? 3 : 1);

/** Puts `ids` back as `before` holds them (absent there: deleted). */
export function restoreBatch(ids: readonly string[], before: ReadonlyMap<string, KernelTable>): Batch {
  const batch: Batch = { commands: [], texts: [], origins: [] };
  for (const id of ids) {
    const t = splitId(id);
    push(batch, { add: { table: t } }, { table: id });
    push(batch, { delete: { table: t } }, { table: id });
    const prev = before.get(id);
    if (!prev) continue;
    const objs = [...prev.raw].sort((a, b) => KIND_ORDER(a) - KIND_ORDER(b)); // stable: rule order kept
    for (const o of objs) {
      const [[kind, body]] = Object.entries(o) as [[string, Json]];
      push(batch, { add: { [kind]: withoutHandles(body) } }, { table: id });
    }
  }
  return batch;
}

/** The index of the first command nft refuses, by check-mode runs of bisected prefixes. */
export async function findRejected(batch: Batch, opts: NftRun): Promise<number | undefined> {
  const ok = async (n: number) => (await runTexts(batch.texts.slice(0, n), { ...opts, check: true })).code === 0;
  let lo = 0; // a prefix of lo commands passes (the empty batch does)
  let hi = batch.commands.length; // a prefix of hi commands fails, if any does
  if (await ok(hi)) return undefined;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await ok(mid)) lo = mid;
    else hi = mid;
  }
  return hi - 1;
}
