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

/**
 * The rules' pieces — a rule, or one part of it when a field takes several intervals: one
 * interval per dim —, as arrays indexed by piece id (ids follow rule order). Node lists are
 * arrays of ids: no object per piece, and the hot loops read plain numbers.
 */
export interface Pieces {
  n: number;
  rule: Int32Array;
  /** Per dim, each piece's interval (keys are below 2^32). */
  lo: Uint32Array[];
  hi: Uint32Array[];
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
export const MAX_PIECES_PER_RULE = 16;

/** Word layout of a forest, offsets relative to its start (mirrored in layout.ts: F_*). */
export const LEAF = 0x80000000;

/**
 * The forest's words (offsets relative to its first word), or null when the rules do not suit it
 * (a field takes too many intervals, or the trees would be too big): the chain keeps bit vectors.
 * `perRule[r][d]`: the intervals rule r's leading matches accept in dim d (null: unconstrained;
 * empty: never matches). The words are a view of the buffer they were built in.
 */
export function buildForest(dims: CutDim[], perRule: (Interval[] | null)[][]): Uint32Array | null {
  const nd = dims.length;
  const combos = new Int32Array(perRule.length);
  let n = 0;
  for (let r = 0; r < perRule.length; r++) {
    const fields = perRule[r]!;
    let c = 1;
    for (let d = 0; d < nd; d++) c *= fields[d]?.length ?? 1;
    if (c > MAX_PIECES_PER_RULE) return null;
    combos[r] = c;
    n += c;
  }
  const pieces = makePieces(n, nd);
  let p = 0;
  for (let r = 0; r < perRule.length; r++) {
    const fields = perRule[r]!;
    // Every combination of one interval per dim (none when a dim has no interval: never matches).
    for (let c = 0; c < combos[r]!; c++, p++) {
      pieces.rule[p] = r;
      let rest = c;
      for (let d = 0; d < nd; d++) {
        const ivs = fields[d];
        if (!ivs) {
          pieces.lo[d]![p] = 0;
          pieces.hi[d]![p] = 0xffffffff;
          continue;
        }
        const iv = ivs[rest % ivs.length]!;
        rest = Math.floor(rest / ivs.length);
        pieces.lo[d]![p] = Number(iv.lo);
        pieces.hi[d]![p] = Number(iv.hi);
      }
    }
  }
  return forestOfPieces(dims, pieces);
}

/** Room for n pieces over nd dims. */
export function makePieces(n: number, nd: number): Pieces {
  const pieces: Pieces = { n, rule: new Int32Array(n), lo: [], hi: [] };
  for (let d = 0; d < nd; d++) {
    pieces.lo.push(new Uint32Array(n));
    pieces.hi.push(new Uint32Array(n));
  }
  return pieces;
}

/** buildForest of pieces already made (pieces.lo[k], hi[k]: dim k of `dims`; ids in rule order). */
export function forestOfPieces(dims: CutDim[], pieces: Pieces): Uint32Array | null {
  for (const build of pieces.n <= SMALL ? [ROOMY, LEAN] : [LEAN]) {
    try {
      return new ForestBuilder(dims, pieces, build).build();
    } catch (e) {
      if (e !== TOO_BIG) throw e;
    }
  }
  return null;
}

const TOO_BIG = new Error('cut trees too big');

/** 2^k for k = 0 … 32 (read-only): a table read in the hot loops, where `2 ** k` is a call. */
const POW2 = Float64Array.from({ length: 33 }, (_, k) => 2 ** k);

/**
 * Node lists (piece ids) live in a stack of Int32Array chunks: a node takes its children's lists
 * in one piece and gives them back when its subtree is built. A chunk never moves, so the views
 * its ancestors hold stay valid when a new chunk is added.
 */
class ListStack {
  private readonly chunks: Int32Array[];
  private cur = 0;
  private top = 0;
  constructor(size: number) {
    this.chunks = [new Int32Array(size)];
  }
  /** Where the stack is now (for release). */
  mark(): number {
    return this.cur * 2 ** 32 + this.top;
  }
  release(mark: number): void {
    this.cur = Math.floor(mark / 2 ** 32);
    this.top = mark % 2 ** 32;
  }
  /** n words: a view of them. */
  take(n: number): Int32Array {
    const at = this.takeAt(n);
    return this.chunk.subarray(at, at + n);
  }
  /** The chunk takeAt last took words in. */
  chunk!: Int32Array;
  /** n words in `chunk` (as it is after the call): the offset of the first. */
  takeAt(n: number): number {
    let c = this.chunks[this.cur]!;
    if (this.top + n > c.length) {
      this.cur++;
      this.top = 0;
      c = this.chunks[this.cur]!;
      // A chunk past the current one holds no live list: replaced when too small.
      if (!c || c.length < n) this.chunks[this.cur] = c = new Int32Array(Math.max(n, 2 * this.chunks[this.cur - 1]!.length));
    }
    const at = this.top;
    this.top += n;
    this.chunk = c;
    return at;
  }
}

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

/**
 * The forest's words: a buffer that grows by doubling up to the budget (TOO_BIG beyond), handed
 * out as a view of the words written. It starts at a few words a piece, not at the budget: a
 * compile builds a forest per chain, and a hundred budget-sized buffers (1 MB each at least) cost
 * more to zero than the trees take to build.
 */
class Out {
  buf: Uint32Array;
  length = 0;
  constructor(private readonly budget: number, start: number) {
    this.buf = new Uint32Array(Math.min(budget, start));
  }
  /** Room for n more words, or TOO_BIG. */
  take(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      if (at + n > this.budget) throw TOO_BIG;
      const b = new Uint32Array(Math.min(this.budget, Math.max(2 * this.buf.length, at + n)));
      b.set(this.buf.subarray(0, at));
      this.buf = b;
    }
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
  private readonly lists: ListStack;
  /** Some node cuts two dims. */
  private twoDim = false;

