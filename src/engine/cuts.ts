// A chain's rules as a forest of cut trees (HiCuts, Gupta & McKeown 1999, with CutSplit's split of
// rules into subsets by the fields in which they are narrow, Li et al. INFOCOM '18): the fast path
// of lookup.ts for chains whose leading matches are all on fields of at most 32 bits. Each tree
// cuts the key space into equal power-of-two slices, one or two fields per node, down to leaves of
// a few rule pieces, scanned in rule order. Built here; searched by assembly/engine/cuts.ts.

import type { Interval } from '../model/values.js';
import { F_TWO_DIM } from './layout.js';

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

/** How a forest is built: HiCuts' binth and space factor, and whether nodes may cut two dims. */
interface Build {
  /** Pieces a leaf holds before the build stops cutting. */
  binth: number;
  /** Replication a cut may cause: children's pieces + children ≤ spfac × the node's pieces. */
  spfac: number;
  twoDim: boolean;
  /** Rules narrow in two fields at once get a tree of their own (split). */
  pairs: boolean;
}
/**
 * A chain of at most SMALL pieces is first built roomier — smaller leaves, more replication, two
 * dims a node, a tree of its own for rules narrow in two fields — for shallower trees (a few
 * hundred KB at most); a bigger one, or a small one whose roomy trees outgrow the budget, gets the
 * lean build (memory, build time; on ClassBench's 10k sets the roomy build was no faster).
 */
const SMALL = 2048;
const ROOMY: Build = { binth: 4, spfac: 8, twoDim: true, pairs: true };
const LEAN: Build = { binth: 8, spfac: 4, twoDim: false, pairs: false };
/** The most pieces a leaf holds (unless no cut separates them, or at MAX_DEPTH). */
export const BINTH = Math.max(ROOMY.binth, LEAN.binth);
/** Trees of a forest: the subsets narrow in two fields, in one field each, then the rest. */
const MAX_TREES = 4;
const MAX_CUT_BITS = 16;
const MAX_DEPTH = 24;
/**
 * The trees may take this many times the words of the pieces listed once, and at least
 * MIN_WORDS words (1 MB); beyond, the lean build, then bit vectors.
 */
const MAX_GROWTH = 8;
const MIN_WORDS = 1 << 18;
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
  const nd = dims.length;
  const pieces: Piece[] = [];
  for (let r = 0; r < perRule.length; r++) {
    const fields = perRule[r]!;
    let combos = 1;
    for (let d = 0; d < nd; d++) combos *= fields[d]?.length ?? 1;
    if (combos > MAX_PIECES_PER_RULE) return null;
    // Every combination of one interval per dim (none when a dim has no interval: never matches).
    for (let c = 0; c < combos; c++) {
      const lo = new Array<number>(nd);
      const hi = new Array<number>(nd);
      let rest = c;
      for (let d = 0; d < nd; d++) {
        const ivs = fields[d];
        if (!ivs) {
          lo[d] = 0;
          hi[d] = 0xffffffff;
          continue;
        }
        const iv = ivs[rest % ivs.length]!;
        rest = Math.floor(rest / ivs.length);
        lo[d] = Number(iv.lo);
        hi[d] = Number(iv.hi);
      }
      pieces.push({ rule: r, lo, hi });
    }
  }
  for (const build of pieces.length <= SMALL ? [ROOMY, LEAN] : [LEAN]) {
    try {
      return new ForestBuilder(dims, pieces.length, build).build(pieces);
    } catch (e) {
      if (e !== TOO_BIG) throw e;
    }
  }
  return null;
}

const TOO_BIG = new Error('cut trees too big');
const NONE: Piece[] = [];

/** A node's cut: dim d into 2^b slices and, when b2 > 0, dim d2 into 2^b2 at the same time. */
interface Cut {
  d: number;
  b: number;
  d2: number;
  b2: number;
}

/** A node as its parent holds it: header (its cut, as layout.ts F_LEAF describes, or LEAF | pieces) and offset. */
interface Ref {
  hdr: number;
  at: number;
}

