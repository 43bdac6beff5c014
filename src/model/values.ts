// What each match field holds and how its values read as numbers. Front ends use it to check
// values, the renderer to print them, the engine and the analyses to turn them into intervals.
//
// Addresses are bigints (IPv4 in 32 bits, IPv6 in 128), everything else fits a number; an item
// becomes one inclusive interval [lo, hi]; a value (item or set) a sorted list of disjoint ones.

import ipaddr from 'ipaddr.js';
import type { Atom, Item, MapLookup, Match, MatchField, MatchValue, SetType } from './ruleset.js';

export type FieldKind = 'ipv4' | 'ipv6' | 'uint' | 'ifname' | 'ctstate' | 'nfproto';

export interface FieldInfo {
  kind: FieldKind;
  /** Width in bits of the numeric domain. */
  bits: number;
  /** The packet family a match on this field implies (nft adds the dependency). */
  nfproto?: 'ipv4' | 'ipv6';
  /** The transport protocol a match on this field implies. */
  l4proto?: number;
}

export const FIELDS: Record<MatchField, FieldInfo> = {
  'ip saddr': { kind: 'ipv4', bits: 32, nfproto: 'ipv4' },
  'ip daddr': { kind: 'ipv4', bits: 32, nfproto: 'ipv4' },
  'ip6 saddr': { kind: 'ipv6', bits: 128, nfproto: 'ipv6' },
  'ip6 daddr': { kind: 'ipv6', bits: 128, nfproto: 'ipv6' },
  'ip protocol': { kind: 'uint', bits: 8, nfproto: 'ipv4' },
  'meta l4proto': { kind: 'uint', bits: 8 },
  'meta nfproto': { kind: 'nfproto', bits: 8 },
  'th sport': { kind: 'uint', bits: 16 },
  'th dport': { kind: 'uint', bits: 16 },
  'meta iifname': { kind: 'ifname', bits: 128 },
  'meta oifname': { kind: 'ifname', bits: 128 },
  'ct state': { kind: 'ctstate', bits: 8 },
  'ct mark': { kind: 'uint', bits: 32 },
  'ct status': { kind: 'uint', bits: 32 },
  'meta pkttype': { kind: 'uint', bits: 8 },
  'meta mark': { kind: 'uint', bits: 32 },
  'tcp flags': { kind: 'uint', bits: 8, l4proto: 6 },
};

/** A named set's data type → a field whose values it holds (any field of the same kind and width takes it). */
export const SET_TYPE_FIELD: Record<SetType, MatchField> = {
  ipv4_addr: 'ip saddr', ipv6_addr: 'ip6 saddr', inet_service: 'th dport', inet_proto: 'meta l4proto',
  mark: 'meta mark', ifname: 'meta iifname', ct_state: 'ct state',
};

/**
 * The field numgen's numbers (`numgen inc mod 4 { 0, 2 }`, a numgen map's keys) are checked,
 * rendered and turned into intervals as: an unsigned 32-bit integer, as nft reads them.
 */
export const NUMGEN_FIELD: MatchField = 'meta mark';

/** The fields a lookup's element keys are read as: its key's, or numgen's number when numgen is the key. */
export function lookupKeyFields(l: Pick<MapLookup<unknown>, 'key' | 'state'>): MatchField[] {
  return l.state ? [NUMGEN_FIELD] : l.key;
}

/** Whether a match on `field` can name a set of `type` (nft refuses other pairs). */
export function setTypeFits(type: SetType, field: MatchField): boolean {
  const a = FIELDS[SET_TYPE_FIELD[type]];
  const b = FIELDS[field];
  return a.kind === b.kind && a.bits === b.bits && field !== 'tcp flags' && field !== 'ct status' && field !== 'meta pkttype';
}

/** IANA protocol numbers nft knows by name. */
export const L4PROTO: Record<string, number> = {
  icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, 'ipv6-icmp': 58,
  sctp: 132, udplite: 136, dccp: 33, comp: 108,
};
export function l4protoName(n: number): string | undefined {
  for (const [k, v] of Object.entries(L4PROTO)) if (v === n && k !== 'ipv6-icmp') return k;
  return undefined;
}

/**
 * `meta pkttype`: skb->pkt_type (linux/if_packet.h), what the link-layer destination made of the
 * frame: to this host, broadcast, multicast, another host. nft reads `unicast` as `host`.
 */
export const PKTTYPE: Record<string, number> = { host: 0, unicast: 0, broadcast: 1, multicast: 2, other: 3 };
export const PKTTYPE_NAMES = ['host', 'broadcast', 'multicast', 'other'] as const;

