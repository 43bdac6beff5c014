// The operations of the algebra: apply (and, or, diff, xor), not, existential quantification and
// model counting, each a memoised recursion on the top variable (Bryant 1986). Results are cached
// in a direct-mapped table of bounded size (a collision overwrites), cleared by `collect`.
// Every recursion passes ERR up unchanged, so a full node table abandons the whole operation.

import { cntcacheBase, cntcacheMask, nvars, opcacheBase, opcacheMask, qmaskBase } from './memory';
import { ERR, FALSE, TRUE, highOf, lowOf, mk, varOf } from './nodes';

export const OP_AND: u32 = 1;
export const OP_OR: u32 = 2;
export const OP_DIFF: u32 = 3;
export const OP_XOR: u32 = 4;
const OP_NOT: u32 = 5;
const OP_EXISTS: u32 = 6;

let quantEpoch: u32 = 0;
let quantLast: u32 = 0;
let countEpoch: u32 = 0;

@inline function slot(op: u32, a: u32, b: u32): usize {
  let h = a * 0x9e3779b1 ^ (b * 0x85ebca77 + op);
  h = (h ^ (h >>> 16)) * 0x7feb352d;
  h ^= h >>> 15;
  return opcacheBase + ((<usize>(h & opcacheMask)) << 4);
}

@inline function cached(s: usize, op: u32, a: u32, b: u32): u32 {
  return load<u32>(s, 8) == op && load<u32>(s) == a && load<u32>(s, 4) == b ? load<u32>(s, 12) : ERR;
}

@inline function remember(s: usize, op: u32, a: u32, b: u32, r: u32): u32 {
  store<u32>(s, a);
  store<u32>(s, b, 4);
  store<u32>(s, op, 8);
  store<u32>(s, r, 12);
  return r;
}

/** The level of a node: its variable, or nvars for a terminal. */
@inline export function level(n: u32): u32 {
  return n < 2 ? nvars : varOf(n);
}

export function not(a: u32): u32 {
  if (a < 2) return a ^ 1;
  const s = slot(OP_NOT, a, 0);
  const c = cached(s, OP_NOT, a, 0);
  if (c != ERR) return c;
  const l = not(lowOf(a));
  if (l == ERR) return ERR;
  const h = not(highOf(a));
  if (h == ERR) return ERR;
  const r = mk(varOf(a), l, h);
  return r == ERR ? ERR : remember(s, OP_NOT, a, 0, r);
}

/** a AND b, a OR b, a AND NOT b, a XOR b. */
export function apply(op: u32, a: u32, b: u32): u32 {
  switch (op) {
    case OP_AND:
      if (a == FALSE || b == FALSE) return FALSE;
      if (a == TRUE || a == b) return b;
      if (b == TRUE) return a;
      break;
    case OP_OR:
      if (a == TRUE || b == TRUE) return TRUE;
      if (a == FALSE || a == b) return b;
      if (b == FALSE) return a;
      break;
    case OP_DIFF:
      if (a == FALSE || b == TRUE || a == b) return FALSE;
      if (b == FALSE) return a;
      if (a == TRUE) return not(b);
      break;
    default:
      if (a == b) return FALSE;
      if (a == FALSE) return b;
      if (b == FALSE) return a;
      if (a == TRUE) return not(b);
      if (b == TRUE) return not(a);
  }
  if (op != OP_DIFF && a > b) {
    const t = a;
    a = b;
    b = t;
  }
  const s = slot(op, a, b);
  const c = cached(s, op, a, b);
  if (c != ERR) return c;
  const va = varOf(a);
  const vb = varOf(b);
  const v = va < vb ? va : vb;
  const l = apply(op, va == v ? lowOf(a) : a, vb == v ? lowOf(b) : b);
  if (l == ERR) return ERR;
  const h = apply(op, va == v ? highOf(a) : a, vb == v ? highOf(b) : b);
  if (h == ERR) return ERR;
  const r = mk(v, l, h);
  return r == ERR ? ERR : remember(s, op, a, b, r);
}

/** Starts a new quantified set: clears qmask (the caller then marks variables in it). */
export function quantBegin(): void {
  memory.fill(qmaskBase, 0, nvars);
  quantEpoch++;
  quantLast = 0;
}

export function quantAdd(first: u32, width: u32): void {
  memory.fill(qmaskBase + first, 1, width);
  if (first + width > quantLast) quantLast = first + width;
}

/** ∃ (quantified variables). n: the set with those variables made free. */
export function exists(n: u32): u32 {
  if (n < 2 || varOf(n) >= quantLast) return n;
  const s = slot(OP_EXISTS, n, quantEpoch);
  const c = cached(s, OP_EXISTS, n, quantEpoch);
  if (c != ERR) return c;
  const l = exists(lowOf(n));
  if (l == ERR) return ERR;
  const h = exists(highOf(n));
  if (h == ERR) return ERR;
  const v = varOf(n);
  const r = load<u8>(qmaskBase + v) ? apply(OP_OR, l, h) : mk(v, l, h);
  return r == ERR ? ERR : remember(s, OP_EXISTS, n, quantEpoch, r);
}

/** 2^k for 0 <= k < 1024, exactly. */
@inline function pow2(k: u32): f64 {
  return reinterpret<f64>((<u64>(1023 + k)) << 52);
}

function countFrom(n: u32): f64 {
  if (n < 2) return <f64>n;
  const s = cntcacheBase + ((<usize>((n * 0x9e3779b1) >>> 7 & cntcacheMask)) << 4);
  if (load<u32>(s) == n && load<u32>(s, 4) == countEpoch) return load<f64>(s, 8);
  const v = varOf(n);
  const lo = lowOf(n);
  const hi = highOf(n);
  const c = countFrom(lo) * pow2(level(lo) - v - 1) + countFrom(hi) * pow2(level(hi) - v - 1);
  store<u32>(s, n);
  store<u32>(s, countEpoch, 4);
  store<f64>(s, c, 8);
  return c;
}

/** Number of assignments of all nvars variables that satisfy n (exact below 2^53). */
export function satCount(n: u32): f64 {
  countEpoch++;
  return countFrom(n) * pow2(level(n));
}

