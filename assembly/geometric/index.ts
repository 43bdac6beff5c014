// The geometric core: exact first-match partitions of boxes, for the anomaly analysis and the
// diff of chains whose rules are boxes (a rule: a union of a few boxes over a handful of ≤ 32-bit
// fields), with no BDD at all. Numbers-only exports; src/analyses/geometric/ writes the boxes and
// reads the answers.
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
// after HiCuts, Gupta & McKeown, Hot Interconnects '99). A frame is a cell (a box) with the
// ordered list of candidate boxes that meet it; a candidate containing the whole cell ends the
// list (nothing after it can get a packet of the cell).
//   1. An empty list: the cell is free — no candidate takes it (it reaches rule i, or the policy).
//   2. The first candidate contains the cell: it takes the whole cell.
//   3. Otherwise cut the cell in two at one of the first candidate's boundaries that lies inside
//      it (the one that copies fewest of the leading candidates into both halves), filter the list
//      for each half, go on with the lower half first (the first free cell has the smallest values).
// Each cut is at a boundary strictly inside the cell, so a path cuts each boundary at most once
// and the partition is finite; cells are disjoint, so every answer is exact.
// What makes it fast is the work it does not do:
//   - takers first settles whether any packet reaches i by coverage, where order does not matter
//     and any container ends a cell (mode FREE), and keeps the free cells it finds: up to
//     HIT_CELLS of them, the first ones from the bottom of its box — and if the walk ends before
//     it finds one more, all the packets i decides. A later rule's takers call settles an earlier
//     rule j without a walk: j takes none of its packets if j never fires, or if all of j's free
//     cells are kept and none meets the later rule's boxes; j takes some if a kept cell meets
//     them, or if j fires and lies inside its one box. Then the ordered walk focuses each cell on
//     the bounding box of the candidates not yet settled (elsewhere nothing new can be learnt) — a
//     catch-all's thousands of takers cost one scan.
//   - unchanged walks only i's free cells against the later rules when they are all kept, else
//     its box against all rules. It stops at the first packet that would get another verdict,
//     ends a cell that a candidate before the first later rule with another action contains
//     (earlier rules and later ones with i's action keep i's verdict, whichever takes the packet)
//     and, when the policy agrees with rule i, focuses each cell on the later rules with another
//     action.
//   - takers also tells, for each taker with another action, whether i covers it (a walk of its
//     boxes against i's: mode COVER), so the caller makes one call a rule.
//   - a diff walks only the boxes of the rules an edit removed or added: each cell the old chain
//     decides is walked again under the new chain (nested on the same stack).

// Worked example (one dimension, dport; rules in order): r0 [0,99] accept, r1 [50,199] drop,
// r2 [80,120] accept. takers(2): region [80,120], list (r0, r1). r0 does not contain it: cut at
// 100 (r0's hi + 1): [80,99] list (r0) → r0 contains it: taker r0; [100,120] list (r1) → taker r1.
// No free cell: r2 never fires, and its takers r0 (accept) and r1 (drop) make it shadowed.
//
// Memory (no allocator; laid out by `setup`, the arena at the end grows with memory.grow):
//   boxes    2·D u32 per piece   [lo, hi] per dimension
//   rule     u32 per piece       the rule a piece belongs to (pieces of a rule are adjacent)
//   first    u32 per rule + 1    first piece of each rule
//   act      u32 per rule        0: ends no packet (no verdict); else the action's code
//   known    u32 per rule        epoch stamps: taker already reported
//   key      u32 per rule        what a diff compares decisions by
//   fired    u8 per rule         0 unknown, 1 fires, 2 never (set by `takers`)
//   near     u32 per piece       the pieces meeting the boxes of the rule last asked about
//   hit      hitCap × 2·D u32 per rule  free cells `takers` found (packets the rule decides);
//                                  hitCap = HIT_CELLS, or 1 in a core set up for diffs
//   nHit     u32 per rule        how many; HIT_ALL set when they are all of the rule's free cells
//   diff     (2·D + 2) u32 × diffMax   cells a diff found, with both deciders
//   out      u32 per rule        takers found by `takers`, in discovery order
//   cells    2·D u32 × maxCells  free cells written by `takers` (one) and `cells`
//   scratch  2·D u32 × 2        the cell being cut
//   frames   (2 + 2·D) u32 each [list offset, list length, cell]
//   arena    u32                 candidate lists (piece numbers) of the frames on the stack