/** linux/netfilter/nf_conntrack_common.h: the ct state bits. A packet has exactly one. */
export const CT_STATE: Record<string, number> = {
  invalid: 1, established: 2, related: 4, new: 8, untracked: 64,
};
export type CtState = 'invalid' | 'established' | 'related' | 'new' | 'untracked';

/** TCP header flag bits (byte 13). */
export const TCP_FLAGS: Record<string, number> = {
  fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10, urg: 0x20, ecn: 0x40, cwr: 0x80,
};

/**
 * The conntrack status bits nft names (linux/netfilter/nf_conntrack_common.h IPS_*). What the
 * engine gives a packet is in src/engine/ct-status.ts.
 */
export const CT_STATUS: Record<string, number> = {
  expected: 0x1, 'seen-reply': 0x2, assured: 0x4, confirmed: 0x8, snat: 0x10, dnat: 0x20, dying: 0x200,
};

/** linux/netfilter.h NFPROTO_* values. */
export const NFPROTO: Record<'ipv4' | 'ipv6', number> = { ipv4: 2, ipv6: 10 };

export const IFNAMSIZ = 16;

// ─── addresses ───────────────────────────────────────────────────────────────────────────────────

export interface Address {
  version: 4 | 6;
  value: bigint;
}

/** Strict address parse: dotted quad (no leading zeros, no short forms) or RFC 4291 IPv6. */
export function parseAddress(text: string): Address | undefined {
  const v4 = ipv4Value(text);
  if (v4 >= 0) return { version: 4, value: BigInt(v4) };
  if (!text.includes(':')) return undefined;
  // One parse: IPv6.isValid is IPv6.parse with the error caught.
  let a: ipaddr.IPv6;
  try {
    a = ipaddr.IPv6.parse(text);
  } catch {
    return undefined;
  }
  if (a.zoneId) return undefined;
  let value = 0n;
  for (const part of a.parts) value = (value << 16n) | BigInt(part);
  return { version: 6, value };
}

/**
 * A dotted quad as a number, or -1: four decimal parts of at most 255, no leading zeros — what
 * ipaddr.js's isValidFourPartDecimal accepts, read without its regular expressions and arrays
 * (rulesets hold tens of thousands of addresses).
 */
export function ipv4Value(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // a leading zero
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else return -1;
  }
  return dots === 3 && digits > 0 ? value * 256 + part : -1;
}

/** An IPv4 address (a 32-bit number) as a dotted quad. */
export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function formatAddress(value: bigint, version: 4 | 6): string {
  if (version === 4) return formatIpv4(Number(value));
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((value >> shift) & 0xffffn));
  return new ipaddr.IPv6(parts).toString();
}

/** Canonical text of an address (`::ffff:0:1` style for IPv6), or undefined if malformed. */
export function canonicalAddress(text: string): string | undefined {
  const a = parseAddress(text);
  return a && formatAddress(a.value, a.version);
}

export function prefixMask(len: number, bits: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return len === 0 ? 0n : (all >> BigInt(bits - len)) << BigInt(bits - len);
}

// ─── items as numbers ────────────────────────────────────────────────────────────────────────────

export interface Interval {
  lo: bigint;
  hi: bigint;
}

/** The number an atom stands for in a field's domain, or an error message. */
export function atomValue(field: MatchField, atom: Atom): bigint | string {
  const info = FIELDS[field];
  switch (info.kind) {
    case 'ipv4': {
      const v = ipv4Atom(atom);
      return typeof v === 'string' ? v : BigInt(v);
    }
    case 'ipv6': {
      if (typeof atom !== 'string') return `expected an IPv6 address, got ${atom}`;
      const a = parseAddress(atom);
      if (!a || a.version !== 6) return `"${atom}" is not a valid IPv6 address`;
      return a.value;
    }
    case 'uint': {
      let n: number | undefined;
      if (typeof atom === 'number') n = atom;
      else if (field === 'meta l4proto' || field === 'ip protocol') n = L4PROTO[atom];
      else if (field === 'tcp flags') n = TCP_FLAGS[atom];
      else if (field === 'ct status') n = CT_STATUS[atom];
      else if (field === 'meta pkttype') n = PKTTYPE[atom];
      if (n === undefined || !Number.isInteger(n) || n < 0 || n >= 2 ** info.bits) {
        return `${JSON.stringify(atom)} is not a ${info.bits}-bit value for ${field}`;
      }
      return BigInt(n);
    }
    case 'ctstate': {
      const bit = typeof atom === 'string' ? CT_STATE[atom] : undefined;
      return bit === undefined ? `${JSON.stringify(atom)} is not a ct state` : BigInt(bit);
    }
    case 'nfproto': {
      const n = typeof atom === 'string' ? NFPROTO[atom as 'ipv4' | 'ipv6'] : atom;
      return n === 2 || n === 10 ? BigInt(n) : `${JSON.stringify(atom)} is not ipv4 or ipv6`;
    }
    case 'ifname':
      return `interface names are not numbers`;
  }
}

