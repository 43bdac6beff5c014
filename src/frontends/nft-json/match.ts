// nft JSON `{"match": {op, left, right}}` → IR matches. The left side names a header field
// (payload, meta, ct, optionally `&` a mask), the right side a value (single, prefix, range,
// anonymous set, flag list). `tcp dport 22` becomes `meta l4proto 6` + `th dport 22`, in that order,
// as the kernel runs it. nft's implicit op on flag types (`tcp flags syn`, `ct state est,rel`)
// means `(x & flags) != 0`; its negation `!` means `(x & flags) == 0`. `meta iif`/`oif` become exact
// interface-name matches marked `ifindex`; `fib … type local` and `fib … oif` a FibMatch; `numgen …`,
// `jhash …`, `symhash …` and a lookup in a dynamic set (`ip saddr @affinity`) a StateMatch (state.ts).

import type { Atom, ConcatMatch, CtHelperMatch, FibMatch, Item, Match, MatchField, MatchValue, StateMatch } from '../../model/ruleset.js';
import type { Origin } from '../../model/origin.js';
import { atomValue, CT_STATE, FIELDS, formatAddress, parseAddress, prefixMask } from '../../model/values.js';
import { describe, Fields, isObject, soleKey, type Json, type Scope } from './reader.js';
import { isNamedRef, namedRef, readAtom, readFlags, readValue } from './value.js';
import { isIcmpField, readIcmpMatch, type IcmpField } from './icmp.js';
import { readConcatMatch } from './concat.js';
import { dynamicSet, dynSetMatch, isNumberSource, readNumberMatch } from './state.js';

const PORT_PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, udplite: 136, sctp: 132, dccp: 33 };

