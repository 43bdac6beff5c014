// Header spaces in words: a short list of readable cubes such as
//   tcp 10.0.0.0/24 -> 10.42.1.7 dport 80-88
// Paths of the diagram (from the core's `cubes`) are read field by field as ternary bit
// patterns, turned into interval lists (or `& mask == value` when free bits sit in the middle),
// then cubes that differ in one field only are merged, which puts ranges and prefixes back
// together (dport 80-87 and 88 → 80-88). Shown as prefixes or ranges, or their complement
// (`!= 22`) when that is shorter.

import { formatAddress, l4protoName, mergeIntervals, type Interval } from '../../model/values.js';
import { complement } from '../../engine/dims.js';
import { CT_STATES, FAMILY_CODE, isMasked, PKT_TYPES, type BoxRange, type FieldName, type Masked } from './layout.js';
import type { HeaderSpace, Space } from './space.js';

type FieldSet = { kind: 'any' } | { kind: 'set'; ivs: Interval[] } | { kind: 'masked'; value: bigint; mask: bigint };
type Cube = Map<FieldName, FieldSet>;

const ANY: FieldSet = { kind: 'any' };
/** Paths read from the diagram at most; a set with more is described in part. */
const MAX_PATHS = 4096;
/** Free bits in the middle of a pattern enumerated into intervals at most; more: mask form. */
const MAX_SPLIT_BITS = 2;

export interface DescribeOptions {
  /** Lines at most (default 8); a last line says when there is more. */
  max?: number;
}

export function describe(hs: HeaderSpace, s: Space, opts: DescribeOptions = {}): string[] {
  if (hs.isEmpty(s)) return [];
  const max = opts.max ?? 8;
  const nvars = hs.layout.variables;
  // A set that leaves the packet type free is read without it: its paths then do not split on
  // the valid codes (three of four), and the words say nothing of it, as of any free field.
  const free = hs.withoutPkttype(s);
  const k = hs.core.cubes(free ?? s, MAX_PATHS);
  const truncated = hs.core.cubesTruncated() !== 0;
  const bytes = hs.outBytes(k * nvars).slice();
  if (free !== undefined) hs.release(free);
  const cubes: Cube[] = [];
  for (let i = 0; i < k; i++) cubes.push(...readPath(hs, bytes.subarray(i * nvars, (i + 1) * nvars)));
  return words(hs, cubes, max, truncated);
}

/**
 * Disjoint boxes in words, as `describe` words their union: each box one interval (or masked
 * value) per field (fields left out: any; nfproto as a family code interval, IPv4 when it is 0
 * alone, and then addresses are IPv4 addresses; otherwise the addresses must be left out).
 */
export function describeBoxes(hs: HeaderSpace, boxes: readonly ReadonlyMap<FieldName, BoxRange>[], opts: DescribeOptions = {}): string[] {
  const cubes = boxes.map((box) => {
    const nf = box.get('nfproto') as Interval | undefined;
    const family = nf && nf.lo === nf.hi ? (nf.lo === BigInt(FAMILY_CODE[4]) ? 4 : 6) : undefined;
    const cube: Cube = new Map();
    for (const f of hs.layout.ordered()) {
      const r = box.get(f);
      const size = domain(hs, f, family);
      cube.set(f, r === undefined ? ANY : isMasked(r) ? ternary(maskedBits(r, hs.layout.field(f).width), size) : normalise([r], size));
    }
    return cube;
  });
  return words(hs, cubes, opts.max ?? 8, false);
}

/** A masked value as the ternary pattern a diagram path of it has (most significant first; 2 = free). */
function maskedBits(m: Masked, width: number): Uint8Array {
  const bits = new Uint8Array(width);
  for (let i = 0; i < width; i++) {
    const pos = BigInt(width - 1 - i);
    bits[i] = ((m.mask >> pos) & 1n) === 0n ? 2 : Number((m.value >> pos) & 1n);
  }
  return bits;
}

function words(hs: HeaderSpace, cubes: Cube[], max: number, truncated: boolean): string[] {
  const merged = merge(hs, cubes);
  const lines = merged.slice(0, max).map((c) => format(hs, c));
  if (merged.length > max || truncated) {
    lines.push(truncated ? '… and more' : `… and ${merged.length - max} more`);
  }
  return lines;
}