/** An IPv4 atom as a number, or an error message (atomValue's). */
function ipv4Atom(atom: Atom): number | string {
  if (typeof atom !== 'string') return `expected an IPv4 address, got ${atom}`;
  const v = ipv4Value(atom);
  return v >= 0 ? v : `"${atom}" is not a valid IPv4 address`;
}

/**
 * The interval an item covers, or an error message. A prefix with host bits set covers nothing
 * (the kernel compares `(x & mask) == addr`), which is returned as `null`.
 */
export function itemInterval(field: MatchField, item: Item): Interval | null | string {
  const info = FIELDS[field];
  if (typeof item === 'object' && 'prefix' in item) {
    if (info.kind !== 'ipv4' && info.kind !== 'ipv6') return `a prefix is not a value of ${field}`;
    if (info.kind === 'ipv4') return ipv4Prefix(item.prefix, item.len);
    const base = atomValue(field, item.prefix);
    if (typeof base === 'string') return base;
    if (!Number.isInteger(item.len) || item.len < 0 || item.len > info.bits) {
      return `prefix length ${item.len} is out of 0..${info.bits}`;
    }
    const mask = prefixMask(item.len, info.bits);
    if ((base & mask) !== base) return null;
    return { lo: base, hi: base | (~mask & ((1n << BigInt(info.bits)) - 1n)) };
  }
  if (typeof item === 'object' && 'range' in item) {
    const lo = atomValue(field, item.range[0]);
    if (typeof lo === 'string') return lo;
    const hi = atomValue(field, item.range[1]);
    if (typeof hi === 'string') return hi;
    return lo <= hi ? { lo, hi } : null;
  }
  const v = atomValue(field, item);
  return typeof v === 'string' ? v : { lo: v, hi: v };
}

/** itemInterval of an IPv4 prefix, in numbers: no bigint arithmetic on the common path. */
function ipv4Prefix(prefix: string, len: number): Interval | null | string {
  const base = ipv4Atom(prefix);
  if (typeof base === 'string') return base;
  if (!Number.isInteger(len) || len < 0 || len > 32) return `prefix length ${len} is out of 0..32`;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  if ((base & mask) >>> 0 !== base) return null;
  return { lo: BigInt(base), hi: BigInt((base | ~mask) >>> 0) };
}

export function valueItems(value: MatchValue): Item[] {
  return typeof value === 'object' && 'set' in value ? value.set : [value];
}

/** Sorted, disjoint, merged intervals a value covers (before `op` and `mask`), or an error message. */
export function valueIntervals(field: MatchField, value: MatchValue): Interval[] | string {
  if (typeof value !== 'object' || !('set' in value)) {
    const iv = itemInterval(field, value);
    return typeof iv === 'string' ? iv : iv ? [iv] : [];
  }
  const out: Interval[] = [];
  for (const item of valueItems(value)) {
    const iv = itemInterval(field, item);
    if (typeof iv === 'string') return iv;
    if (iv) out.push(iv);
  }
  return mergeIntervals(out);
}

export function mergeIntervals(list: Interval[]): Interval[] {
  const sorted = [...list].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last && iv.lo <= last.hi + 1n) {
      if (iv.hi > last.hi) last.hi = iv.hi;
    } else out.push({ ...iv });
  }
  return out;
}

// ─── interface names ─────────────────────────────────────────────────────────────────────────────

/**
 * Whether an interface name matches a pattern as the kernel compares them: names are NUL-padded
 * to IFNAMSIZ (16) bytes; `eth*` compares only the bytes before the star. A pattern of 16 or more
 * bytes can never match, since kernel names are at most 15 bytes.
 */
export function ifnameMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('*') && !pattern.endsWith('\\*')) return name.startsWith(pattern.slice(0, -1));
  return pattern.replace(/\\\*$/, '*') === name;
}

/** A check that every value of a match fits its field; returns an error message or undefined. */
export function checkMatchValue(m: Pick<Match, 'field' | 'value' | 'mask'>): string | undefined {
  const info = FIELDS[m.field];
  if (m.mask !== undefined && (info.kind !== 'uint' || m.mask < 0 || m.mask >= 2 ** info.bits)) {
    return `mask ${m.mask} does not fit ${m.field}`;
  }
  if (info.kind === 'ifname') {
    for (const item of valueItems(m.value)) {
      if (typeof item !== 'string') return `${m.field} takes interface names`;
      if (item.length === 0) return `${m.field}: empty interface name`;
    }
    return undefined;
  }
  const r = valueIntervals(m.field, m.value);
  return typeof r === 'string' ? `${m.field}: ${r}` : undefined;
}
