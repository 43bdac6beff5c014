// One dimension of a chain's classifier: a (field, mask) that some rule's leading matches
// constrain. See the Theory of Operation in assembly/engine/lookup.ts for the search.
//
//   global   the dimension cut at every interval end of every rule: `n` elementary intervals,
//            found for a key by `index` (direct, or slots of 2^s keys over the bounds) and/or binary search of `bounds`
//   blocks   the chain's rules in blocks of 1024 (32 words, one summary word). Per block: the
//            block's own elementary intervals (cut only at its rules' interval ends) with a
//            32-word bitset row and a summary word each, and `map`: global interval → block row.
//   sup      per global interval, one bit per block: its row there is not empty.
//
// A block keeps only rows its own rules tell apart, so memory and build time grow with
// rules × (rules per block) instead of rules², while a lookup still locates the key once.
// Build of a block (a sweep): toggle a rule's bit at the row where each of its intervals starts
// and where it ends, then XOR each row with the previous one.

import type { Interval } from '../model/values.js';
import { IDX_DIRECT, IDX_SEARCH, IDX_SHIFT } from './layout.js';

export const BLOCK_RULES = 1024;
export const BLOCK_WORDS = 32;

export interface DimSpec {
  slot: number;
  width: 1 | 4;
  /** Bits kept of a width-1 key before comparing. */
  mask: number;
  /** Largest key value (the domain is [0, max]). */
  max: bigint;
  /** Keys are below this (8- and 16-bit fields, interface classes): a direct index is used. */
  directSize?: number;
}

export interface Block {
  /** Global elementary interval → row of this block. */
  map: Uint32Array;
  /** BLOCK_WORDS words per row. */
  rows: Uint32Array;
  /** One word per row: bit w set iff row word w is non-zero. */
  summ: Uint32Array;
}

export interface BuiltDim {
  spec: DimSpec;
  /** Number of global elementary intervals; interval i is [bound i, bound i+1 − 1]. */
  n: number;
  /** Global boundaries, ascending, `width` words each (most significant first); the first is 0. */
  bounds: Uint32Array;
  ikind: number;
  index?: Uint32Array;
  blocks: Block[];
  /** Per global interval, ceil(blocks / 32) words: bit b set iff its row in block b is non-zero. */
  sup: Uint32Array;
}

type Key = number | bigint;

