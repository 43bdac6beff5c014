// IR → nft JSON commands (`nft -j -f -`). Each table is replaced atomically within ONE batch:
// `add table` (so the delete cannot fail), `delete table`, `add table`, then all its chains, then
// its rules (jump targets exist by then), each rule carrying its comment so a kernel read-back
// maps to the source. Only JSON is produced: no input string is ever parsed by nft as a script.
// Values keep the IR's exact meaning: a prefix with host bits is sent as `(x & mask) == addr`
// (nft would mask it), set items that cover nothing are left out. Stateful expressions (numgen,
// limit, quota, ct count, dynamic-set lookups, set statements) are written as nft 1.0.6 lists them.

import { ALL_BITS, markOpSteps } from '../../model/mark-op.js';
import { NftlensError } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import type { Atom, Chain, ConcatMatch, CtCountSource, FibMatch, Item, LimitSource, MapLookup, Match, MatchField, NamedMap, NamedSet, NumberSource, QuotaSource, Rule, Ruleset, SetUpdateStmt, StateMatch, Statement, Table, Verdict, VmapVerdict } from '../../model/ruleset.js';
import { checkMatchValue, FIELDS, formatAddress, itemInterval, lookupKeyFields, NUMGEN_FIELD, parseAddress, PKTTYPE_NAMES, prefixMask, SET_TYPE_FIELD, valueItems } from '../../model/values.js';

type J = null | boolean | number | string | J[] | { [k: string]: J };
export interface NftJsonDocument {
  nftables: object[];
}

export function renderNftJson(ruleset: Ruleset): NftJsonDocument {
  const out: object[] = [{ metainfo: { json_schema_version: 1 } }];
  // One push a command: a spread of a table's commands overflows the stack at ~100k rules.
  for (const t of ruleset.tables) for (const cmd of renderTable(t)) out.push(cmd);
  return { nftables: out };
}

export function renderTable(t: Table): object[] {
  const id = { family: t.family, name: t.name };
  const table: Record<string, J> = { ...id };
  if (t.comment !== undefined) table.comment = t.comment;
  const cmds: object[] = [{ add: { table: id } }, { delete: { table: id } }, { add: { table } }];
  for (const set of t.sets ?? []) cmds.push({ add: { set: renderSet(t, set) } });
  for (const c of t.chains) cmds.push({ add: { chain: renderChain(t, c) } });
  // After the chains: a verdict map's elements jump to them.
  for (const map of t.maps ?? []) cmds.push({ add: { map: renderMap(t, map) } });
  for (const c of t.chains) {
    for (const r of c.rules) cmds.push({ add: { rule: renderRule(t, c, r) } });
  }
  return cmds;
}

function renderChain(t: Table, c: Chain): Record<string, J> {
  const chain: Record<string, J> = { family: t.family, table: t.name, name: c.name };
  if (c.base) {
    chain.type = c.base.type;
    chain.hook = c.base.hook;
    chain.prio = c.base.priority;
    chain.policy = c.base.policy;
    if (c.base.device !== undefined) chain.dev = c.base.device;
  }
  if (c.comment !== undefined) chain.comment = c.comment;
  return chain;
}

/**
 * A named set with its elements (items that cover nothing are left out, as in matches), and a
 * dynamic set's timeout, size and gc interval. nft 1.0.6's JSON takes no `dynamic` flag (nor lists
 * it): a set statement that names the set makes it dynamic.
 */
function renderSet(t: Table, set: NamedSet): Record<string, J> {
  const body: Record<string, J> = { family: t.family, table: t.name, name: set.name, type: set.type };
  const flags = set.flags.filter((f) => f !== 'dynamic');
  if (flags.length) body.flags = flags;
  if (set.timeout !== undefined) body.timeout = set.timeout;
  if (set.size !== undefined) body.size = set.size;
  if (set.gcInterval !== undefined) body['gc-interval'] = set.gcInterval;
  const field = SET_TYPE_FIELD[set.type];
  let elem = set.elements.map((i) => item(field, i)).filter((x): x is J => x !== undefined);
  if (set.concat) {
    const fields = set.concat.types.map((ty) => SET_TYPE_FIELD[ty]);
    body.type = [...set.concat.types];
    elem = set.concat.elements.map((el) => tuple(fields, el)).filter((x): x is J => x !== undefined);
  }
  if (elem.length) body.elem = elem;
  if (set.comment !== undefined) body.comment = set.comment;
  return body;
}