  constructor(private readonly dims: CutDim[], private readonly pieces: Pieces, private readonly p: Build) {
    this.nd = dims.length;
    this.entryWords = 1 + 2 * this.nd;
    this.out = new Out(Math.max(MIN_WORDS, MAX_GROWTH * pieces.n * this.entryWords), 4 * (pieces.n + 16) * this.entryWords);
    this.lists = new ListStack(4 * pieces.n + 1024);
    this.scratch = {
      off: dims.map(() => [new Uint32Array(pieces.n), new Uint32Array(pieces.n)]),
      // A node cuts into at most spfac × its pieces ≤ spfac × n slices (bestCut's budget).
      grid: new Int32Array(Math.min(2 ** MAX_CUT_BITS, p.spfac * pieces.n) + 1),
      // Two ends of at most 2 × SAMPLE − 1 pieces (step 1 below 2 × SAMPLE pieces, n / step after).
      ends: new Float64Array(4 * SAMPLE),
      keys: new Float64Array(1 << 11),
      stamp: new Int32Array(1 << 11),
      gen: 0,
      order: new Int32Array(dims.length),
      distinct: new Float64Array(dims.length),
      full: new Float64Array(dims.length),
      extent: new Float64Array(1),
    };
  }

  build(): Uint32Array {
    const all = new Int32Array(this.pieces.n);
    for (let i = 0; i < all.length; i++) all[i] = i;
    const subsets = this.split(all);
    // Header (layout.ts F_*): nd, nTrees, nPieces, flat list, flags; per dim slot, mask, max; per
    // tree first rule, root.
    const out = this.out;
    out.push(this.nd, subsets.length, all.length, 0, 0);
    for (const d of this.dims) out.push(d.slot, d.mask >>> 0, d.bits >= 32 ? 0xffffffff : 2 ** d.bits - 1);
    const treesAt = out.length;
    for (let t = 0; t < subsets.length; t++) out.push(0, 0, 0);
    const flat = this.flatEntries(); // before naming out.buf: taking words may move it
    out.buf[3] = flat;
    subsets.forEach((s, t) => {
      const root = this.node(s, this.dims.map(() => 0), this.dims.map((d) => d.bits), 0);
      out.buf[treesAt + 3 * t] = this.pieces.rule[s[0]!]!;
      out.buf[treesAt + 3 * t + 1] = root.at;
      out.buf[treesAt + 3 * t + 2] = root.hdr;
    });
    out.buf[4] = this.twoDim ? F_TWO_DIM : 0;
    return out.buf.subarray(0, out.length);
  }