// ─── paths to cubes ──────────────────────────────────────────────────────────────────────────

/** Domain size of a field: its valid codes, or 2^width. */
function domain(hs: HeaderSpace, f: FieldName, family?: 4 | 6): bigint {
  switch (f) {
    case 'ctstate':
      return BigInt(CT_STATES.length);
    case 'pkttype':
      return BigInt(PKT_TYPES.length);
    case 'iifname':
    case 'oifname':
      return BigInt(hs.ifnames.classes.length);
    case 'saddr':
    case 'daddr':
      return family === 4 ? 1n << 32n : 1n << 128n;
    default:
      return 1n << BigInt(hs.layout.field(f).width);
  }
}

function readPath(hs: HeaderSpace, path: Uint8Array): Cube[] {
  const L = hs.layout;
  const nf = path[L.field('nfproto').first]!;
  const addrFree = (['saddr', 'daddr'] as const).every((f) => {
    const v = L.field(f);
    return path.subarray(v.first, v.first + v.width).every((b) => b === 2);
  });
  const families: (4 | 6 | undefined)[] = nf !== 2 ? [nf === FAMILY_CODE[6] ? 6 : 4] : addrFree ? [undefined] : [4, 6];
  return families.map((family) => {
    const cube: Cube = new Map();
    for (const f of L.ordered()) {
      let vars = L.field(f);
      if (f === 'nfproto' && family !== undefined) {
        cube.set(f, { kind: 'set', ivs: [{ lo: BigInt(FAMILY_CODE[family]), hi: BigInt(FAMILY_CODE[family]) }] });
        continue;
      }
      if ((f === 'saddr' || f === 'daddr') && family === 4) vars = L.v4(f);
      cube.set(f, ternary(path.subarray(vars.first, vars.first + vars.width), domain(hs, f, family)));
    }
    return cube;
  });
}

/** A ternary pattern (most significant first; 2 = free) as a field set within [0, size). */
function ternary(bits: Uint8Array, size: bigint): FieldSet {
  const w = bits.length;
  let trailing = 0;
  while (trailing < w && bits[w - 1 - trailing] === 2) trailing++;
  const middle: number[] = [];
  let fixed = 0n;
  let mask = 0n;
  for (let i = 0; i < w - trailing; i++) {
    const pos = BigInt(w - 1 - i);
    if (bits[i] === 2) middle.push(w - 1 - i);
    else {
      mask |= 1n << pos;
      if (bits[i] === 1) fixed |= 1n << pos;
    }
  }
  if (middle.length > MAX_SPLIT_BITS) return { kind: 'masked', value: fixed, mask };
  const span = (1n << BigInt(trailing)) - 1n;
  const ivs: Interval[] = [];
  for (let c = 0; c < 1 << middle.length; c++) {
    let lo = fixed;
    middle.forEach((pos, j) => {
      if ((c >> j) & 1) lo |= 1n << BigInt(pos);
    });
    ivs.push({ lo, hi: lo + span });
  }
  return normalise(ivs, size);
}

/** Intervals clipped to [0, size), merged; `any` when they cover it. */
function normalise(ivs: Interval[], size: bigint): FieldSet {
  if (ivs.length === 1) {
    // One interval (a box's field): clipped alone.
    const { lo, hi } = ivs[0]!;
    if (lo >= size) return { kind: 'set', ivs: [] };
    if (lo === 0n && hi >= size - 1n) return ANY;
    return { kind: 'set', ivs: [{ lo, hi: hi < size ? hi : size - 1n }] };
  }
  const clipped = mergeIntervals(ivs.filter((iv) => iv.lo < size).map((iv) => ({ lo: iv.lo, hi: iv.hi < size ? iv.hi : size - 1n })));
  const first = clipped[0];
  if (clipped.length === 1 && first!.lo === 0n && first!.hi === size - 1n) return ANY;
  return { kind: 'set', ivs: clipped };
}

// ─── merging ─────────────────────────────────────────────────────────────────────────────────

function key(fs: FieldSet): string {
  switch (fs.kind) {
    case 'any':
      return '*';
    case 'set':
      return fs.ivs.map((iv) => `${iv.lo}-${iv.hi}`).join(',');
    case 'masked':
      return `${fs.value}&${fs.mask}`;
  }
}

