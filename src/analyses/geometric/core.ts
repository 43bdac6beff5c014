// Loading the geometric core (build/geometric.wasm, from assembly/geometric/) and asking it the
// anomaly questions about one chain of boxes. One instance per chain; numbers only cross.

import { readFileSync } from 'node:fs';
import { NftlensError } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';

interface GeometricExports {
  memory: WebAssembly.Memory;
  setup(dims: number, pieces: number, rules: number, maxCells: number, maxDiff: number): number;
  boxesPtr(): number;
  rulePtr(): number;
  firstPtr(): number;
  actPtr(): number;
  outPtr(): number;
  cellsPtr(): number;
  keyPtr(): number;
  diffPtr(): number;
  fired(): number;
  truncated(): number;
  takers(i: number): number;
  cells(i: number, j: number): number;
  unchanged(i: number, policy: number): number;
  covered(j: number, i: number): number;
  diffRule(r: number, split: number, policyBefore: number, policyAfter: number): number;
  diffReset(): void;
}

let compiled: WebAssembly.Module | undefined;

/** Dimensions the core handles at most (assembly/geometric/store.ts MAX_DIMS). */
const MAX_DIMS = 8;

/** The dimensions some boxes differ in: the only ones the core sees (at least one). */
export function keptDims(chain: BoxChain): number[] {
  const boxes = chain.pieces.flat();
  const first = boxes[0];
  const kept = Array.from({ length: chain.dims }, (_, k) => k)
    .filter((k) => first !== undefined && boxes.some((b) => b[2 * k] !== first[2 * k] || b[2 * k + 1] !== first[2 * k + 1]));
  return kept.length === 0 ? [0] : kept;
}

/** Whether the core can take the chain (no more than MAX_DIMS dimensions differ). */
export function fitsCore(chain: BoxChain): boolean {
  return keptDims(chain).length <= MAX_DIMS;
}

/** A chain as boxes: `pieces[r]` are rule r's boxes ([lo, hi] per dimension each), `act[r]` its action code (0: ends nothing). */
export interface BoxChain {
  dims: number;
  pieces: Uint32Array[][];
  act: number[];
  /** For diffs: what a rule's decision is compared by (default: its action code). */
  keys?: number[];
}

export interface CoreOptions {
  /** Cells `cells` returns at most (default 16). */
  maxCells?: number;
  /** Cells a diff may find at most (default 0: no diffs). */
  maxDiff?: number;
}

/** A cell two chains decide differently, and the deciders (rule numbers; -1: the policy). */
export interface DiffCell {
  cell: Cell;
  before: number;
  after: number;
}

/** Cells are boxes: [lo, hi] per dimension. */
export type Cell = Uint32Array;

/** What `takers` finds: rule numbers, ascending. */
export interface Takers {
  takers: number[];
  inside: number[];
  overlapping: number[];
  hit: Cell | undefined;
}

export class GeometricCore {
  private readonly ex: GeometricExports;
  /** The dimensions some boxes differ in: the only ones the core sees. */
  private readonly kept: number[];
  /** A full cell with the dimensions every box agrees on; the kept ones are overwritten. */
  private readonly fixed: Cell;

  constructor(chain: BoxChain, private readonly origin: Origin, opts: CoreOptions = {}) {
    compiled ??= new WebAssembly.Module(readFileSync(new URL('../../../build/geometric.wasm', import.meta.url)));
    this.ex = new WebAssembly.Instance(compiled, { env: { abort(): never { throw new Error('geometric.wasm aborted'); } } })
      .exports as unknown as GeometricExports;
    // A dimension in which every box has the same interval cuts nothing: leave it out.
    const boxes = chain.pieces.flat();
    this.fixed = boxes[0]?.slice() ?? new Uint32Array(2 * chain.dims);
    this.kept = keptDims(chain);
    const dims = this.kept.length;
    if (this.ex.setup(dims, boxes.length, chain.pieces.length, opts.maxCells ?? 16, opts.maxDiff ?? 0) !== 0) throw this.limit();
    const u32 = new Uint32Array(this.ex.memory.buffer);
    let p = 0;
    chain.pieces.forEach((list, r) => {
      u32[(this.ex.firstPtr() >> 2) + r] = p;
      u32[(this.ex.actPtr() >> 2) + r] = chain.act[r]!;
      u32[(this.ex.keyPtr() >> 2) + r] = chain.keys?.[r] ?? chain.act[r]!;
      for (const box of list) {
        const at = (this.ex.boxesPtr() >> 2) + p * 2 * dims;
        this.kept.forEach((k, d) => {
          u32[at + 2 * d] = box[2 * k]!;
          u32[at + 2 * d + 1] = box[2 * k + 1]!;
        });
        u32[(this.ex.rulePtr() >> 2) + p] = r;
        p++;
      }
    });
    u32[(this.ex.firstPtr() >> 2) + chain.pieces.length] = p;
  }

