// The node table: reduced ordered BDD nodes, hash-consed through a unique table so that equal
// functions are equal node ids. Nodes 0 and 1 are the terminals FALSE and TRUE. A full table makes
// `mk` return ERR (the operation in progress is abandoned); `collect` then frees every node not
// reachable from an externally referenced one, and raises the capacity towards its limit.

import { bucketLimitLog2, bucketsBase, clearCaches, ensureMemory, log2Ceil, nodesBase } from './memory';

export const FALSE: u32 = 0;
export const TRUE: u32 = 1;
/** Returned by every operation that ran out of nodes. */
export const ERR: u32 = 0xffffffff;
/** The level of the terminals: below every variable. */
export const TERMINAL_VAR: u32 = 0x7fff;
const FREE_VAR: u32 = 0x7ffe;
const VAR_MASK: u32 = 0x7fff;
const MARK: u32 = 0x8000;
const REF_ONE: u32 = 0x10000;
const REF_MAX: u32 = 0xffff;

export let capacity: u32 = 0;
export let maxNodes: u32 = 0;
/** Node ids below `used` have been handed out at least once. */
export let used: u32 = 2;
export let live: u32 = 2;
let bucketMask: u32 = 0;
let freeHead: u32 = 0;

@inline function addr(n: u32): usize {
  return nodesBase + ((<usize>n) << 4);
}
@inline export function varOf(n: u32): u32 {
  return load<u32>(addr(n)) & VAR_MASK;
}
@inline export function lowOf(n: u32): u32 {
  return load<u32>(addr(n), 4);
}
@inline export function highOf(n: u32): u32 {
  return load<u32>(addr(n), 8);
}
@inline function nextOf(n: u32): u32 {
  return load<u32>(addr(n), 12);
}
@inline function hash3(a: u32, b: u32, c: u32): u32 {
  let h = a * 0x9e3779b1 + b;
  h = (h ^ (h >>> 15)) * 0x85ebca77 + c;
  h = (h ^ (h >>> 13)) * 0xc2b2ae3d;
  return h ^ (h >>> 16);
}

/** Sets up the terminals and an initial capacity; false if memory cannot be had. */
export function nodesInit(limit: u32): bool {
  maxNodes = limit < 16 ? 16 : limit;
  capacity = maxNodes < 65536 ? maxNodes : 65536;
  bucketMask = (1 << log2Ceil(capacity)) - 1;
  if (!ensureMemory(addr(capacity))) return false;
  store<u32>(addr(FALSE), TERMINAL_VAR);
  store<u32>(addr(TRUE), TERMINAL_VAR);
  store<u32>(addr(TRUE), TRUE, 4);
  store<u32>(addr(TRUE), TRUE, 8);
  return true;
}

/** The node (v, lo, hi), reduced and unique; ERR when the table is full. */
export function mk(v: u32, lo: u32, hi: u32): u32 {
  if (lo == hi) return lo;
  const bucket = bucketsBase + ((<usize>(hash3(v, lo, hi) & bucketMask)) << 2);
  let n = load<u32>(bucket);
  while (n != 0) {
    if (varOf(n) == v && lowOf(n) == lo && highOf(n) == hi) return n;
    n = nextOf(n);
  }
  let r: u32;
  if (freeHead != 0) {
    r = freeHead;
    freeHead = nextOf(r);
  } else if (used < capacity) {
    r = used++;
  } else {
    return ERR;
  }
  const a = addr(r);
  store<u32>(a, v);
  store<u32>(a, lo, 4);
  store<u32>(a, hi, 8);
  store<u32>(a, load<u32>(bucket), 12);
  store<u32>(bucket, r);
  live++;
  return r;
}

/** One more external reference to `n` (saturates: a node referenced 65535 times stays forever). */
export function ref(n: u32): void {
  if (n < 2) return;
  const w = load<u32>(addr(n));
  if (w >>> 16 < REF_MAX) store<u32>(addr(n), w + REF_ONE);
}

export function deref(n: u32): void {
  if (n < 2) return;
  const w = load<u32>(addr(n));
  const r = w >>> 16;
  if (r > 0 && r < REF_MAX) store<u32>(addr(n), w - REF_ONE);
}

function mark(n: u32): void {
  while (n >= 2) {
    const w = load<u32>(addr(n));
    if (w & MARK) return;
    store<u32>(addr(n), w | MARK);
    mark(lowOf(n));
    n = highOf(n);
  }
}

/**
 * Garbage collection: keeps the nodes reachable from referenced ones, chains the others into the
 * free list, rebuilds the unique table and clears the caches. Doubles the capacity (up to the
 * limit) when asked to, or when more than half the table is still live. Returns the capacity.
 */
export function collect(grow: bool): u32 {
  for (let n: u32 = 2; n < used; n++) {
    const w = load<u32>(addr(n));
    if (w >>> 16 != 0 && (w & VAR_MASK) != FREE_VAR) mark(n);
  }
  let kept: u32 = 2;
  for (let n: u32 = 2; n < used; n++) if (load<u32>(addr(n)) & MARK) kept++;
  if ((grow || kept * 2 > capacity) && capacity < maxNodes) {
    const next = capacity * 2 < maxNodes ? capacity * 2 : maxNodes;
    if (ensureMemory(addr(next))) capacity = next;
  }
  const blog = log2Ceil(capacity);
  bucketMask = (1 << (blog < bucketLimitLog2 ? blog : bucketLimitLog2)) - 1;
  memory.fill(bucketsBase, 0, (<usize>(bucketMask + 1)) << 2);
  freeHead = 0;
  live = 2;
  for (let n: u32 = used - 1; n >= 2; n--) {
    const a = addr(n);
    const w = load<u32>(a);
    if (w & MARK) {
      store<u32>(a, w & ~MARK);
      const v = w & VAR_MASK;
      const bucket = bucketsBase + ((<usize>(hash3(v, lowOf(n), highOf(n)) & bucketMask)) << 2);
      store<u32>(a, load<u32>(bucket), 12);
      store<u32>(bucket, n);
      live++;
    } else {
      store<u32>(a, FREE_VAR);
      store<u32>(a, 0, 4);
      store<u32>(a, 0, 8);
      store<u32>(a, freeHead, 12);
      freeHead = n;
    }
  }
  clearCaches();
  return capacity;
}

/** Active unique-table buckets. */
export function buckets(): u32 {
  return bucketMask + 1;
}

/** Number of distinct nodes reachable from `root`, terminals included. */
export function size(root: u32): u32 {
  const c = countMarked(root);
  unmark(root);
  return c + (root >= 2 ? 2 : 1);
}

function countMarked(n: u32): u32 {
  let c: u32 = 0;
  while (n >= 2) {
    const w = load<u32>(addr(n));
    if (w & MARK) break;
    store<u32>(addr(n), w | MARK);
    c += 1 + countMarked(lowOf(n));
    n = highOf(n);
  }
  return c;
}

function unmark(n: u32): void {
  while (n >= 2) {
    const w = load<u32>(addr(n));
    if (!(w & MARK)) return;
    store<u32>(addr(n), w & ~MARK);
    unmark(lowOf(n));
    n = highOf(n);
  }
}