/** A named map: key type(s), data type, flags and elements (those whose key covers something). */
function renderMap(t: Table, m: NamedMap): Record<string, J> {
  const body: Record<string, J> = { family: t.family, table: t.name, name: m.name, type: m.key.length === 1 ? m.key[0]! : [...m.key], map: m.data };
  if (m.flags.length) body.flags = [...m.flags];
  const fields = m.key.map((ty) => SET_TYPE_FIELD[ty]);
  const elem = elements({ key: fields, elements: m.elements }, (v) => mapValue(m.data, v, m.origin));
  if (elem.length) body.elem = elem;
  if (m.comment !== undefined) body.comment = m.comment;
  return body;
}

function mapValue(data: NamedMap['data'], v: Verdict | number | Item, origin: Origin): J {
  if (data === 'verdict') return renderVerdict(v as Verdict);
  if (data === 'mark') return v as number;
  return natAddr(v as Item, origin).addr;
}

/** `[key, value]` pairs; an element whose key covers nothing is left out. */
function elements<V>(l: Pick<MapLookup<V>, 'key' | 'elements' | 'state'>, value: (v: V) => J): J[] {
  const out: J[] = [];
  const fields = lookupKeyFields(l);
  for (const el of l.elements) {
    const k = el.key.length === 0 ? '*' : fields.length === 1 ? item(fields[0]!, el.key[0]!) : tuple(fields, el.key);
    if (k !== undefined) out.push([k, value(el.value)]);
  }
  return out;
}

/** `{"key": …, "data": "@name" | {"set": [[k, v], …]}}` for vmap and map expressions. */
function lookupBody<V>(t: Partial<Pick<Table, 'maps'>>, l: MapLookup<V>, value: (v: V) => J, origin: Origin): { key: J; data: J } {
  const key = l.state ? numberExpr(l.state) : l.ifindex ? { meta: { key: l.key[0] === 'meta iifname' ? 'iif' : 'oif' } } : keyExpr(l.key);
  if (l.map !== undefined && t.maps?.some((m) => m.name === l.map)) return { key, data: `@${l.map}` };
  const set = elements(l, value);
  if (set.length === 0) throw invalid('an anonymous map with no element that covers something cannot be rendered', origin);
  return { key, data: { set } };
}

function renderVmap(t: Partial<Pick<Table, 'maps'>>, v: VmapVerdict): J {
  return { vmap: lookupBody(t, v.lookup, renderVerdict, v.origin) };
}

/** Whether a match is written as `@name`: it names a set of its table and has no mask. */
export function namesSet(t: Pick<Table, 'sets'>, m: Match): boolean {
  return m.set !== undefined && m.mask === undefined && !!t.sets?.some((s) => s.name === m.set);
}

