// Model equality. canonicalRuleset() turns a Ruleset into a plain JSON value that two rulesets
// with the same meaning share: origins, handles, counter values, labels and table/chain comments
// (nft 1.0.6 does not list them) dropped; tables sorted by family+name, chains by name; within a
// rule, each run of consecutive matches sorted and de-duplicated (matches have no side effects,
// so a run is a conjunction), but nothing moves across a statement or the verdict; values as
// merged sorted intervals; matches another match of the run implies (`meta l4proto 6` beside
// `tcp flags`), or that the table's family makes always true, dropped; reject's per-family
// default spelled out; `continue` the same as no verdict. Stateful expressions keep their place
// with their settings as the kernel holds them (rates and quotas in bytes, nft's default burst,
// a `!=` folded into `over`), not their runtime state (a quota's `used`); a table's dynamic sets
// are compared by their declaration (type, flags, timeout, size), not their elements, which are
// state. diffRulesets() compares two.

import type { ConcatMatch, CtCountSource, Family, LimitSource, Match, MatchValue, Item, MapLookup, NamedSet, QuotaSource, Rule, Ruleset, StateMatch, Statement, Table, Verdict, VmapVerdict } from './ruleset.js';
import { markOp, markOpFields } from './mark-op.js';
import { canonicalAddress, FIELDS, formatAddress, lookupKeyFields, NUMGEN_FIELD, valueIntervals, valueItems } from './values.js';
import { numberText } from './state-text.js';

export interface CanonicalRuleset {
  tables: CanonicalTable[];
}
export interface CanonicalTable {
  family: Family;
  name: string;
  chains: CanonicalChain[];
  /** The table's dynamic sets, when it has any. */
  sets?: CanonicalSet[];
}
/** A dynamic set's declaration (nft lists neither the `dynamic` flag nor, for such a set, no size: 65535). */
export interface CanonicalSet {
  name: string;
  type: string[];
  flags: string[];
  size: number;
  timeout?: number;
  gcInterval?: number;
}
export interface CanonicalChain {
  name: string;
  base?: { type: string; hook: string; priority: number; policy: string; device?: string };
  rules: CanonicalRule[];
}
export interface CanonicalRule {
  exprs: CanonicalExpr[];
  verdict?: CanonicalVerdict;
  comment?: string;
}
export interface CanonicalMatch {
  match: string;
  op: '==' | '!=';
  mask?: number;
  value: (string | number)[];
}
export type CanonicalExpr = CanonicalMatch | { stmt: string; [k: string]: unknown };
export type CanonicalVerdict = { verdict: string; target?: string; type?: string; code?: string; map?: CanonicalLookup };
/** A map lookup: its key fields and its elements as sorted `[key values, value]` texts. */
export interface CanonicalLookup {
  key: string[];
  elements: string[];
}

const byKey = <T>(key: (x: T) => string) => (a: T, b: T): number => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

export function canonicalRuleset(rs: Ruleset): CanonicalRuleset {
  const tables = rs.tables.map((t): CanonicalTable => ({
    family: t.family,
    name: t.name,
    ...canonicalSets(t),
    chains: t.chains
      .map((c): CanonicalChain => {
        const out: CanonicalChain = { name: c.name, rules: c.rules.map((r) => canonicalRule(r, t.family)) };
        if (c.base) {
          const { type, hook, priority, policy, device } = c.base;
          out.base = device === undefined ? { type, hook, priority, policy } : { type, hook, priority, policy, device };
        }
        return out;
      })
      .sort(byKey((c) => c.name)),
  }));
  return { tables: tables.sort(byKey((t) => `${t.family} ${t.name}`)) };
}

/** nft's size of a dynamic set declared without one. */
const DYNAMIC_SET_SIZE = 65535;

function canonicalSets(t: Table): Pick<CanonicalTable, 'sets'> {
  const sets = (t.sets ?? []).filter((x) => x.dynamic).map(canonicalSet).sort(byKey((x) => x.name));
  return sets.length ? { sets } : {};
}

