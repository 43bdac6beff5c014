// Where the analyzer keeps its tables in linear memory, and how they grow. Nothing here uses the
// AssemblyScript allocator: the regions are laid out once by `memoryInit`, and only the node
// region at the end grows (memory.grow) as the node capacity rises towards its limit.
//
//   __heap_base (aligned)
//   ├─ io        IO_BYTES      numbers in and out: field values as 4 little-endian u32 words,
//   │                          one byte per variable for a point (see index.ts for the slots)
//   ├─ qmask     nvars bytes   1 = variable quantified by `exists`
//   ├─ path      nvars bytes   the path being walked by `cubes`
//   ├─ out       OUT_BYTES     cubes written by `cubes`: nvars bytes each, 0 / 1 / 2 = free
//   ├─ opcache   16 B × 2^cacheLog2   [a, b, op, result], direct-mapped, op 0 = empty
//   ├─ cntcache  16 B × 2^cacheLog2>>2 [node, epoch, f64 count]
//   ├─ buckets   4 B × 2^bucketLog2   unique-table chain heads (sized for maxNodes, used up to
//   │                                 the current capacity)
//   └─ nodes     16 B × capacity      [var | mark<<15 | refs<<16, low, high, next]

import { align, ensureMemory } from '../shared/memory';
export { ensureMemory };

export const IO_BYTES: usize = 64 * 1024;
export const OUT_BYTES: usize = 2048 * 1024;

export let nvars: u32 = 0;
export let ioBase: usize = 0;
export let qmaskBase: usize = 0;
export let pathBase: usize = 0;
export let outBase: usize = 0;
export let opcacheBase: usize = 0;
export let opcacheMask: u32 = 0;
export let cntcacheBase: usize = 0;
export let cntcacheMask: u32 = 0;
export let bucketsBase: usize = 0;
export let bucketLimitLog2: u32 = 0;
export let nodesBase: usize = 0;


export function log2Ceil(n: u32): u32 {
  return n <= 1 ? 0 : 32 - clz<u32>(n - 1);
}

/** Lays the regions out for `vars` variables, at most `maxNodes` nodes and 2^cacheLog2 cache entries. */
export function memoryInit(vars: u32, maxNodes: u32, cacheLog2: u32): bool {
  nvars = vars;
  let p = align(__heap_base, 16);
  ioBase = p;
  p += IO_BYTES;
  qmaskBase = p;
  p = align(p + vars, 16);
  pathBase = p;
  p = align(p + vars, 16);
  outBase = p;
  p += OUT_BYTES;
  opcacheBase = p;
  opcacheMask = (1 << cacheLog2) - 1;
  p += (<usize>16) << cacheLog2;
  const cntLog2 = cacheLog2 > 4 ? cacheLog2 - 2 : cacheLog2;
  cntcacheBase = p;
  cntcacheMask = (1 << cntLog2) - 1;
  p += (<usize>16) << cntLog2;
  bucketLimitLog2 = log2Ceil(maxNodes);
  bucketsBase = p;
  p += (<usize>4) << bucketLimitLog2;
  nodesBase = p;
  return ensureMemory(p);
}

export function clearCaches(): void {
  memory.fill(opcacheBase, 0, (<usize>(opcacheMask + 1)) << 4);
  memory.fill(cntcacheBase, 0, (<usize>(cntcacheMask + 1)) << 4);
}
