// A chain's rules as a forest of cut trees (HiCuts, Gupta & McKeown 1999, with CutSplit's split of
// rules into subsets by the field in which they are narrow, Li et al. INFOCOM '18): the fast path
// of lookup.ts for chains whose leading matches are all on fields of at most 32 bits. Each tree
// cuts the key space into equal power-of-two slices, one field per node, down to leaves of a few
// rule pieces, scanned in rule order. Built here; searched by assembly/engine/cuts.ts.

import type { Interval } from '../model/values.js';

/** One dimension: a K_* slot and the mask applied to its key; keys are expected below 2^bits. */
export interface CutDim {
  slot: number;
  mask: number;
  bits: number;
}

/** A rule, or one part of it when a field takes several intervals: one interval per dim. */
interface Piece {
  rule: number;
  lo: number[];
  hi: number[];
}

/** Pieces a leaf holds before the build stops cutting (HiCuts' binth). */
export const BINTH = 8;
/** Trees of a forest: the subsets narrow in one field each, then the rest. */
const MAX_TREES = 4;
/** Replication a cut may cause: children's pieces + children ≤ SPFAC × the node's pieces. */
const SPFAC = 4;
const MAX_CUT_BITS = 16;
const MAX_DEPTH = 24;
/** The trees may take this many times the words of the pieces listed once; beyond, bit vectors. */
const MAX_GROWTH = 8;
/** A rule whose fields take more interval combinations than this keeps the chain on bit vectors. */
const MAX_PIECES_PER_RULE = 16;

/** Word layout of a forest, offsets relative to its start (mirrored in layout.ts: F_*). */
export const LEAF = 0x80000000;

/**
 * The forest's words (offsets relative to its first word), or null when the rules do not suit it
 * (a field takes too many intervals, or the trees would be too big): the chain keeps bit vectors.
 * `perRule[r][d]`: the intervals rule r's leading matches accept in dim d (null: unconstrained;
 * empty: never matches).
 */
export function buildForest(dims: CutDim[], perRule: (Interval[] | null)[][]): Uint32Array | null {
  const pieces: Piece[] = [];
  for (let r = 0; r < perRule.length; r++) {
    const lists = dims.map((dim, d) => (perRule[r]![d] ?? [{ lo: 0n, hi: 0xffffffffn }]).map((iv) => [Number(iv.lo), Number(iv.hi)] as const));
    if (lists.reduce((n, l) => n * l.length, 1) > MAX_PIECES_PER_RULE) return null;
    // Every combination of one interval per dim (none when a dim has no interval: never matches).
    let combos: { lo: number[]; hi: number[] }[] = [{ lo: [], hi: [] }];
    for (const l of lists) combos = combos.flatMap((c) => l.map(([lo, hi]) => ({ lo: [...c.lo, lo], hi: [...c.hi, hi] })));
    for (const c of combos) pieces.push({ rule: r, ...c });
  }
  const b = new ForestBuilder(dims, pieces.length);
  try {
    return b.build(pieces);
  } catch (e) {
    if (e === TOO_BIG) return null;
    throw e;
  }
}

const TOO_BIG = new Error('cut trees too big');
const NONE: Piece[] = [];

/** A node as its parent holds it: header (dim | shift << 8 | cut bits << 16, or LEAF | pieces) and offset. */
interface Ref {
  hdr: number;
  at: number;
}

/** A growable word buffer. */
class Out {
  buf = new Uint32Array(1 << 14);
  length = 0;
  push(...v: number[]): void {
    if (this.length + v.length > this.buf.length) this.grow(v.length);
    for (const x of v) this.buf[this.length++] = x;
  }
  grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const b = new Uint32Array(size);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
  }
}

class ForestBuilder {
  private readonly out = new Out();
  private readonly nd: number;
  private readonly entryWords: number;
  private readonly maxWords: number;

  constructor(private readonly dims: CutDim[], nPieces: number) {
    this.nd = dims.length;
    this.entryWords = 1 + 2 * this.nd;
    this.maxWords = Math.max(1 << 16, MAX_GROWTH * nPieces * this.entryWords);
  }

  build(pieces: Piece[]): Uint32Array {
    const subsets = this.split(pieces);
    // Header: nd, nTrees, nPieces, flat list; per dim slot, mask, max; per tree first rule, root.
    const out = this.out;
    out.push(this.nd, subsets.length, pieces.length, 0);
    for (const d of this.dims) out.push(d.slot, d.mask >>> 0, d.bits >= 32 ? 0xffffffff : 2 ** d.bits - 1);
    const treesAt = out.length;
    for (let t = 0; t < subsets.length; t++) out.push(0, 0, 0);
    out.buf[3] = this.entries(pieces);
    subsets.forEach((s, t) => {
      const root = this.node(s, this.dims.map(() => 0), this.dims.map((d) => d.bits), 0);
      out.buf[treesAt + 3 * t] = s[0]!.rule;
      out.buf[treesAt + 3 * t + 1] = root.at;
      out.buf[treesAt + 3 * t + 2] = root.hdr;
    });
    return out.buf.slice(0, out.length);
  }