  /**
   * CutSplit: in the roomy build, rules narrow in two (16/32-bit) fields at once, when nearly all
   * are (the address pairs of an ACL), form the first tree — a rule wide in either field would be copied into every
   * slice of a cut on it; then rules narrow in the field most rules are narrow in form a tree;
   * repeat; the rest last.
   */
  private split(pieces: Int32Array): Int32Array[] {
    const { lo, hi, rule } = this.pieces;
    // Per piece, a bit per dim in which it is narrow: less than about half the dim's bits wide.
    const narrow = new Uint32Array(this.pieces.n);
    for (let d = 0; d < this.nd; d++) {
      const below = 2 ** (this.dims[d]!.bits - Math.ceil(this.dims[d]!.bits / 2));
      const l = lo[d]!;
      const h = hi[d]!;
      for (let k = 0; k < pieces.length; k++) {
        const p = pieces[k]!;
        if (h[p]! - l[p]! < below) narrow[p]! |= 1 << d;
      }
    }
    // The pieces of `rest` (below) per narrow mask, the masks present listed: the pieces of rest
    // narrow in every dim of a mask are counted from them, not from the pieces. A part taken out
    // of rest is every piece whose mask holds the part's: its masks then leave the list.
    const byMask = maskCounts(pieces, narrow, this.nd);
    let masks = [...byMask.keys()];
    const count = (mask: number) => {
      let n = 0;
      for (let i = 0; i < masks.length; i++) if ((masks[i]! & mask) === mask) n += byMask.get(masks[i]!)!;
      return n;
    };
    const takeOut = (mask: number) => {
      masks = masks.filter((m) => (m & mask) !== mask);
    };
    const trees: Int32Array[] = [];
    let rest = pieces;
    let pair = 0;
    let pairN = 0;
    for (let d = 0; d < this.nd && this.p.pairs; d++) {
      for (let e = d + 1; e < this.nd; e++) {
        if (this.dims[d]!.bits < 16 || this.dims[e]!.bits < 16) continue;
        const n = count((1 << d) | (1 << e));
        if (n > pairN) [pair, pairN] = [(1 << d) | (1 << e), n];
      }
    }
    if (this.p.pairs && pair && pairN >= Math.max(BINTH, 0.9 * rest.length) && pairN < rest.length) {
      const [inside, outside] = part(rest, narrow, pair, pairN);
      trees.push(inside);
      rest = outside;
      takeOut(pair);
    }
    while (rest.length > BINTH && trees.length < MAX_TREES - 1) {
      let best = -1;
      let bestN = 0;
      for (let d = 0; d < this.nd; d++) {
        // An 8-bit field (the protocol) is narrow in nearly every rule and splits nothing off:
        // ClassBench fw1 would put all its rules in one tree, wide in both addresses and ports.
        if (this.dims[d]!.bits < 16) continue;
        const n = count(1 << d);
        if (n > bestN) [best, bestN] = [d, n];
      }
      if (best < 0 || bestN < Math.max(BINTH, rest.length / 20)) break;
      const [inside, outside] = part(rest, narrow, 1 << best, bestN);
      trees.push(inside);
      rest = outside;
      takeOut(1 << best);
    }
    if (rest.length) trees.push(rest);
    // Trees in order of their first rule: the search skips a tree whose first rule is no better.
    return trees.sort((a, b) => rule[a[0]!]! - rule[b[0]!]!);
  }

  /** The flat list: every piece's entry, in id order (piece p's at flat + p × entryWords); its offset. */
  private flatEntries(): number {
    const out = this.out;
    const { n, rule, lo, hi } = this.pieces;
    const at = out.take(n * this.entryWords);
    const buf = out.buf;
    let k = at;
    for (let p = 0; p < n; p++) {
      buf[k++] = rule[p]!;
      for (let d = 0; d < this.nd; d++) {
        buf[k++] = lo[d]![p]!;
        buf[k++] = hi[d]![p]! - lo[d]![p]!;
      }
    }
    this.flat = at;
    return at;
  }

  /** Where flatEntries wrote the flat list. */
  private flat = 0;

  /** The entries of list[from … from + n − 1] (piece ids) written out, copied from the flat list; their offset. */
  private entries(list: Int32Array, from: number, n: number): number {
    const ew = this.entryWords;
    const at = this.out.take(n * ew);
    copyEntries(this.out.buf, at, this.flat, ew, list, from, n);
    return at;
  }

  private leaf(list: Int32Array): Ref {
    const hdr = (LEAF | list.length) >>> 0;
    return { hdr, at: list.length ? this.entries(list, 0, list.length) : 0 };
  }

