// The walk of the geometric core: a Walk holds everything a query changes (the frame stack, the
// rule asked about, what it found so far); `start` pushes a region with its candidate pieces,
// `drain` partitions the frames on the stack (index.ts, Theory of Operation, steps 1–3) and hands
// each decided cell to the query's mode (takers.ts, cells.ts, unchanged.ts, diff.ts).

import {
  D, cellBytes, nPieces, scratchBase, frameCap,
  ensureMemory, pieceBox, ruleOf, actOf, firstOf, lo, hi, arenaAt, frameAt, nearAt, BLOCK, blockBox, blocksReady, buildBlocks, nBlocks,
} from './store';
import { aim, contains, holds, intersect, meets, touches } from './box';
import { freeCellOfTakers, isKnown, keepFree, taken } from './takers';
import { keepCell } from './cells';
import { harmless, harmlessPrefixContains } from './unchanged';
import { decided } from './diff';

/** What a walk does with the cells it decides (see the query modules). */
export const TAKERS: i32 = 0;
export const CELLS: i32 = 1;
export const UNCHANGED: i32 = 2;
export const COVER: i32 = 3;
export const DIFF_BEFORE: i32 = 4;
export const DIFF_AFTER: i32 = 5;
export const FREE: i32 = 6;

/** A cut's cost is counted on this many leading candidates (those that take first). */
const COST_SAMPLE: u32 = 64;

export const DONE: i32 = 1;
export const STOPPED: i32 = 0;
export const NO_MEMORY: i32 = -1;

/** The state of the core's queries; one lives in static memory (index.ts), passed to each step. */
@unmanaged
export class Walk {
  // The frame stack (frames at store's framesBase, their candidate lists in the arena).
  sp: i32;
  arenaTop: usize;
  // The rule asked about, its action, the chain policy's action (unchanged).
  self: i32;
  selfAct: u32;
  policyAct: u32;
  // The pieces meeting rule nearRule's boxes: nNear of them at store's nearBase (kept across queries).
  nearRule: i32;
  nNear: i32;
  // takers: the stamp of this call, takers found, whether a free cell is known and the FREE walk ran.
  epoch: u32;
  nOut: i32;
  freeKnown: bool;
  freeSettled: bool;
  // cells: how many found, and whether the walk stopped at its limit.
  nCells: i32;
  truncated: bool;
  // diffRule: the first rule of the new chain, the old decider of the cell being walked again,
  // both policies' keys, and the cells found so far (kept across calls until diffReset).
  splitAt: i32;
  deciderBefore: i32;
  policyKeyBefore: u32;
  policyKeyAfter: u32;
  nDiff: i32;
  diffFull: bool;
}

/** Forgets what the last query found (not the near cache, the epoch or the diff so far). */
export function reset(w: Walk): void {
  w.sp = 0;
  w.arenaTop = 0;
  w.nOut = 0;
  w.nCells = 0;
  w.freeKnown = false;
  w.freeSettled = false;
  w.truncated = false;
}

/**
 * Pushes a frame for `cell` whose list is already at the arena top (len entries, ending at the
 * first container if any: the lists are filtered and truncated in one pass); false when full.
 */
function push(w: Walk, cell: usize, len: u32): bool {
  if (w.sp >= frameCap) return false;
  const f = frameAt(w.sp++);
  store<u32>(f, <u32>w.arenaTop);
  store<u32>(f, len, 4);
  memory.copy(f + 8, cell, cellBytes);
  w.arenaTop += len;
  return true;
}

/**
 * Starts a walk of `region` against the pieces of rules in [from, to) that end packets (or, with
 * `anyAction`, all of them), skipping rule `skip`; with `near` ≥ 0 the region lies in rule near's
 * boxes and only the pieces that meet them are scanned. False without memory.
 */
export function start(w: Walk, region: usize, from: i32, to: i32, skip: i32, anyAction: bool, near: i32): bool {
  let first = firstOf(from);
  let last = firstOf(to);
  if (near >= 0) {
    nearby(w, near);
    first = 0;
    last = w.nNear;
  }
  if (!ensureMemory(arenaAt(w.arenaTop + <usize>(last - first)))) return false;
  let len: u32 = 0;
  aim(region);
  for (let at = first; at < last; at++) {
    const p: u32 = near >= 0 ? load<u32>(nearAt(at)) : <u32>at;
    const r = ruleOf(p);
    if (<i32>r < from || <i32>r >= to || <i32>r == skip || (!anyAction && actOf(r) == 0)) continue;
    if (!touches(pieceBox(p))) continue;
    store<u32>(arenaAt(w.arenaTop + len), p);
    len++;
    if (holds(pieceBox(p))) break;
  }
  return push(w, region, len);
}

