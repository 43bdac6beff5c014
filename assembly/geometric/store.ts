// Box storage of the geometric core: the memory map `layOut` draws once per chain (boxes, rules,
// per-rule stamps and kept cells, the cell outputs, the frame stack and its arena) and the
// accessors every walk reads it through. The map is written by `layOut` only; what a walk
// changes lives in its Walk (walk.ts).
//
// Memory (no allocator; laid out by `layOut`, the arena at the end grows with memory.grow):
//   boxes    2·D u32 per piece   [lo, hi] per dimension
//   rule     u32 per piece       the rule a piece belongs to (pieces of a rule are adjacent)
//   first    u32 per rule + 1    first piece of each rule
//   act      u32 per rule        0: ends no packet (no verdict); else the action's code
//   known    u32 per rule        epoch stamps: taker already reported
//   key      u32 per rule        what a diff compares decisions by
//   fired    u8 per rule         0 unknown, 1 fires, 2 never (set by `takers`)
//   near     u32 per piece       the pieces meeting the boxes of the rule last asked about
//   blocks   2·D u32 per BLOCK pieces  the bounding box of each run of BLOCK pieces (built on first use)
//   hit      hitCap × 2·D u32 per rule  free cells `takers` found (packets the rule decides);
//                                  hitCap = HIT_CELLS, or 1 in a core set up for diffs
//   nHit     u32 per rule        how many; HIT_ALL set when they are all of the rule's free cells
//   diff     (2·D + 2) u32 × diffMax   cells a diff found, with both deciders
//   out      u32 per rule        takers found by `takers`, in discovery order
//   cells    2·D u32 × maxCells  free cells written by `takers` (one) and `cells`
//   scratch  2·D u32 × 2        the cell being cut
//   frames   (2 + 2·D) u32 each [list offset, list length, cell]
//   arena    u32                 candidate lists (piece numbers) of the frames on the stack

import { align, ensureMemory } from '../shared/memory';
export { ensureMemory };

export const MAX_DIMS: i32 = 8;
/** Free cells kept per rule: all of its free cells when it has no more than this. */
export const HIT_CELLS: u32 = 32;
export const HIT_ALL: u32 = 0x80000000;

export let D: i32 = 0;
export let cellBytes: usize = 0;
export let frameBytes: usize = 0;
export let nPieces: i32 = 0;
export let nRules: i32 = 0;
export let boxesBase: usize = 0;
export let ruleBase: usize = 0;
export let firstBase: usize = 0;
export let actBase: usize = 0;
export let knownBase: usize = 0;
export let outBase: usize = 0;
export let cellsBase: usize = 0;
export let scratchBase: usize = 0;
export let framesBase: usize = 0;
export let frameCap: i32 = 0;
export let arenaBase: usize = 0;
export let keyBase: usize = 0;
export let firedBase: usize = 0;
export let nearBase: usize = 0;
export let hitBase: usize = 0;
export let nHitBase: usize = 0;
export let hitBytes: usize = 0;
export let hitCap: u32 = 0;
export let diffBase: usize = 0;
export let diffBytes: usize = 0;
export let maxDiff: i32 = 0;
export let maxCells: i32 = 0;
/** Pieces per block: one test of a block's bounding box passes over BLOCK pieces a scan need not read (walk.ts nearby). */
export const BLOCK: i32 = 64;
export let blocksBase: usize = 0;
export let nBlocks: i32 = 0;
/** The block boxes are built from the piece boxes, which the caller writes after layOut: on first use. */
export let blocksReady: bool = false;