  /**
   * A node for the pieces of `list`: all pieces that overlap the box (per dim [lo, lo + 2^bits − 1],
   * lo a multiple of 2^bits) — hence every piece that matches a key reaching this node.
   */
  private node(list: Int32Array, boxLo: number[], boxBits: number[], depth: number): Ref {
    if (list.length <= this.p.binth || depth >= MAX_DEPTH) return this.leaf(list);
    const { lo, bits } = this.zoom(list, boxLo, boxBits);
    const box = new NodeBox(this.pieces, list, lo, bits, this.scratch);
    const cut = this.bestCut(box);
    if (!cut) return this.leaf(list);
    const { d, b, d2, b2 } = cut;
    if (b2) this.twoDim = true;
    const nc = POW2[b + b2]!;
    const shift = bits[d]! - b;
    const shift2 = b2 ? bits[d2]! - b2 : 0;
    const out = this.out;
    const kids = out.take(2 * nc);
    // Children's piece lists, in rule order (most children of a wide cut are empty), one after
    // the other in one stretch of the list stack: counted, then filled. Offsets are below 2^32,
    // so a slice index is a shift.
    const o1 = box.offsets(d);
    const o2 = b2 ? box.offsets(d2) : NO_OFFSETS;
    const lo1 = o1[0];
    const hi1 = o1[1];
    const lo2 = o2[0];
    const hi2 = o2[1];
    // start[s + c]: where child c's list begins in `all` (s + nc: where the last one ends); in
    // the list stack, below the children's own lists.
    const s = this.lists.takeAt(nc + 1);
    const start = this.lists.chunk;
    start.fill(0, s, s + nc + 1);
    spreadCount(list, lo1, hi1, lo2, hi2, shift, shift2, b2, start, s);
    runningSum(start, s, nc);
    const all = this.lists.take(start[s + nc]!);
    // Filled at start[s + c]++ (each then holds its child's end): shifted back after.
    spreadFill(list, lo1, hi1, lo2, hi2, shift, shift2, b2, start, s, all);
    shiftBack(start, s, nc);
    const mark = this.lists.mark();
    let prevFrom = 0;
    let prevTo = 0;
    for (let c = 0; c < nc; c++) {
      const from = start[s + c]!;
      const to = start[s + c + 1]!;
      if (c > 0 && same(all, prevFrom, prevTo, from, to)) {
        out.buf[kids + 2 * c] = out.buf[kids + 2 * c - 2]!;
        out.buf[kids + 2 * c + 1] = out.buf[kids + 2 * c - 1]!;
        continue;
      }
      prevFrom = from;
      prevTo = to;
      if (to - from <= this.p.binth || depth + 1 >= MAX_DEPTH) {
        // A leaf (most children): its entries straight from the stretch, no view of it. Taking
        // words may move out.buf: the offset first, then the write.
        const at = to > from ? this.entries(all, from, to - from) : 0;
        out.buf[kids + 2 * c] = at;
        out.buf[kids + 2 * c + 1] = (LEAF | (to - from)) >>> 0;
        continue;
      }
      const child = all.subarray(from, to);
      const clo = lo.slice();
      const cbits = bits.slice();
      clo[d] = lo[d]! + (c >>> b2) * POW2[shift]!;
      cbits[d] = shift;
      if (b2) {
        clo[d2] = lo[d2]! + (c & (POW2[b2]! - 1)) * POW2[shift2]!;
        cbits[d2] = shift2;
      }
      const ref = this.node(child, clo, cbits, depth + 1);
      this.lists.release(mark);
      out.buf[kids + 2 * c] = ref.at;
      out.buf[kids + 2 * c + 1] = ref.hdr;
    }
    return { hdr: (d | (shift << 4) | (b << 9) | (d2 << 14) | (shift2 << 18) | (b2 << 23)) >>> 0, at: kids };
  }

  /**
   * The smallest aligned box inside the given one that holds every piece's part of it. A key
   * outside it matches none of the pieces, so the node may cut it without checking the bits above
   * (a wrong child then, but its leaf finds no match either — as would the right one).
   */
  private zoom(list: Int32Array, lo: number[], bits: number[]): { lo: number[]; bits: number[] } {
    const zlo = lo.slice();
    const zbits = bits.slice();
    for (let d = 0; d < this.nd; d++) {
      const plo = this.pieces.lo[d]!;
      const phi = this.pieces.hi[d]!;
      const ext = this.scratch.extent;
      const maxHi = extent(list, plo, phi, ext);
      const minLo = ext[0]!;
      // The pieces' extent, clipped to the box (the box itself when the list is empty).
      const boxLo = lo[d]!;
      const boxHi = boxLo + POW2[bits[d]!]! - 1;
      const min = Math.min(boxHi, Math.max(boxLo, minLo));
      const max = Math.max(boxLo, Math.min(boxHi, maxHi));
      // Drop the top bits min and max share (values are below 2^32: bits are shifts).
      let b = bits[d]!;
      while (b > 0 && min >>> (b - 1) === max >>> (b - 1)) b--;
      zbits[d] = b;
      zlo[d] = b >= 32 ? 0 : (min >>> b) * POW2[b]!;
    }
    return { lo: zlo, bits: zbits };
  }

