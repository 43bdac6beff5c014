// A chain's leading constraints as the compiler collects them (compile.ts compileChain): per dim
// (slot, width, mask), a column over the rules — typed arrays for the common case of one interval
// of a 32-bit field, interval lists for the rest — read back as buildDim's lists (bit vectors) or
// as cut-tree pieces (cuts.ts), with no object per rule on the common path.

import type { Match } from '../model/ruleset.js';
import { ipv4Value, type Interval } from '../model/values.js';
import { makePieces, MAX_PIECES_PER_RULE, type Pieces } from './cuts.js';
import { intersect, type DimSpec } from './dims.js';

const MAX32 = 0xffffffffn;
const MAX128 = (1n << 128n) - 1n;

/** Per dim and rule: unconstrained; one interval in lo/hi (32-bit dims); the interval list in lists. */
export const S_NONE = 0;
export const S_ONE = 1;
export const S_LIST = 2;
const NO_INTERVALS: Interval[] = [];

/**
 * A chain's leading constraints, dim by dim (a dim: slot, width and mask), each a column over the
 * rules: typed arrays for the common case of one interval of a 32-bit field — no object per rule
 * or per match — and interval lists for the rest (sets, negations, IPv6 addresses).
 */
export class Columns {
  readonly specs: DimSpec[] = [];
  readonly state: Uint8Array[] = [];
  readonly lo: Uint32Array[] = [];
  readonly hi: Uint32Array[] = [];
  readonly lists: Map<number, Interval[]>[] = [];
  /** Constraints held as interval lists (none: every rule is one piece, its words those of the columns). */
  listed = 0;
  /** Dim index by slot × 8 + width, for the full mask (the common case: no boxed key); by key otherwise. */
  private readonly plain: number[] = [];
  private readonly byKey = new Map<number, number>();
  constructor(readonly nRules: number) {}

  /** The index of the dim (slot, width, mask), added when new. */
  dim(slot: number, width: 1 | 4, mask: number, directSize: number | undefined): number {
    const full = mask >>> 0 === 0xffffffff;
    let d = full ? this.plain[slot * 8 + width] : this.byKey.get((slot * 8 + width) * 2 ** 32 + (mask >>> 0));
    if (d === undefined) {
      d = this.specs.length;
      if (full) this.plain[slot * 8 + width] = d;
      else this.byKey.set((slot * 8 + width) * 2 ** 32 + (mask >>> 0), d);
      this.specs.push({ slot, width, mask, max: width === 4 ? MAX128 : MAX32, directSize });
      this.state.push(new Uint8Array(this.nRules));
      // Unconstrained: the whole key space (pieces take these words as they are).
      this.lo.push(new Uint32Array(width === 1 ? this.nRules : 0));
      this.hi.push(new Uint32Array(width === 1 ? this.nRules : 0).fill(0xffffffff));
      this.lists.push(new Map());
    }
    return d;
  }

  /** Rule r's constraint in dim d narrowed to [lo, hi] (a 32-bit dim). */
  addRange(d: number, r: number, lo: number, hi: number): void {
    const st = this.state[d]!;
    if (lo > hi) this.addList(d, r, NO_INTERVALS);
    else if (st[r] === S_NONE) {
      st[r] = S_ONE;
      this.lo[d]![r] = lo;
      this.hi[d]![r] = hi;
    } else if (st[r] === S_ONE) {
      const l = Math.max(lo, this.lo[d]![r]!);
      const h = Math.min(hi, this.hi[d]![r]!);
      if (l <= h) {
        this.lo[d]![r] = l;
        this.hi[d]![r] = h;
      } else this.setList(d, r, NO_INTERVALS);
    } else this.addList(d, r, [{ lo: BigInt(lo), hi: BigInt(hi) }]);
  }

  /** Rule r's constraint in dim d narrowed to the intervals ivs. */
  addList(d: number, r: number, ivs: Interval[]): void {
    const st = this.state[d]!;
    if (st[r] === S_NONE) this.setList(d, r, ivs);
    else if (st[r] === S_ONE) this.setList(d, r, intersect([{ lo: BigInt(this.lo[d]![r]!), hi: BigInt(this.hi[d]![r]!) }], ivs));
    else this.setList(d, r, intersect(this.lists[d]!.get(r)!, ivs));
  }

  private setList(d: number, r: number, ivs: Interval[]): void {
    if (this.state[d]![r] !== S_LIST) this.listed++;
    this.state[d]![r] = S_LIST;
    this.lists[d]!.set(r, ivs);
  }

