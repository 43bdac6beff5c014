// nft JSON statements and verdicts → IR. Supported: counter, mangle of meta/ct mark (a number, a
// mark, `&`/`|`/`^` with constants over a mark, or a map), notrack, `tcp option maxseg size set
// rt mtu|N`, snat/dnat (address, netmap prefix, range, port, or a map), masquerade, redirect, log, the
// verdicts and verdict maps (maps.ts); `limit`, `quota`, `ct count` (a StateMatch) and the set
// statement (`update @s { ip saddr }`), read by state.ts. Anything else (meters, named stateful
// objects) is reported by name.

import { NAT_FLAGS, type Item, type MapData, type Match, type NatFlag, type NatStmt, type RejectWith, type StateMatch, type Statement, type Verdict, type VmapVerdict } from '../../model/ruleset.js';
import type { Origin } from '../../model/origin.js';
import { formatAddress, itemInterval, parseAddress } from '../../model/values.js';
import { ALL_BITS, foldMarkOp, markOpFields } from '../../model/mark-op.js';
import { describe, Fields, isObject, soleKey, type Json, type Scope } from './reader.js';
import { namedRef } from './value.js';
import { readLookup, type MapValues, type ValueReader } from './maps.js';
import { isStateful, readSetUpdate, readStateMatch } from './state.js';

/**
 * A statement (or a stateful test: `limit`, `quota`, `ct count`) or the verdict, with the matches a
 * key implies (`tcp dport` → `meta l4proto tcp`), which go first.
 */
export type Read = ({ stmt: Statement | StateMatch } | { verdict: Verdict | VmapVerdict }) & { pre?: Match[] };

const at = (o: Origin, suffix: string): Origin => ({ ...o, field: `${o.field ?? ''}${suffix}` });

const NAMED_OBJECT_STATEMENTS = ['counter', 'quota', 'limit', 'ct helper', 'ct timeout', 'ct expectation', 'synproxy', 'secmark'];

export function readStatement(s: Scope, key: string, body: Json, o: Origin): Read | undefined {
  const bo = at(o, `.${key}`);
  if (isStateful(key) && isObject(body) && !isObject(body.map)) {
    const m = readStateMatch(s, key, body, o);
    return m && { stmt: m };
  }
  switch (key) {
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
      return { verdict: { kind: key, origin: o } };
    case 'jump':
    case 'goto': {
      if (!isObject(body)) {
        if (typeof body === 'string') return s.r.unsupported(`${key} to an anonymous chain`, o);
        return s.r.schema(`"${key}" must be an object with "target"`, bo);
      }
      const target = new Fields(s.r, body, bo).string('target');
      return target === undefined ? undefined : { verdict: { kind: key, target, origin: o } };
    }
    case 'reject':
      return readReject(s, body, o);
    case 'counter': {
      if (body === null) return { stmt: { kind: 'counter', origin: o } };
      if (typeof body === 'string') {
        useNamed(s, body);
        return s.r.unsupported(`named counter "${body}"`, o);
      }
      if (!isObject(body)) return s.r.schema(`"counter" must be an object or null, got ${describe(body)}`, bo);
      if (isObject(body.map)) return objectMap(s, key, body.map, o);
      const f = new Fields(s.r, body, bo);
      const packets = f.integer('packets', false);
      const bytes = f.integer('bytes', false);
      if ((f.has('packets') && packets === undefined) || (f.has('bytes') && bytes === undefined)) return undefined;
      const c: Statement = { kind: 'counter', origin: o };
      if (packets !== undefined) c.packets = packets;
      if (bytes !== undefined) c.bytes = bytes;
      return { stmt: c };
    }
    case 'mangle':
      return readMangle(s, body, o);
    case 'notrack':
      return { stmt: { kind: 'notrack', origin: o } };
    case 'snat':
    case 'dnat':
      return readNat(s, key, body, o);
    case 'masquerade':
    case 'redirect':
      return readNat(s, key, body, o);
    case 'log':
      return readLog(s, body, o);
    case 'set':
      return readSetUpdate(s, body, o);
    case 'meter': {
      const name = isObject(body) && typeof body.name === 'string' ? ` ${body.name}` : '';
      return s.r.unsupported(`meter${name}`, o, 'error', 'an anonymous set the packet path updates; a named dynamic set and `add @set { … }` are modelled');
    }
    case 'map': {
      const ref = isObject(body) ? body[key] : undefined;
      const op = isObject(body) && typeof body.op === 'string' ? body.op : 'update';
      if (typeof ref === 'string') useNamed(s, ref.replace(/^@/, ''));
      return s.r.unsupported(`${key} ${op} statement${typeof ref === 'string' ? ` ${ref}` : ''}`, o);
    }
    case 'flow': {
      const ft = isObject(body) && typeof body.flowtable === 'string' ? body.flowtable : undefined;
      if (ft) useNamed(s, ft.replace(/^@/, ''));
      return s.r.unsupported(`flow offload${ft ? ` ${ft}` : ''} (flowtable)`, o);
    }
    case 'vmap': {
      const read = readLookup(s, body, bo, VERDICTS);
      return read && { verdict: { kind: 'vmap', lookup: read.lookup, origin: o }, pre: read.pre };
    }
    default:
      if (NAMED_OBJECT_STATEMENTS.includes(key) && typeof body === 'string') {
        useNamed(s, body);
        return s.r.unsupported(`named ${key} "${body}"`, o);
      }
      if (isObject(body) && isObject(body.map) && NAMED_OBJECT_STATEMENTS.includes(key)) return objectMap(s, key, body.map, o);
      return s.r.unsupported(key, o);
  }
}