  /** CutSplit: rules narrow in the (16/32-bit) field most rules are narrow in form a tree; repeat; the rest last. */
  private split(pieces: Piece[]): Piece[][] {
    const narrow = (p: Piece, d: number) => p.hi[d]! - p.lo[d]! < 2 ** (this.dims[d]!.bits - Math.ceil(this.dims[d]!.bits / 2));
    const trees: Piece[][] = [];
    let rest = pieces;
    while (rest.length > BINTH && trees.length < MAX_TREES - 1) {
      let best = -1;
      let bestN = 0;
      for (let d = 0; d < this.nd; d++) {
        // An 8-bit field (the protocol) is narrow in nearly every rule and splits nothing off:
        // ClassBench fw1 would put all its rules in one tree, wide in both addresses and ports.
        if (this.dims[d]!.bits < 16) continue;
        const n = rest.reduce((k, p) => k + (narrow(p, d) ? 1 : 0), 0);
        if (n > bestN) [best, bestN] = [d, n];
      }
      if (best < 0 || bestN < Math.max(BINTH, rest.length / 20)) break;
      trees.push(rest.filter((p) => narrow(p, best)));
      rest = rest.filter((p) => !narrow(p, best));
    }
    if (rest.length) trees.push(rest);
    // Trees in order of their first rule: the search skips a tree whose first rule is no better.
    return trees.sort((a, b) => a[0]!.rule - b[0]!.rule);
  }

  private entries(pieces: Piece[]): number {
    const out = this.out;
    const at = out.length;
    if (at + pieces.length * this.entryWords > this.maxWords) throw TOO_BIG;
    if (at + pieces.length * this.entryWords > out.buf.length) out.grow(pieces.length * this.entryWords);
    let k = at;
    for (const p of pieces) {
      out.buf[k++] = p.rule;
      for (let d = 0; d < this.nd; d++) {
        out.buf[k++] = p.lo[d]!;
        out.buf[k++] = p.hi[d]! - p.lo[d]!;
      }
    }
    out.length = k;
    return at;
  }

  private leaf(pieces: Piece[]): Ref {
    const hdr = (LEAF | pieces.length) >>> 0;
    return { hdr, at: pieces.length ? this.entries(pieces) : 0 };
  }

  /**
   * A node for `pieces`: all pieces that overlap the box (per dim [lo, lo + 2^bits − 1], lo a
   * multiple of 2^bits) — hence every piece that matches a key reaching this node.
   */
  private node(pieces: Piece[], boxLo: number[], boxBits: number[], depth: number): Ref {
    if (pieces.length <= BINTH || depth >= MAX_DEPTH) return this.leaf(pieces);
    const { lo, bits } = this.zoom(pieces, boxLo, boxBits);
    const cut = this.bestCut(pieces, lo, bits);
    if (!cut) return this.leaf(pieces);
    const { d, b } = cut;
    const nc = 2 ** b;
    const shift = bits[d]! - b;
    const size = 2 ** shift;
    // Children's piece lists, in rule order (most children of a wide cut are empty).
    const lists = new Map<number, Piece[]>();
    for (const p of pieces) {
      const [i0, i1] = this.span(p, d, lo[d]!, bits[d]!, shift);
      for (let i = i0; i <= i1; i++) {
        const l = lists.get(i);
        if (l) l.push(p);
        else lists.set(i, [p]);
      }
    }
    const out = this.out;
    const kids = out.length;
    if (kids + 2 * nc > this.maxWords) throw TOO_BIG;
    if (kids + 2 * nc > out.buf.length) out.grow(2 * nc);
    out.length += 2 * nc;
    for (let i = 0; i < nc; i++) {
      const list = lists.get(i) ?? NONE;
      if (i > 0 && same(lists.get(i - 1) ?? NONE, list)) {
        out.buf[kids + 2 * i] = out.buf[kids + 2 * i - 2]!;
        out.buf[kids + 2 * i + 1] = out.buf[kids + 2 * i - 1]!;
        continue;
      }
      const clo = [...lo];
      const cbits = [...bits];
      clo[d] = lo[d]! + i * size;
      cbits[d] = shift;
      const child = this.node(list, clo, cbits, depth + 1);
      out.buf[kids + 2 * i] = child.at;
      out.buf[kids + 2 * i + 1] = child.hdr;
    }
    return { hdr: d | (shift << 8) | (b << 16), at: kids };
  }