/** The forest's words: a buffer of the budget's size (its untouched pages cost nothing). */
class Out {
  readonly buf: Uint32Array;
  length = 0;
  constructor(size: number) {
    this.buf = new Uint32Array(size);
  }
  /** Room for n more words, or TOO_BIG. */
  take(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) throw TOO_BIG;
    this.length += n;
    return at;
  }
  push(...v: number[]): void {
    const at = this.take(v.length);
    for (let i = 0; i < v.length; i++) this.buf[at + i] = v[i]!;
  }
}

class ForestBuilder {
  private readonly out: Out;
  private readonly nd: number;
  private readonly entryWords: number;
  private readonly scratch: Scratch;
  /** Some node cuts two dims. */
  private twoDim = false;

  constructor(private readonly dims: CutDim[], nPieces: number, private readonly p: Build) {
    this.nd = dims.length;
    this.entryWords = 1 + 2 * this.nd;
    this.out = new Out(Math.max(MIN_WORDS, MAX_GROWTH * nPieces * this.entryWords));
    this.scratch = {
      off: dims.map(() => [new Float64Array(nPieces), new Float64Array(nPieces)]),
      grid: new Int32Array(2 ** MAX_CUT_BITS + 1),
    };
  }

  build(pieces: Piece[]): Uint32Array {
    const subsets = this.split(pieces);
    // Header (layout.ts F_*): nd, nTrees, nPieces, flat list, flags; per dim slot, mask, max; per
    // tree first rule, root.
    const out = this.out;
    out.push(this.nd, subsets.length, pieces.length, 0, 0);
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
    out.buf[4] = this.twoDim ? F_TWO_DIM : 0;
    return out.buf.slice(0, out.length);
  }

