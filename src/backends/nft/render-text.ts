// IR → `nft list ruleset`-style text, for people, loadable by `nft -f` (a prefix with host bits is
// written as `& mask ==`); nftlens itself only ever loads the JSON form (render-json.ts). Every
// string from the input is checked against what nft's text can carry (model/nft-text.ts) and
// refused with a located NFT_TEXT error otherwise: nft reads back exactly the objects meant.

import { ALL_BITS, markOpSteps } from '../../model/mark-op.js';
import type { Atom, Chain, ConcatMatch, FibMatch, Item, MapLookup, Match, MatchValue, NamedMap, NamedSet, NatStmt, Rule, Ruleset, SetUpdateStmt, StateMatch, Statement, Table, Verdict } from '../../model/ruleset.js';
import { NftlensError } from '../../model/diagnostics.js';
import { numberText, statefulText } from '../../model/state-text.js';
import { IFNAME_MAX_BYTES, NFT_COMMENT_MAX_BYTES, nftIfnameProblem, nftLogPrefixProblem, nftNameProblem, nftStringProblem } from '../../model/nft-text.js';
import type { Origin } from '../../model/origin.js';
import { dynamicSetName, fibFlags, namesSet, nfprotoHolds } from './render-json.js';
import { CT_STATUS, FIELDS, PKTTYPE_NAMES, formatAddress, itemInterval, l4protoName, lookupKeyFields, NUMGEN_FIELD, parseAddress, prefixMask, SET_TYPE_FIELD, TCP_FLAGS, valueItems } from '../../model/values.js';

export function renderNftText(ruleset: Ruleset): string {
  return ruleset.tables.map(renderTableText).join('');
}