/** Draws the map from `start` for `pieces` boxes of `dims` dimensions and `rules` rules; false without memory. */
export function layOut(start: usize, dims: i32, pieces: i32, rules: i32, cellsMax: i32, diffMax: i32): bool {
  D = dims;
  nPieces = pieces;
  nRules = rules;
  maxCells = cellsMax < 1 ? 1 : cellsMax;
  maxDiff = diffMax;
  cellBytes = (<usize>D) << 3;
  frameBytes = 8 + cellBytes;
  diffBytes = cellBytes + 8;
  let p = align(start, 16);
  boxesBase = p;
  p += <usize>pieces * cellBytes;
  ruleBase = p;
  p += (<usize>pieces) << 2;
  firstBase = p;
  p += (<usize>rules + 1) << 2;
  actBase = p;
  p += (<usize>rules) << 2;
  knownBase = p;
  p += (<usize>rules) << 2;
  outBase = p;
  p += (<usize>rules) << 2;
  keyBase = p;
  p += (<usize>rules) << 2;
  firedBase = p;
  p += align(<usize>rules, 4);
  nearBase = p;
  p += (<usize>pieces) << 2;
  nBlocks = (pieces + BLOCK - 1) / BLOCK;
  blocksBase = align(p, 16);
  p = blocksBase + <usize>nBlocks * cellBytes;
  blocksReady = false;
  hitCap = diffMax > 0 ? 1 : HIT_CELLS;
  hitBytes = <usize>hitCap * cellBytes;
  hitBase = p;
  p += <usize>rules * hitBytes;
  nHitBase = p;
  p += (<usize>rules) << 2;
  diffBase = align(p, 16);
  p = diffBase + <usize>diffMax * diffBytes;
  cellsBase = align(p, 16);
  p = cellsBase + <usize>maxCells * cellBytes;
  scratchBase = p;
  p += cellBytes << 1;
  framesBase = align(p, 64); // frames of 64 bytes (D = 7) on cache lines
  frameCap = 2 * D * pieces + 2 * pieces + 64;
  p = framesBase + <usize>frameCap * frameBytes;
  arenaBase = align(p, 64);
  if (!ensureMemory(arenaBase + ((<usize>pieces) << 3))) return false;
  memory.fill(knownBase, 0, (<usize>rules) << 2);
  memory.fill(firedBase, 0, <usize>rules);
  memory.fill(nHitBase, 0, (<usize>rules) << 2);
  return true;
}

@inline export function pieceBox(p: u32): usize { return boxesBase + <usize>p * cellBytes; }
@inline export function blockBox(b: i32): usize { return blocksBase + <usize>b * cellBytes; }

/** Each block's box: per dimension the least lo and the greatest hi of its pieces. */
export function buildBlocks(): void {
  for (let b = 0; b < nBlocks; b++) {
    const box = blockBox(b);
    const end = min((b + 1) * BLOCK, nPieces);
    for (let k = 0; k < D; k++) {
      let l: u32 = 0xffffffff;
      let h: u32 = 0;
      for (let p = b * BLOCK; p < end; p++) {
        const pb = pieceBox(<u32>p);
        if (lo(pb, k) < l) l = lo(pb, k);
        if (hi(pb, k) > h) h = hi(pb, k);
      }
      store<u32>(box + ((<usize>k) << 3), l);
      store<u32>(box + ((<usize>k) << 3), h, 4);
    }
  }
  blocksReady = true;
}
@inline export function ruleOf(p: u32): u32 { return load<u32>(ruleBase + ((<usize>p) << 2)); }
@inline export function actOf(r: u32): u32 { return load<u32>(actBase + ((<usize>r) << 2)); }
@inline export function firstOf(r: i32): i32 { return load<i32>(firstBase + ((<usize>r) << 2)); }
@inline export function lo(b: usize, k: i32): u32 { return load<u32>(b + ((<usize>k) << 3)); }
@inline export function hi(b: usize, k: i32): u32 { return load<u32>(b + ((<usize>k) << 3), 4); }
@inline export function arenaAt(i: usize): usize { return arenaBase + (i << 2); }
@inline export function frameAt(k: i32): usize { return framesBase + <usize>k * frameBytes; }
@inline export function nearAt(at: i32): usize { return nearBase + ((<usize>at) << 2); }
/** Rule r's word in a per-rule u32 table (known, out, key, nHit). */
@inline export function ruleWord(base: usize, r: i32): usize { return base + ((<usize>r) << 2); }
/** Rule r's c-th kept free cell. */
@inline export function hitCell(r: i32, c: u32): usize { return hitBase + <usize>r * hitBytes + <usize>c * cellBytes; }