function renderRule(t: Table, c: Chain, r: Rule): Record<string, J> {
  const expr: J[] = [];
  for (const e of r.exprs) {
    if (e.kind === 'concat') expr.push(renderConcat(t, e));
    else if (e.kind === 'fib') expr.push(renderFib(e));
    else if (e.kind === 'ct helper') expr.push({ match: { op: e.op, left: { ct: { key: 'helper' } }, right: e.name } });
    else if (e.kind === 'state') expr.push(renderState(t, e));
    else if (e.kind !== 'match') expr.push(renderStatement(e, t));
    else if (e.field === 'meta nfproto' && (t.family === 'ip' || t.family === 'ip6')) expr.push(...nfprotoInFamilyTable(e, t.family));
    else if (namesSet(t, e)) {
      const problem = checkMatchValue(e);
      if (problem) throw invalid(problem, e.origin);
      expr.push({ match: { op: e.op, left: fieldExpr(e.field), right: `@${e.set!}` } });
    } else expr.push(renderMatch(e));
  }
  if (r.verdict) expr.push(r.verdict.kind === 'vmap' ? renderVmap(t, r.verdict) : renderVerdict(r.verdict));
  // nft does not take an empty rule; `continue` is what an empty rule does.
  if (expr.length === 0) expr.push({ continue: null });
  const rule: Record<string, J> = { family: t.family, table: t.name, chain: c.name, expr };
  if (r.comment !== undefined) rule.comment = r.comment;
  return rule;
}

// ─── matches ─────────────────────────────────────────────────────────────────────────────────────

export function fieldExpr(field: MatchField): J {
  switch (field) {
    case 'ip saddr':
    case 'ip daddr':
    case 'ip6 saddr':
    case 'ip6 daddr':
    case 'ip protocol':
    case 'th sport':
    case 'th dport':
    case 'tcp flags': {
      const [protocol, name] = field.split(' ') as [string, string];
      return { payload: { protocol, field: name } };
    }
    case 'meta l4proto':
    case 'meta nfproto':
    case 'meta iifname':
    case 'meta oifname':
    case 'meta mark':
    case 'meta pkttype':
      return { meta: { key: field.slice(5) } };
    case 'ct state':
    case 'ct mark':
    case 'ct status':
      return { ct: { key: field.slice(3) } };
  }
}

/** One field, or a concatenation of fields (`ip saddr . th dport`). */
function keyExpr(fields: MatchField[]): J {
  return fields.length === 1 ? fieldExpr(fields[0]!) : { concat: fields.map(fieldExpr) };
}

function invalid(message: string, origin: Origin): NftlensError {
  return NftlensError.of('MODEL_INVALID', message, origin);
}

function atom(field: MatchField, a: Atom): J {
  if (FIELDS[field].kind === 'nfproto') return a === 2 ? 'ipv4' : a === 10 ? 'ipv6' : a;
  if (field === 'meta pkttype' && typeof a === 'number') return PKTTYPE_NAMES[a] ?? a;
  return a;
}

/** A set item, or undefined when it covers nothing (a prefix with host bits, a reversed range). */
function item(field: MatchField, i: Item): J | undefined {
  if (typeof i !== 'object') return atom(field, i);
  if (itemInterval(field, i) === null) return undefined;
  if ('prefix' in i) return { prefix: { addr: i.prefix, len: i.len } };
  return { range: [atom(field, i.range[0]), atom(field, i.range[1])] };
}

/** An element of a concatenation, or undefined when one of its items covers nothing. */
function tuple(fields: MatchField[], el: Item[]): J | undefined {
  const parts = el.map((it, i) => item(fields[i]!, it));
  return parts.some((p) => p === undefined) ? undefined : { concat: parts as J[] };
}

/** `ip daddr . th dport { … }` or `… @name` (a set of the table); an element that covers nothing is left out. */
export function renderConcat(t: Pick<Table, 'sets'>, x: ConcatMatch): J {
  for (const el of x.elements) {
    x.fields.forEach((field, i) => {
      const problem = checkMatchValue({ field, value: el[i]! });
      if (problem) throw invalid(problem, x.origin);
    });
  }
  const left = { concat: x.fields.map(fieldExpr) };
  if (x.set !== undefined && t.sets?.some((s) => s.name === x.set && s.concat)) return { match: { op: x.op, left, right: `@${x.set}` } };
  const elems = x.elements.map((el) => tuple(x.fields, el)).filter((e): e is J => e !== undefined);
  if (elems.length === 0) throw invalid('a concatenation with no element that covers something cannot be rendered', x.origin);
  return { match: { op: x.op, left, right: { set: elems } } };
}

