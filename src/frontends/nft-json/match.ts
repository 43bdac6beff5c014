// nft JSON `{"match": {op, left, right}}` → IR matches. The left side names a header field
// (payload, meta, ct, optionally `&` a mask), the right side a value (single, prefix, range,
// anonymous set, flag list). `tcp dport 22` becomes `meta l4proto 6` + `th dport 22`, in that order,
// as the kernel runs it. nft's implicit op on flag types (`tcp flags syn`, `ct state est,rel`)
// means `(x & flags) != 0`; its negation `!` means `(x & flags) == 0`.

import type { Atom, Item, Match, MatchField, MatchValue } from '../../model/ruleset.js';
import type { Origin } from '../../model/origin.js';
import {
  atomValue, CT_STATE, FIELDS, formatAddress, L4PROTO, parseAddress, prefixMask, TCP_FLAGS,
} from '../../model/values.js';
import { describe, Fields, isObject, soleKey, type Json, type Reader } from './reader.js';

/** What a rule needs from its surroundings: where it is, and how to name `@set` references. */
export interface Scope {
  r: Reader;
  /** Marks a named set/map/object as used by a rule and says what it is (`named set`, …). */
  useObject(name: string): string;
}

const PORT_PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, udplite: 136, sctp: 132, dccp: 33 };

interface Left {
  field: MatchField;
  /** Transport protocol implied by `tcp dport` & co: a `meta l4proto` match goes first. */
  l4proto?: number;
  /** The `&` operand, when the left side is `{"&": [field, mask]}`. */
  mask?: Json;
}

const at = (o: Origin, suffix: string): Origin => ({ ...o, field: `${o.field ?? ''}${suffix}` });

/** The field a left-hand expression reads, or undefined after reporting why not. */
export function readLeft(s: Scope, left: Json, o: Origin): Left | undefined {
  const key = soleKey(left);
  if (key === undefined || !isObject(left)) return s.r.schema(`expected an expression, got ${describe(left)}`, o);
  const body = left[key];
  switch (key) {
    case 'payload': {
      if (!isObject(body)) return s.r.schema('"payload" must be an object', at(o, '.payload'));
      if ('base' in body) {
        return s.r.unsupported(`raw payload @${String(body.base)},${String(body.offset)},${String(body.len)}`, o);
      }
      const f = new Fields(s.r, body, at(o, '.payload'));
      const proto = f.string('protocol');
      const name = f.string('field');
      if (proto === undefined || name === undefined) return undefined;
      if ((proto === 'ip' || proto === 'ip6') && (name === 'saddr' || name === 'daddr')) {
        return { field: `${proto} ${name}` };
      }
      if (proto === 'ip' && name === 'protocol') return { field: 'ip protocol' };
      if (proto === 'tcp' && name === 'flags') return { field: 'tcp flags' };
      if (name === 'sport' || name === 'dport') {
        if (proto === 'th') return { field: `th ${name}` };
        const n = PORT_PROTOCOLS[proto];
        if (n !== undefined) return { field: `th ${name}`, l4proto: n };
      }
      return s.r.unsupported(`${proto} ${name}`, o);
    }
    case 'meta': {
      if (!isObject(body)) return s.r.schema('"meta" must be an object', at(o, '.meta'));
      const k = new Fields(s.r, body, at(o, '.meta')).string('key');
      if (k === undefined) return undefined;
      if (k === 'l4proto' || k === 'nfproto' || k === 'iifname' || k === 'oifname' || k === 'mark') {
        return { field: `meta ${k}` };
      }
      return s.r.unsupported(`meta ${k}`, o);
    }
    case 'ct': {
      if (!isObject(body)) return s.r.schema('"ct" must be an object', at(o, '.ct'));
      const f = new Fields(s.r, body, at(o, '.ct'));
      const k = f.string('key');
      if (k === undefined) return undefined;
      if (f.has('dir') || f.has('family')) return s.r.unsupported(`ct ${String(body.dir ?? body.family)} ${k}`, o);
      if (k === 'state' || k === 'mark') return { field: `ct ${k}` };
      return s.r.unsupported(`ct ${k}`, o);
    }
    case '&': {
      if (!Array.isArray(body) || body.length !== 2) return s.r.schema('"&" takes [expression, mask]', at(o, '.&'));
      const inner = readLeft(s, body[0]!, at(o, '.&[0]'));
      if (!inner) return undefined;
      if (inner.mask !== undefined) return s.r.unsupported('nested bitwise &', o);
      return { ...inner, mask: body[1]! };
    }
    case 'concat':
      return s.r.unsupported('concatenation', o);
    case 'exthdr':
    case 'tcp option':
    case 'ip option':
    case 'sctp chunk':
    case 'dccp option': {
      const f = isObject(body) ? body : {};
      return s.r.unsupported(`${key} ${[f.name, f.field].filter((x) => typeof x === 'string').join(' ')}`.trim(), o);
    }
    case '|':
    case '^':
    case '<<':
    case '>>':
      return s.r.unsupported(`bitwise ${key}`, o);
    default:
      return s.r.unsupported(key, o);
  }
}