  /**
   * A match whose value is one number or number range of an integer field, or one IPv4 address or prefix, as
   * it stands (op ==, no mask): added as numbers, true. False for any other match (the caller
   * takes its intervals). The plan checked every value; a value it would refuse is left to the
   * general path, which says why.
   */
  addSimple(d: number, r: number, m: Match, kind: string, bits: number): boolean {
    if (m.op !== '==' || m.mask !== undefined || this.specs[d]!.width !== 1) return false;
    const v = m.value;
    const max = bits >= 32 ? 0xffffffff : 0xffffffff >>> (32 - bits); // 2^bits − 1, no call
    if (kind === 'uint') {
      if (typeof v === 'number') {
        if (!Number.isInteger(v) || v < 0 || v > max) return false;
        this.addRange(d, r, v, v);
        return true;
      }
      if (typeof v === 'object' && 'range' in v) {
        const [a, b] = v.range;
        if (typeof a !== 'number' || typeof b !== 'number' || !Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a > max || b > max) return false;
        this.addRange(d, r, a, b);
        return true;
      }
      return false;
    }
    if (kind !== 'ipv4') return false;
    if (typeof v === 'string') {
      const a = ipv4Value(v);
      if (a < 0) return false;
      this.addRange(d, r, a, a);
      return true;
    }
    if (typeof v !== 'object' || !('prefix' in v) || typeof v.prefix !== 'string') return false;
    const base = ipv4Value(v.prefix);
    const len = v.len;
    if (base < 0 || !Number.isInteger(len) || len < 0 || len > 32) return false;
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    // Host bits set: the kernel compares (x & mask) == addr, which no x satisfies.
    if ((base & mask) >>> 0 !== base) this.addRange(d, r, 1, 0);
    else this.addRange(d, r, base, (base | ~mask) >>> 0);
    return true;
  }

  /** Dim d as buildDim takes it: per rule its intervals, null when unconstrained. */
  column(d: number): (Interval[] | null)[] {
    const st = this.state[d]!;
    const out: (Interval[] | null)[] = new Array(this.nRules);
    for (let r = 0; r < this.nRules; r++) {
      out[r] = st[r] === S_NONE ? null : st[r] === S_ONE ? [{ lo: BigInt(this.lo[d]![r]!), hi: BigInt(this.hi[d]![r]!) }] : this.lists[d]!.get(r)!;
    }
    return out;
  }

  /**
   * The rules as cut-tree pieces over the dims in `order` (cuts.ts): every combination of one
   * interval per dim; null when a rule has more than MAX_PIECES_PER_RULE.
   */
  pieces(order: number[]): Pieces | null {
    const nd = order.length;
    if (this.listed === 0) {
      // One piece a rule, its words those of the columns (in the dims' new order).
      const rule = new Int32Array(this.nRules);
      for (let r = 0; r < this.nRules; r++) rule[r] = r;
      return { n: this.nRules, rule, lo: order.map((d) => this.lo[d]!), hi: order.map((d) => this.hi[d]!) };
    }
    const combos = new Int32Array(this.nRules);
    let n = 0;
    for (let r = 0; r < this.nRules; r++) {
      let c = 1;
      for (let k = 0; k < nd; k++) {
        const d = order[k]!;
        if (this.state[d]![r] === S_LIST) c *= this.lists[d]!.get(r)!.length;
      }
      if (c > MAX_PIECES_PER_RULE) return null;
      combos[r] = c;
      n += c;
    }
    const pieces = makePieces(n, nd);
    let p = 0;
    for (let r = 0; r < this.nRules; r++) {
      for (let c = 0; c < combos[r]!; c++, p++) {
        pieces.rule[p] = r;
        let rest = c;
        for (let k = 0; k < nd; k++) {
          const d = order[k]!;
          const st = this.state[d]![r];
          if (st === S_NONE) {
            pieces.lo[k]![p] = 0;
            pieces.hi[k]![p] = 0xffffffff;
          } else if (st === S_ONE) {
            pieces.lo[k]![p] = this.lo[d]![r]!;
            pieces.hi[k]![p] = this.hi[d]![r]!;
          } else {
            const ivs = this.lists[d]!.get(r)!;
            const iv = ivs[rest % ivs.length]!;
            rest = Math.floor(rest / ivs.length);
            pieces.lo[k]![p] = Number(iv.lo);
            pieces.hi[k]![p] = Number(iv.hi);
          }
        }
      }
    }
    return pieces;
  }
}
