// Reading sets back: the smallest value of a field at or above a target (for readable witness
// packets, chosen field by field from the top of the order), restriction to a chosen field value,
// and the enumeration of paths as cubes (for `describe`). None of these allocates nodes.

import { ioBase, nvars, OUT_BYTES, outBase, pathBase } from './memory';
import { FALSE, highOf, lowOf, varOf } from './nodes';

// Slots in io: the target at io+0, the value found (or to restrict to) at io+16; 128-bit
// little-endian words.
const TARGET: usize = 0;
const VALUE: usize = 16;

@inline function targetBit(k: u32): u32 {
  return (load<u32>(ioBase + TARGET + ((<usize>(k >>> 5)) << 2)) >>> (k & 31)) & 1;
}

@inline function setBit(k: u32, b: u32): void {
  const p = ioBase + VALUE + ((<usize>(k >>> 5)) << 2);
  const m: u32 = 1 << (k & 31);
  store<u32>(p, b ? load<u32>(p) | m : load<u32>(p) & ~m);
}

let fFirst: u32 = 0;
let fWidth: u32 = 0;

/** i: bits decided so far (from the most significant); tight: they equal the target's. */
function smallest(n: u32, i: u32, tight: bool): bool {
  if (n == FALSE) return false;
  if (i == fWidth) return true;
  const v = fFirst + i;
  const k = fWidth - 1 - i;
  const tested = n >= 2 && varOf(n) == v;
  const lo = tested ? lowOf(n) : n;
  const hi = tested ? highOf(n) : n;
  if (tight) {
    if (targetBit(k)) {
      setBit(k, 1);
      return smallest(hi, i + 1, true);
    }
    setBit(k, 0);
    if (smallest(lo, i + 1, true)) return true;
    setBit(k, 1);
    return smallest(hi, i + 1, false);
  }
  if (lo != FALSE) {
    setBit(k, 0);
    return smallest(lo, i + 1, false);
  }
  setBit(k, 1);
  return smallest(hi, i + 1, false);
}

/**
 * The smallest value x >= target (io+0) of the field [first, first+width) such that n restricted
 * to x is not empty; written at io+16. Requires n's top variable to be >= first (every field
 * above already restricted). Returns false if there is none.
 */
export function fieldMinAtLeast(n: u32, first: u32, width: u32): bool {
  fFirst = first;
  fWidth = width;
  memory.fill(ioBase + VALUE, 0, 16);
  return smallest(n, 0, true);
}

/** n with the field [first, first+width) set to the value at io+16 (same precondition). */
export function fieldRestrict(n: u32, first: u32, width: u32): u32 {
  const end = first + width;
  while (n >= 2 && varOf(n) < end) {
    const k = end - 1 - varOf(n);
    const b = (load<u32>(ioBase + VALUE + ((<usize>(k >>> 5)) << 2)) >>> (k & 31)) & 1;
    n = b ? highOf(n) : lowOf(n);
  }
  return n;
}

let written: u32 = 0;
let limit: u32 = 0;
let more: bool = false;

function paths(n: u32): void {
  if (n == FALSE) return;
  if (n < 2) {
    if (written == limit) {
      more = true;
      return;
    }
    memory.copy(outBase + <usize>written * nvars, pathBase, nvars);
    written++;
    return;
  }
  const v = varOf(n);
  store<u8>(pathBase + v, 0);
  paths(lowOf(n));
  if (more) return;
  store<u8>(pathBase + v, 1);
  paths(highOf(n));
  store<u8>(pathBase + v, 2);
}

/**
 * Writes up to `max` paths of n to TRUE (low branches first) at `out`, each as nvars bytes:
 * 0 or 1 for a tested variable, 2 for a free one. Returns how many; `cubesTruncated` says
 * whether there were more.
 */
export function cubes(n: u32, max: u32): u32 {
  const fit = <u32>(OUT_BYTES / <usize>nvars);
  limit = max < fit ? max : fit;
  written = 0;
  more = false;
  memory.fill(pathBase, 2, nvars);
  paths(n);
  return written;
}

export function cubesTruncated(): bool {
  return more;
}