// ─── values ──────────────────────────────────────────────────────────────────────────────────────

/** One atom of a field (`"10.0.0.1"`, `22`, `"tcp"`, `"established"`, `"eth*"`), checked. */
function readAtom(s: Scope, field: MatchField, v: Json, o: Origin): Atom | undefined {
  const info = FIELDS[field];
  let atom: Atom | undefined;
  switch (info.kind) {
    case 'ipv4':
    case 'ipv6':
    case 'ctstate':
    case 'ifname':
      if (typeof v !== 'string') return s.r.schema(`${field} takes a string, got ${describe(v)}`, o);
      if (info.kind === 'ifname' && v === '') return s.r.schema(`${field}: empty interface name`, o);
      atom = v;
      break;
    case 'nfproto':
      atom = v === 2 ? 'ipv4' : v === 10 ? 'ipv6' : typeof v === 'string' ? v : undefined;
      if (atom === undefined) return s.r.schema(`${field} takes ipv4 or ipv6, got ${describe(v)}`, o);
      break;
    case 'uint':
      if (typeof v === 'number') atom = v;
      else if (typeof v === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(v)) atom = Number(v);
      else if (typeof v === 'string' && (field === 'meta l4proto' || field === 'ip protocol') && v in L4PROTO) {
        atom = L4PROTO[v]!;
      } else if (typeof v === 'string' && field === 'tcp flags' && v in TCP_FLAGS) atom = TCP_FLAGS[v]!;
      else if (typeof v === 'string') return s.r.unsupported(`symbolic ${field} value "${v}"`, o);
      else return s.r.schema(`${field} takes a number, got ${describe(v)}`, o);
      break;
  }
  if (info.kind !== 'ifname') {
    const check = atomValue(field, atom);
    if (typeof check === 'string') return s.r.schema(check, o);
  }
  return atom;
}

/** A flag list `["syn", "ack"]` or one flag, OR-ed into bits (tcp flags, ct state). */
function readFlags(s: Scope, field: MatchField, v: Json, o: Origin): number | undefined {
  const list = Array.isArray(v) ? v : [v];
  let bits = 0;
  for (const [i, x] of list.entries()) {
    const oi = Array.isArray(v) ? at(o, `[${i}]`) : o;
    if (field === 'ct state') {
      const bit = typeof x === 'string' ? CT_STATE[x] : undefined;
      if (bit === undefined) return s.r.schema(`${describe(x)} is not a ct state`, oi);
      bits |= bit;
    } else {
      const a = readAtom(s, field, x, oi);
      if (a === undefined) return undefined;
      bits |= a as number;
    }
  }
  return bits;
}

function readItem(s: Scope, field: MatchField, v: Json, o: Origin): Item | undefined {
  if (!isObject(v)) return readAtom(s, field, v, o);
  const key = soleKey(v);
  const info = FIELDS[field];
  if (key === 'prefix' && isObject(v.prefix)) {
    if (info.kind !== 'ipv4' && info.kind !== 'ipv6') return s.r.schema(`a prefix is not a value of ${field}`, o);
    const f = new Fields(s.r, v.prefix, at(o, '.prefix'));
    const addr = f.string('addr');
    const len = f.integer('len');
    if (addr === undefined || len === undefined) return undefined;
    if (readAtom(s, field, addr, at(o, '.prefix.addr')) === undefined) return undefined;
    if (len < 0 || len > info.bits) return s.r.schema(`prefix length ${len} is out of 0..${info.bits}`, at(o, '.prefix.len'));
    return { prefix: addr, len };
  }
  if (key === 'range' && Array.isArray(v.range) && v.range.length === 2) {
    if (info.kind === 'ifname' || info.kind === 'ctstate') return s.r.schema(`a range is not a value of ${field}`, o);
    const lo = readAtom(s, field, v.range[0]!, at(o, '.range[0]'));
    const hi = readAtom(s, field, v.range[1]!, at(o, '.range[1]'));
    return lo === undefined || hi === undefined ? undefined : { range: [lo, hi] };
  }
  if (key === 'concat') return s.r.unsupported('concatenation', o);
  if (key === 'elem') return s.r.unsupported('set element with options', o);
  if (key === 'prefix' || key === 'range') return s.r.schema(`malformed ${key}`, o);
  return s.r.unsupported(key ? `${key} expression as a value` : 'object value', o);
}