function useNamed(s: Scope, name: string): void {
  s.useObject(name);
}

/** `counter name ip saddr map { 1.1.1.1 : "c1" }`: the map's values name objects, now used. */
function objectMap(s: Scope, key: string, map: { [k: string]: Json }, o: Origin): undefined {
  const data = map.data;
  if (typeof data === 'string') useNamed(s, data.replace(/^@/, ''));
  else if (isObject(data) && Array.isArray(data.set)) {
    for (const pair of data.set) if (Array.isArray(pair) && typeof pair[1] === 'string') useNamed(s, pair[1]);
  }
  return s.r.unsupported(`${key} map`, o);
}

const REJECT_TYPES = ['tcp reset', 'icmp', 'icmpv6', 'icmpx'] as const;

function readReject(s: Scope, body: Json, o: Origin): Read | undefined {
  if (body === null) return { verdict: { kind: 'reject', origin: o } };
  if (!isObject(body)) return s.r.schema(`"reject" must be an object or null, got ${describe(body)}`, at(o, '.reject'));
  const f = new Fields(s.r, body, at(o, '.reject'));
  const type = f.oneOf('type', REJECT_TYPES, false);
  const code = f.string('expr', false);
  if ((f.has('type') && !type) || (f.has('expr') && code === undefined)) return undefined;
  if (!type) return code === undefined ? { verdict: { kind: 'reject', origin: o } } : s.r.schema('"expr" needs "type"', f.at('expr'));
  if (type === 'tcp reset' && code !== undefined) return s.r.schema('tcp reset takes no "expr"', f.at('expr'));
  const w: RejectWith = { type };
  if (code !== undefined) w.code = code;
  return { verdict: { kind: 'reject', with: w, origin: o } };
}