/** The all-zero and the one value of a numeric field, for `x & 0 == 1`: a test no packet passes. */
function zeroOne(field: MatchField): [J, J] | undefined {
  const kind = FIELDS[field].kind;
  if (kind === 'ipv4' || kind === 'ipv6') {
    const v = kind === 'ipv4' ? 4 : 6;
    return [formatAddress(0n, v), formatAddress(1n, v)];
  }
  return kind === 'uint' ? [0, 1] : undefined;
}

export function renderMatch(m: Match): J {
  const problem = checkMatchValue(m);
  if (problem) throw invalid(problem, m.origin);
  let left = m.ifindex ? { meta: { key: m.field === 'meta iifname' ? 'iif' : 'oif' } } : fieldExpr(m.field);
  if (m.mask !== undefined) left = { '&': [left, m.mask] };
  const items = valueItems(m.value);
  const isSet = typeof m.value === 'object' && 'set' in m.value;
  const kept = items.map((i) => item(m.field, i)).filter((x): x is J => x !== undefined);

  if (!isSet && kept.length === 1) return { match: { op: m.op, left, right: kept[0]! } };
  if (isSet && kept.length > 0) return { match: { op: m.op, left, right: { set: kept } } };

  // The value covers nothing. A lone prefix with host bits keeps the kernel's own comparison.
  const single = items[0];
  if (!isSet && typeof single === 'object' && 'prefix' in single && m.mask === undefined) {
    const bits = FIELDS[m.field].bits;
    const mask = formatAddress(prefixMask(single.len, bits), parseAddress(single.prefix)!.version);
    return { match: { op: m.op, left: { '&': [left, mask] }, right: single.prefix } };
  }
  const zo = zeroOne(m.field);
  if (!zo) throw invalid(`${m.field}: an empty value cannot be rendered`, m.origin);
  return { match: { op: m.op, left: { '&': [fieldExpr(m.field), zo[0]] }, right: zo[1] } };
}

/**
 * nft refuses `meta nfproto` outside inet tables, where it is a constant: an ip table sees only
 * IPv4. A match that always holds is left out; one that never does becomes `meta mark & 0 == 1`.
 */
function nfprotoInFamilyTable(m: Match, family: 'ip' | 'ip6'): J[] {
  return nfprotoHolds(m, family) ? [] : [{ match: { op: '==', left: { '&': [fieldExpr('meta mark'), 0] }, right: 1 } }];
}

/** Whether a `meta nfproto` match always (true) or never (false) holds in an ip or ip6 table. */
export function nfprotoHolds(m: Match, family: 'ip' | 'ip6'): boolean {
  const problem = checkMatchValue(m);
  if (problem || m.mask !== undefined) throw invalid(problem ?? 'meta nfproto takes no mask', m.origin);
  const own = family === 'ip' ? 'ipv4' : 'ipv6';
  const names = valueItems(m.value).map((i) => (i === 2 ? 'ipv4' : i === 10 ? 'ipv6' : i));
  return names.includes(own) === (m.op === '==');
}

// ─── statements and verdicts ─────────────────────────────────────────────────────────────────────

function markExpr(key: 'meta mark' | 'ct mark'): J {
  return key === 'meta mark' ? { meta: { key: 'mark' } } : { ct: { key: 'mark' } };
}

function natAddr(i: Item, origin: Origin): { addr: J; family: 'ip' | 'ip6'; netmap: boolean } {
  const text = typeof i === 'object' ? ('prefix' in i ? i.prefix : String(i.range[0])) : String(i);
  const a = parseAddress(text);
  if (!a) throw invalid(`NAT target ${JSON.stringify(i)} is not an address`, origin);
  const family = a.version === 4 ? 'ip' : 'ip6';
  if (typeof i !== 'object') return { addr: text, family, netmap: false };
  if ('prefix' in i) return { addr: { prefix: { addr: i.prefix, len: i.len } }, family, netmap: true };
  return { addr: { range: [String(i.range[0]), String(i.range[1])] }, family, netmap: false };
}

