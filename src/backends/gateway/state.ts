// What the kernel holds, for the applier: only tables nftlens owns are read in full, so foreign
// tables with constructs nftlens does not model (kube-proxy's, firewalld's…) never make it fail.
// `nft -j list tables` says which exist; the intent's tables are listed directly (in parallel),
// and with prune every other table's marker chain is read to find owned tables to delete. The
// raw listing of each owned table is kept, as it is the state a rollback restores.
// Listings are asked for in JSON (`{"list": {"table": …}}` through `nft -j -f`), never on nft's
// command line: nft parses its arguments as its command language, so a table named
// `x; flush ruleset` on the command line would be two commands. A listing a verified write has
// already seen holding the intent (owner.ts, `seen=`) is not imported again.

import { importNftJson } from '../../frontends/nft-json/index.js';
import { NftlensError } from '../../model/diagnostics.js';
import type { Family } from '../../model/ruleset.js';
import { listingFingerprint, OWNER_CHAIN, parseOwnerComment, stripMarker } from './owner.js';
import { runBatch, type NftRun } from './nft-run.js';
import type { KernelState, KernelTable, OwnerMark } from './types.js';

export interface ReadOptions extends NftRun {
  owner: string;
  adopt?: boolean;
  /** Also find owned tables that are not in `ids` (for prune). */
  all?: boolean;
  /**
   * The intent's digest of a table, asked once its listing has arrived: a listing whose mark
   * carries this digest and its own fingerprint as `seen` is not imported (seenAsIntent).
   */
  expect?: (id: string) => string | undefined;
}

interface Listed {
  family: Family;
  name: string;
}

const SPLIT = /^(\S+) (.*)$/s;

export function splitId(id: string): Listed {
  const m = SPLIT.exec(id)!;
  return { family: m[1] as Family, name: m[2]! };
}

function objects(stdout: string, what: string): Record<string, unknown>[] {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw NftlensError.of('NFT_ENV', `nft printed no JSON for ${what}`, { file: 'nft' });
  }
  const list = (doc as { nftables?: unknown }).nftables;
  return Array.isArray(list) ? (list as Record<string, unknown>[]) : [];
}

/** `family name` of every table in the kernel (namespace). */
export async function listTableIds(opts: NftRun): Promise<string[]> {
  const r = await runBatch([{ list: { tables: null } }], opts);
  if (r.code !== 0) throw NftlensError.of('NFT_COMMAND', r.stderr.trim() || `exit ${r.code}`, { file: 'nft list tables' });
  return objects(r.stdout, 'list tables')
    .map((o) => o.table as Listed | undefined)
    .filter((t): t is Listed => t !== undefined)
    .map((t) => `${t.family} ${t.name}`);
}

/** The mark carried by a listing: the one rule of the table's `nftlens-owner` chain. */
function markOf(list: Record<string, unknown>[]): OwnerMark | undefined {
  const rules = list
    .map((o) => o.rule as { chain?: string; comment?: string } | undefined)
    .filter((r) => r !== undefined && r.chain === OWNER_CHAIN);
  return rules.length === 1 ? parseOwnerComment(rules[0]!.comment) : undefined;
}

/** Lists one table; undefined when nft cannot list it (it vanished meanwhile). */
async function listTable(id: string, opts: NftRun): Promise<{ raw: Record<string, unknown>[]; mark?: OwnerMark } | undefined> {
  const r = await runBatch([{ list: { table: splitId(id) } }], opts);
  if (r.code !== 0) return undefined;
  const raw = objects(r.stdout, `table ${id}`).filter((o) => !('metainfo' in o));
  return { raw, mark: markOf(raw) };
}

/** The owner mark of a table, reading only its marker chain. */
async function readMarkOnly(id: string, opts: NftRun): Promise<OwnerMark | undefined> {
  const { family, name } = splitId(id);
  const r = await runBatch([{ list: { chain: { family, table: name, name: OWNER_CHAIN } } }], opts);
  return r.code === 0 ? markOf(objects(r.stdout, `chain ${OWNER_CHAIN} of ${id}`)) : undefined;
}

function imported(id: string, raw: Record<string, unknown>[], mark: OwnerMark | undefined, file: string, expect?: (id: string) => string | undefined): KernelTable {
  const fingerprint = listingFingerprint(raw);
  const digest = mark?.seen === fingerprint ? expect?.(id) : undefined;
  if (digest !== undefined && digest === mark?.digest) return { id, mark, raw, fingerprint, seenAsIntent: true };
  try {
    const { ruleset } = importNftJson({ nftables: raw }, file);
    const t = ruleset.tables[0];
    return { id, table: t ? stripMarker(t) : undefined, mark, raw, fingerprint };
  } catch (e) {
    if (!(e instanceof NftlensError)) throw e;
    return { id, mark, raw, fingerprint, unsupported: e.diagnostics.filter((d) => d.severity === 'error') };
  }
}

/**
 * The kernel's state for the intent's tables `ids` (and, with `all`, every other table carrying
 * this owner's mark). Tables of `ids` that exist but are not ours are `foreign` unless adopt.
 */
export async function readOwned(ids: readonly string[], opts: ReadOptions): Promise<KernelState> {
  const wanted = new Set(ids);
  const [existing, ...listed] = await Promise.all([listTableIds(opts), ...ids.map((id) => listTable(id, opts))]);
  const present = new Set(existing);
  const state: KernelState = { owned: new Map(), foreign: [] };
  const file = `nft -j list table${opts.netns ? ` (netns ${opts.netns})` : ''}`;
  ids.forEach((id, i) => {
    const l = listed[i];
    if (!present.has(id) || !l) return;
    const ours = l.mark?.owner === opts.owner;
    if (ours || opts.adopt) state.owned.set(id, imported(id, l.raw, l.mark, file, ours ? opts.expect : undefined));
    else state.foreign.push(id);
  });
  if (opts.all) {
    const others = existing.filter((id) => !wanted.has(id));
    const marks = await Promise.all(others.map((id) => readMarkOnly(id, opts)));
    const mine = others.filter((_, i) => marks[i]?.owner === opts.owner);
    const full = await Promise.all(mine.map((id) => listTable(id, opts)));
    mine.forEach((id, i) => {
      const l = full[i];
      if (l?.mark?.owner === opts.owner) state.owned.set(id, { id, mark: l.mark, raw: l.raw, fingerprint: listingFingerprint(l.raw) });
    });
  }
  return state;
}
