// First-match search in a chain's cut trees (built by src/engine/cuts.ts; Theory of Operation in
// lookup.ts): walk each tree from the root to the leaf holding the packet's keys, scan the leaf's
// pieces in rule order, keep the lowest matching rule at or after `pos`. Exact for any key: one
// beyond a dim's expected range (say a 16-bit port above 65535) takes the flat list instead.

import { F_DIM_WORDS, F_DIMS, F_FLAGS, F_FLAT, F_LEAF, F_NDIMS, F_NPIECES, F_NTREES, F_TREE_WORDS, F_TWO_DIM } from './layout';
import { FKEYS, key, pa } from './memory';

// @ts-ignore: decorator
@inline function word(base: usize, off: u32): u32 {
  return load<u32>(base + ((<usize>off) << 2));
}

// @ts-ignore: decorator
@inline function fkey(d: u32): u32 {
  return load<u32>(FKEYS + ((<usize>d) << 2));
}

/** Key d (d < 4 in its low two bits) of k0 … k3, by selects: no load on a walk's dependent path. */
// @ts-ignore: decorator
@inline function pick4(d: u32, k0: u32, k1: u32, k2: u32, k3: u32): u32 {
  return select<u32>(select<u32>(k3, k2, d & 1), select<u32>(k1, k0, d & 1), (d & 2) != 0);
}

/** The lowest rule ≥ pos and < best among `n` pieces at byte address `e`, or `best`. */
// @ts-ignore: decorator
@inline function scan(e: usize, n: u32, nd: u32, pos: u32, best: u32): u32 {
  const stride = (<usize>(1 + 2 * nd)) << 2;
  const end = FKEYS + ((<usize>nd) << 2);
  for (let j: u32 = 0; j < n; j++, e += stride) {
    const r = load<u32>(e);
    if (r >= best) return best;
    if (r < pos) continue;
    // Each dim's (lo, hi − lo) after the rule: the masked keys (FKEYS) one by one.
    let k = FKEYS;
    let p = e + 4;
    while (k < end && load<u32>(k) - load<u32>(p) <= load<u32>(p, 4)) {
      k += 4;
      p += 8;
    }
    if (k == end) return r;
  }
  return best;
}

/** The first rule at or after `pos` (chain-local) whose leading matches hold; nRules if none. */
export function forestMatch(forest: u32, pos: u32, nRules: u32): u32 {
  const base = pa(forest);
  const nd = word(base, F_NDIMS);
  // Per dim [slot, mask, max]: the masked key, and whether any is beyond its dim's range.
  let beyond = false;
  let f = base + (F_DIMS << 2);
  const end = FKEYS + ((<usize>nd) << 2);
  for (let fk = FKEYS; fk < end; fk += 4, f += F_DIM_WORDS << 2) {
    const k = key(load<u32>(f)) & load<u32>(f, 4);
    store<u32>(fk, k);
    beyond |= k > load<u32>(f, 8);
  }
  if (beyond) return scan(base + ((<usize>word(base, F_FLAT)) << 2), word(base, F_NPIECES), nd, pos, nRules);
  let best = nRules;
  const nTrees = word(base, F_NTREES);
  // Four walks: a forest with no two-dim node skips decoding a second dim at every level, and one
  // of at most 4 dims keeps the keys in locals, where a node's key is two selects away (pick4)
  // rather than a load that waits for the node's header.
  const two = word(base, F_FLAGS) & F_TWO_DIM;
  let t = F_DIMS + nd * F_DIM_WORDS;
  for (let i: u32 = 0; i < nTrees; i++, t += F_TREE_WORDS) {
    if (word(base, t) >= best) break;
    let at = word(base, t + 1);
    let h = word(base, t + 2);
    if (nd <= 4) {
      const k0 = fkey(0);
      const k1 = fkey(1);
      const k2 = fkey(2);
      const k3 = fkey(3);
      if (two) {
        while ((h & F_LEAF) == 0) {
          // Child (x << b2) | y: x from dim d's key, y from dim d2's (b2 = 0: one dim, y = 0).
          const b2 = (h >>> 23) & 31;
          const x = (pick4(h, k0, k1, k2, k3) >>> ((h >>> 4) & 31)) & ((1 << ((h >>> 9) & 31)) - 1);
          const y = (pick4(h >>> 14, k0, k1, k2, k3) >>> ((h >>> 18) & 31)) & ((1 << b2) - 1);
          const slot = base + ((<usize>at) << 2) + ((<usize>((x << b2) | y)) << 3);
          at = load<u32>(slot);
          h = load<u32>(slot + 4);
        }
      } else {
        while ((h & F_LEAF) == 0) {
          const x = (pick4(h, k0, k1, k2, k3) >>> ((h >>> 4) & 31)) & ((1 << ((h >>> 9) & 31)) - 1);
          const slot = base + ((<usize>at) << 2) + ((<usize>x) << 3);
          at = load<u32>(slot);
          h = load<u32>(slot + 4);
        }
      }
    } else if (two) {
      while ((h & F_LEAF) == 0) {
        const b2 = (h >>> 23) & 31;
        const x = (fkey(h & 15) >>> ((h >>> 4) & 31)) & ((1 << ((h >>> 9) & 31)) - 1);
        const y = (fkey((h >>> 14) & 15) >>> ((h >>> 18) & 31)) & ((1 << b2) - 1);
        const slot = base + ((<usize>at) << 2) + ((<usize>((x << b2) | y)) << 3);
        at = load<u32>(slot);
        h = load<u32>(slot + 4);
      }
    } else {
      while ((h & F_LEAF) == 0) {
        const x = (fkey(h & 15) >>> ((h >>> 4) & 31)) & ((1 << ((h >>> 9) & 31)) - 1);
        const slot = base + ((<usize>at) << 2) + ((<usize>x) << 3);
        at = load<u32>(slot);
        h = load<u32>(slot + 4);
      }
    }
    best = scan(base + ((<usize>at) << 2), h & ~F_LEAF, nd, pos, best);
  }
  return best;
}