export function renderTableText(t: Table): string {
  const lines = [`table ${t.family} ${name(t.name, { origin: t.origin, what: 'table name', key: 'name' })} {`];
  if (t.comment !== undefined) lines.push(`\tcomment ${quote(t.comment, { origin: t.origin, what: 'table comment', key: 'comment' }, NFT_COMMENT_MAX_BYTES)}`);
  (t.sets ?? []).forEach((set, i) => {
    if (i > 0 || t.comment !== undefined) lines.push('');
    setText(set, lines);
  });
  (t.maps ?? []).forEach((map, i) => {
    if (i > 0 || t.comment !== undefined || t.sets?.length) lines.push('');
    mapText(map, lines);
  });
  t.chains.forEach((c, i) => {
    if (i > 0 || t.comment !== undefined || t.sets?.length || t.maps?.length) lines.push('');
    chainText(t, c, lines);
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Appends the chain's lines to `out` (one push a line: a chain may have millions of rules). */
function chainText(t: Table, c: Chain, out: string[]): void {
  out.push(`\tchain ${name(c.name, { origin: c.origin, what: 'chain name', key: 'name' })} {`);
  if (c.comment !== undefined) out.push(`\t\tcomment ${quote(c.comment, { origin: c.origin, what: 'chain comment', key: 'comment' }, NFT_COMMENT_MAX_BYTES)}`);
  if (c.base) {
    const dev = c.base.device !== undefined ? ` device ${quote(c.base.device, { origin: c.origin, what: 'chain device', key: 'dev' }, IFNAME_MAX_BYTES)}` : '';
    out.push(`\t\ttype ${c.base.type} hook ${c.base.hook}${dev} priority ${c.base.priority}; policy ${c.base.policy};`);
  }
  for (const r of c.rules) out.push(`\t\t${ruleText(t, r)}`);
  out.push('\t}');
}

/** Appends a named set's lines to `out`: type, flags, elements (those that cover something). */
function setText(set: NamedSet, out: string[]): void {
  out.push(`\tset ${name(set.name, { origin: set.origin, what: 'set name', key: 'name' })} {`);
  out.push(`\t\ttype ${set.concat ? set.concat.types.join(' . ') : set.type}`);
  if (set.flags.length) out.push(`\t\tflags ${set.flags.join(',')}`);
  if (set.timeout !== undefined) out.push(`\t\ttimeout ${set.timeout}s`);
  if (set.size !== undefined) out.push(`\t\tsize ${set.size}`);
  if (set.gcInterval !== undefined) out.push(`\t\tgc-interval ${set.gcInterval}s`);
  if (set.comment !== undefined) out.push(`\t\tcomment ${quote(set.comment, { origin: set.origin, what: 'set comment', key: 'comment' }, NFT_COMMENT_MAX_BYTES)}`);
  const at = { field: SET_TYPE_FIELD[set.type], origin: set.origin };
  const elems = set.elements.filter((i) => itemInterval(at.field, i) !== null).map((i) => itemText(at, i));
  if (set.concat) {
    const fields = set.concat.types.map((ty) => SET_TYPE_FIELD[ty]);
    elems.push(...set.concat.elements.map((el) => tupleText(fields, el, set.origin)).filter((x): x is string => x !== undefined));
  }
  if (elems.length) out.push(`\t\telements = { ${elems.join(', ')} }`);
  out.push('\t}');
}

/** Appends a named map's lines to `out`: key and data types, flags, elements (keys that cover something). */
function mapText(map: NamedMap, out: string[]): void {
  out.push(`\tmap ${name(map.name, { origin: map.origin, what: 'map name', key: 'name' })} {`);
  out.push(`\t\ttype ${map.key.join(' . ')} : ${map.data}`);
  if (map.flags.length) out.push(`\t\tflags ${map.flags.join(',')}`);
  if (map.comment !== undefined) out.push(`\t\tcomment ${quote(map.comment, { origin: map.origin, what: 'map comment', key: 'comment' }, NFT_COMMENT_MAX_BYTES)}`);
  const fields = map.key.map((ty) => SET_TYPE_FIELD[ty]);
  const value = (v: Verdict | number | Item): string => (map.data === 'verdict' ? verdictText(v as Verdict) : map.data === 'mark' ? hex32(v as number) : natTarget(v as Item));
  const elems = elementsText({ key: fields, elements: map.elements }, value, map.origin);
  if (elems.length) out.push(`\t\telements = { ${elems.join(', ')} }`);
  out.push('\t}');
}

/** `k : v` per element whose key covers something. */
function elementsText<V>(l: Pick<MapLookup<V>, 'key' | 'elements' | 'state'>, value: (v: V) => string, origin: Origin): string[] {
  const out: string[] = [];
  for (const el of l.elements) {
    const k = el.key.length === 0 ? '*' : l.state ? numgenItemText(el.key[0]!) : tupleText(lookupKeyFields(l), el.key, origin);
    if (k !== undefined) out.push(`${k} : ${value(el.value)}`);
  }
  return out;
}

/** `KEY vmap @name`, `KEY map { k : v, … }`: the key's fields and the map, named or written out. */
function lookupText<V>(t: Partial<Pick<Table, 'maps'>>, l: MapLookup<V>, word: 'map' | 'vmap', value: (v: V) => string, origin: Origin): string {
  const key = l.state ? numberText(l.state) : l.ifindex ? (l.key[0] === 'meta iifname' ? 'meta iif' : 'meta oif') : l.key.join(' . ');
  if (l.map !== undefined && t.maps?.some((m) => m.name === l.map)) return `${key} ${word} @${l.map}`;
  const elems = elementsText(l, value, origin);
  if (elems.length === 0) throw NftlensError.of('MODEL_INVALID', 'an anonymous map with no element that covers something cannot be written', origin);
  return `${key} ${word} { ${elems.join(', ')} }`;
}

/** `a . b . c`, or undefined when an item covers nothing. */
function tupleText(fields: Match['field'][], el: Item[], origin: Origin): string | undefined {
  if (el.some((it, i) => itemInterval(fields[i]!, it) === null)) return undefined;
  return el.map((it, i) => itemText({ field: fields[i]!, origin }, it)).join(' . ');
}

function concatText(t: Partial<Pick<Table, 'sets'>>, x: ConcatMatch): string {
  const left = x.fields.join(' . ');
  const op = x.op === '!=' ? '!= ' : '';
  if (x.set !== undefined && t.sets?.some((s) => s.name === x.set && s.concat)) return `${left} ${op}@${x.set}`;
  const elems = x.elements.map((el) => tupleText(x.fields, el, x.origin)).filter((e): e is string => e !== undefined);
  if (elems.length === 0) throw NftlensError.of('MODEL_INVALID', 'a concatenation with no element that covers something cannot be written', x.origin);
  return `${left} ${op}{ ${elems.join(', ')} }`;
}

/** `fib daddr type local`, `fib saddr . mark . iif oif != 0`, `fib saddr . iif oif missing`. */
function fibText(f: FibMatch): string {
  const not = f.op === '!=' ? '!= ' : '';
  if (f.result === 'type') return `fib ${fibFlags(f).join(' . ')} type ${not}${f.type}`;
  const value = f.value === 0 ? '0' : f.value ? 'exists' : 'missing';
  return `fib ${fibFlags(f).join(' . ')} oif ${not}${value}`;
}

export function ruleText(t: Pick<Table, 'family'> & Partial<Pick<Table, 'sets' | 'maps'>>, r: Rule): string {
  const parts: string[] = [];
  for (const e of r.exprs) {
    if (e.kind === 'concat') parts.push(concatText(t, e));
    else if (e.kind === 'fib') parts.push(fibText(e));
    else if (e.kind === 'ct helper') parts.push(`ct helper ${e.op === '!=' ? '!= ' : ''}${quote(e.name, { origin: e.origin, what: 'ct helper name' })}`);
    else if (e.kind === 'state') parts.push(stateText(t, e));
    else if (e.kind !== 'match') parts.push(statementText(e, t.family, t));
    else if (e.field === 'meta nfproto' && (t.family === 'ip' || t.family === 'ip6')) {
      // nft takes `meta nfproto` only in inet tables; elsewhere it is a constant.
      if (!nfprotoHolds(e, t.family)) parts.push('meta mark & 0x00000000 == 0x00000001');
    } else if (namesSet(t, e)) parts.push(`${e.field} ${e.op === '!=' ? '!= ' : ''}@${e.set!}`);
    else parts.push(matchText(e));
  }
  if (r.verdict?.kind === 'vmap') parts.push(lookupText(t, r.verdict.lookup, 'vmap', verdictText, r.verdict.origin));
  else if (r.verdict) parts.push(verdictText(r.verdict));
  if (r.comment !== undefined) parts.push(`comment ${quote(r.comment, ruleCommentAt(r), NFT_COMMENT_MAX_BYTES)}`);
  return parts.join(' ') || 'continue';
}

/** What a string is and where: its node's origin, and the key under that node's field, if any. */
interface Where {
  origin: Origin;
  what: string;
  key?: string;
}

/** Liqo keeps a rule's name in the rule's `name`; nft JSON keeps its comment in `comment`. */
function ruleCommentAt(r: Rule): Where {
  return { origin: r.origin, what: 'rule comment', key: r.origin.resource !== undefined ? 'name' : 'comment' };
}

/** A table or chain name: nft 1.0.6 takes only bare words, so one it cannot read is refused. */
function name(n: string, at: Where): string {
  const problem = nftNameProblem(n);
  if (problem) throw refused(at, problem);
  return n;
}

/** nft's strings have no escapes (`"e\\*"` is a literal star): what a string cannot carry is refused. */
function quote(s: string, at: Where, maxBytes?: number): string {
  return checked(s, at, (x) => nftStringProblem(x, maxBytes));
}

function checked(s: string, at: Where, problemOf: (s: string) => string | undefined): string {
  const problem = problemOf(s);
  if (problem) throw refused(at, problem);
  return `"${s}"`;
}

function refused({ origin, what, key }: Where, problem: string): NftlensError {
  const field = origin.field !== undefined && key !== undefined ? `${origin.field}.${key}` : origin.field;
  return NftlensError.of('NFT_TEXT', `the ${what} cannot be written as nft text: ${problem}`, { ...origin, ...(field !== undefined ? { field } : {}) });
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** Bits by name (`syn`, `(syn | ack)`), or hexadecimal when a bit has none. */
function flags(n: number, table: Record<string, number> = TCP_FLAGS): string {
  const names = Object.entries(table).filter(([, bit]) => n & bit).map(([k]) => k);
  if (n === 0 || names.reduce((acc, k) => acc | table[k]!, 0) !== n) return `0x${n.toString(16)}`;
  return names.length === 1 ? names[0]! : `(${names.join(' | ')})`;
}

function atomText(m: Pick<Match, 'field' | 'origin'>, a: Atom): string {
  const info = FIELDS[m.field];
  if (typeof a === 'number') {
    if (m.field === 'meta l4proto' || m.field === 'ip protocol') return l4protoName(a) ?? String(a);
    if (m.field === 'meta mark' || m.field === 'ct mark') return hex32(a);
    if (m.field === 'tcp flags') return flags(a);
    if (m.field === 'ct status') return flags(a, CT_STATUS);
    if (m.field === 'meta pkttype') return PKTTYPE_NAMES[a] ?? String(a);
    if (info.kind === 'nfproto') return a === 2 ? 'ipv4' : a === 10 ? 'ipv6' : String(a);
    return String(a);
  }
  return info.kind === 'ifname' ? checked(a, { origin: m.origin, what: `${m.field} value` }, nftIfnameProblem) : a;
}

function itemText(m: Pick<Match, 'field' | 'origin'>, i: Item): string {
  if (typeof i !== 'object') return atomText(m, i);
  if ('prefix' in i) return `${i.prefix}/${i.len}`;
  return `${atomText(m, i.range[0])}-${atomText(m, i.range[1])}`;
}

function valueText(m: Pick<Match, 'field' | 'origin'>, v: MatchValue): string {
  if (typeof v === 'object' && 'set' in v) return `{ ${v.set.map((i) => itemText(m, i)).join(', ')} }`;
  return itemText(m, v);
}

export function matchText(m: Match): string {
  const single = valueItems(m.value)[0];
  const lone = !(typeof m.value === 'object' && 'set' in m.value);
  // A prefix with host bits: nft would mask `10.1.2.3/16`, the kernel's own test keeps them.
  if (lone && typeof single === 'object' && 'prefix' in single && itemInterval(m.field, single) === null) {
    const a = parseAddress(single.prefix);
    if (a) {
      const mask = formatAddress(prefixMask(single.len, FIELDS[m.field].bits), a.version);
      return `${m.field} & ${mask} ${m.op} ${single.prefix}`;
    }
  }
  if (m.mask !== undefined) {
    const mask = m.field === 'tcp flags' ? flags(m.mask) : m.field === 'ct status' ? flags(m.mask, CT_STATUS) : m.field.endsWith('mark') ? hex32(m.mask) : String(m.mask);
    return `${m.field} & ${mask} ${m.op} ${valueText(m, m.value)}`;
  }
  const field = m.ifindex ? (m.field === 'meta iifname' ? 'meta iif' : 'meta oif') : m.field;
  return `${field} ${m.op === '!=' ? '!= ' : ''}${valueText(m, m.value)}`;
}

function natTarget(i: Item): string {
  const addr = (x: Atom): string => (String(x).includes(':') ? `[${x}]` : String(x));
  if (typeof i !== 'object') return addr(i);
  if ('prefix' in i) return `${i.prefix}/${i.len}`;
  return `${addr(i.range[0])}-${addr(i.range[1])}`;
}

export function statementText(s: Statement, family: Table['family'], t: Partial<Pick<Table, 'maps' | 'sets'>> = {}): string {
  switch (s.kind) {
    case 'counter':
      return s.packets !== undefined || s.bytes !== undefined ? `counter packets ${s.packets ?? 0} bytes ${s.bytes ?? 0}` : 'counter';
    case 'set-mark': {
      if (typeof s.value === 'number') return `${s.key} set ${hex32(s.value)}`;
      if (typeof s.value === 'object') return `${s.key} set ${lookupText(t, s.value, 'map', hex32, s.origin)}`;
      const steps = markOpSteps(s.and ?? ALL_BITS, s.xor ?? 0).map(([op, c]) => ` ${op} ${hex32(c)}`);
      return `${s.key} set ${s.value}${steps.join('')}`;
    }
    case 'notrack':
      return 'notrack';
    case 'mss-clamp':
      return `tcp option maxseg size set ${s.size}`;
    case 'nat':
      return natText(s, family, t) + (s.flags?.length ? ` ${s.flags.join(',')}` : '');
    case 'log':
      return s.prefix === undefined ? 'log' : `log prefix ${checked(s.prefix, { origin: s.origin, what: 'log prefix', key: 'log.prefix' }, nftLogPrefixProblem)}`;
    case 'set-update':
      return setUpdateText(t, s);
  }
}

// ─── stateful expressions ────────────────────────────────────────────────────────────────────────

/** `@name` of a dynamic set of the table (its name checked as nft reads it). */
function setRef(t: Partial<Pick<Table, 'sets'>>, n: string, origin: Origin): string {
  dynamicSetName(t, n, origin);
  return `@${name(n, { origin, what: 'set name' })}`;
}

/** A number numgen draws, in decimal (`0`, `1-2`). */
function numgenItemText(i: Item): string {
  return typeof i === 'object' && 'range' in i ? `${i.range[0]}-${i.range[1]}` : String(i);
}

/** `numgen inc mod 2 != 1`, `ip saddr . th dport != @seen`, `limit rate over 10/second` (`!=` inverts). */
function stateText(t: Partial<Pick<Table, 'sets'>>, m: StateMatch): string {
  const src = m.source;
  const negated = m.op === '!=';
  switch (src.what) {
    case 'numgen':
    case 'jhash':
    case 'symhash': {
      if (m.value === undefined) throw NftlensError.of('MODEL_INVALID', `a ${src.what} match needs a value`, m.origin);
      const items = valueItems(m.value).filter((i) => itemInterval(NUMGEN_FIELD, i) !== null).map(numgenItemText);
      if (items.length === 0) throw NftlensError.of('MODEL_INVALID', `a ${src.what} match with no value that covers something cannot be written`, m.origin);
      const value = typeof m.value === 'object' && 'set' in m.value ? `{ ${items.join(', ')} }` : items[0]!;
      return `${numberText(src)} ${negated ? '!= ' : ''}${value}`;
    }
    case 'set':
      return `${src.key.join(' . ')} ${(src.op === '!=') !== negated ? '!= ' : ''}${setRef(t, src.set, m.origin)}`;
    default:
      return statefulText(src, src.over !== negated);
  }
}

/** `update @s { ip saddr timeout 60s }`, `add @m { ip saddr . th dport limit rate over 10/second }`. */
function setUpdateText(t: Partial<Pick<Table, 'sets'>>, s: SetUpdateStmt): string {
  const timeout = s.timeout !== undefined ? ` timeout ${s.timeout}s` : '';
  const stateful = s.stateful ? ` ${statefulText(s.stateful, s.stateful.over)}` : '';
  return `${s.op} ${setRef(t, s.set, s.origin)} { ${s.key.join(' . ')}${timeout}${stateful} }`;
}

/** A NAT statement without its flags. */
function natText(s: NatStmt, family: Table['family'], t: Partial<Pick<Table, 'maps'>>): string {
  const port = s.port === undefined ? '' : `:${typeof s.port === 'number' ? s.port : s.port.range.join('-')}`;
  if (s.type === 'masquerade' || s.type === 'redirect') return `${s.type}${port ? ` to ${port}` : ''}`;
  if (s.map) {
    const first = s.map.elements[0]?.value;
    const prefix = typeof first === 'object' && 'prefix' in first ? ' prefix' : '';
    // A numgen key has no field: the addresses say the family.
    const fam = s.map.key[0]?.startsWith('ip6') || (first !== undefined && natTarget(first).includes(':')) ? 'ip6' : 'ip';
    return `${s.type} ${fam}${prefix} to ${lookupText(t, s.map, 'map', natTarget, s.origin)}${port}`;
  }
  if (s.to === undefined) return s.type;
  const text = typeof s.to === 'object' && 'prefix' in s.to ? s.to.prefix : String(typeof s.to === 'object' ? s.to.range[0] : s.to);
  const fam = family === 'inet' ? (text.includes(':') ? ' ip6' : ' ip') : '';
  const prefix = typeof s.to === 'object' && 'prefix' in s.to ? ' prefix' : '';
  return `${s.type}${fam}${prefix} to ${natTarget(s.to)}${port}`;
}

export function verdictText(v: Verdict): string {
  switch (v.kind) {
    case 'jump':
    case 'goto':
      return `${v.kind} ${name(v.target, { origin: v.origin, what: `${v.kind} target`, key: `${v.kind}.target` })}`;
    case 'reject':
      if (!v.with) return 'reject';
      if (v.with.type === 'tcp reset') return 'reject with tcp reset';
      return `reject with ${v.with.type} ${v.with.code ?? 'port-unreachable'}`;
    default:
      return v.kind;
  }
}