/** `"@name"` on the right side of a match, a map, a vmap…: a named set. */
export function namedRef(s: Scope, v: Json, o: Origin): boolean {
  if (typeof v !== 'string' || !v.startsWith('@')) return false;
  const name = v.slice(1);
  s.r.unsupported(`@${name} (${s.useObject(name)})`, o);
  return true;
}

function readValue(s: Scope, field: MatchField, v: Json, o: Origin): MatchValue | undefined {
  if (namedRef(s, v, o)) return undefined;
  if (isObject(v) && soleKey(v) === 'set') {
    const elems = v.set;
    if (!Array.isArray(elems)) return s.r.schema('"set" must be an array', at(o, '.set'));
    const set: Item[] = [];
    let ok = true;
    for (const [i, e] of elems.entries()) {
      const item = readItem(s, field, e, at(o, `.set[${i}]`));
      if (item === undefined) ok = false;
      else set.push(item);
    }
    return ok ? { set } : undefined;
  }
  if (Array.isArray(v)) return s.r.schema(`a list is a flag combination, not a value of ${field}`, o);
  return readItem(s, field, v, o);
}

// ─── the match ───────────────────────────────────────────────────────────────────────────────────

const OPS = ['==', '!=', 'in', '!', '<', '>', '<=', '>='] as const;

export function readMatch(s: Scope, body: Json, o: Origin): Match[] | undefined {
  if (!isObject(body)) return s.r.schema('"match" must be an object', o);
  const f = new Fields(s.r, body, o);
  const op = f.has('op') ? f.oneOf('op', OPS) : 'in';
  if (op === undefined || !f.has('left') || !f.has('right')) {
    if (op !== undefined) s.r.schema(`a match needs "left" and "right"`, o);
    return undefined;
  }
  const left = readLeft(s, body.left!, f.at('left'));
  // Read the right side even when the left is unsupported, so every construct gets reported.
  const ro = f.at('right');
  if (!left) {
    if (typeof body.right === 'string') namedRef(s, body.right, ro);
    return undefined;
  }
  const { field } = left;
  const mk = (m: Omit<Match, 'kind' | 'origin'>): Match => ({ kind: 'match', ...m, origin: o });
  const pre: Match[] = left.l4proto === undefined ? [] : [mk({ field: 'meta l4proto', op: '==', value: left.l4proto })];
  const info = FIELDS[field];
  const flagType = field === 'tcp flags' || field === 'ct state';

  let mask: number | undefined;
  if (left.mask !== undefined) {
    const mo = at(f.at('left'), '.&[1]');
    if (info.kind === 'ipv4' || info.kind === 'ipv6') return addressMask(s, field, op, left.mask, body.right!, o, mo, pre);
    if (field === 'ct state') return ctStateMask(s, op, left.mask, body.right!, o, mo);
    if (info.kind !== 'uint') return s.r.unsupported(`bitwise & on ${field}`, o);
    mask = readFlags(s, field, left.mask, mo);
    if (mask === undefined) return undefined;
    if (op === 'in' || op === '!') return s.r.unsupported(`implicit flag test on ${field} & mask`, o);
  }
  const withMask = mask === undefined ? {} : { mask };

  if ((op === 'in' || op === '!') && flagType && !(isObject(body.right) && soleKey(body.right) === 'set')) {
    if (namedRef(s, body.right!, ro)) return undefined;
    if (field === 'tcp flags') {
      const bits = readFlags(s, field, body.right!, ro);
      if (bits === undefined) return undefined;
      return [...pre, mk({ field, op: op === 'in' ? '!=' : '==', mask: bits, value: 0 })];
    }
    // ct state: a packet has exactly one state bit, so `& bits != 0` is membership.
    const list = Array.isArray(body.right) ? body.right : [body.right!];
    const states: Item[] = [];
    for (const [i, x] of list.entries()) {
      const a = readAtom(s, field, x, Array.isArray(body.right) ? at(ro, `[${i}]`) : ro);
      if (a === undefined) return undefined;
      states.push(a);
    }
    const value: MatchValue = states.length === 1 ? states[0]! : { set: states };
    return [...pre, mk({ field, op: op === 'in' ? '==' : '!=', value })];
  }

  if (op === '<' || op === '>' || op === '<=' || op === '>=') {
    if (info.kind !== 'uint' && info.kind !== 'ipv4' && info.kind !== 'ipv6') {
      return s.r.unsupported(`${op} on ${field}`, o);
    }
    const a = readAtom(s, field, body.right!, ro);
    if (a === undefined) return undefined;
    return [...pre, mk({ field, op: '==', ...withMask, value: { range: comparisonRange(field, op, a) } })];
  }

  let value: MatchValue | undefined;
  if (flagType && Array.isArray(body.right)) {
    // `tcp flags == syn|ack`: the OR of the flags. `ct state == a,b` compares against a bit
    // combination no packet has.
    if (field === 'ct state' && body.right.length !== 1) return s.r.unsupported('ct state == combined states', o);
    const bits = readFlags(s, field, body.right, ro);
    if (bits === undefined) return undefined;
    value = field === 'tcp flags' ? bits : (body.right[0] as string);
  } else value = readValue(s, field, body.right!, ro);
  if (value === undefined) return undefined;
  return [...pre, mk({ field, op: op === '!=' || op === '!' ? '!=' : '==', ...withMask, value })];
}