function canonicalSet(x: NamedSet): CanonicalSet {
  const out: CanonicalSet = {
    name: x.name,
    type: x.concat ? [...x.concat.types] : [x.type],
    flags: x.flags.filter((f) => f !== 'dynamic').sort(),
    size: x.size ?? DYNAMIC_SET_SIZE,
  };
  if (x.timeout !== undefined) out.timeout = x.timeout;
  if (x.gcInterval !== undefined) out.gcInterval = x.gcInterval;
  return out;
}

export function canonicalRule(rule: Rule, family: Family): CanonicalRule {
  const exprs: CanonicalExpr[] = [];
  let run: CanonicalMatch[] = [];
  const flush = (): void => {
    if (run.length === 0) return;
    const seen = new Map<string, CanonicalExpr>();
    for (const m of run) if (!impliedByRun(m, run)) seen.set(JSON.stringify(m), m);
    exprs.push(...[...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, m]) => m));
    run = [];
  };
  for (const e of rule.exprs) {
    if (e.kind === 'match') {
      const c = canonicalMatch(e, family);
      if (c) run.push(c);
    } else if (e.kind === 'fib') {
      // A match too (no side effect), but not one of the run's header fields: kept in place.
      flush();
      exprs.push(e.result === 'type'
        ? { stmt: 'fib', addr: e.addr, op: e.op, type: e.type, ...(e.through ? { through: e.through } : {}) }
        : { stmt: 'fib', addr: e.addr, op: e.op, result: 'oif', through: e.through ?? null, mark: e.mark ?? false, value: e.value });
    } else if (e.kind === 'ct helper') {
      flush();
      exprs.push({ stmt: 'ct helper', op: e.op, name: e.name });
    } else if (e.kind === 'state') {
      // Kept in place: it draws a number or changes state (a token bucket, a quota) each time it runs.
      flush();
      exprs.push(canonicalStateMatch(e));
    } else {
      flush();
      exprs.push(canonicalStatement(e));
    }
  }
  flush();
  const out: CanonicalRule = { exprs };
  // `continue` is what a rule without a verdict does.
  if (rule.verdict && rule.verdict.kind !== 'continue') out.verdict = canonicalVerdict(rule.verdict, family);
  if (rule.comment !== undefined) out.comment = rule.comment;
  return out;
}

/**
 * `meta l4proto 6` next to `tcp flags` or `ip protocol 6`, or `meta nfproto ipv4` next to
 * `ip saddr`, adds nothing: the other match implies it (nft adds such dependencies itself, and
 * hides or shows them when listing as it sees fit).
 */
function impliedByRun(m: CanonicalMatch, run: CanonicalMatch[]): boolean {
  if (m.op !== '==' || m.mask !== undefined || m.value.length !== 1) return false;
  const v = m.value[0];
  if (m.match === 'meta l4proto') {
    // An IPv4 packet's l4proto is its `ip protocol`.
    const same = (o: CanonicalMatch): boolean => o.match === 'ip protocol' && o.op === '==' && o.mask === undefined && o.value.length === 1 && o.value[0] === v;
    return run.some((o) => FIELDS[o.match as Match['field']].l4proto === v || same(o));
  }
  if (m.match === 'meta nfproto') return run.some((o) => FIELDS[o.match as Match['field']].nfproto === v);
  return false;
}

/** The family an ip or ip6 table sees; an inet (or other) table sees both or neither. */
const TABLE_NFPROTO: Partial<Record<Family, string>> = { ip: 'ipv4', ip6: 'ipv6' };

/** A match in canonical form, or undefined when it always holds in a table of this family. */
export function canonicalMatch(m: Match, family: Family): CanonicalMatch | undefined {
  const value = canonicalValue(m.field, m.value);
  // An ip table sees only IPv4 packets, whose `ip protocol` is their `meta l4proto`; nft lists
  // either as `tcp dport …` when a transport match follows.
  const field = family === 'ip' && m.field === 'ip protocol' ? 'meta l4proto' : m.field;
  const own = TABLE_NFPROTO[family];
  if (field === 'meta nfproto' && own && m.mask === undefined) {
    const holds = value.includes(own) === (m.op === '==');
    if (holds) return undefined;
  }
  const out: CanonicalMatch = { match: m.ifindex ? (field === 'meta iifname' ? 'meta iif' : 'meta oif') : field, op: m.op, value };
  // With nothing to compare against, the mask does not matter.
  if (m.mask !== undefined && value.length > 0) out.mask = m.mask;
  return out;
}