function readMangle(s: Scope, body: Json, o: Origin): Read | undefined {
  if (!isObject(body)) return s.r.schema('"mangle" must be an object', at(o, '.mangle'));
  const f = new Fields(s.r, body, at(o, '.mangle'));
  if (!f.has('key') || !f.has('value')) return s.r.schema('"mangle" needs "key" and "value"', at(o, '.mangle'));
  const key = mark(body.key!);
  const value = body.value!;
  if (key) {
    const src = mark(value);
    if (src) return { stmt: { kind: 'set-mark', key, value: src, origin: o } };
    const n = uint32(value);
    if (n !== undefined) return { stmt: { kind: 'set-mark', key, value: n, origin: o } };
    if (isObject(value) && soleKey(value) === 'map') {
      const read = readLookup(s, value.map!, at(f.at('value'), '.map'), MARKS);
      return read && { stmt: { kind: 'set-mark', key, value: read.lookup, origin: o }, pre: read.pre };
    }
    if (typeof value === 'number' || typeof value === 'string') return s.r.schema(`${key} takes a 32-bit value, got ${describe(value)}`, f.at('value'));
    const arith = markArithmetic(value);
    if (typeof arith === 'string') return s.r.schema(arith, f.at('value'));
    if (arith) return { stmt: { kind: 'set-mark', key, value: arith.source, ...markOpFields(arith.and, arith.xor), origin: o } };
    return s.r.unsupported(`${key} set ${soleKey(value) ?? 'expression'}`, o);
  }
  const opt = isObject(body.key) ? body.key['tcp option'] : undefined;
  if (isObject(opt) && opt.name === 'maxseg' && opt.field === 'size') {
    if (isObject(value) && isObject(value.rt) && value.rt.key === 'mtu') return { stmt: { kind: 'mss-clamp', size: 'rt mtu', origin: o } };
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff) {
      return { stmt: { kind: 'mss-clamp', size: value, origin: o } };
    }
    return s.r.unsupported('tcp option maxseg size set expression', o);
  }
  const k = soleKey(body.key);
  const inner = k && isObject(body.key) && isObject(body.key[k]) ? (body.key[k] as Record<string, Json>) : {};
  const name = [k, inner.protocol ?? inner.name, inner.key ?? inner.field].filter((x) => typeof x === 'string').join(' ');
  return s.r.unsupported(`${name || 'mangle'} set`, o);
}

function mark(v: Json): 'meta mark' | 'ct mark' | undefined {
  if (!isObject(v)) return undefined;
  if (isObject(v.meta) && v.meta.key === 'mark' && Object.keys(v).length === 1) return 'meta mark';
  if (isObject(v.ct) && v.ct.key === 'mark' && Object.keys(v.ct).length === 1) return 'ct mark';
  return undefined;
}

/**
 * `meta mark & 0xff00 | 0x1` and any chain of `&`, `|`, `^` with constants over one mark, folded
 * as nft folds it (src/model/mark-op.ts); undefined when the expression is something else (a
 * shift, another field), a message when a constant is not 32-bit.
 */
function markArithmetic(v: Json): { source: 'meta mark' | 'ct mark'; and: number; xor: number } | string | undefined {
  const src = mark(v);
  if (src) return { source: src, and: ALL_BITS, xor: 0 };
  const op = soleKey(v);
  if (!isObject(v) || (op !== '&' && op !== '|' && op !== '^')) return undefined;
  const args = v[op];
  if (!Array.isArray(args) || args.length !== 2) return undefined;
  const inner = markArithmetic(args[0]!);
  if (inner === undefined || typeof inner === 'string') return inner;
  const c = uint32(args[1]!);
  if (c === undefined) return isObject(args[1]) ? undefined : `${op} takes a 32-bit constant, got ${describe(args[1]!)}`;
  const [and, xor] = foldMarkOp(inner.and, inner.xor, op, c);
  return { source: inner.source, and, xor };
}

function uint32(v: Json): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n : undefined;
}

// ─── NAT ─────────────────────────────────────────────────────────────────────────────────────────