  /**
   * CutSplit: in the roomy build, rules narrow in two (16/32-bit) fields at once, when nearly all
   * are (the address pairs of an ACL), form the first tree — a rule wide in either field would be copied into every
   * slice of a cut on it; then rules narrow in the field most rules are narrow in form a tree;
   * repeat; the rest last.
   */
  private split(pieces: Piece[]): Piece[][] {
    const narrow = (p: Piece, d: number) => p.hi[d]! - p.lo[d]! < 2 ** (this.dims[d]!.bits - Math.ceil(this.dims[d]!.bits / 2));
    const trees: Piece[][] = [];
    let rest = pieces;
    let pair: [number, number] | null = null;
    let pairN = 0;
    for (let d = 0; d < this.nd && this.p.pairs; d++) {
      for (let e = d + 1; e < this.nd; e++) {
        if (this.dims[d]!.bits < 16 || this.dims[e]!.bits < 16) continue;
        const n = rest.reduce((k, p) => k + (narrow(p, d) && narrow(p, e) ? 1 : 0), 0);
        if (n > pairN) [pair, pairN] = [[d, e], n];
      }
    }
    if (this.p.pairs && pair && pairN >= Math.max(BINTH, 0.9 * rest.length) && pairN < rest.length) {
      const [d, e] = pair;
      trees.push(rest.filter((p) => narrow(p, d) && narrow(p, e)));
      rest = rest.filter((p) => !(narrow(p, d) && narrow(p, e)));
    }
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
    const at = out.take(pieces.length * this.entryWords);
    let k = at;
    for (const p of pieces) {
      out.buf[k++] = p.rule;
      for (let d = 0; d < this.nd; d++) {
        out.buf[k++] = p.lo[d]!;
        out.buf[k++] = p.hi[d]! - p.lo[d]!;
      }
    }
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
    if (pieces.length <= this.p.binth || depth >= MAX_DEPTH) return this.leaf(pieces);
    const { lo, bits } = this.zoom(pieces, boxLo, boxBits);
    const box = new NodeBox(pieces, lo, bits, this.scratch);
    const cut = this.bestCut(box);
    if (!cut) return this.leaf(pieces);
    const { d, b, d2, b2 } = cut;
    if (b2) this.twoDim = true;
    const nc = 2 ** (b + b2);
    const shift = bits[d]! - b;
    const shift2 = b2 ? bits[d2]! - b2 : 0;
    const out = this.out;
    const kids = out.take(2 * nc);
    // Children's piece lists, in rule order (most children of a wide cut are empty).
    const lists: (Piece[] | undefined)[] = new Array(nc);
    const [lo1, hi1] = box.offsets(d);
    const [lo2, hi2] = b2 ? box.offsets(d2) : [ZERO, ZERO];
    const size = 2 ** shift;
    const size2 = 2 ** shift2;
    for (let k = 0; k < pieces.length; k++) {
      const p = pieces[k]!;
      const i1 = Math.floor(hi1[k]! / size);
      const j0 = b2 ? Math.floor(lo2[k]! / size2) : 0;
      const j1 = b2 ? Math.floor(hi2[k]! / size2) : 0;
      for (let i = Math.floor(lo1[k]! / size); i <= i1; i++) {
        for (let j = j0; j <= j1; j++) {
          const c = i * 2 ** b2 + j;
          const l = lists[c];
          if (l) l.push(p);
          else lists[c] = [p];
        }
      }
    }
    for (let c = 0; c < nc; c++) {
      const list = lists[c] ?? NONE;
      if (c > 0 && same(lists[c - 1] ?? NONE, list)) {
        out.buf[kids + 2 * c] = out.buf[kids + 2 * c - 2]!;
        out.buf[kids + 2 * c + 1] = out.buf[kids + 2 * c - 1]!;
        continue;
      }
      if (list.length <= this.p.binth || depth + 1 >= MAX_DEPTH) {
        const child = this.leaf(list);
        out.buf[kids + 2 * c] = child.at;
        out.buf[kids + 2 * c + 1] = child.hdr;
        continue;
      }
      const clo = [...lo];
      const cbits = [...bits];
      clo[d] = lo[d]! + Math.floor(c / 2 ** b2) * size;
      cbits[d] = shift;
      if (b2) {
        clo[d2] = lo[d2]! + (c % 2 ** b2) * size2;
        cbits[d2] = shift2;
      }
      const child = this.node(list, clo, cbits, depth + 1);
      out.buf[kids + 2 * c] = child.at;
      out.buf[kids + 2 * c + 1] = child.hdr;
    }
    return { hdr: (d | (shift << 4) | (b << 9) | (d2 << 14) | (shift2 << 18) | (b2 << 23)) >>> 0, at: kids };
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

  /**
   * HiCuts' choice: the dim whose rules' projections on the box are most distinct (counted on a
   * sample of at most 256 pieces), cut into as many slices as the space budget allows — the finest
   * cut is never worse for the biggest child, and the cost only grows with the cuts, so a binary
   * search finds it; the next most distinct dim when a cut would not separate anything. Then the
   * two most distinct dims cut at once (HyperCuts, Singh et al., SIGCOMM '03): one read of a child
   * instead of two levels; taken when its biggest child is smaller.
   */
  private bestCut(box: NodeBox): Cut | null {
    const { pieces, lo, bits } = box;
    const n = pieces.length;
    const budget = this.p.spfac * n;
    const step = Math.max(1, Math.floor(n / 256));
    const order: [number, number][] = [];
    for (let d = 0; d < this.nd; d++) {
      if (bits[d]! === 0) continue;
      const [offLo, offHi] = box.offsets(d);
      const ends = new Float64Array(2 * Math.ceil(n / step));
      let k = 0;
      for (let i = 0; i < n; i += step) {
        ends[k++] = offLo[i]!;
        ends[k++] = -offHi[i]! - 1;
      }
      const distinct = countDistinct(ends.subarray(0, k));
      if (distinct > 2) order.push([d, distinct]);
    }
    order.sort((a, b) => b[1] - a[1]);
    const maxBits = Math.min(MAX_CUT_BITS, Math.floor(Math.log2(budget)));
    let best: (Cut & { max: number }) | null = null;
    for (const [d] of order) {
      // Largest b in [1, maxB] whose cost fits (b = 1 always does).
      let okB = 1;
      let lowB = 2;
      let highB = Math.min(bits[d]!, maxBits);
      while (lowB <= highB) {
        const mid = (lowB + highB) >> 1;
        if (box.cost(d, mid, -1, 0, false) <= budget) {
          okB = mid;
          lowB = mid + 1;
        } else highB = mid - 1;
      }
      const max = box.cost(d, okB, -1, 0, true);
      if (max < n && (!best || max < best.max)) best = { d, b: okB, d2: 0, b2: 0, max };
    }
    if (this.p.twoDim && order.length >= 2) {
      const [d, d2] = [order[0]![0], order[1]![0]];
      for (let b = 1; b < Math.min(bits[d]!, maxBits); b++) {
        // Largest b2 whose cost fits, as above (none: no finer cut of d fits either).
        let ok = 0;
        let low = 1;
        let high = Math.min(bits[d2]!, maxBits - b);
        while (low <= high) {
          const mid = (low + high) >> 1;
          if (box.cost(d, b, d2, mid, false) <= budget) {
            ok = mid;
            low = mid + 1;
          } else high = mid - 1;
        }
        if (!ok) break;
        const max = box.cost(d, b, d2, ok, true);
        if (max < n && (!best || max < best.max)) best = { d, b, d2, b2: ok, max };
      }
    }
    return best;
  }
}

const ZERO = new Float64Array(0);

/**
 * Buffers a node reuses (it is done with them before its children are built): per dim, its
 * pieces' offsets into the box; pieces per child.
 */
interface Scratch {
  off: [Float64Array, Float64Array][];
  grid: Int32Array;
}

/** A node's pieces in its (zoomed) box, with each piece's extent per dim as offsets into the box. */
class NodeBox {
  private readonly done: boolean[] = [];