/**
 * `fib daddr type local`: {"match": {"left": {"fib": {"result": "type", "flags": ["daddr"]}}, "right": "local"}};
 * `fib saddr . iif oif missing`: {"match": {"left": {"fib": {"result": "oif", "flags": ["saddr", "iif"]}}, "right": false}}.
 */
export function renderFib(f: FibMatch): J {
  if (f.result === 'type') return { match: { op: f.op, left: { fib: { result: 'type', flags: fibFlags(f) } }, right: f.type } };
  return { match: { op: f.op, left: { fib: { result: 'oif', flags: fibFlags(f) } }, right: f.value === 0 ? '0' : f.value } };
}

/** A fib lookup's flags in the order nft lists them (their bit order). */
export function fibFlags(f: FibMatch): string[] {
  return [f.addr, ...(f.result === 'oif' && f.mark ? ['mark'] : []), ...(f.through ? [f.through] : [])];
}

export function renderStatement(s: Statement, t: Partial<Pick<Table, 'maps' | 'sets'>> = {}): J {
  switch (s.kind) {
    case 'counter':
      return { counter: null };
    case 'set-mark': {
      if (typeof s.value === 'number') return { mangle: { key: markExpr(s.key), value: s.value } };
      if (typeof s.value === 'object') return { mangle: { key: markExpr(s.key), value: { map: lookupBody(t, s.value, (v) => v, s.origin) } } };
      let value: J = markExpr(s.value);
      for (const [op, c] of markOpSteps(s.and ?? ALL_BITS, s.xor ?? 0)) value = { [op]: [value, c] };
      return { mangle: { key: markExpr(s.key), value } };
    }
    case 'notrack':
      return { notrack: null };
    case 'mss-clamp':
      return {
        mangle: {
          key: { 'tcp option': { name: 'maxseg', field: 'size' } },
          value: s.size === 'rt mtu' ? { rt: { key: 'mtu' } } : s.size,
        },
      };
    case 'nat': {
      const body: Record<string, J> = {};
      if (s.map) {
        const first = s.map.elements[0]?.value;
        const netmap = typeof first === 'object' && 'prefix' in first;
        body.family = s.map.key[0]?.startsWith('ip6') || (first !== undefined && natAddr(first, s.origin).family === 'ip6') ? 'ip6' : 'ip';
        body.addr = { map: lookupBody(t, s.map, (v) => natAddr(v, s.origin).addr, s.origin) };
        if (netmap) {
          body.flags = 'netmap';
          body.type_flags = 'prefix';
        }
      } else if (s.type !== 'masquerade' && s.type !== 'redirect') {
        if (s.to === undefined) throw invalid(`${s.type} needs an address`, s.origin);
        const { addr, family, netmap } = natAddr(s.to, s.origin);
        body.family = family;
        body.addr = addr;
        if (netmap) {
          body.flags = 'netmap';
          body.type_flags = 'prefix';
        }
      } else if (s.to !== undefined) throw invalid(`${s.type} takes no address`, s.origin);
      if (s.port !== undefined) body.port = typeof s.port === 'number' ? s.port : { range: [...s.port.range] };
      if (s.flags?.length) body.flags = [...(body.flags === 'netmap' ? ['netmap'] : []), ...s.flags];
      return { [s.type]: Object.keys(body).length ? body : null };
    }
    case 'log':
      return { log: s.prefix === undefined ? null : { prefix: s.prefix } };
    case 'set-update':
      return renderSetUpdate(t, s);
  }
}

// ─── stateful expressions ────────────────────────────────────────────────────────────────────────

/** The dynamic set a stateful expression names: it must be one of the table's. */
export function dynamicSetName(t: Partial<Pick<Table, 'sets'>>, name: string, origin: Origin): string {
  if (!t.sets?.some((x) => x.name === name)) throw invalid(`set @${name} is not a set of the table`, origin);
  return name;
}