function readNat(s: Scope, type: NatStmt['type'], body: Json, o: Origin): Read | undefined {
  const stmt: NatStmt = { kind: 'nat', type, origin: o };
  let pre: Match[] | undefined;
  if (body === null) {
    return type === 'masquerade' || type === 'redirect' ? { stmt } : s.r.unsupported(`${type} without an address`, o);
  }
  const bo = at(o, `.${type}`);
  if (!isObject(body)) return s.r.schema(`"${type}" must be an object`, bo);
  const f = new Fields(s.r, body, bo);
  const family = f.oneOf('family', ['ip', 'ip6'] as const, false);
  if (f.has('family') && !family) return undefined;
  const flags = f.raw('flags');
  const flagList = flags === undefined ? [] : Array.isArray(flags) ? flags : [flags];
  if (!flagList.every((x) => typeof x === 'string')) return s.r.schema('"flags" must be a string or a list of strings', f.at('flags'));
  const netmap = flagList.includes('netmap') || body.type_flags === 'prefix' || (Array.isArray(body.type_flags) && body.type_flags.includes('prefix'));
  const other = (flagList as string[]).filter((x) => x !== 'netmap');
  const unknown = other.filter((x) => !(NAT_FLAGS as readonly string[]).includes(x));
  if (unknown.length) return s.r.schema(`unknown ${type} flag ${unknown.join(',')} (nft knows ${NAT_FLAGS.join(', ')}, netmap)`, f.at('flags'));
  if (other.length) stmt.flags = other as NatFlag[];

  if (type === 'masquerade' || type === 'redirect') {
    if (f.has('addr')) return s.r.schema(`${type} takes no "addr"`, f.at('addr'));
  } else if (!f.has('addr')) {
    return s.r.unsupported(`${type} without an address`, o);
  } else if (isObject(body.addr) && soleKey(body.addr) === 'map') {
    const read = readLookup(s, body.addr.map!, at(f.at('addr'), '.map'), addresses(netmap, family, type));
    if (!read) return undefined;
    // Without the netmap flag a prefix stands for the addresses it covers (a named map keeps prefixes).
    const elements = netmap ? read.lookup.elements : read.lookup.elements.map((el) => ({ ...el, value: poolOf(el.value) }));
    stmt.map = { ...read.lookup, elements };
    pre = read.pre;
  } else {
    const to = readNatAddr(s, body.addr!, f.at('addr'), netmap, family, type);
    if (to === undefined) return undefined;
    stmt.to = to;
  }
  if (f.has('port')) {
    const p = body.port!;
    const po = f.at('port');
    if (isObject(p) && Array.isArray(p.range) && p.range.length === 2) {
      const [lo, hi] = p.range;
      if (!isPort(lo) || !isPort(hi)) return s.r.schema('a port range takes two ports', po);
      stmt.port = { range: [lo, hi] };
    } else if (isPort(p)) stmt.port = p;
    else if (namedRef(s, p, po)) return undefined;
    else if (isObject(p)) return s.r.unsupported(`${type} to port ${soleKey(p) ?? 'expression'}`, o);
    else return s.r.schema(`"port" must be a port or a range, got ${describe(p)}`, po);
  }
  return pre ? { stmt, pre } : { stmt };
}

/** A prefix as the address range it covers (the NAT pool nft installs for it without netmap). */
function poolOf(i: Item): Item {
  if (typeof i !== 'object' || !('prefix' in i)) return i;
  const a = parseAddress(i.prefix)!;
  const iv = itemInterval(a.version === 4 ? 'ip daddr' : 'ip6 daddr', i);
  return iv && typeof iv === 'object' ? { range: [formatAddress(iv.lo, a.version), formatAddress(iv.hi, a.version)] } : i;
}

// ─── map values ──────────────────────────────────────────────────────────────────────────────────

function readVerdictValue(s: Scope, v: Json, o: Origin): Verdict | undefined {
  const key = soleKey(v);
  if (key === undefined || !isObject(v)) return s.r.schema(`expected a verdict, got ${describe(v)}`, o);
  const read = readStatement(s, key, v[key]!, o);
  if (!read) return undefined;
  if (!('verdict' in read) || read.verdict.kind === 'vmap') return s.r.schema(`expected a verdict, got ${key}`, o);
  return read.verdict;
}

function readMarkValue(s: Scope, v: Json, o: Origin): number | undefined {
  return uint32(v) ?? s.r.schema(`expected a 32-bit mark, got ${describe(v)}`, o);
}

const VERDICTS: MapValues<Verdict> = { data: ['verdict'], read: readVerdictValue };
const MARKS: MapValues<number> = { data: ['mark'], read: readMarkValue };

