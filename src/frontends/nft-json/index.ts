// The nftables JSON front end: `nft -j list ruleset` (or `list table …`) output → Ruleset IR.
// One pass reads tables, chains, rules and named objects in any order; a second pass assembles
// them and resolves chain references, since nft may list a thing before what it refers to.
// Every schema error and every unsupported construct is collected, then thrown as one
// NftlensError; warnings (other families, unused named objects, ignored options) are returned.

import { NftlensError, type Code, type Diagnostic } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import {
  FAMILIES, HOOKS, tableId, type BaseChain, type Chain, type Expr, type Family, type Match, type Rule,
  type Ruleset, type Table, type Verdict,
} from '../../model/ruleset.js';
import { FIELDS } from '../../model/values.js';
import { jsonErrorOffset } from './json-position.js';
import { readMatch, type Scope } from './match.js';
import { describe, Fields, isObject, Reader, soleKey, type Json, type JsonObject } from './reader.js';
import { readStatement } from './statement.js';

export interface ImportResult {
  ruleset: Ruleset;
  diagnostics: Diagnostic[];
}

/** Named objects (sets, maps, stateful objects) nft lists at the top level of a table. */
const NAMED_OBJECTS: Record<string, string> = {
  set: 'named set', map: 'named map', counter: 'named counter', quota: 'named quota', limit: 'named limit',
  'ct helper': 'named ct helper', 'ct timeout': 'named ct timeout', 'ct expectation': 'named ct expectation',
  secmark: 'named secmark', synproxy: 'named synproxy', flowtable: 'flowtable', tunnel: 'named tunnel',
};
const COMMANDS = ['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'list', 'reset', 'flush', 'rename'];
const PRIORITY_NAMES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };

interface NamedObject {
  kind: string;
  used: boolean;
  origin: Origin;
}

interface PendingRule {
  table: string;
  chain: string;
  body: JsonObject;
  origin: Origin;
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
      objects.get(tid)!.set(name, { kind: NAMED_OBJECTS[key]!, used: false, origin: { file, table: tid, field: bo.field } });
    } else {
      r.schema(`unknown object "${key}"`, o);
    }
  });

  // Assemble: chains into tables, rules into chains, in document order.
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
    };
    const rule = readRule(scope, p, family, chain?.rules.length ?? 0);
    if (!chain) {
      const what = tables.has(p.table) ? `chain ${p.chain}, which is not listed` : `table ${p.table}, which is not listed`;
      r.report('NFT_REFERENCE', 'error', `rule belongs to ${what}`, rule?.origin ?? p.origin);
    } else if (rule) chain.rules.push(rule);
  }

  // References: jump/goto targets must be chains of the same table.
  for (const t of tables.values()) {
    const names = chainIndex.get(tableId(t));
    for (const c of t.chains) {
      for (const rule of c.rules) {
        const v = rule.verdict;
        if (v && (v.kind === 'jump' || v.kind === 'goto') && !names?.has(v.target)) {
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

  const errors = r.errors;
  if (errors.length) {
    const rank: Partial<Record<Code, number>> = { NFT_SCHEMA: 0, NFT_REFERENCE: 1, NFT_UNSUPPORTED: 2 };
    const sorted = [...errors].sort((a, b) => (rank[a.code] ?? 0) - (rank[b.code] ?? 0));
    throw new NftlensError([...sorted, ...r.diagnostics.filter((d) => d.severity !== 'error')]);
  }
  return { ruleset: { tables: [...tables.values()] }, diagnostics: r.diagnostics };
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

function readRule(s: Scope, p: PendingRule, family: Family, position: number): Rule | undefined {
  const f = new Fields(s.r, p.body, p.origin);
  const handle = f.integer('handle', false);
  const comment = f.string('comment', false);
  const origin: Origin = { ...p.origin, rule: handle !== undefined ? `handle ${handle}` : `#${position + 1}` };
  const list = f.raw('expr');
  if (!Array.isArray(list)) {
    s.r.schema(`"expr" must be an array, got ${describe(list)}`, { ...origin, field: `${p.origin.field}.expr` });
    return undefined;
  }
  const exprs: Expr[] = [];
  let verdict: Verdict | undefined;
  let ok = true;
  list.forEach((e: Json, j) => {
    const o: Origin = { ...origin, field: `${p.origin.field}.expr[${j}]` };
    if (verdict) {
      ok = false;
      s.r.schema('a verdict must be the last expression of a rule', o);
      return;
    }
    if (typeof e === 'string') {
      ok = false;
      const binding = /^(jump|goto)\s*\{/.test(e.trim());
      s.r.unsupported(binding ? 'chain binding (bare string in JSON)' : 'statement printed as text', o, 'error', e.split('\n')[0]!.trim());
      return;
    }
    const key = soleKey(e);
    if (key === undefined || !isObject(e)) {
      ok = false;
      s.r.schema(`an expression is an object with one key, got ${describe(e)}`, o);
      return;
    }
    if (key === 'match') {
      const ms = readMatch(s, e.match!, o);
      if (ms) exprs.push(...ms);
      else ok = false;
      return;
    }
    const read = readStatement(s, key, e[key]!, o);
    if (!read) ok = false;
    else if ('verdict' in read) verdict = read.verdict;
    else exprs.push(read.stmt);
  });
  if (!ok) return undefined;
  addHiddenDependencies(exprs, verdict, family);
  const rule: Rule = { exprs, origin };
  if (verdict) rule.verdict = verdict;
  if (handle !== undefined) rule.handle = handle;
  if (comment !== undefined) rule.comment = comment;
  return rule;
}

/**
 * nft adds a dependency match for some verdicts and hides it when listing: `reject with tcp reset`
 * only applies to TCP (`meta l4proto tcp`, first in the rule), and in an inet table `reject with
 * icmp|icmpv6` only to its family (`meta nfproto`). The IR states them, so the rule means what the
 * kernel runs. Nothing is added when the rule already has the match.
 */
function addHiddenDependencies(exprs: Expr[], verdict: Verdict | undefined, family: Family): void {
  if (verdict?.kind !== 'reject' || !verdict.with) return;
  const has = (pred: (m: Match) => boolean): boolean => exprs.some((e) => e.kind === 'match' && e.op === '==' && pred(e));
  const origin = verdict.origin;
  if (verdict.with.type === 'tcp reset') {
    const tcp = has((m) => ((m.field === 'meta l4proto' || m.field === 'ip protocol') && m.value === 6) || m.field === 'tcp flags');
    if (!tcp) exprs.unshift({ kind: 'match', field: 'meta l4proto', op: '==', value: 6, origin });
  } else if (family === 'inet' && (verdict.with.type === 'icmp' || verdict.with.type === 'icmpv6')) {
    const want = verdict.with.type === 'icmp' ? 'ipv4' : 'ipv6';
    const known = has((m) => (m.field === 'meta nfproto' && m.value === want) || FIELDS[m.field].nfproto === want);
    if (!known) exprs.unshift({ kind: 'match', field: 'meta nfproto', op: '==', value: want, origin });
  }
}