  /**
   * The earlier rules that end some of rule i's packets (ascending), and one cell of the packets
   * that reach i, if any. When there is such a cell and i has a verdict, the takers with another
   * action are also sorted by whether they match only packets i matches too (`inside`: i
   * generalizes them) or not (`overlapping`).
   */
  takers(i: number): Takers {
    const n = this.check(this.ex.takers(i));
    const at = this.ex.outPtr() >> 2;
    // One word a taker: rule << 2 | relation (assembly/geometric/takers.ts: SAME_ACTION 0, INSIDE 1, OVERLAPS 2).
    const words = new Uint32Array(this.ex.memory.buffer).slice(at, at + n).sort();
    const r: Takers = { takers: [], inside: [], overlapping: [], hit: this.ex.fired() ? this.read(1).cells[0] : undefined };
    for (const w of words) {
      r.takers.push(w >>> 2);
      if ((w & 3) === 1) r.inside.push(w >>> 2);
      else if ((w & 3) === 2) r.overlapping.push(w >>> 2);
    }
    return r;
  }

  /** Disjoint cells (at most maxCells) of rule i's packets that rule j ends — or, with j = -1, that i ends. */
  cells(i: number, j: number): { cells: Cell[]; truncated: boolean } {
    return this.read(this.check(this.ex.cells(i, j)));
  }

  /** Whether removing rule i leaves every verdict as it is (`policy`: the chain policy's action code). */
  unchanged(i: number, policy: number): boolean {
    return this.check(this.ex.unchanged(i, policy)) === 1;
  }

  /** Whether every packet rule j matches is matched by rule i. */
  covered(j: number, i: number): boolean {
    return this.check(this.ex.covered(j, i)) === 1;
  }

  /**
   * The cells two chains held as one (rules [0, split) before, [split, n) after) decide
   * differently, among the boxes of the given rules; undefined when more than maxDiff cells differ.
   */
  diff(rules: readonly number[], split: number, policyBefore: number, policyAfter: number): DiffCell[] | undefined {
    this.ex.diffReset();
    let n = 0;
    for (const r of rules) {
      n = this.ex.diffRule(r, split, policyBefore, policyAfter);
      if (n === -2) return undefined;
      this.check(n);
    }
    const w = 2 * this.kept.length + 2;
    const at = this.ex.diffPtr() >> 2;
    const u32 = new Uint32Array(this.ex.memory.buffer);
    const i32 = new Int32Array(this.ex.memory.buffer);
    return Array.from({ length: n }, (_, k) => ({
      cell: this.full(u32, at + k * w),
      before: i32[at + k * w + w - 2]!,
      after: i32[at + k * w + w - 1]!,
    }));
  }

  /** Bytes of the core's linear memory. */
  bytes(): number {
    return this.ex.memory.buffer.byteLength;
  }

  private read(n: number): { cells: Cell[]; truncated: boolean } {
    const w = 2 * this.kept.length;
    const base = this.ex.cellsPtr() >> 2;
    const u32 = new Uint32Array(this.ex.memory.buffer);
    const cells = Array.from({ length: n }, (_, k) => this.full(u32, base + k * w));
    return { cells, truncated: this.ex.truncated() === 1 };
  }

  /** The core's cell at word `at`, with the dimensions left out put back. */
  private full(u32: Uint32Array, at: number): Cell {
    const cell = this.fixed.slice();
    this.kept.forEach((k, d) => {
      cell[2 * k] = u32[at + 2 * d]!;
      cell[2 * k + 1] = u32[at + 2 * d + 1]!;
    });
    return cell;
  }

  private check(r: number): number {
    if (r < 0) throw this.limit();
    return r;
  }

  private limit(): NftlensError {
    return NftlensError.of('ANALYSIS_LIMIT', 'the geometric analysis ran out of memory', this.origin);
  }
}
