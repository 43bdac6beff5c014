// Marks as a dimension of the geometric core. `mark & m == v` is one interval once the mark's bits
// are reordered so that m's bits come first. Masks that nest (each inside the next) share one
// order: the bits of the smallest mask, then those the next one adds, …, then the rest, each
// group in its own bit order. An unmasked match compares every bit (the full mask, last of the
// nest); an unmasked range stays an interval only while the order is the identity. A coded cell
// [lo, hi] reads back as aligned blocks, each a masked value (`blocks`).

import type { Interval } from '../../model/values.js';

const FULL = 0xffffffff;

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v >>>= 1) n += v & 1;
  return n;
}

export class MarkOrder {
  /** order[i]: the mark bit at coded position 31 - i (undefined: the identity). */
  private constructor(private readonly order: number[] | undefined) {}

  /** The order for these masks; undefined when they do not nest. */
  static of(masks: Iterable<number>): MarkOrder | undefined {
    const list = [...new Set([...masks].map((m) => m >>> 0))].sort((a, b) => popcount(a) - popcount(b));
    const order: number[] = [];
    let prev = 0;
    for (const m of [...list, FULL]) {
      if ((prev & ~m) !== 0) return undefined;
      for (let b = 31; b >= 0; b--) if ((((m & ~prev) >>> b) & 1) === 1) order.push(b);
      prev = m;
    }
    return new MarkOrder(order.every((b, i) => b === 31 - i) ? undefined : order);
  }

  /** A mark as coded. */
  code(x: number): number {
    if (!this.order) return x >>> 0;
    let y = 0;
    for (const b of this.order) y = ((y << 1) | ((x >>> b) & 1)) >>> 0;
    return y;
  }

  /** The mark of a coded value. */
  decode(y: number): number {
    if (!this.order) return y >>> 0;
    let x = 0;
    this.order.forEach((b, i) => {
      if (((y >>> (31 - i)) & 1) === 1) x |= 1 << b;
    });
    return x >>> 0;
  }

  /** Whether coded values compare as marks (no mask reordered the bits). */
  get identity(): boolean {
    return this.order === undefined;
  }

  /**
   * The coded values whose mark, masked, lies in `ivs`, as sorted disjoint intervals; undefined
   * when they are not a few intervals (a masked range, or an unmasked one under a reordering).
   */
  intervals(ivs: Interval[] | undefined, mask?: number): Interval[] | undefined {
    if (!ivs) return undefined;
    const m = mask === undefined ? FULL : mask >>> 0;
    if (m === FULL && !this.order) return ivs;
    const free = 2 ** (32 - popcount(m)) - 1;
    const out: Interval[] = [];
    for (const iv of ivs) {
      if (iv.lo !== iv.hi) return undefined;
      const v = Number(iv.lo);
      if ((v & ~m) !== 0) continue; // a masked value never has these bits
      const lo = this.code(v);
      out.push({ lo: BigInt(lo), hi: BigInt(lo + free) });
    }
    return out.sort((a, b) => (a.lo < b.lo ? -1 : 1));
  }

  /** Coded values [lo, hi] as masked marks: the union of `mark & mask == value`. */
  blocks(lo: number, hi: number): { value: number; mask: number }[] {
    const out: { value: number; mask: number }[] = [];
    let x = lo;
    while (x <= hi) {
      // The largest aligned block from x that stays within hi.
      let k = 0;
      while (k < 32 && x % 2 ** (k + 1) === 0 && x + 2 ** (k + 1) - 1 <= hi) k++;
      let mask = 0;
      for (let i = 0; i < 32 - k; i++) mask |= 1 << (this.order ? this.order[i]! : 31 - i);
      out.push({ value: this.decode(x), mask: mask >>> 0 });
      x += 2 ** k;
    }
    return out;
  }
}