function addresses(netmap: boolean, family: 'ip' | 'ip6' | undefined, type: string): MapValues<Item> {
  const data: MapData[] = family === 'ip' ? ['ipv4_addr'] : family === 'ip6' ? ['ipv6_addr'] : ['ipv4_addr', 'ipv6_addr'];
  return { data, read: (s, v, o) => readNatAddr(s, v, o, netmap, family, type) };
}

/** How a named map's values are read, by its data type (addresses keep prefixes: the lookup decides). */
export function mapValueReader(data: MapData): ValueReader<Verdict | number | Item> {
  if (data === 'verdict') return readVerdictValue;
  if (data === 'mark') return readMarkValue;
  return (s, v, o) => readNatAddr(s, v, o, true, data === 'ipv4_addr' ? 'ip' : 'ip6', 'map');
}

const isPort = (v: Json | undefined): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff;

function readNatAddr(
  s: Scope, v: Json, o: Origin, netmap: boolean, family: 'ip' | 'ip6' | undefined, type: string,
): Item | undefined {
  const want = family === 'ip' ? 4 : family === 'ip6' ? 6 : undefined;
  const addr = (x: Json, xo: Origin): string | undefined => {
    const a = typeof x === 'string' ? parseAddress(x) : undefined;
    if (!a) return s.r.schema(`${describe(x)} is not an address`, xo);
    if (want && a.version !== want) return s.r.schema(`${x} is not an ${family} address`, xo);
    return x as string;
  };
  if (typeof v === 'string') {
    if (namedRef(s, v, o)) return undefined;
    return addr(v, o);
  }
  const key = soleKey(v);
  if (isObject(v) && key === 'prefix' && isObject(v.prefix)) {
    const f = new Fields(s.r, v.prefix, { ...o, field: `${o.field}.prefix` });
    const a = f.string('addr');
    const len = f.integer('len');
    if (a === undefined || len === undefined || addr(a, f.at('addr')) === undefined) return undefined;
    const item: Item = { prefix: a, len };
    const field = parseAddress(a)!.version === 4 ? 'ip daddr' : 'ip6 daddr';
    const iv = itemInterval(field, item);
    if (typeof iv === 'string') return s.r.schema(iv, f.at('len'));
    if (netmap) return item;
    // Without the netmap flag nft installs a prefix as the address range it covers.
    if (!iv) return s.r.schema(`prefix ${a}/${len} has host bits set`, o);
    const version = parseAddress(a)!.version;
    return { range: [formatAddress(iv.lo, version), formatAddress(iv.hi, version)] };
  }
  if (isObject(v) && key === 'range' && Array.isArray(v.range) && v.range.length === 2) {
    const lo = addr(v.range[0]!, { ...o, field: `${o.field}.range[0]` });
    const hi = addr(v.range[1]!, { ...o, field: `${o.field}.range[1]` });
    return lo === undefined || hi === undefined ? undefined : { range: [lo, hi] };
  }
  if (isObject(v) && key === 'map' && isObject(v.map) && typeof v.map.data === 'string') s.useObject(v.map.data.replace(/^@/, ''));
  return s.r.unsupported(`${type} to ${key === 'map' ? 'a map' : key ?? 'an expression'}`, o);
}

// ─── log ─────────────────────────────────────────────────────────────────────────────────────────

function readLog(s: Scope, body: Json, o: Origin): Read | undefined {
  if (body === null) return { stmt: { kind: 'log', origin: o } };
  if (!isObject(body)) return s.r.schema('"log" must be an object or null', at(o, '.log'));
  const f = new Fields(s.r, body, at(o, '.log'));
  const prefix = f.string('prefix', false);
  if (f.has('prefix') && prefix === undefined) return undefined;
  const others = Object.keys(body).filter((k) => k !== 'prefix' && !(k === 'level' && body.level === 'warn'));
  if (others.length) s.r.unsupported(`log ${others.join(', ')}`, o, 'warning', 'ignored: logging options do not change verdicts');
  return { stmt: prefix === undefined ? { kind: 'log', origin: o } : { kind: 'log', prefix, origin: o } };
}
