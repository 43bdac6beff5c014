// takers(i) and covered(j, i): which earlier rules end packets of rule i, whether any packet
// reaches i (its free cells, kept per rule for later calls and for unchanged), and whether a
// taker lies inside i. See index.ts, Theory of Operation.

import {
  HIT_ALL, cellBytes, cellsBase, firedBase, hitCap, knownBase, nHitBase, outBase,
  actOf, firstOf, hitCell, nearAt, pieceBox, ruleOf, ruleWord,
} from './store';
import { contains, meets } from './box';
import { COVER, DONE, FREE, NO_MEMORY, TAKERS, Walk, nearby, reset, walkRule } from './walk';

/** How a taker relates to rule i (the low bits of its word at outPtr). */
const SAME_ACTION: u32 = 0;
/** Another action, and it matches only packets i matches too. */
const INSIDE: u32 = 1;
/** Another action, and it also matches packets i does not. */
const OVERLAPS: u32 = 2;

/**
 * The earlier rules that end packets of rule i's boxes: at outPtr, in discovery order, one word
 * each, rule << 2 | SAME_ACTION, INSIDE or OVERLAPS (the last two only when some packet reaches
 * i and i has a verdict: else SAME_ACTION). Returns their number (-1 without memory);
 * `w.freeKnown` tells whether some packet reaches i; the first such cell is at cellsPtr.
 */
export function takers(w: Walk, i: i32): i32 {
  reset(w);
  w.epoch++;
  // Whether any packet reaches i is a question of coverage, where order does not matter and any
  // container ends a cell: settle it first, keeping the free cells found (the packets i decides,
  // all of them when they are few), then the ordered walk only looks for takers.
  nearby(w, i);
  store<u32>(ruleWord(nHitBase, i), 0);
  w.self = i;
  const free = walkRule(w, i, FREE, 0, i, -1, false, i);
  if (free == NO_MEMORY) return -1;
  const nHit = load<u32>(ruleWord(nHitBase, i));
  if (free == DONE) store<u32>(ruleWord(nHitBase, i), nHit | HIT_ALL);
  w.freeKnown = nHit > 0;
  w.freeSettled = true;
  if (w.freeKnown) memory.copy(cellsBase, hitCell(i, 0), cellBytes);
  // Earlier rules are decided without a walk from what their own call kept: a rule that never
  // fires takes nothing; one whose kept free cells meet i's boxes takes some, and when those are
  // all of its free cells, one whose cells miss them takes none. One that fires and lies inside
  // i's single box takes some too. A catch-all's thousands of takers come for free.
  const single = firstOf(i + 1) - firstOf(i) == 1;
  for (let at = 0; at < w.nNear; at++) {
    const j = <i32>ruleOf(load<u32>(nearAt(at)));
    if (j >= i) break;
    const known = ruleWord(knownBase, j);
    const state = load<u8>(firedBase + <usize>j);
    if (state == 0 || load<u32>(known) == w.epoch || actOf(<u32>j) == 0) continue;
    const takes = state == 1 && ((single && insideRule(j, pieceBox(<u32>firstOf(i)))) || hitMeets(j, i));
    if (state == 1 && !takes && (load<u32>(ruleWord(nHitBase, j)) & HIT_ALL) == 0) continue; // for the walk to tell
    store<u32>(known, w.epoch);
    if (takes) {
      store<u32>(ruleWord(outBase, w.nOut), j);
      w.nOut++;
    }
  }
  if (walkRule(w, i, TAKERS, 0, i, -1, false, i) == NO_MEMORY) return -1;
  store<u8>(firedBase + <usize>i, w.freeKnown ? 1 : 2);
  const act = actOf(<u32>i);
  for (let t = 0; t < w.nOut; t++) {
    const at = ruleWord(outBase, t);
    const j = load<u32>(at);
    let rel = SAME_ACTION;
    if (w.freeKnown && act != 0 && actOf(j) != act) {
      const inside = covered(w, <i32>j, i);
      if (inside < 0) return -1;
      rel = inside == 1 ? INSIDE : OVERLAPS;
    }
    store<u32>(at, j << 2 | rel);
  }
  return w.nOut;
}

/** 1 if every packet of rule j's boxes lies in rule i's boxes, 0 if not, -1 without memory. */
export function covered(w: Walk, j: i32, i: i32): i32 {
  const res = walkRule(w, j, COVER, i, i + 1, -1, true, -1);
  return res == NO_MEMORY ? -1 : res == DONE ? 1 : 0;
}

/** FREE walk: keeps a free cell of rule w.self; false when its slots are full (the walk stops). */
export function keepFree(w: Walk, cell: usize): bool {
  const at = ruleWord(nHitBase, w.self);
  const n = load<u32>(at);
  if (n == hitCap) return false;
  memory.copy(hitCell(w.self, n), cell, cellBytes);
  store<u32>(at, n + 1);
  return true;
}

/** TAKERS walk: a free cell (the first one is kept at cellsPtr). */
export function freeCellOfTakers(w: Walk, cell: usize): void {
  if (!w.freeKnown) memory.copy(cellsBase, cell, cellBytes);
  w.freeKnown = true;
}

/** TAKERS walk: rule r takes a cell; reported once a call. */
export function taken(w: Walk, r: u32): void {
  const at = ruleWord(knownBase, <i32>r);
  if (load<u32>(at) != w.epoch) {
    store<u32>(at, w.epoch);
    store<u32>(ruleWord(outBase, w.nOut), r);
    w.nOut++;
  }
}

/** Piece p's rule is already known as a taker in this call. */
@inline export function isKnown(w: Walk, p: u32): bool {
  return load<u32>(ruleWord(knownBase, <i32>ruleOf(p))) == w.epoch;
}

/** One of the free cells takers(j) kept meets one of rule i's boxes. */
function hitMeets(j: i32, i: i32): bool {
  const n = load<u32>(ruleWord(nHitBase, j)) & ~HIT_ALL;
  for (let c: u32 = 0; c < n; c++) {
    const cell = hitCell(j, c);
    for (let q = firstOf(i); q < firstOf(i + 1); q++) if (meets(cell, pieceBox(q))) return true;
  }
  return false;
}

/** Every piece of rule j lies in box b. */
function insideRule(j: i32, b: usize): bool {
  for (let q = firstOf(j); q < firstOf(j + 1); q++) if (!contains(b, pieceBox(q))) return false;
  return true;
}