const MAX_DIMS: i32 = 8;
const TAKERS: i32 = 0;
const CELLS: i32 = 1;
const UNCHANGED: i32 = 2;
const COVER: i32 = 3;
const DIFF_BEFORE: i32 = 4;
const DIFF_AFTER: i32 = 5;
const FREE: i32 = 6;
/** A cut's cost is counted on this many leading candidates (those that take first). */
const COST_SAMPLE: u32 = 64;
/** Free cells kept per rule: all of its free cells when it has no more than this. */
const HIT_CELLS: u32 = 32;
const HIT_ALL: u32 = 0x80000000;

let D: i32 = 0;
let cellBytes: usize = 0;
let frameBytes: usize = 0;
let nPieces: i32 = 0;
let nRules: i32 = 0;
let boxesBase: usize = 0;
let ruleBase: usize = 0;
let firstBase: usize = 0;
let actBase: usize = 0;
let knownBase: usize = 0;
let outBase: usize = 0;
let cellsBase: usize = 0;
let scratchBase: usize = 0;
let framesBase: usize = 0;
let frameCap: i32 = 0;
let arenaBase: usize = 0;
let keyBase: usize = 0;
let firedBase: usize = 0;
let nearBase: usize = 0;
let hitBase: usize = 0;
let nHitBase: usize = 0;
let hitBytes: usize = 0;
let hitCap: u32 = 0;
let nearRule: i32 = -1;
let nNear: i32 = 0;
let diffBase: usize = 0;
let diffBytes: usize = 0;
let maxDiff: i32 = 0;
let nDiff: i32 = 0;
let splitAt: i32 = 0;
let deciderBefore: i32 = 0;
let policyKeyBefore: u32 = 0;
let policyKeyAfter: u32 = 0;
let diffFull: bool = false;

let maxCells: i32 = 0;
let epoch: u32 = 0;
let sp: i32 = 0;
let arenaTop: usize = 0;
let nOut: i32 = 0;
let nCells: i32 = 0;
let freeKnown: bool = false;
/** Whether a free cell exists is settled (takers ran the FREE walk first). */
let freeSettled: bool = false;
let truncatedFlag: bool = false;
let selfRule: i32 = 0;
let selfAct: u32 = 0;
let policyAct: u32 = 0;

function align(p: usize, a: usize): usize {
  return (p + a - 1) & ~(a - 1);
}

function ensureMemory(end: usize): bool {
  const have = (<usize>memory.size()) << 16;
  if (end <= have) return true;
  return memory.grow(<i32>((end - have + 0xffff) >> 16)) >= 0;
}