interface Left {
  field: MatchField;
  /** Transport protocol implied by `tcp dport` & co: a `meta l4proto` match goes first. */
  l4proto?: number;
  /** The `&` operand, when the left side is `{"&": [field, mask]}`. */
  mask?: Json;
  /** `icmp type` & co, read as transport words by icmp.ts. */
  icmp?: { proto: 'icmp' | 'icmpv6'; name: IcmpField };
  /** `meta iif`/`oif`: the name nft resolved to an index (Match.ifindex). */
  ifindex?: true;
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
      if (isIcmpField(proto, name)) return { field: name === 'checksum' ? 'th dport' : 'th sport', icmp: { proto, name: name as IcmpField } };
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
      if (k === 'l4proto' || k === 'nfproto' || k === 'iifname' || k === 'oifname' || k === 'mark' || k === 'pkttype') {
        return { field: `meta ${k}` };
      }
      if (k === 'iif' || k === 'oif') return { field: `meta ${k}name`, ifindex: true };
      return s.r.unsupported(`meta ${k}`, o);
    }
    case 'ct': {
      if (!isObject(body)) return s.r.schema('"ct" must be an object', at(o, '.ct'));
      const f = new Fields(s.r, body, at(o, '.ct'));
      const k = f.string('key');
      if (k === undefined) return undefined;
      if (f.has('dir') || f.has('family')) return s.r.unsupported(`ct ${String(body.dir ?? body.family)} ${k}`, o);
      if (k === 'state' || k === 'mark' || k === 'status') return { field: `ct ${k}` };
      return s.r.unsupported(`ct ${k}`, o);
    }
    case '&': {
      if (!Array.isArray(body) || body.length !== 2) return s.r.schema('"&" takes [expression, mask]', at(o, '.&'));
      const inner = readLeft(s, body[0]!, at(o, '.&[0]'));
      if (!inner) return undefined;
      if (inner.mask !== undefined) return s.r.unsupported('nested bitwise &', o);
      if (inner.icmp) return s.r.unsupported(`bitwise & on ${inner.icmp.proto} ${inner.icmp.name}`, o);
      if (inner.ifindex) return s.r.unsupported(`bitwise & on ${inner.field.slice(0, -4)}`, o);
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

// ─── the match ───────────────────────────────────────────────────────────────────────────────────

const OPS = ['==', '!=', 'in', '!', '<', '>', '<=', '>='] as const;

export function readMatch(s: Scope, body: Json, o: Origin): (Match | ConcatMatch | FibMatch | CtHelperMatch | StateMatch)[] | undefined {
  if (!isObject(body)) return s.r.schema('"match" must be an object', o);
  const f = new Fields(s.r, body, o);
  const op = f.has('op') ? f.oneOf('op', OPS) : 'in';
  if (op === undefined || !f.has('left') || !f.has('right')) {
    if (op !== undefined) s.r.schema(`a match needs "left" and "right"`, o);
    return undefined;
  }
  if (isObject(body.left) && soleKey(body.left) === 'concat' && Array.isArray(body.left.concat)) {
    return readConcatMatch(s, op, body.left.concat, body.right!, o, f.at('left'), f.at('right'));
  }
  if (isObject(body.left) && soleKey(body.left) === 'fib') return readFib(s, body.left.fib!, op, body.right!, o, f.at('left'), f.at('right'));
  if (isObject(body.left) && isNumberSource(soleKey(body.left))) return readNumberMatch(s, op, body.left, body.right!, o, f.at('left'), f.at('right'));
  if (isCtHelper(body.left!)) return readCtHelper(s, op, body.right!, o, f.at('right'));
  const left = readLeft(s, body.left!, f.at('left'));
  // Read the right side even when the left is unsupported, so every construct gets reported.
  const ro = f.at('right');
  if (!left) {
    // A named set is read (its own problems reported) and marked used; other objects are reported here.
    if (isNamedRef(body.right) && s.namedSet(body.right.slice(1)) === undefined) namedRef(s, body.right, ro);
    return undefined;
  }
  if (left.icmp) return readIcmpMatch(s, left.icmp.proto, left.icmp.name, op, body.right!, o, ro);
  if (left.ifindex) return readIfindexMatch(s, left.field, op, body.right!, o, ro);
  const { field } = left;
  const mk = (m: Omit<Match, 'kind' | 'origin'>): Match => ({ kind: 'match', ...m, origin: o });
  const pre: Match[] = left.l4proto === undefined ? [] : [mk({ field: 'meta l4proto', op: '==', value: left.l4proto })];
  const dynamic = dynamicSet(s, body.right);
  if (dynamic) return left.mask === undefined ? dynSetMatch(s, dynamic, [field], pre, op, o, ro) : s.r.unsupported(`bitwise & on ${field} looked up in a dynamic set`, o);
  const info = FIELDS[field];
  const flagType = field === 'tcp flags' || field === 'ct state' || field === 'ct status';

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

  if ((op === 'in' || op === '!') && flagType && !(isObject(body.right) && soleKey(body.right) === 'set') && !isNamedRef(body.right)) {
    if (namedRef(s, body.right!, ro)) return undefined;
    if (field !== 'ct state') {
      // `tcp flags syn`, `ct status dnat`: any of the bits set.
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
    value = field === 'ct state' ? (body.right[0] as string) : bits;
  } else value = readValue(s, field, body.right!, ro);
  if (value === undefined) return undefined;
  const named = isNamedRef(body.right) ? { set: body.right.slice(1) } : {};
  return [...pre, mk({ field, op: op === '!=' || op === '!' ? '!=' : '==', ...withMask, value, ...named })];
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

/**
 * `meta iif "eth0"`, `meta oif != { "a", "b" }`: nft lists the names the indexes resolve to (a
 * number when the interface is gone, which nftlens cannot name). No wildcard: a name is exact.
 */
function readIfindexMatch(s: Scope, field: MatchField, op: string, right: Json, o: Origin, ro: Origin): Match[] | undefined {
  const what = field.slice(0, -4);
  if (op !== '==' && op !== '!=' && op !== 'in' && op !== '!') return s.r.unsupported(`${op} on ${what}`, o);
  if (namedRef(s, right, ro)) return undefined;
  const list = isObject(right) && soleKey(right) === 'set' && Array.isArray(right.set) ? right.set : [right];
  const names: string[] = [];
  for (const [i, x] of list.entries()) {
    const xo = list.length > 1 || list[0] !== right ? at(ro, `.set[${i}]`) : ro;
    if (typeof x === 'number') return s.r.unsupported(`${what} ${x} (an interface index with no name)`, o);
    if (typeof x !== 'string' || x === '') return s.r.schema(`${what} takes interface names, got ${describe(x)}`, xo);
    if (x.includes('*')) return s.r.unsupported(`${what} "${x}" (a name with *)`, o);
    names.push(x);
  }
  const value: MatchValue = list[0] === right ? names[0]! : { set: names };
  return [{ kind: 'match', field, op: op === '!=' || op === '!' ? '!=' : '==', value, ifindex: true, origin: o }];
}

/**
 * `fib saddr|daddr [. iif|. oif] type [!=] local` and `fib saddr|daddr [. iif|. oif] [. mark] oif`
 * compared with `exists`/`missing` (true/false) or the interface index 0 (model/ruleset.ts
 * FibMatch). Other types, other results (`oifname`), `. mark` on a type and interface names on the
 * right are refused by name.
 */
function readFib(s: Scope, body: Json, op: string, right: Json, o: Origin, lo: Origin, ro: Origin): FibMatch[] | undefined {
  if (!isObject(body)) return s.r.schema('"fib" must be an object', at(lo, '.fib'));
  const flags = Array.isArray(body.flags) ? body.flags : typeof body.flags === 'string' ? [body.flags] : undefined;
  if (!flags || !flags.every((x) => typeof x === 'string') || typeof body.result !== 'string') {
    return s.r.schema('"fib" needs "result" and "flags"', at(lo, '.fib'));
  }
  const name = `fib ${(flags as string[]).join(' . ')} ${body.result}`;
  const addrs = flags.filter((f) => f === 'saddr' || f === 'daddr');
  const through = flags.filter((f) => f === 'iif' || f === 'oif');
  const known = addrs.length === 1 && through.length <= 1 && flags.every((f) => ['saddr', 'daddr', 'iif', 'oif', 'mark'].includes(f as string));
  const addr = addrs[0] as 'saddr' | 'daddr';
  const neg = op === '!=' || op === '!';
  if (op !== '==' && op !== '!=' && op !== 'in' && op !== '!') return s.r.unsupported(`${op} on ${name}`, o);
  if (body.result === 'oif' && known) {
    const value = right === true || right === false ? right : right === 0 || right === '0' ? 0 : undefined;
    if (value === undefined) return s.r.unsupported(`${name} ${JSON.stringify(right)} (exists, missing and 0 are modelled)`, ro);
    const m: FibMatch = { kind: 'fib', result: 'oif', addr, op: neg ? '!=' : '==', value, origin: o };
    if (through.length) m.through = through[0] as 'iif' | 'oif';
    if (flags.includes('mark')) m.mark = true;
    return [m];
  }
  if (body.result !== 'type' || !known || flags.includes('mark')) return s.r.unsupported(name, lo);
  const names = isObject(right) && soleKey(right) === 'set' && Array.isArray(right.set) ? right.set : [right];
  if (names.length !== 1 || names[0] !== 'local') {
    if (!names.every((x) => typeof x === 'string')) return s.r.schema(`${name} takes address types, got ${describe(right)}`, ro);
    return s.r.unsupported(`${name} ${names.join(',')} (only local is modelled)`, o);
  }
  const m: FibMatch = { kind: 'fib', result: 'type', addr, op: neg ? '!=' : '==', type: 'local', origin: o };
  if (through.length) m.through = through[0] as 'iif' | 'oif';
  return [m];
}

/** `{"ct": {"key": "helper"}}`, in either direction's absence. */
function isCtHelper(left: Json): boolean {
  return isObject(left) && isObject(left.ct) && left.ct.key === 'helper' && Object.keys(left.ct).length === 1;
}

/** `ct helper "tftp"`, `ct helper != "tftp"`: a helper name compared with the connection's. */
function readCtHelper(s: Scope, op: string, right: Json, o: Origin, ro: Origin): CtHelperMatch[] | undefined {
  if (op !== '==' && op !== '!=' && op !== 'in') return s.r.unsupported(`${op} on ct helper`, o);
  if (typeof right !== 'string' || right.startsWith('@')) return isNamedRef(right) ? void namedRef(s, right, ro) : s.r.schema(`a ct helper name is a string, got ${describe(right)}`, ro);
  return [{ kind: 'ct helper', op: op === '!=' ? '!=' : '==', name: right, origin: o }];
}