/** `numgen inc|random mod N offset O`, `jhash KEY mod N [seed S] offset O`, `symhash mod N offset O`. */
export function numberExpr(n: NumberSource): J {
  if (n.what === 'numgen') return { numgen: { mode: n.mode, mod: n.mod, offset: n.offset } };
  if (n.what === 'symhash') return { symhash: { mod: n.mod, offset: n.offset } };
  return { jhash: { mod: n.mod, ...(n.seed !== undefined ? { seed: n.seed } : {}), offset: n.offset, expr: keyExpr(n.key) } };
}

/** `{"limit": …}`, `{"quota": …}`, `{"ct count": …}`, inverted (`over`) when `over` says so. */
export function statefulExpr(x: LimitSource | QuotaSource | CtCountSource, over: boolean): J {
  const inv: Record<string, J> = over ? { inv: true } : {};
  switch (x.what) {
    case 'limit': {
      const body: Record<string, J> = { rate: x.rate, per: x.per, ...inv };
      if (x.rateUnit !== 'packets') body.rate_unit = x.rateUnit;
      if (x.burst !== undefined) body.burst = x.burst;
      if (x.burstUnit !== undefined && x.burstUnit !== 'packets') body.burst_unit = x.burstUnit;
      return { limit: body };
    }
    case 'quota': {
      const body: Record<string, J> = { val: x.val, val_unit: x.valUnit, ...inv };
      if (x.used !== undefined) {
        body.used = x.used;
        body.used_unit = x.usedUnit ?? 'bytes';
      }
      return { quota: body };
    }
    case 'ct count':
      return { 'ct count': { val: x.count, ...inv } };
  }
}

/** A StateMatch: numgen compared with its value, a dynamic set looked up, or limit/quota/ct count (`!=` inverts them). */
function renderState(t: Pick<Table, 'sets'>, m: StateMatch): J {
  const src = m.source;
  const negated = m.op === '!=';
  switch (src.what) {
    case 'numgen':
    case 'jhash':
    case 'symhash': {
      if (m.value === undefined) throw invalid(`a ${src.what} match needs a value`, m.origin);
      const items = valueItems(m.value).map((i) => item(NUMGEN_FIELD, i)).filter((x): x is J => x !== undefined);
      const isSet = typeof m.value === 'object' && 'set' in m.value;
      if (items.length === 0 || (!isSet && items.length !== 1)) throw invalid(`a ${src.what} match with no value that covers something cannot be rendered`, m.origin);
      return { match: { op: m.op, left: numberExpr(src), right: isSet ? { set: items } : items[0]! } };
    }
    case 'set': {
      const op = (src.op === '!=') !== negated ? '!=' : '==';
      return { match: { op, left: keyExpr(src.key), right: `@${dynamicSetName(t, src.set, m.origin)}` } };
    }
    default:
      return statefulExpr(src, src.over !== negated);
  }
}

/** `{"set": {"op", "elem": KEY | {"elem": {"val": KEY, "timeout": N}}, "set": "@name", "stmt": [...]}}`. */
function renderSetUpdate(t: Partial<Pick<Table, 'sets'>>, s: SetUpdateStmt): J {
  const key = keyExpr(s.key);
  const body: Record<string, J> = {
    op: s.op,
    elem: s.timeout === undefined ? key : { elem: { val: key, timeout: s.timeout } },
    set: `@${dynamicSetName(t, s.set, s.origin)}`,
  };
  if (s.stateful) body.stmt = [statefulExpr(s.stateful, s.stateful.over)];
  return { set: body };
}

export function renderVerdict(v: Verdict): J {
  switch (v.kind) {
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
      return { [v.kind]: null };
    case 'jump':
    case 'goto':
      return { [v.kind]: { target: v.target } };
    case 'reject':
      if (!v.with) return { reject: null };
      if (v.with.type === 'tcp reset') return { reject: { type: 'tcp reset' } };
      return { reject: { type: v.with.type, expr: v.with.code ?? 'port-unreachable' } };
  }
}