function canonicalValue(field: Match['field'], value: MatchValue): (string | number)[] {
  const info = FIELDS[field];
  const items = valueItems(value);
  if (info.kind === 'ifname' || info.kind === 'ctstate' || info.kind === 'nfproto') {
    const names = items.map((i) => (info.kind === 'nfproto' && typeof i === 'number' ? (i === 2 ? 'ipv4' : i === 10 ? 'ipv6' : i) : i));
    return [...new Set(names.map((i) => (typeof i === 'object' ? JSON.stringify(i) : i)))].sort(byKey(String));
  }
  const ivs = valueIntervals(field, value);
  if (typeof ivs === 'string') return items.map((i) => JSON.stringify(i)); // invalid: compare as written
  const fmt = (n: bigint): string | number =>
    info.kind === 'ipv4' ? formatAddress(n, 4) : info.kind === 'ipv6' ? formatAddress(n, 6) : Number(n);
  return ivs.map((iv) => (iv.lo === iv.hi ? fmt(iv.lo) : `${fmt(iv.lo)}-${fmt(iv.hi)}`));
}

function canonicalStatement(s: Statement | ConcatMatch): CanonicalExpr {
  switch (s.kind) {
    case 'concat': {
      // A set of boxes: elements compared as a sorted list, each item by what it covers.
      const elements = s.elements.map((el) => JSON.stringify(el.map((it, i) => canonicalValue(s.fields[i]!, it))));
      return { stmt: 'concat', fields: s.fields, op: s.op, elements: [...new Set(elements)].sort() };
    }
    case 'counter':
      return { stmt: 'counter' };
    case 'set-mark': {
      if (typeof s.value === 'object') return { stmt: 'set-mark', key: s.key, map: canonicalLookup(s.value, (v) => v) };
      // `meta mark & 0 ^ c` writes the constant c (reading meta mark never fails; ct mark can).
      const op = markOp(s);
      if (op.source === undefined || (op.source === 'meta mark' && op.and === 0)) return { stmt: 'set-mark', key: s.key, value: op.xor };
      return { stmt: 'set-mark', key: s.key, value: op.source, ...markOpFields(op.and, op.xor) };
    }
    case 'notrack':
      return { stmt: 'notrack' };
    case 'mss-clamp':
      return { stmt: 'mss-clamp', size: s.size };
    case 'nat': {
      const out: CanonicalExpr = { stmt: s.type };
      if (s.to !== undefined) out.to = natItem(s.to);
      if (s.map) out.map = canonicalLookup(s.map, natItem);
      if (s.port !== undefined) {
        out.port = typeof s.port === 'number' || s.port.range[0] !== s.port.range[1] ? s.port : s.port.range[0];
      }
      if (s.flags?.length) out.flags = [...s.flags].sort();
      return out;
    }
    case 'log':
      return s.prefix === undefined ? { stmt: 'log' } : { stmt: 'log', prefix: s.prefix };
    case 'set-update': {
      const out: CanonicalExpr = { stmt: 'set-update', op: s.op, set: s.set, key: [...s.key] };
      if (s.timeout !== undefined) out.timeout = s.timeout;
      if (s.stateful) out.stateful = { what: s.stateful.what, ...canonicalStateful(s.stateful, s.stateful.over) };
      return out;
    }
  }
}

// ─── stateful expressions ────────────────────────────────────────────────────────────────────────

const UNIT_BYTES: Record<string, number> = { bytes: 1, kbytes: 1024, mbytes: 1024 * 1024 };
/** nft's burst when none is given: 5 packets (it takes none of 0), 0 bytes. */
const DEFAULT_BURST = { packets: 5, bytes: 0 };

