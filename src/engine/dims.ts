// One dimension of a chain's classifier: a (field, mask) some rule's leading matches constrain,
// cut into elementary intervals, each with the bitset of the chain's rules that accept it and a
// summary bitset (one bit per non-zero bitset word). See the Theory of Operation in
// assembly/engine/lookup.ts for how the WASM side searches them.
//
// Build (a sweep): boundaries are 0, every interval's lo and hi + 1; a rule's bit is toggled at
// the elementary interval where each of its intervals starts and where it ends, then each row is
// XOR-ed with the previous one. Cost: O(rules + rows × words).

import { IDX_DIRECT, IDX_SEARCH, IDX_TOP16 } from './layout.js';
import type { Interval } from '../model/values.js';

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

export interface BuiltDim {
  spec: DimSpec;
  /** Ascending; bounds[0] = 0; elementary interval i is [bounds[i], bounds[i+1] − 1]. */
  bounds: bigint[];
  rows: Uint32Array;
  summ: Uint32Array;
  ikind: number;
  index?: Uint32Array;
}

export function buildDim(spec: DimSpec, perRule: (Interval[] | null)[], nWords: number, nSumm: number): BuiltDim {
  const points = new Set<bigint>([0n]);
  for (const ivs of perRule) {
    if (!ivs) continue;
    for (const iv of ivs) {
      points.add(iv.lo);
      if (iv.hi < spec.max) points.add(iv.hi + 1n);
    }
  }
  const bounds = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const at = new Map<bigint, number>();
  bounds.forEach((b, i) => at.set(b, i));
  const n = bounds.length;
  const rows = new Uint32Array(n * nWords);
  perRule.forEach((ivs, r) => {
    const bit = 1 << (r & 31);
    const w = r >>> 5;
    for (const iv of ivs ?? [{ lo: 0n, hi: spec.max }]) {
      rows[at.get(iv.lo)! * nWords + w]! ^= bit;
      if (iv.hi < spec.max) rows[at.get(iv.hi + 1n)! * nWords + w]! ^= bit;
    }
  });
  for (let e = 1; e < n; e++) {
    const cur = e * nWords;
    const prev = cur - nWords;
    for (let w = 0; w < nWords; w++) rows[cur + w]! ^= rows[prev + w]!;
  }
  const summ = new Uint32Array(n * nSumm);
  for (let e = 0; e < n; e++) {
    for (let w = 0; w < nWords; w++) if (rows[e * nWords + w]) summ[e * nSumm + (w >>> 5)]! |= 1 << (w & 31);
  }
  const built: BuiltDim = { spec, bounds, rows, summ, ikind: IDX_SEARCH };
  // Indexes pay off for many intervals; small dims are binary-searched (a few steps).
  const nums = spec.width === 1 ? bounds.map(Number) : [];
  if (spec.directSize !== undefined && (spec.directSize <= 256 || n > 8)) {
    built.index = fill(new Uint32Array(spec.directSize), nums, (k) => k);
    built.ikind = IDX_DIRECT;
  } else if (spec.width === 1 && n > 64) {
    // index[t]: the interval holding key t << 16; a key with top bits t lies in index[t] … index[t+1].
    const index = fill(new Uint32Array(65537), nums, (t) => t * 65536);
    index[65536] = n - 1;
    built.index = index;
    built.ikind = IDX_TOP16;
  }
  return built;
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