/** The pieces of every rule that meet rule r's boxes, in order (kept for the last r asked). */
export function nearby(w: Walk, r: i32): void {
  if (w.nearRule == r) return;
  w.nearRule = r;
  w.nNear = 0;
  if (!blocksReady) buildBlocks();
  if (firstOf(r + 1) - firstOf(r) == 1) return nearbyBox(w, pieceBox(<u32>firstOf(r)));
  // Blocks whose box misses every box of r hold no piece that meets one.
  for (let b = 0; b < nBlocks; b++) {
    let any = false;
    for (let q = firstOf(r); q < firstOf(r + 1) && !any; q++) any = meets(blockBox(b), pieceBox(q));
    if (!any) continue;
    const end = min((b + 1) * BLOCK, nPieces);
    for (let p = b * BLOCK; p < end; p++) {
      for (let q = firstOf(r); q < firstOf(r + 1); q++) {
        if (!meets(pieceBox(p), pieceBox(q))) continue;
        store<u32>(nearAt(w.nNear), p);
        w.nNear++;
        break;
      }
    }
  }
}

/** nearby for a rule of one box: the blocks that touch it, then their pieces. */
function nearbyBox(w: Walk, q: usize): void {
  aim(q);
  for (let b = 0; b < nBlocks; b++) {
    if (!touches(blockBox(b))) continue;
    const end = min((b + 1) * BLOCK, nPieces);
    for (let p = b * BLOCK; p < end; p++) {
      if (!touches(pieceBox(<u32>p))) continue;
      store<u32>(nearAt(w.nNear), p);
      w.nNear++;
    }
  }
}

/**
 * Whether the walk focuses its cells: the takers walk once a free cell is settled (only unknown
 * takers can tell something), the unchanged walk when the policy agrees with rule i (only later
 * rules with another action can).
 */
@inline function focusing(w: Walk, mode: i32): bool {
  return (mode == TAKERS && w.freeSettled) || (mode == UNCHANGED && w.policyAct == w.selfAct);
}

@inline function relevant(w: Walk, mode: i32, p: u32): bool {
  return mode == TAKERS ? !isKnown(w, p) : !harmless(w, p);
}

/**
 * Shrinks a cell to the bounding box of its relevant candidates (see drain), drops the trailing
 * irrelevant ones and those that no longer meet it, and truncates after a container; the new
 * list length (0: nothing relevant).
 */
function focus(w: Walk, mode: i32, cell: usize, off: usize, len: u32): u32 {
  while (len > 0 && !relevant(w, mode, load<u32>(arenaAt(off + len - 1)))) len--;
  if (len == 0) return 0;
  const box = scratchBase;
  for (let k = 0; k < D; k++) {
    store<u32>(box + ((<usize>k) << 3), 0xffffffff);
    store<u32>(box + ((<usize>k) << 3), 0, 4);
  }
  for (let t: u32 = 0; t < len; t++) {
    const p = load<u32>(arenaAt(off + t));
    if (!relevant(w, mode, p)) continue;
    const b = pieceBox(p);
    for (let k = 0; k < D; k++) {
      const at = box + ((<usize>k) << 3);
      if (lo(b, k) < load<u32>(at)) store<u32>(at, lo(b, k));
      if (hi(b, k) > load<u32>(at, 4)) store<u32>(at, hi(b, k), 4);
    }
  }
  if (contains(box, cell)) return len;
  intersect(cell, cell, box);
  aim(cell);
  let n: u32 = 0;
  for (let t: u32 = 0; t < len; t++) {
    const p = load<u32>(arenaAt(off + t));
    if (!touches(pieceBox(p))) continue;
    store<u32>(arenaAt(off + n), p);
    n++;
    if (holds(pieceBox(p))) break;
  }
  return n;
}

function anyContains(cell: usize, off: usize, len: u32): bool {
  aim(cell);
  for (let t: u32 = 0; t < len; t++) if (holds(pieceBox(load<u32>(arenaAt(off + t))))) return true;
  return false;
}

/**
 * The piece whose boundaries cut a cell: the first candidate — or, where cells are focused (see
 * drain), the first relevant one, which is what the walk is after (when it does not contain the
 * cell).
 */
function cutSource(w: Walk, mode: i32, cell: usize, off: usize, len: u32, first: u32): u32 {
  if (!focusing(w, mode)) return first;
  for (let t: u32 = 0; t < len; t++) {
    const q = load<u32>(arenaAt(off + t));
    if (!relevant(w, mode, q)) continue;
    return contains(pieceBox(q), cell) ? first : q;
  }
  return first;
}