function canonicalStateMatch(m: StateMatch): CanonicalExpr {
  const src = m.source;
  const negated = m.op === '!=';
  switch (src.what) {
    case 'numgen':
    case 'jhash':
    case 'symhash':
      return { stmt: numberText(src), op: m.op, value: m.value === undefined ? [] : canonicalValue(NUMGEN_FIELD, m.value) };
    case 'set':
      return { stmt: 'dynamic set', set: src.set, key: [...src.key], op: (src.op === '!=') !== negated ? '!=' : '==' };
    default:
      return { stmt: src.what, ...canonicalStateful(src, src.over !== negated) };
  }
}

/** A limit's rate and burst, a quota's size in packets or bytes (nft lists `1024 kbytes` as `1 mbytes`); `over` as it acts. */
function canonicalStateful(x: LimitSource | QuotaSource | CtCountSource, over: boolean): Record<string, unknown> {
  switch (x.what) {
    case 'limit': {
      const packets = x.rateUnit === 'packets';
      const burst = x.burst ? x.burst * (packets ? 1 : UNIT_BYTES[x.burstUnit ?? 'bytes'] ?? 1) : packets ? DEFAULT_BURST.packets : DEFAULT_BURST.bytes;
      return { rate: x.rate * (packets ? 1 : UNIT_BYTES[x.rateUnit] ?? 1), unit: packets ? 'packets' : 'bytes', per: x.per, burst, over };
    }
    case 'quota':
      return { bytes: x.val * (UNIT_BYTES[x.valUnit] ?? 1), over };
    case 'ct count':
      return { count: x.count, over };
  }
}

function natItem(i: Item): string {
  const addr = (a: string | number): string => canonicalAddress(String(a)) ?? String(a);
  if (typeof i === 'object' && 'prefix' in i) return `${addr(i.prefix)}/${i.len}`;
  if (typeof i === 'object' && 'range' in i) {
    const [lo, hi] = i.range.map(addr) as [string, string];
    return lo === hi ? lo : `${lo}-${hi}`;
  }
  return addr(i);
}

/** nft's default for `reject` in each family, which it also lists explicitly. */
const REJECT_DEFAULT: Record<Family, 'icmp' | 'icmpv6' | 'icmpx'> = {
  ip: 'icmp', ip6: 'icmpv6', inet: 'icmpx', bridge: 'icmpx', netdev: 'icmpx', arp: 'icmpx',
};

/** Elements compared as a set: each key by what its items cover, with its value's canonical form. */
function canonicalLookup<V>(l: MapLookup<V>, value: (v: V) => unknown): CanonicalLookup {
  const fields = lookupKeyFields(l);
  const elements = l.elements.map((el) => JSON.stringify([el.key.map((it, i) => canonicalValue(fields[i]!, it)), value(el.value)]));
  const key = l.state
    ? [numberText(l.state)]
    : l.ifindex ? l.key.map((f) => (f === 'meta iifname' ? 'meta iif' : 'meta oif')) : [...l.key];
  return { key, elements: [...new Set(elements)].sort() };
}

function canonicalVerdict(v: Verdict | VmapVerdict, family: Family): CanonicalVerdict {
  switch (v.kind) {
    case 'vmap':
      return { verdict: 'vmap', map: canonicalLookup(v.lookup, (x) => canonicalVerdict(x, family)) };
    case 'jump':
    case 'goto':
      return { verdict: v.kind, target: v.target };
    case 'reject': {
      const type = v.with?.type ?? REJECT_DEFAULT[family];
      return type === 'tcp reset' ? { verdict: 'reject', type } : { verdict: 'reject', type, code: v.with?.code ?? 'port-unreachable' };
    }
    default:
      return { verdict: v.kind };
  }
}

// ─── differences ─────────────────────────────────────────────────────────────────────────────────