  constructor(readonly pieces: Piece[], readonly lo: number[], readonly bits: number[], private readonly scratch: Scratch) {}

  /** Per piece, where its part of the box starts and ends in dim d, relative to the box's start. */
  offsets(d: number): [Float64Array, Float64Array] {
    const o = this.scratch.off[d]!;
    if (this.done[d]) return o;
    const n = this.pieces.length;
    const lo = this.lo[d]!;
    const hi = lo + 2 ** this.bits[d]! - 1;
    for (let k = 0; k < n; k++) {
      const p = this.pieces[k]!;
      o[0][k] = Math.max(p.lo[d]!, lo) - lo;
      o[1][k] = Math.min(p.hi[d]!, hi) - lo;
    }
    this.done[d] = true;
    return o;
  }

  /**
   * Children's pieces + children when dim d is cut into 2^b slices (and dim d2 into 2^b2, if
   * d2 ≥ 0); with `maxChild`, the biggest child instead.
   */
  cost(d: number, b: number, d2: number, b2: number, maxChild: boolean): number {
    const [lo1, hi1] = this.offsets(d);
    const [lo2, hi2] = d2 >= 0 ? this.offsets(d2) : [ZERO, ZERO];
    const size = 2 ** (this.bits[d]! - b);
    const size2 = d2 >= 0 ? 2 ** (this.bits[d2]! - b2) : 1;
    const nc = 2 ** (b + b2);
    const n = this.pieces.length;
    if (!maxChild) {
      let total = nc;
      for (let k = 0; k < n; k++) {
        const w1 = Math.floor(hi1[k]! / size) - Math.floor(lo1[k]! / size) + 1;
        total += d2 >= 0 ? w1 * (Math.floor(hi2[k]! / size2) - Math.floor(lo2[k]! / size2) + 1) : w1;
      }
      return total;
    }
    // Pieces per child: a difference array along d for one dim; cell by cell for two (the
    // cells filled are the cost, within the budget).
    const grid = this.scratch.grid;
    grid.fill(0, 0, nc + 1);
    for (let k = 0; k < n; k++) {
      const i0 = Math.floor(lo1[k]! / size);
      const i1 = Math.floor(hi1[k]! / size);
      if (d2 < 0) {
        grid[i0]!++;
        grid[i1 + 1]!--;
        continue;
      }
      const j0 = Math.floor(lo2[k]! / size2);
      const j1 = Math.floor(hi2[k]! / size2);
      for (let i = i0; i <= i1; i++) for (let j = j0; j <= j1; j++) grid[i * 2 ** b2 + j]!++;
    }
    let max = 0;
    let run = 0;
    for (let i = 0; i < nc; i++) {
      run = d2 < 0 ? run + grid[i]! : grid[i]!;
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