function merge(hs: HeaderSpace, cubes: Cube[]): Cube[] {
  const fields = hs.layout.ordered();
  // Each cube's key per field, made once (a merged cube is a new one).
  const keys = new WeakMap<Cube, string[]>();
  const keysOf = (c: Cube): string[] => {
    let k = keys.get(c);
    if (!k) keys.set(c, (k = fields.map((g) => key(c.get(g)!))));
    return k;
  };
  if (cubes.length < 2) return cubes;
  // Two cubes (what most findings show) merge when they differ in one field that is not masked.
  if (cubes.length === 2) {
    const [a, b] = [keysOf(cubes[0]!), keysOf(cubes[1]!)];
    const diff = fields.flatMap((f, i) => (a[i] !== b[i] ? [f] : []));
    if (diff.length === 1) return cubes.every((c) => c.get(diff[0]!)!.kind !== 'masked') ? [unite(hs, cubes, diff[0]!)] : cubes;
    if (diff.length > 1) return cubes;
  }
  let list = cubes;
  for (let changed = true; changed; ) {
    changed = false;
    for (const [at, f] of fields.entries()) {
      const groups = new Map<string, Cube[]>();
      const order: string[] = [];
      for (const c of list) {
        const fs = c.get(f)!;
        const own = keysOf(c);
        const k = own.map((x, i) => (i === at ? (fs.kind === 'masked' ? x : '') : x)).join('|');
        const g = groups.get(k);
        if (g) g.push(c);
        else {
          groups.set(k, [c]);
          order.push(k);
        }
      }
      if (order.length === list.length) continue;
      changed = true;
      list = order.map((k) => {
        const g = groups.get(k)!;
        return g.length === 1 ? g[0]! : unite(hs, g, f);
      });
    }
  }
  return list;
}

/** The first cube with field f the union of the cubes' (a new cube). */
function unite(hs: HeaderSpace, g: Cube[], f: FieldName): Cube {
  const sets = g.map((c) => c.get(f)!);
  const union: FieldSet = sets.some((x) => x.kind === 'any')
    ? ANY
    : normalise(sets.flatMap((x) => (x.kind === 'set' ? x.ivs : [])), domainOf(hs, f, g[0]!));
  const out = new Map(g[0]!);
  out.set(f, union);
  return out;
}

function familyOf(c: Cube): 4 | 6 | undefined {
  const fs = c.get('nfproto')!;
  if (fs.kind !== 'set' || fs.ivs.length !== 1 || fs.ivs[0]!.lo !== fs.ivs[0]!.hi) return undefined;
  return fs.ivs[0]!.lo === BigInt(FAMILY_CODE[6]) ? 6 : 4;
}

function domainOf(hs: HeaderSpace, f: FieldName, c: Cube): bigint {
  return domain(hs, f, familyOf(c));
}

// ─── words ───────────────────────────────────────────────────────────────────────────────────