/** Lays out `pieces` boxes of `dims` dimensions for `rules` rules; 0 on success, -1 without memory. */
export function setup(dims: i32, pieces: i32, rules: i32, cellsMax: i32, diffMax: i32): i32 {
  if (dims < 1 || dims > MAX_DIMS) return -1;
  D = dims;
  nPieces = pieces;
  nRules = rules;
  maxCells = cellsMax < 1 ? 1 : cellsMax;
  maxDiff = diffMax;
  cellBytes = (<usize>D) << 3;
  frameBytes = 8 + cellBytes;
  diffBytes = cellBytes + 8;
  let p = align(__heap_base, 16);
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
  if (!ensureMemory(arenaBase + ((<usize>pieces) << 3))) return -1;
  memory.fill(knownBase, 0, (<usize>rules) << 2);
  memory.fill(firedBase, 0, <usize>rules);
  memory.fill(nHitBase, 0, (<usize>rules) << 2);
  nearRule = -1;
  epoch = 0;
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
export function fired(): i32 { return freeKnown ? 1 : 0; }
/** Whether the last `cells` stopped at its limit. */
export function truncated(): i32 { return truncatedFlag ? 1 : 0; }

// ─── boxes ──────────────────────────────────────────────────────────────────────────────────

@inline function pieceBox(p: u32): usize { return boxesBase + <usize>p * cellBytes; }
@inline function ruleOf(p: u32): u32 { return load<u32>(ruleBase + ((<usize>p) << 2)); }
@inline function actOf(r: u32): u32 { return load<u32>(actBase + ((<usize>r) << 2)); }
@inline function firstOf(r: i32): i32 { return load<i32>(firstBase + ((<usize>r) << 2)); }
@inline function lo(b: usize, k: i32): u32 { return load<u32>(b + ((<usize>k) << 3)); }
@inline function hi(b: usize, k: i32): u32 { return load<u32>(b + ((<usize>k) << 3), 4); }
@inline function arenaAt(i: usize): usize { return arenaBase + (i << 2); }

function meets(a: usize, b: usize): bool {
  for (let k = 0; k < D; k++) if (hi(a, k) < lo(b, k) || hi(b, k) < lo(a, k)) return false;
  return true;
}

/** Box a contains box b. */
function contains(a: usize, b: usize): bool {
  for (let k = 0; k < D; k++) if (lo(b, k) < lo(a, k) || hi(a, k) < hi(b, k)) return false;
  return true;
}

/** a ∩ b into dst; false if empty. */
function intersect(dst: usize, a: usize, b: usize): bool {
  for (let k = 0; k < D; k++) {
    const l = max(lo(a, k), lo(b, k));
    const h = min(hi(a, k), hi(b, k));
    if (l > h) return false;
    store<u32>(dst + ((<usize>k) << 3), l);
    store<u32>(dst + ((<usize>k) << 3), h, 4);
  }
  return true;
}

// ─── the cell being tested, as vectors ──────────────────────────────────────────────────────
// Two dimensions a vector. Box b contains cell c iff (lo_b, ~hi_b) ≤ (lo_c, ~hi_c) lane by lane,
// unsigned, and meets it iff (lo_b, ~hi_b) ≤ (hi_c, ~lo_c). `aim` makes both right-hand sides of
// a cell; lanes past the last dimension are all ones (always true). A box's vectors may be read
// past its end (D odd, or ≤ 2): the rule table follows the boxes, the arena the frames.

const FLIP: v128 = i32x4(0, -1, 0, -1);
const ONES: v128 = i32x4(-1, -1, -1, -1);
let in0: v128 = ONES;
let in1: v128 = ONES;
let in2: v128 = ONES;
let in3: v128 = ONES;
let to0: v128 = ONES;
let to1: v128 = ONES;
let to2: v128 = ONES;
let to3: v128 = ONES;

function aim(c: usize): void {
  in0 = side(c, 0, false);
  in1 = side(c, 2, false);
  in2 = side(c, 4, false);
  in3 = side(c, 6, false);
  to0 = side(c, 0, true);
  to1 = side(c, 2, true);
  to2 = side(c, 4, true);
  to3 = side(c, 6, true);
}

/** Dimensions k and k + 1 of cell c as (lo, ~hi) — or, swapped, (hi, ~lo). */
function side(c: usize, k: i32, swapped: bool): v128 {
  if (k >= D) return ONES;
  let v = v128.load(c + ((<usize>k) << 3));
  if (swapped) v = i32x4.shuffle(v, v, 1, 0, 3, 2);
  v = v128.xor(v, FLIP);
  return k + 1 < D ? v : i32x4.replace_lane(i32x4.replace_lane(v, 2, -1), 3, -1);
}

/** Box b contains the aimed cell. */
@inline function holds(b: usize): bool {
  let ok = v128.and(i32x4.le_u(v128.xor(v128.load(b), FLIP), in0), i32x4.le_u(v128.xor(v128.load(b, 16), FLIP), in1));
  if (D > 4) ok = v128.and(ok, v128.and(i32x4.le_u(v128.xor(v128.load(b, 32), FLIP), in2), i32x4.le_u(v128.xor(v128.load(b, 48), FLIP), in3)));
  return i32x4.all_true(ok);
}

/** Box b meets the aimed cell. */
@inline function touches(b: usize): bool {
  let ok = v128.and(i32x4.le_u(v128.xor(v128.load(b), FLIP), to0), i32x4.le_u(v128.xor(v128.load(b, 16), FLIP), to1));
  if (D > 4) ok = v128.and(ok, v128.and(i32x4.le_u(v128.xor(v128.load(b, 32), FLIP), to2), i32x4.le_u(v128.xor(v128.load(b, 48), FLIP), to3)));
  return i32x4.all_true(ok);
}

// ─── frames ─────────────────────────────────────────────────────────────────────────────────

@inline function frameAt(k: i32): usize { return framesBase + <usize>k * frameBytes; }

/**
 * Pushes a frame for `cell` whose list is already at the arena top (len entries, ending at the
 * first container if any: the lists are filtered and truncated in one pass); false when full.
 */
function push(cell: usize, len: u32): bool {
  if (sp >= frameCap) return false;
  const f = frameAt(sp++);
  store<u32>(f, <u32>arenaTop);
  store<u32>(f, len, 4);
  memory.copy(f + 8, cell, cellBytes);
  arenaTop += len;
  return true;
}

/**
 * Starts a walk of `region` against the pieces of rules in [from, to) that end packets (or, with
 * `anyAction`, all of them), skipping rule `skip`; with `near` ≥ 0 the region lies in rule near's
 * boxes and only the pieces that meet them are scanned. False without memory.
 */
function start(region: usize, from: i32, to: i32, skip: i32, anyAction: bool, near: i32): bool {
  let first = firstOf(from);
  let last = firstOf(to);
  let list: usize = 0;
  if (near >= 0) {
    nearby(near);
    list = nearBase;
    first = 0;
    last = nNear;
  }
  if (!ensureMemory(arenaAt(arenaTop + <usize>(last - first)))) return false;
  let len: u32 = 0;
  aim(region);
  for (let at = first; at < last; at++) {
    const p: u32 = near >= 0 ? load<u32>(list + ((<usize>at) << 2)) : <u32>at;
    const r = ruleOf(p);
    if (<i32>r < from || <i32>r >= to || <i32>r == skip || (!anyAction && actOf(r) == 0)) continue;
    if (!touches(pieceBox(p))) continue;
    store<u32>(arenaAt(arenaTop + len), p);
    len++;
    if (holds(pieceBox(p))) break;
  }
  return push(region, len);
}

/** The pieces of every rule that meet rule r's boxes, in order (kept for the last r asked). */
function nearby(r: i32): void {
  if (nearRule == r) return;
  nearRule = r;
  nNear = 0;
  if (firstOf(r + 1) - firstOf(r) == 1) return nearbyBox(pieceBox(<u32>firstOf(r)));
  for (let p = 0; p < nPieces; p++) {
    for (let q = firstOf(r); q < firstOf(r + 1); q++) {
      if (!meets(pieceBox(p), pieceBox(q))) continue;
      store<u32>(nearBase + ((<usize>nNear) << 2), p);
      nNear++;
      break;
    }
  }
}

/** nearby for a rule of one box. */
function nearbyBox(q: usize): void {
  aim(q);
  for (let p = 0; p < nPieces; p++) {
    if (!touches(pieceBox(<u32>p))) continue;
    store<u32>(nearBase + ((<usize>nNear) << 2), p);
    nNear++;
  }
}

/**
 * Shrinks a cell to the bounding box of its relevant candidates (see drain), drops the trailing
 * irrelevant ones and those that no longer meet it, and truncates after a container; the new
 * list length (0: nothing relevant).
 */
function focus(mode: i32, cell: usize, off: usize, len: u32): u32 {
  while (len > 0 && !relevant(mode, load<u32>(arenaAt(off + len - 1)))) len--;
  if (len == 0) return 0;
  const box = scratchBase;
  for (let k = 0; k < D; k++) {
    store<u32>(box + ((<usize>k) << 3), 0xffffffff);
    store<u32>(box + ((<usize>k) << 3), 0, 4);
  }
  for (let t: u32 = 0; t < len; t++) {
    const p = load<u32>(arenaAt(off + t));
    if (!relevant(mode, p)) continue;
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

@inline function relevant(mode: i32, p: u32): bool {
  return mode == TAKERS ? !isKnown(p) : !harmless(p);
}

/** Some candidate before the first harmful one in the list contains the cell. */
function harmlessPrefixContains(cell: usize, off: usize, len: u32): bool {
  for (let t: u32 = 0; t < len; t++) {
    const p = load<u32>(arenaAt(off + t));
    if (!harmless(p)) return false;
    if (contains(pieceBox(p), cell)) return true;
  }
  return false;
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
function cutSource(mode: i32, cell: usize, off: usize, len: u32, first: u32): u32 {
  if (!((mode == TAKERS && freeSettled) || (mode == UNCHANGED && policyAct == selfAct))) return first;
  for (let t: u32 = 0; t < len; t++) {
    const q = load<u32>(arenaAt(off + t));
    if (!relevant(mode, q)) continue;
    return contains(pieceBox(q), cell) ? first : q;
  }
  return first;
}

/** A candidate of the unchanged walk that gives no packet of rule i another verdict. */
@inline function harmless(p: u32): bool {
  const r = ruleOf(p);
  return <i32>r < selfRule || actOf(r) == selfAct;
}

@inline function isKnown(p: u32): bool {
  return load<u32>(knownBase + ((<usize>ruleOf(p)) << 2)) == epoch;
}

/** Cuts the cell of a popped frame (copied at scratch) in two at a boundary of piece `p`. */
function split(off: usize, len: u32, p: u32): bool {
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
  if (!ensureMemory(arenaAt(arenaTop + ((<usize>len) << 1)))) return false;
  const upper = scratchBase + cellBytes;
  memory.copy(upper, cell, cellBytes);
  const k = bestK;
  store<u32>(upper + ((<usize>k) << 3), bestV);
  store<u32>(cell + ((<usize>k) << 3), bestV - 1, 4);
  // The half pushed last is walked first: the lower one.
  return pushHalf(upper, off, len, k, bestV, true) && pushHalf(cell, off, len, k, bestV, false);
}

/** Pushes one half of a cut cell with the candidates that meet it, up to its first container. */
function pushHalf(half: usize, off: usize, len: u32, k: i32, v: u32, isUpper: bool): bool {
  let n: u32 = 0;
  aim(half);
  for (let t: u32 = 0; t < len; t++) {
    const q = load<u32>(arenaAt(off + t));
    if (isUpper ? hi(pieceBox(q), k) < v : lo(pieceBox(q), k) >= v) continue;
    store<u32>(arenaAt(arenaTop + n++), q);
    if (holds(pieceBox(q))) break;
  }
  return push(half, n);
}

const DONE: i32 = 1;
const STOPPED: i32 = 0;
const NO_MEMORY: i32 = -1;

/** Runs the frames on the stack in `mode`; DONE, STOPPED (an early answer) or NO_MEMORY. */
function drain(mode: i32, floor: i32): i32 {
  while (sp > floor) {
    const f = frameAt(--sp);
    const off = <usize>load<u32>(f);
    let len = load<u32>(f, 4);
    arenaTop = off + len;
    if (mode == FREE) {
      // Order does not matter for coverage: any candidate containing the cell covers it.
      if (anyContains(f + 8, off, len)) continue;
      if (len == 0) {
        if (!keepFree(f + 8)) return STOPPED;
        continue;
      }
    } else if ((mode == TAKERS && freeSettled) || (mode == UNCHANGED && policyAct == selfAct)) {
      // Only packets inside a candidate that can still tell something matter: unknown takers
      // (a free cell is known already), or later rules with another action than rule i's (the
      // policy agrees with it). Focus the cell on them.
      len = focus(mode, f + 8, off, len);
      if (len == 0) continue;
    }
    // Packets taken by a candidate before the first harmful one (a later rule with another action)
    // keep their verdict, whichever of those takes them: a container among them ends the cell.
    if (mode == UNCHANGED && harmlessPrefixContains(f + 8, off, len)) continue;
    if (len == 0) {
      if (mode == TAKERS) {
        if (!freeKnown) memory.copy(cellsBase, f + 8, cellBytes);
        freeKnown = true;
      } else if (mode == CELLS) {
        if (nCells == maxCells) {
          truncatedFlag = true;
          return STOPPED;
        }
        memory.copy(cellsBase + <usize>nCells * cellBytes, f + 8, cellBytes);
        nCells++;
      } else if (mode == UNCHANGED) {
        if (policyAct != selfAct) return STOPPED;
      } else if (mode == COVER) {
        return STOPPED; // a packet of the region outside every piece
      } else {
        const res = decided(mode, f + 8, -1);
        if (res != DONE) return res;
      }
      continue;
    }
    const p = load<u32>(arenaAt(off));
    if (contains(pieceBox(p), f + 8)) {
      const r = ruleOf(p);
      if (mode >= DIFF_BEFORE) {
        const res = decided(mode, f + 8, <i32>r);
        if (res != DONE) return res;
        continue;
      }
      if (mode == TAKERS) {
        const at = knownBase + ((<usize>r) << 2);
        if (load<u32>(at) != epoch) {
          store<u32>(at, epoch);
          store<u32>(outBase + ((<usize>nOut) << 2), r);
          nOut++;
        }
      } else if (mode == UNCHANGED && <i32>r > selfRule && actOf(r) != selfAct) return STOPPED;
      continue;
    }
    memory.copy(scratchBase, f + 8, cellBytes);
    if (!split(off, len, cutSource(mode, f + 8, off, len, p))) return NO_MEMORY;
  }
  return DONE;
}

function reset(): void {
  sp = 0;
  arenaTop = 0;
  nOut = 0;
  nCells = 0;
  freeKnown = false;
  freeSettled = false;
  truncatedFlag = false;
}

/** Walks every piece of rule `r` against the candidates of `start`; a drain result. */
function walkRule(r: i32, mode: i32, from: i32, to: i32, skip: i32, anyAction: bool, near: i32): i32 {
  for (let q = firstOf(r); q < firstOf(r + 1); q++) {
    sp = 0; // a walk that stopped early may have left frames
    arenaTop = 0;
    if (!start(pieceBox(q), from, to, skip, anyAction, near)) return NO_MEMORY;
    const res = drain(mode, 0);
    if (res != DONE) return res;
  }
  return DONE;
}

/**
 * A diff walk decided a cell: rule `r` (-1: the policy) takes it. Before: walk the cell against
 * the rules after the split. After: record the cell when its decider's key differs.
 */
function decided(mode: i32, cell: usize, r: i32): i32 {
  if (mode == DIFF_BEFORE) {
    deciderBefore = r;
    const floor = sp;
    if (!start(cell, splitAt, nRules, -1, false, -1)) return NO_MEMORY;
    return drain(DIFF_AFTER, floor);
  }
  const a = deciderBefore < 0 ? policyKeyBefore : load<u32>(keyBase + ((<usize>deciderBefore) << 2));
  const b = r < 0 ? policyKeyAfter : load<u32>(keyBase + ((<usize>r) << 2));
  if (a == b) return DONE;
  if (nDiff == maxDiff) {
    diffFull = true;
    return STOPPED;
  }
  const at = diffBase + <usize>nDiff * diffBytes;
  memory.copy(at, cell, cellBytes);
  store<i32>(at + cellBytes, deciderBefore);
  store<i32>(at + cellBytes, r, 4);
  nDiff++;
  return DONE;
}

/** How a taker relates to rule i (the low bits of its word at outPtr). */
const SAME_ACTION: u32 = 0;
/** Another action, and it matches only packets i matches too. */
const INSIDE: u32 = 1;
/** Another action, and it also matches packets i does not. */
const OVERLAPS: u32 = 2;

/**
 * The earlier rules that end packets of rule i's boxes: at outPtr, in discovery order, one word
 * each, rule << 2 | SAME_ACTION, INSIDE or OVERLAPS (the last two only when some packet reaches
 * i and i has a verdict: else SAME_ACTION). Returns their number (-1 without memory). `fired()`
 * tells whether some packet reaches i; the first such cell is at cellsPtr.
 */
export function takers(i: i32): i32 {
  reset();
  epoch++;
  // Whether any packet reaches i is a question of coverage, where order does not matter and any
  // container ends a cell: settle it first, keeping the free cells found (the packets i decides,
  // all of them when they are few), then the ordered walk only looks for takers.
  nearby(i);
  store<u32>(nHitBase + ((<usize>i) << 2), 0);
  selfRule = i;
  const free = walkRule(i, FREE, 0, i, -1, false, i);
  if (free == NO_MEMORY) return -1;
  const nHit = load<u32>(nHitBase + ((<usize>i) << 2));
  if (free == DONE) store<u32>(nHitBase + ((<usize>i) << 2), nHit | HIT_ALL);
  freeKnown = nHit > 0;
  freeSettled = true;
  if (freeKnown) memory.copy(cellsBase, hitBase + <usize>i * hitBytes, cellBytes);
  // Earlier rules are decided without a walk from what their own call kept: a rule that never
  // fires takes nothing; one whose kept free cells meet i's boxes takes some, and when those are
  // all of its free cells, one whose cells miss them takes none. One that fires and lies inside
  // i's single box takes some too. A catch-all's thousands of takers come for free.
  const single = firstOf(i + 1) - firstOf(i) == 1;
  for (let at = 0; at < nNear; at++) {
    const j = <i32>ruleOf(load<u32>(nearBase + ((<usize>at) << 2)));
    if (j >= i) break;
    const known = knownBase + ((<usize>j) << 2);
    const state = load<u8>(firedBase + <usize>j);
    if (state == 0 || load<u32>(known) == epoch || actOf(<u32>j) == 0) continue;
    const takes = state == 1 && ((single && insideRule(j, pieceBox(<u32>firstOf(i)))) || hitMeets(j, i));
    if (state == 1 && !takes && (load<u32>(nHitBase + ((<usize>j) << 2)) & HIT_ALL) == 0) continue; // for the walk to tell
    store<u32>(known, epoch);
    if (takes) {
      store<u32>(outBase + ((<usize>nOut) << 2), j);
      nOut++;
    }
  }
  if (walkRule(i, TAKERS, 0, i, -1, false, i) == NO_MEMORY) return -1;
  store<u8>(firedBase + <usize>i, freeKnown ? 1 : 2);
  const act = actOf(<u32>i);
  for (let t = 0; t < nOut; t++) {
    const at = outBase + ((<usize>t) << 2);
    const j = load<u32>(at);
    let rel = SAME_ACTION;
    if (freeKnown && act != 0 && actOf(j) != act) {
      const inside = covered(<i32>j, i);
      if (inside < 0) return -1;
      rel = inside == 1 ? INSIDE : OVERLAPS;
    }
    store<u32>(at, j << 2 | rel);
  }
  return nOut;
}

/** Keeps a free cell of rule selfRule; false when its slots are full (the walk stops). */
function keepFree(cell: usize): bool {
  const at = nHitBase + ((<usize>selfRule) << 2);
  const n = load<u32>(at);
  if (n == hitCap) return false;
  memory.copy(hitBase + <usize>selfRule * hitBytes + <usize>n * cellBytes, cell, cellBytes);
  store<u32>(at, n + 1);
  return true;
}

/** One of the free cells takers(j) kept meets one of rule i's boxes. */
function hitMeets(j: i32, i: i32): bool {
  const n = load<u32>(nHitBase + ((<usize>j) << 2)) & ~HIT_ALL;
  const w = hitBase + <usize>j * hitBytes;
  for (let c: u32 = 0; c < n; c++) {
    for (let q = firstOf(i); q < firstOf(i + 1); q++) if (meets(w + <usize>c * cellBytes, pieceBox(q))) return true;
  }
  return false;
}

/** Every piece of rule j lies in box b. */
function insideRule(j: i32, b: usize): bool {
  for (let q = firstOf(j); q < firstOf(j + 1); q++) if (!contains(b, pieceBox(q))) return false;
  return true;
}

/**
 * Up to maxCells disjoint cells of the packets of rule i that rule j ends (j < i), or with j < 0
 * that i itself ends; at cellsPtr. Returns their number (-1 without memory); `truncated()` says
 * whether there are more.
 */
export function cells(i: i32, j: i32): i32 {
  reset();
  if (j < 0) return walkRule(i, CELLS, 0, i, -1, false, i) == NO_MEMORY ? -1 : nCells;
  const region = scratchBase + cellBytes; // free between walks
  for (let a = firstOf(i); a < firstOf(i + 1); a++) {
    for (let b = firstOf(j); b < firstOf(j + 1); b++) {
      if (!intersect(region, pieceBox(a), pieceBox(b))) continue;
      if (!start(region, 0, j, -1, false, i)) return -1;
      const res = drain(CELLS, 0);
      if (res == NO_MEMORY) return -1;
      if (res == STOPPED) return nCells;
    }
  }
  return nCells;
}

/**
 * 1 if removing rule i changes no verdict: every packet it ends gets action code `policy` of the
 * chain's policy or its own action from the first later rule that matches it; 0 if not; -1
 * without memory.
 */
export function unchanged(i: i32, policy: u32): i32 {
  reset();
  selfRule = i;
  selfAct = actOf(<u32>i);
  policyAct = policy;
  const n = load<u32>(nHitBase + ((<usize>i) << 2));
  if (load<u8>(firedBase + <usize>i) == 0 || (n & HIT_ALL) == 0) {
    const res = walkRule(i, UNCHANGED, 0, nRules, i, false, i);
    return res == NO_MEMORY ? -1 : res == DONE ? 1 : 0;
  }
  // takers(i) kept every packet i decides: only the later rules can decide those without it.
  for (let c: u32 = 0; c < (n & ~HIT_ALL); c++) {
    sp = 0;
    arenaTop = 0;
    if (!start(hitBase + <usize>i * hitBytes + <usize>c * cellBytes, i + 1, nRules, -1, false, i)) return -1;
    const res = drain(UNCHANGED, 0);
    if (res != DONE) return res == NO_MEMORY ? -1 : 0;
  }
  return 1;
}

/** 1 if every packet of rule j's boxes lies in rule i's boxes, 0 if not, -1 without memory. */
export function covered(j: i32, i: i32): i32 {
  const res = walkRule(j, COVER, i, i + 1, -1, true, -1);
  return res == NO_MEMORY ? -1 : res == DONE ? 1 : 0;
}

/**
 * Diff of two chains held as one: rules [0, split) are the old chain, [split, n) the new one,
 * each rule with a key (keyPtr; equal keys: same decision) and each chain's policy its own key.
 * Walks the boxes of rule r under the old chain, each cell it decides under the new one, and
 * appends at diffPtr the cells decided differently: cell, old decider, new decider (-1: policy).
 * Returns the number of cells so far (diffReset starts again); -1 without memory, -2 when more
 * than the setup's diffMax cells differ.
 */
export function diffRule(r: i32, split: i32, policyBefore: u32, policyAfter: u32): i32 {
  sp = 0;
  arenaTop = 0;
  splitAt = split;
  policyKeyBefore = policyBefore;
  policyKeyAfter = policyAfter;
  const res = walkRule(r, DIFF_BEFORE, 0, split, -1, false, r);
  if (res == NO_MEMORY) return -1;
  return diffFull ? -2 : nDiff;
}

export function diffReset(): void {
  nDiff = 0;
  diffFull = false;
}
