// What the kernel holds, for the applier: only tables nftlens owns are read in full, so foreign
// tables with constructs nftlens does not model (kube-proxy's, firewalld's…) never make it fail.
// The intent's tables are listed directly (in parallel; one that does not exist fails its
// listing); only with prune does `nft -j list tables` (which costs nft a walk of the whole
// ruleset) say which other tables exist, whose marker chains are then read to find owned tables
// to delete. The raw listing of each owned table is kept, as it is the state a rollback restores.
// Listings are asked for in JSON (`{"list": {"table": …}}` through `nft -j -f`), never on nft's
// command line: nft parses its arguments as its command language, so a table named
// `x; flush ruleset` on the command line would be two commands. A listing whose form (form.ts) is
// the rendered intent's, or the one a verified write found holding it (owner.ts, `seen=`), is not
// imported; nor is one whose print (print.ts) is the `seen=` a verified write recorded, which is
// then not even parsed.

import { importNftJson } from '../../frontends/nft-json/index.js';
import { NftlensError } from '../../model/diagnostics.js';
import type { Family } from '../../model/ruleset.js';
import { listingForm, type TableForm } from './form.js';
import { OWNER_CHAIN, parseOwnerComment, stripMarker } from './owner.js';
import { listingPrint } from './print.js';
import { runBatch, type NftRun, type WhileRunning } from './nft-run.js';
import type { KernelState, KernelTable, OwnerMark } from './types.js';

