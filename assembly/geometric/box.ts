// Box geometry of the geometric core: meets, contains and intersection of boxes in the D
// dimensions of the chain (store.ts), and the "aimed" cell — one cell held as vectors so that
// testing many candidate boxes against it is a few SIMD compares each.

import { D, lo, hi } from './store';

export function meets(a: usize, b: usize): bool {
  for (let k = 0; k < D; k++) if (hi(a, k) < lo(b, k) || hi(b, k) < lo(a, k)) return false;
  return true;
}

/** Box a contains box b. */
export function contains(a: usize, b: usize): bool {
  for (let k = 0; k < D; k++) if (lo(b, k) < lo(a, k) || hi(a, k) < hi(b, k)) return false;
  return true;
}

/** a ∩ b into dst; false if empty. */
export function intersect(dst: usize, a: usize, b: usize): bool {
  for (let k = 0; k < D; k++) {
    const l = max(lo(a, k), lo(b, k));
    const h = min(hi(a, k), hi(b, k));
    if (l > h) return false;
    store<u32>(dst + ((<usize>k) << 3), l);
    store<u32>(dst + ((<usize>k) << 3), h, 4);
  }
  return true;
}

// ─── the aimed cell, as vectors ─────────────────────────────────────────────────────────────
// Two dimensions a vector. Box b contains cell c iff (lo_b, ~hi_b) ≤ (lo_c, ~hi_c) lane by lane,
// unsigned, and meets it iff (lo_b, ~hi_b) ≤ (hi_c, ~lo_c). `aim` makes both right-hand sides of
// a cell; lanes past the last dimension are all ones (always true). A box's vectors may be read
// past its end (D odd, or ≤ 2): the rule table follows the boxes, the arena the frames.
// The eight vectors are registers, not walk state: `aim` sets them and the `holds`/`touches`
// calls right after it read them, with no other aim in between.

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

export function aim(c: usize): void {
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
@inline export function holds(b: usize): bool {
  let ok = v128.and(i32x4.le_u(v128.xor(v128.load(b), FLIP), in0), i32x4.le_u(v128.xor(v128.load(b, 16), FLIP), in1));
  if (D > 4) ok = v128.and(ok, v128.and(i32x4.le_u(v128.xor(v128.load(b, 32), FLIP), in2), i32x4.le_u(v128.xor(v128.load(b, 48), FLIP), in3)));
  return i32x4.all_true(ok);
}

/** Box b meets the aimed cell. */
@inline export function touches(b: usize): bool {
  let ok = v128.and(i32x4.le_u(v128.xor(v128.load(b), FLIP), to0), i32x4.le_u(v128.xor(v128.load(b, 16), FLIP), to1));
  if (D > 4) ok = v128.and(ok, v128.and(i32x4.le_u(v128.xor(v128.load(b, 32), FLIP), to2), i32x4.le_u(v128.xor(v128.load(b, 48), FLIP), to3)));
  return i32x4.all_true(ok);
}
