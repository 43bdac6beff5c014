// The geometric core: exact first-match partitions of boxes, for the anomaly analysis and the
// diff of chains whose rules are boxes (a rule: a union of a few boxes over a handful of ≤ 32-bit
// fields), with no BDD at all. Numbers-only exports; src/analyses/geometric/ writes the boxes and
// reads the answers. This file is the export layer; the work is done in
//   store.ts      the memory map (boxes, rules, per-rule tables, outputs, frames) and its accessors
//   box.ts        box geometry, and the aimed cell tested against many boxes with SIMD
//   walk.ts       the Walk (all a query changes) and the partition: start, drain, split, focus
//   takers.ts     takers and covered (modes FREE, TAKERS, COVER)
//   cells.ts      cells (mode CELLS)
//   unchanged.ts  unchanged (mode UNCHANGED)
//   diff.ts       diffRule (modes DIFF_BEFORE, DIFF_AFTER)
//
// ── Theory of Operation ───────────────────────────────────────────────────────────────────────
//
// Problem. In a chain of rules that only match (first match wins), the anomaly questions about
// rule i are all about the packets of its box B_i and the rules before or after it:
//   takers     which earlier rules end some packet of B_i, and does any packet of B_i reach i?
//   cells      a few packets of B_i that rule j ends (witnesses), or that i itself ends;
//   unchanged  would every packet i ends get i's verdict from the rules after it (or the policy)?
//   covered    is every packet rule j matches also matched by rule i?
//   diffRule   which packets of B_r do an old and a new chain decide differently?
// A BDD answers these with unions of thousands of rules; here they are answered geometrically.
//
// The algorithm: a depth-first k-d partition of the region (Bentley's k-d trees; the cut choice
// after HiCuts, Gupta & McKeown, Hot Interconnects '99), in walk.ts: `start` pushes the region,
// `drain` runs steps 1–3, `split` cuts. A frame is a cell (a box) with the ordered list of
// candidate boxes that meet it; a candidate containing the whole cell ends the list (nothing
// after it can get a packet of the cell).
//   1. An empty list: the cell is free — no candidate takes it (it reaches rule i, or the policy).
//   2. The first candidate contains the cell: it takes the whole cell.
//   3. Otherwise cut the cell in two at one of the first candidate's boundaries that lies inside
//      it (the one that copies fewest of the leading candidates into both halves), filter the list
//      for each half, go on with the lower half first (the first free cell has the smallest values).
// Each cut is at a boundary strictly inside the cell, so a path cuts each boundary at most once
// and the partition is finite; cells are disjoint, so every answer is exact.
// What makes it fast is the work it does not do:
//   - takers (takers.ts) first settles whether any packet reaches i by coverage, where order does
//     not matter and any container ends a cell (mode FREE), and keeps the free cells it finds: up
//     to HIT_CELLS of them, the first ones from the bottom of its box — and if the walk ends before
//     it finds one more, all the packets i decides. A later rule's takers call settles an earlier
//     rule j without a walk: j takes none of its packets if j never fires, or if all of j's free
//     cells are kept and none meets the later rule's boxes; j takes some if a kept cell meets
//     them, or if j fires and lies inside its one box. Then the ordered walk focuses each cell on
//     the bounding box of the candidates not yet settled (elsewhere nothing new can be learnt) — a
//     catch-all's thousands of takers cost one scan (walk.ts: focus, cutSource).
//   - unchanged (unchanged.ts) walks only i's free cells against the later rules when they are
//     all kept, else its box against all rules. It stops at the first packet that would get
//     another verdict, ends a cell that a candidate before the first later rule with another
//     action contains (earlier rules and later ones with i's action keep i's verdict, whichever
//     takes the packet) and, when the policy agrees with rule i, focuses each cell on the later
//     rules with another action.
//   - takers also tells, for each taker with another action, whether i covers it (a walk of its
//     boxes against i's: mode COVER), so the caller makes one call a rule.
//   - a diff (diff.ts) walks only the boxes of the rules an edit removed or added: each cell the
//     old chain decides is walked again under the new chain (`decided`, nested on the same stack).

// Worked example (one dimension, dport; rules in order): r0 [0,99] accept, r1 [50,199] drop,
// r2 [80,120] accept. takers(2): region [80,120], list (r0, r1). r0 does not contain it: cut at
// 100 (r0's hi + 1): [80,99] list (r0) → r0 contains it: taker r0; [100,120] list (r1) → taker r1.
// No free cell: r2 never fires, and its takers r0 (accept) and r1 (drop) make it shadowed.
//
// Memory: no allocator; the map is drawn in store.ts (`layOut`). The one Walk lives in static
// data, before the heap base where the map starts.

import { MAX_DIMS, actBase, boxesBase, cellsBase, diffBase, firstBase, keyBase, layOut, outBase, ruleBase } from './store';
import { Walk } from './walk';
import * as T from './takers';
import * as C from './cells';
import * as U from './unchanged';
import * as F from './diff';

const W = changetype<Walk>(memory.data(offsetof<Walk>(), 16));

/** Lays out `pieces` boxes of `dims` dimensions for `rules` rules; 0 on success, -1 without memory. */
export function setup(dims: i32, pieces: i32, rules: i32, cellsMax: i32, diffMax: i32): i32 {
  if (dims < 1 || dims > MAX_DIMS) return -1;
  if (!layOut(__heap_base, dims, pieces, rules, cellsMax, diffMax)) return -1;
  W.nearRule = -1;
  W.epoch = 0;
  return 0;
}

export function boxesPtr(): usize { return boxesBase; }
export function rulePtr(): usize { return ruleBase; }
export function firstPtr(): usize { return firstBase; }
export function actPtr(): usize { return actBase; }
export function outPtr(): usize { return outBase; }
export function cellsPtr(): usize { return cellsBase; }
export function keyPtr(): usize { return keyBase; }
export function diffPtr(): usize { return diffBase; }
/** Whether the last `takers` found a free cell (written at cellsPtr). */
export function fired(): i32 { return W.freeKnown ? 1 : 0; }
/** Whether the last `cells` stopped at its limit. */
export function truncated(): i32 { return W.truncated ? 1 : 0; }

/** See takers.ts. */
export function takers(i: i32): i32 { return T.takers(W, i); }
/** See cells.ts. */
export function cells(i: i32, j: i32): i32 { return C.cells(W, i, j); }
/** See unchanged.ts. */
export function unchanged(i: i32, policy: u32): i32 { return U.unchanged(W, i, policy); }
/** See takers.ts. */
export function covered(j: i32, i: i32): i32 { return T.covered(W, j, i); }
/** See diff.ts. */
export function diffRule(r: i32, split: i32, policyBefore: u32, policyAfter: u32): i32 {
  return F.diffRule(W, r, split, policyBefore, policyAfter);
}
export function diffReset(): void { F.diffReset(W); }
