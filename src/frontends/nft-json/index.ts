// The nftables JSON front end: `nft -j list ruleset` (or `list table …`) output → Ruleset IR.
// One pass reads tables, chains, rules and named objects in any order (listing.ts); a second pass
// assembles them and resolves chain references, since nft may list a thing before what it refers
// to. Every schema error and every unsupported construct is collected, then thrown as one
// NftlensError; warnings (other families, unused named objects, ignored options) are returned.

import { NftlensError, type Code, type Diagnostic } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import { tableId, type Chain, type Family, type NamedMap, type NamedSet, type Ruleset } from '../../model/ruleset.js';
import { jsonErrorOffset } from './json-position.js';
import { readListing, type Listing, type NamedObject } from './listing.js';
import { isObject, Reader, type Scope } from './reader.js';
import { readRule } from './rule.js';
import { readNamedSet } from './sets.js';
import { readNamedMap } from './maps.js';
import { mapValueReader } from './statement.js';
import { updatedSets } from './state.js';

export interface ImportResult {
  ruleset: Ruleset;
  diagnostics: Diagnostic[];
}

export function importNftJson(input: string | unknown, file: string): ImportResult {
  const r = new Reader(file);
  const doc = typeof input === 'string' ? parseJson(input, file) : input;
  const list = isObject(doc) ? doc.nftables : undefined;
  if (!Array.isArray(list)) {
    throw NftlensError.of('NFT_SCHEMA', 'expected an object {"nftables": [...]} as printed by `nft -j list ruleset`', {
      file, field: 'nftables',
    });
  }
  const listing = readListing(r, list);
  assemble(r, listing);
  checkReferences(r, listing);

  const errors = r.errors;
  if (errors.length) {
    const rank: Partial<Record<Code, number>> = { NFT_SCHEMA: 0, NFT_REFERENCE: 1, NFT_UNSUPPORTED: 2 };
    const sorted = [...errors].sort((a, b) => (rank[a.code] ?? 0) - (rank[b.code] ?? 0));
    throw new NftlensError([...sorted, ...r.diagnostics.filter((d) => d.severity !== 'error')]);
  }
  return { ruleset: { tables: [...listing.tables.values()] }, diagnostics: r.diagnostics };
}

/** Chains into their tables, rules into their chains, in document order. */
function assemble(r: Reader, { tables, chains, rules, objects }: Listing): void {
  const chainIndex = new Map<string, Map<string, Chain>>();
  for (const { table, chain } of chains) {
    const t = tables.get(table);
    if (!t) {
      r.report('NFT_REFERENCE', 'error', `chain ${chain.name} belongs to table ${table}, which is not listed`, chain.origin);
      continue;
    }
    if (!chainIndex.has(table)) chainIndex.set(table, new Map());
    const idx = chainIndex.get(table)!;
    if (idx.has(chain.name)) {
      r.schema(`chain ${chain.name} is listed twice in table ${table}`, chain.origin);
      continue;
    }
    idx.set(chain.name, chain);
    t.chains.push(chain);
  }
  // Named sets and maps, read on first use: per table, by name (null: refused, reported at the object).
  const sets = new Map<string, Map<string, NamedSet | null>>();
  const updated = updatedSets(rules);
  const maps = new Map<string, Map<string, NamedMap | null>>();
  /** The table's object of that name and kind, read the first time a rule names it, and marked used. */
  const readOnce = <T>(table: string, name: string, kind: string, cache: Map<string, Map<string, T | null>>, read: (obj: NamedObject) => T | undefined): T | 'refused' | undefined => {
    const obj = objects.get(table)?.get(name);
    if (!obj || obj.kind !== kind) return undefined;
    obj.used = true;
    if (!cache.has(table)) cache.set(table, new Map());
    const known = cache.get(table)!;
    if (!known.has(name)) known.set(name, read(obj) ?? null);
    return known.get(name) ?? 'refused';
  };
  for (const p of rules) {
    const chain = chainIndex.get(p.table)?.get(p.chain);
    const family = p.table.split(' ')[0] as Family;
    const scope: Scope = {
      r,
      useObject: (name) => {
        const obj = objects.get(p.table)?.get(name);
        if (!obj) return 'named set, not listed in this document';
        obj.used = true;
        return obj.kind;
      },
      namedSet: (name) => readOnce(p.table, name, 'named set', sets, (obj) => readNamedSet(r, obj.body, obj.origin, updated.get(p.table)?.has(name))),
      namedMap: (name) => readOnce(p.table, name, 'named map', maps, (obj) => readNamedMap(r, obj.body, obj.origin, mapValueReader)),
    };
    const rule = readRule(scope, p, family, chain?.rules.length ?? 0);
    if (!chain) {
      const what = tables.has(p.table) ? `chain ${p.chain}, which is not listed` : `table ${p.table}, which is not listed`;
      r.report('NFT_REFERENCE', 'error', `rule belongs to ${what}`, rule?.origin ?? p.origin);
    } else if (rule) chain.rules.push(rule);
  }
  // The sets and maps rules use, in listing order, go into their tables.
  for (const [tid, objs] of objects) {
    const t = tables.get(tid);
    if (!t) continue;
    const usedSets = [...objs.keys()].map((n) => sets.get(tid)?.get(n)).filter((x): x is NamedSet => !!x);
    const usedMaps = [...objs.keys()].map((n) => maps.get(tid)?.get(n)).filter((x): x is NamedMap => !!x);
    if (usedSets.length) t.sets = usedSets;
    if (usedMaps.length) t.maps = usedMaps;
  }
}

/** Jump/goto targets must be chains of the same table; other families and unused objects warn. */
function checkReferences(r: Reader, { tables, objects }: Listing): void {
  for (const t of tables.values()) {
    const names = new Set(t.chains.map((c) => c.name));
    for (const c of t.chains) {
      for (const rule of c.rules) {
        const v = rule.verdict;
        if (v && (v.kind === 'jump' || v.kind === 'goto') && !names.has(v.target)) {
          r.report('NFT_REFERENCE', 'error', `${v.kind} to chain ${v.target}, which does not exist in table ${tableId(t)}`, v.origin);
        }
      }
    }
    if (t.family === 'arp' || t.family === 'bridge' || t.family === 'netdev') {
      r.report('NFT_UNSUPPORTED', 'warning', `table ${tableId(t)}: family ${t.family} is imported but not evaluated by the engine`, t.origin);
    }
  }
  for (const objs of objects.values()) {
    for (const [name, obj] of objs) {
      if (!obj.used) {
        r.report('NFT_UNSUPPORTED', 'warning', `${obj.kind} "${name}" is not used by any rule (imported as a warning: it does not change verdicts)`, obj.origin);
      }
    }
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const origin: Origin = { file };
    const at = jsonErrorOffset(text);
    if (at !== undefined) {
      const before = text.slice(0, at);
      origin.line = before.split('\n').length;
      origin.column = before.length - before.lastIndexOf('\n');
    }
    throw NftlensError.of('INPUT_PARSE', `not valid JSON: ${msg}`, origin);
  }
}