function comparisonRange(field: MatchField, op: '<' | '>' | '<=' | '>=', a: Atom): [Atom, Atom] {
  const info = FIELDS[field];
  const v = atomValue(field, a) as bigint;
  const max = (1n << BigInt(info.bits)) - 1n;
  const [lo, hi] =
    op === '<' ? [0n, v - 1n] : op === '<=' ? [0n, v] : op === '>' ? [v + 1n, max] : [v, max];
  // An empty comparison (`< 0`) becomes a reversed range, which covers nothing.
  const fmt = (n: bigint): Atom => {
    const c = n < 0n ? 0n : n > max ? max : n;
    return info.kind === 'ipv4' ? formatAddress(c, 4) : info.kind === 'ipv6' ? formatAddress(c, 6) : Number(c);
  };
  return lo > hi ? [fmt(max), fmt(0n)] : [fmt(lo), fmt(hi)];
}

/** `ip saddr & 255.255.0.0 == 10.1.2.3`: the kernel's form of a prefix, host bits kept. */
function addressMask(
  s: Scope, field: MatchField, op: string, mask: Json, right: Json, o: Origin, mo: Origin, pre: Match[],
): Match[] | undefined {
  const info = FIELDS[field];
  const m = typeof mask === 'string' ? parseAddress(mask) : undefined;
  if (!m || m.version !== (info.kind === 'ipv4' ? 4 : 6)) return s.r.schema(`${describe(mask)} is not an address mask`, mo);
  let len = 0;
  while (len <= info.bits && prefixMask(len, info.bits) !== m.value) len++;
  if (len > info.bits) return s.r.unsupported(`non-prefix mask on ${field}`, o);
  if (op !== '==' && op !== '!=') return s.r.unsupported(`${op} on ${field} & mask`, o);
  const ro = { ...o, field: `${o.field ?? ''}.right` };
  const addr = readAtom(s, field, right, ro);
  if (addr === undefined) return undefined;
  return [...pre, { kind: 'match', field, op, value: { prefix: addr as string, len }, origin: o }];
}

/** `ct state & (established|related) == 0` (or `!= 0`): membership in the listed states. */
function ctStateMask(s: Scope, op: string, mask: Json, right: Json, o: Origin, mo: Origin): Match[] | undefined {
  if ((op !== '==' && op !== '!=') || right !== 0) return s.r.unsupported('bitwise & on ct state', o);
  const list = Array.isArray(mask) ? mask : [mask];
  const states: Item[] = [];
  for (const [i, x] of list.entries()) {
    if (typeof x !== 'string' || !(x in CT_STATE)) return s.r.schema(`${describe(x)} is not a ct state`, { ...mo, field: `${mo.field}[${i}]` });
    states.push(x);
  }
  return [{ kind: 'match', field: 'ct state', op: op === '==' ? '!=' : '==', value: { set: states }, origin: o }];
}