export interface ReadOptions extends NftRun {
  owner: string;
  adopt?: boolean;
  /** Also find owned tables that are not in `ids` (for prune). */
  all?: boolean;
  /** Only the listings (raw, mark): nothing is imported (for counters). */
  listOnly?: boolean;
  /** Called once nft lists the intent's tables: work that overlaps nft's (rendering the intent). */
  whileListing?: WhileRunning;
  /**
   * The intent's rendered form of a table, asked once its listing has arrived: a listing of that
   * form, or whose mark carries its fingerprint as digest and the listing's own as `seen`, is not
   * imported (holdsIntent).
   */
  expect?: (id: string) => TableForm | undefined;
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

function parsed(text: string, what: string): Record<string, unknown>[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
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
  return parsed(r.stdout, 'list tables')
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

/** A table's listing: its objects and their form (computed when first asked), its mark and, listed alone, its print. */
interface Listing {
  readonly raw: Record<string, unknown>[];
  readonly form: TableForm;
  mark?: OwnerMark;
  print?: string;
}

function listingFrom(objects: () => Record<string, unknown>[], mark: OwnerMark | undefined, print?: string): Listing {
  let raw: Record<string, unknown>[] | undefined;
  let form: TableForm | undefined;
  return {
    get raw() {
      return (raw ??= objects());
    },
    get form() {
      return (form ??= listingForm(this.raw));
    },
    mark, print,
  };
}

/** One table listed alone: its print and mark come from the text; the objects are parsed on demand. */
function listingOf(text: string, id: string): Listing {
  const { print, markComment } = listingPrint(text);
  return listingFrom(() => parsed(text, `table ${id}`).filter((o) => !('metainfo' in o)), parseOwnerComment(markComment), print);
}

/** Lists one table; undefined when nft cannot list it (it does not exist, or vanished meanwhile). */
async function listTable(id: string, opts: NftRun, whileRunning?: WhileRunning): Promise<Listing | undefined> {
  const r = await runBatch([{ list: { table: splitId(id) } }], { ...opts, whileRunning });
  return r.code === 0 ? listingOf(r.stdout, id) : undefined;
}

/** From this many tables on, one listing of the whole ruleset is cheaper than a run per table. */
const RULESET_FROM = 4;

/**
 * Lists the tables. A few: each by its own nft run, all at once (one run of several list
 * commands would not do: nft 1.0.6 fills its cache for the first command only and then fails the
 * second with ENOENT). Many: the whole ruleset in one run, split by table — nft lists each table's
 * objects exactly as `list table` does, in the same order, and a process start per table (fork of
 * nft in the namespace) made a 50-table transaction spend seconds starting processes.
 */
async function listTables(ids: readonly string[], opts: NftRun, whileRunning?: WhileRunning): Promise<(Listing | undefined)[]> {
  if (ids.length === 0) whileRunning?.();
  if (ids.length < RULESET_FROM) return Promise.all(ids.map((id, i) => listTable(id, opts, i === 0 ? whileRunning : undefined)));
  const r = await runBatch([{ list: { ruleset: null } }], { ...opts, whileRunning });
  if (r.code !== 0) throw NftlensError.of('NFT_COMMAND', r.stderr.trim() || `exit ${r.code}`, { file: 'nft list ruleset' });
  const byTable = new Map<string, Record<string, unknown>[]>();
  for (const o of parsed(r.stdout, 'the ruleset')) {
    const [kind, body] = Object.entries(o)[0] ?? [];
    if (kind === undefined || kind === 'metainfo') continue;
    const b = body as { family?: string; table?: string; name?: string };
    const id = `${b.family} ${kind === 'table' ? b.name : b.table}`;
    const list = byTable.get(id);
    if (list) list.push(o);
    else byTable.set(id, [o]);
  }
  return ids.map((id) => {
    const raw = byTable.get(id);
    return raw ? listingFrom(() => raw, markOf(raw)) : undefined;
  });
}

/** The owner mark of a table, reading only its marker chain. */
async function readMarkOnly(id: string, opts: NftRun): Promise<OwnerMark | undefined> {
  const { family, name } = splitId(id);
  const r = await runBatch([{ list: { chain: { family, table: name, name: OWNER_CHAIN } } }], opts);
  return r.code === 0 ? markOf(parsed(r.stdout, `chain ${OWNER_CHAIN} of ${id}`)) : undefined;
}

/** A listed table, not imported: its objects and its form are computed only when asked. */
function listed(id: string, l: Listing): KernelTable {
  return {
    id, mark: l.mark, print: l.print,
    get raw() {
      return l.raw;
    },
    get fingerprint() {
      return l.form.fingerprint;
    },
  };
}

function imported(id: string, l: Listing, file: string, want?: TableForm): KernelTable {
  const k = listed(id, l);
  const ours = want !== undefined && k.mark?.digest === want.fingerprint;
  if (ours && k.mark!.seen !== undefined && k.mark!.seen === (k.print ?? k.fingerprint)) k.holdsIntent = 'seen';
  else if (want && l.form.text === want.text) k.holdsIntent = 'rendered';
  else {
    try {
      const t = importNftJson({ nftables: l.raw }, file).ruleset.tables[0];
      if (t) k.table = stripMarker(t);
    } catch (e) {
      if (!(e instanceof NftlensError)) throw e;
      k.unsupported = e.diagnostics.filter((d) => d.severity === 'error');
    }
  }
  return k;
}

/**
 * The kernel's state for the intent's tables `ids` (and, with `all`, every other table carrying
 * this owner's mark). Tables of `ids` that exist but are not ours are `foreign` unless adopt.
 */
export async function readOwned(ids: readonly string[], opts: ReadOptions): Promise<KernelState> {
  const wanted = new Set(ids);
  const [lists, existing] = await Promise.all([listTables(ids, opts, opts.whileListing), opts.all ? listTableIds(opts) : []]);
  const state: KernelState = { owned: new Map(), foreign: [] };
  const file = `nft -j list table${opts.netns ? ` (netns ${opts.netns})` : ''}`;
  ids.forEach((id, i) => {
    const l = lists[i];
    if (!l) return;
    const ours = l.mark?.owner === opts.owner;
    if (ours || opts.adopt) state.owned.set(id, opts.listOnly ? listed(id, l) : imported(id, l, file, ours ? opts.expect?.(id) : undefined));
    else state.foreign.push(id);
  });
  if (opts.all) {
    const others = existing.filter((id) => !wanted.has(id));
    const marks = await Promise.all(others.map((id) => readMarkOnly(id, opts)));
    const mine = others.filter((_, i) => marks[i]?.owner === opts.owner);
    const full = await Promise.all(mine.map((id) => listTable(id, opts)));
    mine.forEach((id, i) => {
      const l = full[i];
      if (l?.mark?.owner === opts.owner) state.owned.set(id, listed(id, l));
    });
  }
  return state;
}
