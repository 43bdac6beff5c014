// First pass over an nft JSON listing: tables, chains, rules (kept raw until every chain is known)
// and named objects, in whatever order nft lists them. Commands (`add`, `delete`…) are refused:
// nftlens reads what `nft -j list` prints, not scripts.

import type { Origin } from '../../model/origin.js';
import { FAMILIES, HOOKS, tableId, type BaseChain, type Chain, type Table } from '../../model/ruleset.js';
import { describe, Fields, isObject, soleKey, type Json, type JsonObject, type Reader } from './reader.js';

/** Named objects (sets, maps, stateful objects) nft lists at the top level of a table. */
const NAMED_OBJECTS: Record<string, string> = {
  set: 'named set', map: 'named map', counter: 'named counter', quota: 'named quota', limit: 'named limit',
  'ct helper': 'named ct helper', 'ct timeout': 'named ct timeout', 'ct expectation': 'named ct expectation',
  secmark: 'named secmark', synproxy: 'named synproxy', flowtable: 'flowtable', tunnel: 'named tunnel',
};
const COMMANDS = ['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'list', 'reset', 'flush', 'rename'];
const PRIORITY_NAMES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };

export interface NamedObject {
  kind: string;
  used: boolean;
  origin: Origin;
  /** The object as listed (sets are read from it on first use). */
  body: JsonObject;
}

export interface PendingRule {
  /** `family name` of its table. */
  table: string;
  chain: string;
  body: JsonObject;
  origin: Origin;
}

export interface Listing {
  tables: Map<string, Table>;
  chains: { table: string; chain: Chain }[];
  rules: PendingRule[];
  /** Per table (`family name`), its named objects by name. */
  objects: Map<string, Map<string, NamedObject>>;
}

export function readListing(r: Reader, list: Json[]): Listing {
  const file = r.file;
  const tables = new Map<string, Table>();
  const chains: { table: string; chain: Chain }[] = [];
  const rules: PendingRule[] = [];
  const objects = new Map<string, Map<string, NamedObject>>();

  list.forEach((item, i) => {
    const key = soleKey(item);
    const o: Origin = { file, field: `nftables[${i}]` };
    if (key === undefined || !isObject(item)) {
      r.schema(`each element of "nftables" is an object with one key, got ${describe(item)}`, o);
      return;
    }
    const body = item[key]!;
    const bo: Origin = { file, field: `nftables[${i}].${key}` };
    if (key === 'metainfo') return;
    if (COMMANDS.includes(key)) {
      r.unsupported(`nft command "${key}"`, o, 'error', 'nftlens imports listings (`nft -j list ruleset`), not scripts');
      return;
    }
    if (!isObject(body)) {
      r.schema(`"${key}" must be an object, got ${describe(body)}`, bo);
      return;
    }
    const f = new Fields(r, body, bo);
    if (key === 'table') {
      const t = readTable(r, f);
      if (!t) return;
      if (tables.has(tableId(t))) r.schema(`table ${tableId(t)} is listed twice`, t.origin);
      else tables.set(tableId(t), t);
    } else if (key === 'chain') {
      const c = readChain(r, f);
      if (c) chains.push(c);
    } else if (key === 'rule') {
      const family = f.oneOf('family', FAMILIES);
      const table = f.string('table');
      const chain = f.string('chain');
      if (family && table !== undefined && chain !== undefined) {
        rules.push({ table: `${family} ${table}`, chain, body, origin: { file, table: `${family} ${table}`, chain, field: bo.field } });
      }
    } else if (key in NAMED_OBJECTS) {
      const family = f.oneOf('family', FAMILIES);
      const table = f.string('table');
      const name = f.string('name');
      if (!family || table === undefined || name === undefined) return;
      const tid = `${family} ${table}`;
      if (!objects.has(tid)) objects.set(tid, new Map());
      objects.get(tid)!.set(name, { kind: NAMED_OBJECTS[key]!, used: false, origin: { file, table: tid, field: bo.field }, body });
    } else {
      r.schema(`unknown object "${key}"`, o);
    }
  });

  return { tables, chains, rules, objects };
}

function readTable(r: Reader, f: Fields): Table | undefined {
  const family = f.oneOf('family', FAMILIES);
  const name = f.string('name');
  const handle = f.integer('handle', false);
  const comment = f.string('comment', false);
  if (!family || name === undefined) return undefined;
  const t: Table = { family, name, chains: [], origin: { file: r.file, table: `${family} ${name}`, field: f.origin.field } };
  if (handle !== undefined) t.handle = handle;
  if (comment !== undefined) t.comment = comment;
  const flags = f.raw('flags');
  const list = Array.isArray(flags) ? flags : flags === undefined ? [] : [flags];
  if (list.includes('dormant')) r.unsupported('dormant table', t.origin);
  return t;
}

function readChain(r: Reader, f: Fields): { table: string; chain: Chain } | undefined {
  const family = f.oneOf('family', FAMILIES);
  const table = f.string('table');
  const name = f.string('name');
  const handle = f.integer('handle', false);
  const comment = f.string('comment', false);
  if (!family || table === undefined || name === undefined) return undefined;
  const tid = `${family} ${table}`;
  const chain: Chain = { name, rules: [], origin: { file: r.file, table: tid, chain: name, field: f.origin.field } };
  if (handle !== undefined) chain.handle = handle;
  if (comment !== undefined) chain.comment = comment;
  if (f.has('type') || f.has('hook')) {
    const type = f.oneOf('type', ['filter', 'nat', 'route'] as const);
    const hook = f.oneOf('hook', HOOKS);
    const prioRaw = f.raw('prio');
    let priority: number | undefined;
    if (typeof prioRaw === 'number' && Number.isSafeInteger(prioRaw)) priority = prioRaw;
    else if (typeof prioRaw === 'string' && prioRaw in PRIORITY_NAMES && family !== 'bridge') priority = PRIORITY_NAMES[prioRaw];
    else r.schema(`"prio" must be an integer, got ${describe(prioRaw)}`, f.at('prio'));
    const policy = f.has('policy') ? f.oneOf('policy', ['accept', 'drop'] as const) : 'accept';
    if (!type || !hook || priority === undefined || !policy) return undefined;
    const base: BaseChain = { type, hook, priority, policy };
    const dev = f.raw('dev');
    if (typeof dev === 'string') base.device = dev;
    else if (Array.isArray(dev) && dev.length > 0 && dev.every((d) => typeof d === 'string')) {
      base.device = dev[0] as string;
      if (dev.length > 1) r.unsupported('chain with several devices', chain.origin, 'warning', `only ${dev[0]} is kept`);
    } else if (dev !== undefined) r.schema('"dev" must be a device name or a list of them', f.at('dev'));
    else if (family === 'netdev' && (hook === 'ingress' || hook === 'egress')) {
      r.report('NFT_SCHEMA', 'warning', `${hook} chain without "dev" (nft 1.0.6 omits it from JSON)`, chain.origin);
    }
    chain.base = base;
  }
  return { table: tid, chain };
}