  /**
   * HiCuts' choice: the dim whose rules' projections on the box are most distinct (counted on a
   * sample of at most SAMPLE pieces), cut into as many slices as the space budget allows — the
   * finest cut is never worse for the biggest child, and the cost only grows with the cuts, so a
   * binary search finds it; the next most distinct dim when a cut would not separate anything.
   * Then the two most distinct dims cut at once (HyperCuts, Singh et al., SIGCOMM '03): one read
   * of a child instead of two levels; taken when its biggest child is smaller.
   */
  private bestCut(box: NodeBox): Cut | null {
    const { list, bits } = box;
    const n = list.length;
    const budget = this.p.spfac * n;
    const step = Math.max(1, Math.floor(n / SAMPLE));
    const ends = this.scratch.ends;
    // Dims by distinct ends, most first (insertion: stable, as a sort would be; at most nd).
    const order = this.scratch.order;
    const distincts = this.scratch.distinct;
    let m = 0;
    for (let d = 0; d < this.nd; d++) {
      if (bits[d]! === 0) continue;
      const distinct = countDistinct(ends, box.sampleEnds(d, step, ends), this.scratch);
      if (distinct <= 2) continue;
      let j = m++;
      for (; j > 0 && distincts[j - 1]! < distinct; j--) {
        order[j] = order[j - 1]!;
        distincts[j] = distincts[j - 1]!;
      }
      order[j] = d;
      distincts[j] = distinct;
    }
    const maxBits = Math.min(MAX_CUT_BITS, Math.floor(Math.log2(budget)));
    let best: (Cut & { max: number }) | null = null;
    for (let r = 0; r < m; r++) {
      const d = order[r]!;
      // Largest b in [1, maxB] whose cost fits (b = 1 always does). The f pieces that span the
      // box are in all 2^b slices, the others in one at least: b is out of reach, with no count,
      // once 2^b (1 + f) + n − f passes the budget.
      let okB = 1;
      let okCost = -1;
      let lowB = 2;
      let highB = Math.min(bits[d]!, maxBits);
      const f = box.fullSpan(d);
      while (highB >= lowB && POW2[highB]! * (1 + f) + n - f > budget) highB--;
      // A big node tries the finest cut first: it often fits, and then no other is counted.
      let first = n >= BIG_NODE;
      while (lowB <= highB) {
        const mid = first ? highB : (lowB + highB) >> 1;
        first = false;
        const c = box.cost(d, mid, -1, 0, false, budget);
        if (c <= budget) {
          okB = mid;
          okCost = c;
          lowB = mid + 1;
        } else highB = mid - 1;
      }
      // The biggest child holds at least the average of the pieces the 2^okB children hold: when
      // that is no smaller than the best cut's, this dim cannot win (no count of the children).
      if (best && okCost >= 0 && Math.ceil((okCost - POW2[okB]!) / POW2[okB]!) >= best.max) continue;
      const max = box.cost(d, okB, -1, 0, true);
      if (max < n && (!best || max < best.max)) best = { d, b: okB, d2: 0, b2: 0, max };
    }
    if (this.p.twoDim && m >= 2) {
      const d = order[0]!;
      const d2 = order[1]!;
      for (let b = 1; b < Math.min(bits[d]!, maxBits); b++) {
        // Largest b2 whose cost fits, as above (none: no finer cut of d fits either).
        let ok = 0;
        let low = 1;
        let high = Math.min(bits[d2]!, maxBits - b);
        while (low <= high) {
          const mid = (low + high) >> 1;
          if (box.cost(d, b, d2, mid, false, budget) <= budget) {
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

/** The offsets of no dim (a cut of one dim reads none for the second). */
const NO_OFFSETS: [Uint32Array, Uint32Array] = [new Uint32Array(0), new Uint32Array(0)];

/** Pieces from which on a node's cut search tries the finest cut first. */
const BIG_NODE = 4096;

/** Pieces whose ends bestCut samples per dim to rank the dims. */
const SAMPLE = 256;

/**
 * Buffers a node reuses (it is done with them before its children are built): per dim, its
 * pieces' offsets into the box; pieces per child; bestCut's sample.
 */
interface Scratch {
  off: [Uint32Array, Uint32Array][];
  grid: Int32Array;
  ends: Float64Array;
  /** countDistinct's table (2^11 slots, twice the ends at most) and the generation that marks a slot used. */
  keys: Float64Array;
  stamp: Int32Array;
  gen: number;
  /** bestCut's ranking of the dims: dim, and its distinct ends. */
  order: Int32Array;
  distinct: Float64Array;
  /** Per dim, the pieces that span the whole box (with off). */
  full: Float64Array;
  /** zoom's smallest start of a node's pieces in one dim (extent). */
  extent: Float64Array;
}

/**
 * A node's pieces in its (zoomed) box, with each piece's extent per dim as offsets into the box:
 * below 2^bits ≤ 2^32, so a slice of 2^s keys holds offset x at x >>> s.
 */
class NodeBox {
  /** Bit d: offsets(d) computed. */
  private done = 0;

  constructor(
    private readonly pieces: Pieces,
    readonly list: Int32Array,
    readonly lo: number[],
    readonly bits: number[],
    private readonly scratch: Scratch,
  ) {}

  /** Per piece of the list, where its part of the box starts and ends in dim d, relative to the box's start. */
  offsets(d: number): [Uint32Array, Uint32Array] {
    const o = this.scratch.off[d]!;
    if ((this.done >>> d) & 1) return o;
    this.done |= 1 << d;
    const lo = this.lo[d]!;
    this.scratch.full[d] = clipOffsets(this.list, this.pieces.lo[d]!, this.pieces.hi[d]!, lo, lo + POW2[this.bits[d]!]! - 1, o[0], o[1]);
    return o;
  }

  /**
   * The offsets (as offsets(d) has them) of every step-th piece, into ends: start, then −end − 1;
   * how many ends. Only the pieces sampled are read: a dim that is not cut needs no more.
   */
  sampleEnds(d: number, step: number, ends: Float64Array): number {
    const lo = this.lo[d]!;
    return sampleOffsets(this.list, step, this.pieces.lo[d]!, this.pieces.hi[d]!, lo, lo + POW2[this.bits[d]!]! - 1, ends);
  }

  /** Pieces of the list that span the whole box in dim d (each is in every slice of a cut of d). */
  fullSpan(d: number): number {
    this.offsets(d);
    return this.scratch.full[d]!;
  }

  /**
   * Children's pieces + children when dim d is cut into 2^b slices (and dim d2 into 2^b2, if
   * d2 ≥ 0), or some count above `limit` once it is sure to exceed it; with `maxChild`, the
   * biggest child instead.
   */
  cost(d: number, b: number, d2: number, b2: number, maxChild: boolean, limit = Infinity): number {
    const o1 = this.offsets(d);
    const o2 = d2 >= 0 ? this.offsets(d2) : NO_OFFSETS;
    const lo1 = o1[0];
    const hi1 = o1[1];
    const lo2 = o2[0];
    const hi2 = o2[1];
    const s1 = this.bits[d]! - b;
    const s2 = d2 >= 0 ? this.bits[d2]! - b2 : 0;
    const nc = POW2[b + b2]!;
    const n = this.list.length;
    if (!maxChild) {
      // Only compared with the budget: stop counting once past it (checked every 1024 pieces).
      let total = nc;
      for (let k0 = 0; k0 < n && total <= limit; k0 += 1024) {
        const k1 = Math.min(n, k0 + 1024);
        total += d2 < 0 ? sliceCount(lo1, hi1, k0, k1, s1) : cellCount(lo1, hi1, lo2, hi2, k0, k1, s1, s2);
      }
      return total;
    }
    // Pieces per child: a difference array along d for one dim; cell by cell for two (the
    // cells filled are the cost, within the budget).
    const grid = this.scratch.grid;
    grid.fill(0, 0, nc + 1);
    if (d2 < 0) {
      countSlices(lo1, hi1, n, s1, grid);
      return maxRun(grid, nc);
    }
    countCells(lo1, hi1, lo2, hi2, n, s1, s2, b2, grid);
    return maxCell(grid, nc);
  }
}

// The hot loops, each a function of its own with nothing after the loop that V8 has not seen
// run: a loop optimized on its first (long) run then leaves its code without deoptimizing, which
// it otherwise does again at every later long run (a few thousand times in a 100k-rule build).

/** Per piece of `list`, its extent [plo, phi] clipped to [lo, hi], as offsets from lo; the pieces that cover [lo, hi]. */
function clipOffsets(list: Int32Array, plo: Uint32Array, phi: Uint32Array, lo: number, hi: number, olo: Uint32Array, ohi: Uint32Array): number {
  let full = 0;
  for (let k = 0; k < list.length; k++) {
    const p = list[k]!;
    const l = plo[p]!;
    const h = phi[p]!;
    olo[k] = l > lo ? l - lo : 0;
    ohi[k] = (h < hi ? h : hi) - lo;
    // Both compared at every piece (no compare left unseen when V8 optimizes the loop).
    full += (l <= lo ? 1 : 0) & (h >= hi ? 1 : 0);
  }
  return full;
}

/** clipOffsets of every step-th piece of `list`, as ends: start, then −end − 1; how many. */
function sampleOffsets(list: Int32Array, step: number, plo: Uint32Array, phi: Uint32Array, lo: number, hi: number, ends: Float64Array): number {
  let k = 0;
  for (let i = 0; i < list.length; i += step) {
    const p = list[i]!;
    const l = plo[p]!;
    const h = phi[p]!;
    ends[k++] = l > lo ? l - lo : 0;
    ends[k++] = -((h < hi ? h : hi) - lo) - 1;
  }
  return k;
}

/**
 * The largest phi of the pieces of `list` (−Infinity when it is empty); the smallest plo into
 * ext[0] (Infinity). One pass; ext[0] is written as the minimum falls, from the first piece on,
 * so nothing after the loop is left for V8 to see run first.
 */
function extent(list: Int32Array, plo: Uint32Array, phi: Uint32Array, ext: Float64Array): number {
  ext[0] = Infinity;
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < list.length; k++) {
    const p = list[k]!;
    const l = plo[p]!;
    const h = phi[p]!;
    if (l < min) {
      min = l;
      ext[0] = l;
    }
    if (h > max) max = h;
  }
  return max;
}

/** The entries of pieces list[from … from + n − 1], each ew words copied from the flat list at `flat`, to buf[at …]. */
function copyEntries(buf: Uint32Array, at: number, flat: number, ew: number, list: Int32Array, from: number, n: number): void {
  let k = at;
  for (let i = from; i < from + n; i++) {
    const src = flat + list[i]! * ew;
    for (let j = 0; j < ew; j++) buf[k++] = buf[src + j]!;
  }
}

/** Slices of 2^s1 keys the pieces k0 … k1 − 1 overlap, summed. */
function sliceCount(lo1: Uint32Array, hi1: Uint32Array, k0: number, k1: number, s1: number): number {
  let total = 0;
  for (let k = k0; k < k1; k++) total += (hi1[k]! >>> s1) - (lo1[k]! >>> s1) + 1;
  return total;
}

/** Cells of a two-dim cut the pieces k0 … k1 − 1 overlap, summed. */
function cellCount(lo1: Uint32Array, hi1: Uint32Array, lo2: Uint32Array, hi2: Uint32Array, k0: number, k1: number, s1: number, s2: number): number {
  let total = 0;
  for (let k = k0; k < k1; k++) total += ((hi1[k]! >>> s1) - (lo1[k]! >>> s1) + 1) * ((hi2[k]! >>> s2) - (lo2[k]! >>> s2) + 1);
  return total;
}

/** Pieces per slice of 2^s1 keys, as a difference array: +1 at the first slice, −1 past the last. */
function countSlices(lo1: Uint32Array, hi1: Uint32Array, n: number, s1: number, grid: Int32Array): void {
  for (let k = 0; k < n; k++) {
    grid[lo1[k]! >>> s1]!++;
    grid[(hi1[k]! >>> s1) + 1]!--;
  }
}

/** The largest running sum of grid[0 … nc − 1]. */
function maxRun(grid: Int32Array, nc: number): number {
  let max = 0;
  let run = 0;
  for (let i = 0; i < nc; i++) {
    run += grid[i]!;
    if (run > max) max = run;
  }
  return max;
}

/** Pieces per cell of a two-dim cut, cell by cell. */
function countCells(lo1: Uint32Array, hi1: Uint32Array, lo2: Uint32Array, hi2: Uint32Array, n: number, s1: number, s2: number, b2: number, grid: Int32Array): void {
  for (let k = 0; k < n; k++) {
    const i0 = lo1[k]! >>> s1;
    const i1 = hi1[k]! >>> s1;
    const j0 = lo2[k]! >>> s2;
    const j1 = hi2[k]! >>> s2;
    for (let i = i0; i <= i1; i++) for (let j = j0; j <= j1; j++) grid[(i << b2) + j]!++;
  }
}

/** The largest of grid[0 … nc − 1] (at least 0). */
function maxCell(grid: Int32Array, nc: number): number {
  let max = 0;
  for (let i = 0; i < nc; i++) if (grid[i]! > max) max = grid[i]!;
  return max;
}

/** start[s + 1 … s + nc] from counts to ends: a running sum from start[s]. */
function runningSum(start: Int32Array, s: number, nc: number): void {
  for (let c = 0; c < nc; c++) start[s + c + 1]! += start[s + c]!;
}

/** start[s + 1 … s + nc] ← start[s … s + nc − 1], start[s] ← 0: ends back to starts. */
function shiftBack(start: Int32Array, s: number, nc: number): void {
  start.copyWithin(s + 1, s, s + nc);
  start[s] = 0;
}

/**
 * Distinct values among xs[0 … n − 1] (n ≤ 4 × SAMPLE; integers), by the scratch open-addressing
 * table: a slot is empty unless stamped with this call's generation, so nothing is cleared.
 */
function countDistinct(xs: Float64Array, n: number, scratch: Scratch): number {
  const keys = scratch.keys;
  const stamp = scratch.stamp;
  const gen = ++scratch.gen;
  const mask = keys.length - 1;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    let h = Math.imul(x | 0, 0x9e3779b1) >>> 21;
    for (;;) {
      h &= mask;
      if (stamp[h] !== gen) {
        stamp[h] = gen;
        keys[h] = x;
        k++;
        break;
      }
      if (keys[h] === x) break;
      h++;
    }
  }
  return k;
}

/**
 * The pieces of `list` into the children of a cut (slices of 2^shift by 2^shift2 keys, b2 bits of
 * the second dim), counted: pos[at + c + 1] per child c.
 */
function spreadCount(list: Int32Array, lo1: Uint32Array, hi1: Uint32Array, lo2: Uint32Array, hi2: Uint32Array, shift: number, shift2: number, b2: number, pos: Int32Array, at: number): void {
  for (let k = 0; k < list.length; k++) {
    const i1 = hi1[k]! >>> shift;
    const j0 = b2 ? lo2[k]! >>> shift2 : 0;
    const j1 = b2 ? hi2[k]! >>> shift2 : 0;
    for (let i = lo1[k]! >>> shift; i <= i1; i++) for (let j = j0; j <= j1; j++) pos[at + (i << b2) + j + 1]!++;
  }
}

/** spreadCount's other half: child c's next piece at out[pos[at + c]++]. */
function spreadFill(list: Int32Array, lo1: Uint32Array, hi1: Uint32Array, lo2: Uint32Array, hi2: Uint32Array, shift: number, shift2: number, b2: number, pos: Int32Array, at: number, out: Int32Array): void {
  for (let k = 0; k < list.length; k++) {
    const i1 = hi1[k]! >>> shift;
    const j0 = b2 ? lo2[k]! >>> shift2 : 0;
    const j1 = b2 ? hi2[k]! >>> shift2 : 0;
    for (let i = lo1[k]! >>> shift; i <= i1; i++) for (let j = j0; j <= j1; j++) out[pos[at + (i << b2) + j]!++] = list[k]!;
  }
}

/** How many ids of `list` have each narrow mask (nd bits at most). */
function maskCounts(list: Int32Array, narrow: Uint32Array, nd: number): Map<number, number> {
  // A table over the masks when they are few enough, then a map of those present.
  const table = new Int32Array(2 ** Math.min(nd, 16));
  for (let k = 0; k < list.length; k++) table[narrow[list[k]!]!]!++;
  const out = new Map<number, number>();
  for (let m = 0; m < table.length; m++) if (table[m]) out.set(m, table[m]!);
  return out;
}

/** The ids of `list` narrow in every dim of `mask` (n of them), and the others, each in list order. */
function part(list: Int32Array, narrow: Uint32Array, mask: number, n: number): [Int32Array, Int32Array] {
  const inside = new Int32Array(n);
  const outside = new Int32Array(list.length - n);
  let i = 0;
  let o = 0;
  for (let k = 0; k < list.length; k++) {
    if ((narrow[list[k]!]! & mask) === mask) inside[i++] = list[k]!;
    else outside[o++] = list[k]!;
  }
  return [inside, outside];
}

/** Whether list[a0 … a1 − 1] and list[b0 … b1 − 1] hold the same ids. */
function same(list: Int32Array, a0: number, a1: number, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let i = 0; i < a1 - a0; i++) if (list[a0 + i] !== list[b0 + i]) return false;
  return true;
}
