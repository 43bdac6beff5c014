// The one seeded pseudo-random generator (mulberry32) of nftlens: the probe's generated packets,
// the tests' random rulesets and packets, and the benchmarks' generated traces all draw from it,
// so every generated case is reproducible from one integer.

/** mulberry32: a small, seeded, good-enough PRNG; numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