/** Human-readable differences between two rulesets' meanings; empty when they are equal. */
export function diffRulesets(a: Ruleset, b: Ruleset): string[] {
  const ca = canonicalRuleset(a);
  const cb = canonicalRuleset(b);
  const out: string[] = [];
  const ta = new Map(ca.tables.map((t) => [`${t.family} ${t.name}`, t]));
  const tb = new Map(cb.tables.map((t) => [`${t.family} ${t.name}`, t]));
  for (const [id, t] of ta) {
    const u = tb.get(id);
    if (!u) out.push(`table ${id}: only in the first ruleset`);
    else diffTables(id, t, u, out);
  }
  for (const id of tb.keys()) if (!ta.has(id)) out.push(`table ${id}: only in the second ruleset`);
  return out;
}

function diffTables(id: string, a: CanonicalTable, b: CanonicalTable, out: string[]): void {
  diffSets(id, a.sets ?? [], b.sets ?? [], out);
  const cb = new Map(b.chains.map((c) => [c.name, c]));
  const ca = new Map(a.chains.map((c) => [c.name, c]));
  for (const c of a.chains) {
    const d = cb.get(c.name);
    const where = `table ${id}, chain ${c.name}`;
    if (!d) {
      out.push(`${where}: only in the first ruleset`);
      continue;
    }
    if (JSON.stringify(c.base) !== JSON.stringify(d.base)) out.push(`${where}: ${formatBase(c.base)} ≠ ${formatBase(d.base)}`);
    const n = Math.max(c.rules.length, d.rules.length);
    for (let i = 0; i < n; i++) {
      const ra = c.rules[i];
      const rb = d.rules[i];
      if (ra && rb && JSON.stringify(ra) === JSON.stringify(rb)) continue;
      const text = (r: CanonicalRule | undefined): string => (r ? formatRule(r) : '(no rule)');
      out.push(`${where}, rule #${i + 1}: ${text(ra)}  ≠  ${text(rb)}`);
    }
  }
  for (const name of cb.keys()) if (!ca.has(name)) out.push(`table ${id}, chain ${name}: only in the second ruleset`);
}

function diffSets(id: string, a: CanonicalSet[], b: CanonicalSet[], out: string[]): void {
  const sb = new Map(b.map((x) => [x.name, x]));
  const sa = new Map(a.map((x) => [x.name, x]));
  for (const x of a) {
    const y = sb.get(x.name);
    const where = `table ${id}, dynamic set ${x.name}`;
    if (!y) out.push(`${where}: only in the first ruleset`);
    else if (JSON.stringify(x) !== JSON.stringify(y)) out.push(`${where}: ${JSON.stringify(x)} ≠ ${JSON.stringify(y)}`);
  }
  for (const name of sb.keys()) if (!sa.has(name)) out.push(`table ${id}, dynamic set ${name}: only in the second ruleset`);
}

function formatBase(b: CanonicalChain['base']): string {
  if (!b) return 'regular chain';
  return `type ${b.type} hook ${b.hook}${b.device ? ` device ${b.device}` : ''} priority ${b.priority} policy ${b.policy}`;
}

const isMatch = (e: CanonicalExpr): e is CanonicalMatch => 'match' in e;

/** A canonical rule in nft-like words, for diff messages. */
export function formatRule(r: CanonicalRule): string {
  const parts = r.exprs.map((e) => {
    if (isMatch(e)) {
      const v = e.value.length === 1 ? String(e.value[0]) : e.value.length === 0 ? '{} (no value)' : `{ ${e.value.join(', ')} }`;
      return `${e.match}${e.mask !== undefined ? ` & ${e.mask}` : ''} ${e.op} ${v}`;
    }
    const { stmt, ...rest } = e;
    return [stmt, ...Object.values(rest).map((x) => JSON.stringify(x))].join(' ');
  });
  if (r.verdict?.map) parts.push(`${r.verdict.map.key.join(' . ')} vmap { ${r.verdict.map.elements.join(', ')} }`);
  else if (r.verdict) parts.push([r.verdict.verdict, r.verdict.target, r.verdict.type, r.verdict.code].filter(Boolean).join(' '));
  if (r.comment !== undefined) parts.push(`comment ${JSON.stringify(r.comment)}`);
  return parts.join(' ') || '(empty rule)';
}