  /**
   * The smallest aligned box inside the given one that holds every piece's part of it. A key
   * outside it matches none of the pieces, so the node may cut it without checking the bits above
   * (a wrong child then, but its leaf finds no match either — as would the right one).
   */
  private zoom(pieces: Piece[], lo: number[], bits: number[]): { lo: number[]; bits: number[] } {
    const zlo = [...lo];
    const zbits = [...bits];
    for (let d = 0; d < this.nd; d++) {
      const hi = lo[d]! + 2 ** bits[d]! - 1;
      let min = hi;
      let max = lo[d]!;
      for (const p of pieces) {
        min = Math.min(min, Math.max(p.lo[d]!, lo[d]!));
        max = Math.max(max, Math.min(p.hi[d]!, hi));
      }
      let b = bits[d]!;
      while (b > 0 && Math.floor(min / 2 ** (b - 1)) === Math.floor(max / 2 ** (b - 1))) b--;
      zbits[d] = b;
      zlo[d] = Math.floor(min / 2 ** b) * 2 ** b;
    }
    return { lo: zlo, bits: zbits };
  }

  /** The children (first, last) a piece overlaps when dim d's box is cut into slices of 2^shift. */
  private span(p: Piece, d: number, lo: number, bits: number, shift: number): [number, number] {
    const hi = lo + 2 ** bits - 1;
    const size = 2 ** shift;
    return [Math.floor((Math.max(p.lo[d]!, lo) - lo) / size), Math.floor((Math.min(p.hi[d]!, hi) - lo) / size)];
  }

  /**
   * HiCuts' choice: the dim whose rules' projections on the box are most distinct (counted on a
   * sample of at most 256 pieces), cut into as many slices as the space budget allows — the finest
   * cut is never worse for the biggest child, and the cost only grows with the cuts, so a binary
   * search finds it; the next most distinct dim when a cut would not separate anything.
   */
  private bestCut(pieces: Piece[], lo: number[], bits: number[]): { d: number; b: number } | null {
    const n = pieces.length;
    const budget = SPFAC * n;
    const step = Math.max(1, Math.floor(n / 256));
    const order: [number, number][] = [];
    for (let d = 0; d < this.nd; d++) {
      if (bits[d]! === 0) continue;
      const hi = lo[d]! + 2 ** bits[d]! - 1;
      const ends = new Float64Array(2 * Math.ceil(n / step));
      let k = 0;
      for (let i = 0; i < n; i += step) {
        ends[k++] = Math.max(pieces[i]!.lo[d]!, lo[d]!);
        ends[k++] = -Math.min(pieces[i]!.hi[d]!, hi) - 1;
      }
      const distinct = countDistinct(ends.subarray(0, k));
      if (distinct > 2) order.push([d, distinct]);
    }
    order.sort((a, b) => b[1] - a[1]);
    let best: { d: number; b: number; max: number } | null = null;
    for (const [d] of order) {
      // Largest b in [1, maxB] whose cost fits (b = 1 always does).
      let okB = 1;
      let lowB = 2;
      let highB = Math.min(bits[d]!, MAX_CUT_BITS, Math.floor(Math.log2(budget)));
      while (lowB <= highB) {
        const mid = (lowB + highB) >> 1;
        if (this.cutCost(pieces, d, lo[d]!, bits[d]!, mid, false) <= budget) {
          okB = mid;
          lowB = mid + 1;
        } else highB = mid - 1;
      }
      const max = this.cutCost(pieces, d, lo[d]!, bits[d]!, okB, true);
      if (max < n && (!best || max < best.max)) best = { d, b: okB, max };
    }
    return best;
  }

  /** Children's pieces + children when dim d is cut into 2^b slices; with `maxChild`, the biggest child. */
  private cutCost(pieces: Piece[], d: number, blo: number, bits: number, b: number, maxChild: boolean): number {
    const nc = 2 ** b;
    const bhi = blo + 2 ** bits - 1;
    const size = 2 ** (bits - b);
    const diff = maxChild ? new Int32Array(nc + 1) : null;
    let total = nc;
    for (const p of pieces) {
      const i0 = Math.floor((Math.max(p.lo[d]!, blo) - blo) / size);
      const i1 = Math.floor((Math.min(p.hi[d]!, bhi) - blo) / size);
      total += i1 - i0 + 1;
      if (diff) {
        diff[i0]!++;
        diff[i1 + 1]!--;
      }
    }
    if (!diff) return total;
    let max = 0;
    let run = 0;
    for (let i = 0; i < nc; i++) {
      run += diff[i]!;
      if (run > max) max = run;
    }
    return max;
  }
}

function countDistinct(xs: Float64Array): number {
  xs.sort();
  let k = 0;
  for (let i = 0; i < xs.length; i++) if (i === 0 || xs[i] !== xs[i - 1]) k++;
  return k;
}

function same(a: Piece[], b: Piece[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