function format(hs: HeaderSpace, c: Cube): string {
  const family = familyOf(c);
  const words: string[] = [];
  const get = (f: FieldName) => c.get(f)!;
  const num = (f: FieldName, show: (v: bigint) => string = String) => values(get(f), domainOf(hs, f, c), show, ENUMERATED.has(f));
  const proto = get('l4proto');
  const saddr = get('saddr');
  const daddr = get('daddr');
  const noAddr = saddr.kind === 'any' && daddr.kind === 'any';
  if (family !== undefined && (noAddr || family === 6)) words.push(family === 4 ? 'ip' : 'ip6');
  if (proto.kind === 'set' && proto.ivs.length === 1 && proto.ivs[0]!.lo === proto.ivs[0]!.hi) {
    words.push(l4protoName(Number(proto.ivs[0]!.lo)) ?? `l4proto ${proto.ivs[0]!.lo}`);
  } else if (proto.kind !== 'any') words.push(`l4proto ${num('l4proto', (v) => l4protoName(Number(v)) ?? String(v))}`);
  if (!noAddr) {
    const addr = (fs: FieldSet) => (fs.kind === 'any' ? '*' : addresses(fs, family ?? 6));
    words.push(`${addr(saddr)} -> ${addr(daddr)}`);
  }
  const rest: [FieldName, string, (v: bigint) => string][] = [
    ['sport', 'sport', String],
    ['dport', 'dport', String],
    ['tcpflags', 'flags', hex],
    ['iifname', 'iif', (v) => hs.ifnames.label(Number(v))],
    ['oifname', 'oif', (v) => hs.ifnames.label(Number(v))],
    ['ctstate', 'ct state', (v) => CT_STATES[Number(v)]!],
    ['mark', 'mark', hex],
    ['ctmark', 'ct mark', hex],
    ['pkttype', 'pkttype', (v) => PKT_TYPES[Number(v)]!],
  ];
  for (const [f, label, show] of rest) if (get(f).kind !== 'any' && !(f === 'pkttype' && unicast(get(f)))) words.push(`${label} ${num(f, show)}`);
  return words.length ? words.join(' ') : 'any';
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** Fields whose values are names: listed one by one, never as ranges. */
const ENUMERATED = new Set<FieldName>(['iifname', 'oifname', 'ctstate', 'pkttype']);

/** Unicast to the host only: the packet type every packet has unless it says otherwise, not written (as in packet text). */
const unicast = (fs: FieldSet) => fs.kind === 'set' && fs.ivs.length === 1 && fs.ivs[0]!.lo === 0n && fs.ivs[0]!.hi === 0n;


/** `80`, `80-88`, `{22, 80-88}`, `!= 22`, `& 0xff == 0x5`; names one by one when `each`. */
function values(fs: FieldSet, size: bigint, show: (v: bigint) => string, each: boolean): string {
  if (fs.kind === 'any') return '*';
  if (fs.kind === 'masked') return `& ${hex(fs.mask)} == ${hex(fs.value)}`;
  const list = (ivs: Interval[]) => {
    const items = ivs.flatMap((iv) => {
      if (iv.lo === iv.hi) return [show(iv.lo)];
      if (!each) return [`${show(iv.lo)}-${show(iv.hi)}`];
      const out: string[] = [];
      for (let v = iv.lo; v <= iv.hi; v++) out.push(show(v));
      return out;
    });
    return items.length === 1 ? items[0]! : `{${items.join(', ')}}`;
  };
  const comp = complement(fs.ivs, size - 1n);
  return comp.length < fs.ivs.length ? `!= ${list(comp)}` : list(fs.ivs);
}

/** Address sets as prefixes where an interval is one or two of them, else as ranges. */
function addresses(fs: FieldSet, family: 4 | 6): string {
  const bits = family === 4 ? 32 : 128;
  const show = (v: bigint) => formatAddress(v, family);
  if (fs.kind === 'masked') return `& ${show(fs.mask)} == ${show(fs.value)}`;
  if (fs.kind === 'any') return '*';
  const text = (ivs: Interval[]) => {
    const items = ivs.flatMap((iv) => {
      const cidrs = prefixes(iv, bits);
      if (cidrs.length <= 2) return cidrs.map(([v, len]) => (len === bits ? show(v) : `${show(v)}/${len}`));
      return [`${show(iv.lo)}-${show(iv.hi)}`];
    });
    return items.length === 1 ? items[0]! : `{${items.join(', ')}}`;
  };
  const comp = complement(fs.ivs, (1n << BigInt(bits)) - 1n);
  return comp.length < fs.ivs.length ? `!= ${text(comp)}` : text(fs.ivs);
}

/** The number of bits of x > 0. */
const bitLength = (x: bigint) => x.toString(2).length;

/** The fewest prefixes covering an interval exactly, as [base, length]. */
function prefixes(iv: Interval, bits: number): [bigint, number][] {
  const out: [bigint, number][] = [];
  let lo = iv.lo;
  while (lo <= iv.hi && out.length <= 2) {
    // The largest aligned block at lo within the interval: 2^size, size at most lo's trailing zeros.
    const size = Math.min(bits, lo === 0n ? bits : bitLength(lo & -lo) - 1, bitLength(iv.hi - lo + 1n) - 1);
    out.push([lo, bits - size]);
    lo += 1n << BigInt(size);
  }
  return lo <= iv.hi ? [...out, [0n, 0]] : out;
}
