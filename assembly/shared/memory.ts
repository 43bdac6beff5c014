// Linear-memory helpers shared by the WebAssembly cores (analyzer/, geometric/): none of them
// uses an allocator; each lays its regions out from __heap_base and grows memory on demand.

/** p rounded up to a multiple of a (a power of two). */
export function align(p: usize, a: usize): usize {
  return (p + a - 1) & ~(a - 1);
}

/** Makes sure linear memory reaches `end`; false if the host refuses to grow it. */
export function ensureMemory(end: usize): bool {
  const have = (<usize>memory.size()) << 16;
  if (end <= have) return true;
  const pages = <i32>((end - have + 0xffff) >> 16);
  return memory.grow(pages) >= 0;
}