/** Sorted distinct points where the given intervals start or end (+1), always including 0. */
function cuts(spec: DimSpec, lists: (Interval[] | null)[]): Key[] {
  if (spec.width === 1) {
    const max = Number(spec.max);
    const pts = new Set<number>([0]);
    for (const ivs of lists) for (const iv of ivs ?? []) {
      pts.add(Number(iv.lo));
      if (Number(iv.hi) < max) pts.add(Number(iv.hi) + 1);
    }
    return Array.from(Float64Array.from(pts).sort());
  }
  const pts = new Set<bigint>([0n]);
  for (const ivs of lists) for (const iv of ivs ?? []) {
    pts.add(iv.lo);
    if (iv.hi < spec.max) pts.add(iv.hi + 1n);
  }
  return [...pts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function buildDim(spec: DimSpec, perRule: (Interval[] | null)[]): BuiltDim {
  const global = cuts(spec, perRule);
  const n = global.length;
  const bounds = new Uint32Array(n * spec.width);
  global.forEach((b, i) => {
    if (spec.width === 1) bounds[i] = Number(b);
    else for (let w = 0; w < 4; w++) bounds[i * 4 + w] = Number(((b as bigint) >> BigInt(96 - 32 * w)) & 0xffffffffn);
  });
  const blocks: Block[] = [];
  for (let first = 0; first < Math.max(1, perRule.length); first += BLOCK_RULES) {
    blocks.push(buildBlock(spec, perRule.slice(first, first + BLOCK_RULES), global));
  }
  const nSup = Math.ceil(blocks.length / 32);
  const sup = new Uint32Array(n * nSup);
  blocks.forEach((blk, b) => {
    for (let e = 0; e < n; e++) if (blk.summ[blk.map[e]!]) sup[e * nSup + (b >>> 5)]! |= 1 << (b & 31);
  });
  const built: BuiltDim = { spec, n, bounds, ikind: IDX_SEARCH, blocks, sup };
  // Indexes pay off for many intervals; small dims are binary-searched (a few steps).
  const nums = spec.width === 1 ? (global as number[]) : [];
  if (spec.directSize !== undefined && (spec.directSize <= 256 || n > 8)) {
    built.index = fill(new Uint32Array(spec.directSize), nums, (k) => k);
    built.ikind = IDX_DIRECT;
  } else if (spec.width === 1 && n > 64) {
    built.index = shiftIndex(nums);
    built.ikind = IDX_SHIFT;
  }
  return built;
}

function buildBlock(spec: DimSpec, perRule: (Interval[] | null)[], global: Key[]): Block {
  const local = cuts(spec, perRule);
  const m = local.length;
  const at = new Map<Key, number>();
  local.forEach((b, i) => at.set(b, i));
  const rows = new Uint32Array(m * BLOCK_WORDS);
  perRule.forEach((ivs, r) => {
    const bit = 1 << (r & 31);
    const w = r >>> 5;
    for (const iv of ivs ?? [{ lo: 0n, hi: spec.max }]) {
      const lo: Key = spec.width === 1 ? Number(iv.lo) : iv.lo;
      rows[at.get(lo)! * BLOCK_WORDS + w]! ^= bit;
      if (iv.hi < spec.max) {
        const end: Key = spec.width === 1 ? Number(iv.hi) + 1 : iv.hi + 1n;
        rows[at.get(end)! * BLOCK_WORDS + w]! ^= bit;
      }
    }
  });
  for (let e = 1; e < m; e++) {
    const cur = e * BLOCK_WORDS;
    for (let w = 0; w < BLOCK_WORDS; w++) rows[cur + w]! ^= rows[cur - BLOCK_WORDS + w]!;
  }
  const summ = new Uint32Array(m);
  for (let e = 0; e < m; e++) {
    let s = 0;
    for (let w = 0; w < BLOCK_WORDS; w++) if (rows[e * BLOCK_WORDS + w]) s |= 1 << w;
    summ[e] = s;
  }
  // Every local cut is a global cut, so global interval i lies inside one local interval.
  const map = new Uint32Array(global.length);
  let j = 0;
  for (let i = 0; i < global.length; i++) {
    while (j + 1 < m && local[j + 1]! <= global[i]!) j++;
    map[i] = j;
  }
  return { map, rows, summ };
}

/**
 * IDX_SHIFT's words over sorted bounds (bounds[0] = 0): slots of 2^shift keys from bounds[1] to
 * the last bound, at most two a boundary, so that a lookup's binary search takes a step or two.
 */
function shiftIndex(bounds: number[]): Uint32Array {
  const n = bounds.length;
  const base = bounds[1]!;
  const span = bounds[n - 1]! - base;
  let shift = 0;
  while (Math.floor(span / 2 ** shift) + 1 > 2 * n) shift++;
  const size = Math.floor(span / 2 ** shift) + 1;
  const index = new Uint32Array(3 + size + 1);
  index[0] = base;
  index[1] = shift;
  index[2] = size;
  // Entry t: the interval holding key base + t · 2^shift; entry size: the last interval.
  fill(index.subarray(3, 3 + size), bounds, (t) => base + t * 2 ** shift);
  index[3 + size] = n - 1;
  return index;
}

function fill(index: Uint32Array, bounds: number[], keyOf: (i: number) => number): Uint32Array {
  let e = 0;
  for (let i = 0; i < index.length; i++) {
    const k = keyOf(i);
    while (e + 1 < bounds.length && bounds[e + 1]! <= k) e++;
    index[i] = e;
  }
  return index;
}

/** The complement of sorted disjoint intervals within [0, max]. */
export function complement(ivs: Interval[], max: bigint): Interval[] {
  const out: Interval[] = [];
  let next = 0n;
  for (const iv of ivs) {
    if (iv.lo > next) out.push({ lo: next, hi: iv.lo - 1n });
    next = iv.hi + 1n;
  }
  if (next <= max) out.push({ lo: next, hi: max });
  return out;
}

/** The intersection of two sorted disjoint interval lists. */
export function intersect(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = a[i]!.lo > b[j]!.lo ? a[i]!.lo : b[j]!.lo;
    const hi = a[i]!.hi < b[j]!.hi ? a[i]!.hi : b[j]!.hi;
    if (lo <= hi) out.push({ lo, hi });
    if (a[i]!.hi < b[j]!.hi) i++;
    else j++;
  }
  return out;
}
