// Building sets from numbers: a masked interval over one field's bits in O(width) nodes, and the
// membership test of one concrete point. Inputs come through the io region (see index.ts).

import { ioBase } from './memory';
import { ERR, FALSE, TRUE, highOf, lowOf, mk, varOf } from './nodes';

/** Bit k (0 = least significant) of the 128-bit little-endian word vector at p. */
@inline function bit(p: usize, k: u32): u32 {
  return (load<u32>(p + ((<usize>(k >>> 5)) << 2)) >>> (k & 31)) & 1;
}

// The four states of the comparison of x's high bits with lo and hi, and the node of each state
// for the bits below the current one. "tight lo" = x's bits so far equal lo's, so the rest must
// not go below lo's; likewise "tight hi".
const BOTH: i32 = 0;
const LO: i32 = 1;
const HI: i32 = 2;
const FREE: i32 = 3;
const below = memory.data(16);
const here = memory.data(16);
const reachable = memory.data(128);

/** The state after bit value b from `state`, or -1 if x has left [lo, hi]. */
function step(state: i32, b: u32, lb: u32, hb: u32): i32 {
  let tl = state == BOTH || state == LO;
  let th = state == BOTH || state == HI;
  if (tl) {
    if (b < lb) return -1;
    if (b > lb) tl = false;
  }
  if (th) {
    if (b > hb) return -1;
    if (b < hb) th = false;
  }
  return tl ? (th ? BOTH : LO) : th ? HI : FREE;
}

function child(state: i32, b: u32, lb: u32, hb: u32): u32 {
  const next = step(state, b, lb, hb);
  return next < 0 ? FALSE : load<u32>(below + (next << 2));
}

/**
 * { x : lo <= (x & mask) <= hi } over the variables first .. first+width-1 (most significant bit
 * first); lo at io+0, hi at io+16, mask at io+32. Built from the least significant bit up: at each
 * bit, each state's node is made from the states it moves to, so at most 4 nodes per bit. Only
 * the states reachable from BOTH at the top are made (a first pass, top down, finds them), so a
 * prefix costs one node a bit above its length. A bit outside the mask is 0 in (x & mask) and
 * gets no node.
 */
export function range(first: u32, width: u32): u32 {
  const lo = ioBase;
  const hi = ioBase + 16;
  const mask = ioBase + 32;
  // reachable[k]: the states (bit set) that can be met when deciding bit k.
  let states: u32 = 1 << BOTH;
  for (let k = <i32>width - 1; k >= 0; k--) {
    store<u8>(reachable + k, <u8>states);
    const lb = bit(lo, k);
    const hb = bit(hi, k);
    const top = bit(mask, k);
    let next: u32 = 0;
    for (let s = 0; s < 4; s++) {
      if (!(states & (1 << s))) continue;
      for (let b: u32 = 0; b <= top; b++) {
        const t = step(s, b, lb, hb);
        if (t >= 0) next |= 1 << t;
      }
    }
    states = next;
  }
  for (let s = 0; s < 4; s++) store<u32>(below + (s << 2), TRUE);
  for (let k: u32 = 0; k < width; k++) {
    const v = first + width - 1 - k;
    const lb = bit(lo, k);
    const hb = bit(hi, k);
    const masked = bit(mask, k);
    const live = <u32>load<u8>(reachable + k);
    for (let s = 0; s < 4; s++) {
      if (!(live & (1 << s))) continue;
      const c0 = child(s, 0, lb, hb);
      const n = masked ? mk(v, c0, child(s, 1, lb, hb)) : c0;
      if (n == ERR) return ERR;
      store<u32>(here + (s << 2), n);
    }
    memory.copy(below, here, 16);
  }
  return load<u32>(below + (BOTH << 2));
}

/** Whether the point at io (one byte per variable, 0 or 1) is in n. */
export function member(n: u32): bool {
  while (n >= 2) n = load<u8>(ioBase + varOf(n)) ? highOf(n) : lowOf(n);
  return n == TRUE;
}