/** Cuts the cell of a popped frame (copied at scratch) in two at a boundary of piece `p`. */
function split(w: Walk, off: usize, len: u32, p: u32): bool {
  const cell = scratchBase;
  let bestK = -1;
  let bestV: u32 = 0;
  let bestCost: u32 = 0xffffffff;
  const b = pieceBox(p);
  for (let k = 0; k < D; k++) {
    for (let side = 0; side < 2; side++) {
      let v: u32;
      if (side == 0) {
        if (lo(b, k) <= lo(cell, k)) continue;
        v = lo(b, k);
      } else {
        if (hi(b, k) >= hi(cell, k)) continue;
        v = hi(b, k) + 1;
      }
      let cost: u32 = 0;
      const upto = len < COST_SAMPLE ? len : COST_SAMPLE;
      for (let t: u32 = 0; t < upto; t++) {
        const q = pieceBox(load<u32>(arenaAt(off + t)));
        if (lo(q, k) < v) cost++;
        if (hi(q, k) >= v) cost++;
      }
      if (cost < bestCost) {
        bestCost = cost;
        bestK = k;
        bestV = v;
      }
    }
  }
  // Some boundary lies inside: the piece meets the cell but does not contain it. Cut there,
  // filtering each half's list and ending it at its first container in one pass.
  if (!ensureMemory(arenaAt(w.arenaTop + ((<usize>len) << 1)))) return false;
  const upper = scratchBase + cellBytes;
  memory.copy(upper, cell, cellBytes);
  const k = bestK;
  store<u32>(upper + ((<usize>k) << 3), bestV);
  store<u32>(cell + ((<usize>k) << 3), bestV - 1, 4);
  // The half pushed last is walked first: the lower one.
  return pushHalf(w, upper, off, len, k, bestV, true) && pushHalf(w, cell, off, len, k, bestV, false);
}

/** Pushes one half of a cut cell with the candidates that meet it, up to its first container. */
function pushHalf(w: Walk, half: usize, off: usize, len: u32, k: i32, v: u32, isUpper: bool): bool {
  let n: u32 = 0;
  aim(half);
  for (let t: u32 = 0; t < len; t++) {
    const q = load<u32>(arenaAt(off + t));
    if (isUpper ? hi(pieceBox(q), k) < v : lo(pieceBox(q), k) >= v) continue;
    store<u32>(arenaAt(w.arenaTop + n++), q);
    if (holds(pieceBox(q))) break;
  }
  return push(w, half, n);
}

/** Runs the frames on the stack above `floor` in `mode`; DONE, STOPPED (an early answer) or NO_MEMORY. */
export function drain(w: Walk, mode: i32, floor: i32): i32 {
  while (w.sp > floor) {
    const f = frameAt(--w.sp);
    const off = <usize>load<u32>(f);
    let len = load<u32>(f, 4);
    w.arenaTop = off + len;
    if (mode == FREE) {
      // Order does not matter for coverage: any candidate containing the cell covers it.
      if (anyContains(f + 8, off, len)) continue;
      if (len == 0) {
        if (!keepFree(w, f + 8)) return STOPPED;
        continue;
      }
    } else if (focusing(w, mode)) {
      // Only packets inside a candidate that can still tell something matter: unknown takers
      // (a free cell is known already), or later rules with another action than rule i's (the
      // policy agrees with it). Focus the cell on them.
      len = focus(w, mode, f + 8, off, len);
      if (len == 0) continue;
    }
    // Packets taken by a candidate before the first harmful one (a later rule with another action)
    // keep their verdict, whichever of those takes them: a container among them ends the cell.
    if (mode == UNCHANGED && harmlessPrefixContains(w, f + 8, off, len)) continue;
    if (len == 0) {
      // A free cell: no candidate takes it.
      if (mode == TAKERS) {
        freeCellOfTakers(w, f + 8);
      } else if (mode == CELLS) {
        if (!keepCell(w, f + 8)) return STOPPED;
      } else if (mode == UNCHANGED) {
        if (w.policyAct != w.selfAct) return STOPPED;
      } else if (mode == COVER) {
        return STOPPED; // a packet of the region outside every piece
      } else {
        const res = decided(w, mode, f + 8, -1);
        if (res != DONE) return res;
      }
      continue;
    }
    const p = load<u32>(arenaAt(off));
    if (contains(pieceBox(p), f + 8)) {
      // The first candidate takes the whole cell.
      const r = ruleOf(p);
      if (mode >= DIFF_BEFORE) {
        const res = decided(w, mode, f + 8, <i32>r);
        if (res != DONE) return res;
        continue;
      }
      if (mode == TAKERS) taken(w, r);
      else if (mode == UNCHANGED && <i32>r > w.self && actOf(r) != w.selfAct) return STOPPED;
      continue;
    }
    memory.copy(scratchBase, f + 8, cellBytes);
    if (!split(w, off, len, cutSource(w, mode, f + 8, off, len, p))) return NO_MEMORY;
  }
  return DONE;
}

/** Walks every piece of rule `r` against the candidates of `start`; a drain result. */
export function walkRule(w: Walk, r: i32, mode: i32, from: i32, to: i32, skip: i32, anyAction: bool, near: i32): i32 {
  for (let q = firstOf(r); q < firstOf(r + 1); q++) {
    w.sp = 0; // a walk that stopped early may have left frames
    w.arenaTop = 0;
    if (!start(w, pieceBox(q), from, to, skip, anyAction, near)) return NO_MEMORY;
    const res = drain(w, mode, 0);
    if (res != DONE) return res;
  }
  return DONE;
}
