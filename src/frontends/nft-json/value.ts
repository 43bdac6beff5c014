// Right-hand sides of nft JSON matches → IR values, checked against the field: atoms
// (`"10.0.0.1"`, `22`, `"tcp"`, `"established"`, `"eth*"`), prefixes, ranges, anonymous sets, flag
// lists; `"@name"` is a named set of the table (sets.ts), its elements inline; other named objects
// are reported as unsupported.

import type { Atom, Item, MatchField, MatchValue } from '../../model/ruleset.js';
import type { Origin } from '../../model/origin.js';
import { atomValue, CT_STATE, CT_STATUS, FIELDS, L4PROTO, PKTTYPE, setTypeFits, TCP_FLAGS } from '../../model/values.js';
import { describe, Fields, isObject, soleKey, type Json, type Scope } from './reader.js';

const at = (o: Origin, suffix: string): Origin => ({ ...o, field: `${o.field ?? ''}${suffix}` });

// ─── values ──────────────────────────────────────────────────────────────────────────────────────

/** One atom of a field (`"10.0.0.1"`, `22`, `"tcp"`, `"established"`, `"eth*"`), checked. */
export function readAtom(s: Scope, field: MatchField, v: Json, o: Origin): Atom | undefined {
  const info = FIELDS[field];
  let atom: Atom | undefined;
  switch (info.kind) {
    case 'ipv4':
    case 'ipv6':
    case 'ctstate':
    case 'ifname':
      if (typeof v !== 'string') return s.r.schema(`${field} takes a string, got ${describe(v)}`, o);
      if (info.kind === 'ifname' && v === '') return s.r.schema(`${field}: empty interface name`, o);
      if (info.kind === 'ifname' && v === '*') return s.r.schema(`${field}: a lone "*" would match every interface name; nft refuses it`, o);
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
      else if (typeof v === 'string' && field === 'ct status' && v in CT_STATUS) atom = CT_STATUS[v]!;
      else if (typeof v === 'string' && field === 'meta pkttype' && v in PKTTYPE) atom = PKTTYPE[v]!;
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
export function readFlags(s: Scope, field: MatchField, v: Json, o: Origin): number | undefined {
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

export function readItem(s: Scope, field: MatchField, v: Json, o: Origin): Item | undefined {
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

/**
 * `"@name"` as a match value: the named set's elements (shared with the set, never changed), or
 * undefined after reporting why not (another kind of object, a set nftlens refuses, a type the
 * field cannot take).
 */
export function namedSetValue(s: Scope, field: MatchField, v: string, o: Origin): MatchValue | undefined {
  const name = v.slice(1);
  const set = s.namedSet(name);
  if (set === 'refused') return undefined; // reported at the set
  if (set === undefined) return void namedRef(s, v, o);
  if (set.dynamic) return s.r.unsupported(`${field} compared with the dynamic set @${name} this way`, o);
  if (set.concat) return s.r.schema(`set @${name} holds ${set.concat.types.join(' . ')} values, which ${field} cannot be compared with`, o);
  if (!setTypeFits(set.type, field)) return s.r.schema(`set @${name} holds ${set.type} values, which ${field} cannot be compared with`, o);
  return { set: set.elements };
}

/** Whether `v` names a table object (`"@name"`). */
export function isNamedRef(v: Json | undefined): v is string {
  return typeof v === 'string' && v.startsWith('@');
}

/** `"@name"` where no named set can stand (a map, a vmap, a flag test…): reported as unsupported. */
export function namedRef(s: Scope, v: Json, o: Origin): boolean {
  if (typeof v !== 'string' || !v.startsWith('@')) return false;
  const name = v.slice(1);
  s.r.unsupported(`@${name} (${s.useObject(name)})`, o);
  return true;
}

export function readValue(s: Scope, field: MatchField, v: Json, o: Origin): MatchValue | undefined {
  if (isNamedRef(v)) return namedSetValue(s, field, v, o);
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

