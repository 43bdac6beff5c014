// First-match search in one chain: "the first rule at or after position p whose leading matches
// all hold for the packet" — by bit vectors (below) or by cut trees (cuts.ts), chosen per chain.
//
// ─── Theory of Operation ─────────────────────────────────────────────────────────────────────
// The problem. A chain is an ordered list of rules; each rule starts with matches (conditions on
// header fields) and then does something. nftables runs the rules in order; we want the same
// answer without testing every rule: the lowest-numbered rule whose leading matches hold.
// Jumps, statements and later matches are exact because the executor (exec.ts) asks again
// "first match from p" each time it moves on.
//
// The algorithm: bit vectors per field (Lakshman & Stiliadis, SIGCOMM '98) with aggregation
// (Baboescu & Varghese, "Scalable packet classification", SIGCOMM '01).
// 1. Each dimension — a (field, mask) pair some rule constrains — is cut at every interval end
//    of every rule into elementary intervals. Each elementary interval keeps a bitset over the
//    chain's rules: bit r set iff rule r accepts the keys of that interval (a rule that does not
//    constrain the dimension accepts all of them). Built by src/engine/dims.ts.
// 2. For a packet, locate the key's elementary interval in every dimension (locate): a direct
//    table for 8/16-bit keys; for 32-bit keys a table of slots of 2^s keys over the boundaries'
//    span (at most two slots a boundary) then binary search within the slot; binary search for
//    128-bit keys.
// 3. AND the bitsets of all dimensions; the lowest set bit at or after p is the answer
//    (firstMatch). To skip runs of zero words, each bitset has a summary: bit w set iff word w
//    is non-zero. The summaries are ANDed first, and only words whose summary bit survives in
//    every dimension are ANDed in full.
// 4. Memory: rules are kept in blocks of 1024 (32 words, one summary word). A block stores rows
//    only for the intervals its own rules tell apart, plus a map from the dimension's global
//    interval to its row (src/engine/dims.ts). Step 2 runs once; step 3 walks the blocks in order,
//    each through its map. Memory grows as rules × 1024, not rules². A third summary level, one
//    bit per block per interval (non-empty row), lets step 3 skip blocks without a candidate.
//
// Worked example. Chain of 3 rules (bit 0 = rule 0):
//   rule 0: ip saddr 10.0.0.0/8  tcp dport 22  accept
//   rule 1: tcp dport 1024-65535                counter
//   rule 2: ip saddr 10.0.0.5                   drop
// Dimension saddr (boundaries 0, 10.0.0.0, 10.0.0.5, 10.0.0.6, 11.0.0.0):
//   [0 .. 9.255.255.255]         rules {1}      bits 010
//   [10.0.0.0 .. 10.0.0.4]       rules {0,1}    bits 011
//   [10.0.0.5]                   rules {0,1,2}  bits 111
//   [10.0.0.6 .. 10.255.255.255] rules {0,1}    bits 011
//   [11.0.0.0 .. max]            rules {1}      bits 010
// Dimension dport (boundaries 0, 22, 23, 1024):            l4proto (0, 6, 7):
//   [0 .. 21] {2} 100   [22] {0,2} 101                        [0..5] {2} 100  [6] {0,1,2} 111
//   [23 .. 1023] {2} 100   [1024 .. 65535] {1,2} 110          [7..] {2} 100
// Packet tcp 10.0.0.5:40000 -> x:22: saddr row 111, dport row 101, l4proto row 111;
// AND = 101 → first match from 0 is rule 0 (accept). From position 1 the answer would be rule 2.
// Packet tcp 10.0.0.5:1 -> x:8080: 111 & 110 & 111 = 110 → rule 1 runs its counter, has no
// verdict, and the executor asks again from 2 → rule 2 drops.
//
// The fast path: cut trees (assembly/engine/cuts.ts, built by src/engine/cuts.ts). A chain whose
// leading matches are all on fields of at most 32 bits (IPv4 addresses, ports, protocol, marks,
// interfaces…) and that has at least 64 rules is searched this way instead, when the trees stay
// within 8× the words of its rules (or 1 MB); otherwise (IPv6 keys, rules wide in all of their address
// and port fields alike) it keeps the bit vectors above. Bit vectors cost every dimension's row per
// block; a tree costs a few dependent reads and a short scan, whatever the number of rules.
// 1. Pieces. Each rule becomes one box per combination of its fields' intervals (a set of three
//    ports: three pieces; more than 16 combinations: bit vectors), one interval per dimension
//    (unconstrained: [0, 2^32 − 1]; a field that can never match: no piece).
// 2. Subsets (CutSplit, Li et al., INFOCOM '18). A wide range copied into every slice of a cut
//    is what makes decision trees big, so when nearly all rules (90 %) are narrow in the same two
//    fields (span below 2^16 for 32-bit fields, 2^8 for ports: the address pairs of an ACL), they
//    form tree 1 (in the roomy build, step 3); then the rules narrow in the field most rules are narrow in (8-bit fields such
//    as the protocol, narrow in nearly every rule, are not split on) form the next tree, and so
//    on up to 3, and the rest the last. Trees are kept in order of their first rule.
// 3. Cuts (HiCuts, Gupta & McKeown, Hot Interconnects '99). A node first shrinks its box to the
//    smallest aligned box holding its pieces' parts of it (a key outside that box matches none of
//    them, so the node never has to check it); then picks the dimension whose pieces are most
//    distinct and cuts it into 2^b equal slices, b as large as keeps pieces copied into children
//    plus children ≤ spfac × its pieces (both grow with b, the biggest child only shrinks: a
//    binary search). Child = (key >>> shift) & (2^b − 1): no comparison. Equal neighbouring
//    children are shared. A node of ≤ binth pieces, or that no cut splits, is a leaf. Chains of up
//    to 2048 pieces are built roomy (binth 4, spfac 8) and a node may also cut the two most
//    distinct dimensions at once (HyperCuts, Singh et al., SIGCOMM '03: child = i << b2 | j, one
//    read where two levels would take two), when that leaves a smaller biggest child; bigger
//    chains, or small ones whose roomy trees outgrow the budget, get binth 8, spfac 4, one
//    dimension a node. A search is a chain of dependent reads, one per level: on ClassBench
//    acl1_1k the roomy build takes 3.6 levels a packet instead of 5.3.
// 4. Search from position p: for each tree whose first rule is below the best answer so far,
//    walk to the leaf, scan its pieces in rule order — skip those below p, stop at the first at or
//    above the best, test each dimension as (key − lo) ≤ (hi − lo) unsigned — keep the lowest match.
//    A key above a dimension's range (a 16-bit port column holding 70000) scans the flat list of
//    all pieces instead, so the answer is exact for any input.
//
// Worked example (binth 2 here, one dimension a node, to keep it small; dims saddr, dport, l4proto):
//   rule 0: ip saddr 10.0.0.1                accept
//   rule 1: ip saddr 10.0.0.2  tcp dport 22  accept
//   rule 2: tcp dport 80                     counter
//   rule 3: ip saddr 10.0.0.0/30             drop
// Subsets: saddr is narrow in rules 0, 1, 3 → tree A = {0, 1, 3}; the rest → tree B = {2}.
// Tree A: the box shrinks to 10.0.0.0/30 (bits 2), cut in 4 (b = 2, shift 0): child = key & 3:
//   .0 → [3]   .1 → [0, 3]   .2 → [1, 3]   .3 → [3]                   Tree B: a leaf [2].
// tcp 10.0.0.2 → :22, from 0: A, child 2: rule 1 holds → best 1; B starts at rule 2 ≥ 1: skipped.
// tcp 10.0.0.2 → :80, from 0: A, child 2: rule 1 fails (dport), rule 3 holds → best 3; B: rule 2
//   < 3, leaf [2] holds → 2. Rule 2 counts, has no verdict; from 3: A gives 3, B's 2 is below the
//   position → rule 3 drops.
// tcp 192.168.0.1 → :22: A, child 1 (= key & 3, though the key is not in 10.0.0.0/30): rules 0
//   and 3 both fail on saddr, as the zoom argument promises; B fails on dport → no match.
// ─────────────────────────────────────────────────────────────────────────────────────────────

import {
  BLOCK_SHIFT, C_DIMS, C_FOREST, C_NBLOCKS, C_NDIMS, C_NRULES, C_NSUP, D_BLOCKS, D_SUP, D_BOUNDS, D_IKIND, D_INDEX, D_ISIZE, D_MASK, D_NB, D_SLOT,
  D_WIDTH, DIM_WORDS, IDX_DIRECT, IDX_SHIFT,
} from './layout';
import { forestMatch } from './cuts';
import { BLOCKS, key, LOCS, pa, pw, ROWS, SUPS } from './memory';

/** The elementary interval of the packet's key in dimension `dim` (a word offset). */
function locate(dim: u32): u32 {
  const slot = pw(dim + D_SLOT);
  const nb = pw(dim + D_NB);
  const bounds = pw(dim + D_BOUNDS);
  if (pw(dim + D_WIDTH) == 1) {
    const k = key(slot) & pw(dim + D_MASK);
    const ikind = pw(dim + D_IKIND);
    if (ikind == IDX_DIRECT && k < pw(dim + D_ISIZE)) return pw(pw(dim + D_INDEX) + k);
    let lo: u32 = 0;
    let hi: u32 = nb - 1;
    if (ikind == IDX_SHIFT) {
      // Slots of 2^shift keys from the first non-zero boundary (layout.ts IDX_SHIFT).
      const index = pw(dim + D_INDEX);
      const base = pw(index);
      if (k < base) return 0;
      const t = (k - base) >>> pw(index + 1);
      if (t >= pw(index + 2)) return nb - 1;
      lo = pw(index + 3 + t);
      hi = pw(index + 4 + t);
    }
    // Branchless: the largest i in [lo, hi] with bound[i] <= k (bound[lo] <= k holds).
    const b = pa(bounds);
    let len = hi - lo + 1;
    while (len > 1) {
      const half = len >>> 1;
      lo = select<u32>(lo + half, lo, load<u32>(b + ((<usize>(lo + half)) << 2)) <= k);
      len -= half;
    }
    return lo;
  }
  let lo: u32 = 0;
  let hi: u32 = nb - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (le128(bounds + mid * 4, slot)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Whether the 128-bit boundary at word `b` is <= the packet's key at `slot`. */
function le128(b: u32, slot: u32): bool {
  for (let i: u32 = 0; i < 4; i++) {
    const x = pw(b + i);
    const y = key(slot + i);
    if (x != y) return x < y;
  }
  return true;
}

/** The first rule at or after `pos` (chain-local) whose leading matches hold; nRules if none. */
// @ts-ignore: decorator
@inline export function firstMatch(chain: u32, pos: u32, nRules: u32): u32 {
  if (pos >= nRules) return nRules;
  const forest = pw(chain + C_FOREST);
  return forest != 0 ? forestMatch(forest, pos, nRules) : bitsMatch(chain, pos, nRules);
}

/** firstMatch by the bit vectors. */
function bitsMatch(chain: u32, pos: u32, nRules: u32): u32 {
  const nDims = pw(chain + C_NDIMS);
  if (nDims == 0) return pos;
  const nBlocks = pw(chain + C_NBLOCKS);
  const nSup = pw(chain + C_NSUP);
  const dims = pw(chain + C_DIMS);
  for (let d: u32 = 0; d < nDims; d++) {
    const dim = dims + d * DIM_WORDS;
    const e = locate(dim);
    store<u32>(LOCS + ((<usize>d) << 2), e);
    store<u32>(BLOCKS + ((<usize>d) << 2), pw(dim + D_BLOCKS));
    store<u32>(SUPS + ((<usize>d) << 2), pw(dim + D_SUP) + e * nSup);
  }
  const w0 = pos >>> 5;
  if (nBlocks == 1) {
    const r = searchBlock(0, nDims, pos, w0);
    return r == NONE ? nRules : r;
  }
  const b0 = pos >>> BLOCK_SHIFT;
  for (let s: u32 = b0 >>> 5; s < nSup; s++) {
    // Blocks where every dimension has a non-empty row.
    let bs: u32 = s == b0 >>> 5 ? 0xffffffff << (b0 & 31) : 0xffffffff;
    for (let d: u32 = 0; d < nDims && bs != 0; d++) bs &= pw(load<u32>(SUPS + ((<usize>d) << 2)) + s);
    while (bs != 0) {
      const b = (s << 5) + ctz<u32>(bs);
      bs &= bs - 1;
      if (b >= nBlocks) return nRules;
      const r = searchBlock(b, nDims, pos, w0);
      if (r != NONE) return r;
    }
  }
  return nRules;
}

const NONE: u32 = 0xffffffff;

/** Step 3 inside block `b`: the lowest rule at or after `pos` set in every dimension's row. */
function searchBlock(b: u32, nDims: u32, pos: u32, w0: u32): u32 {
  let sm: u32 = b == w0 >>> 5 ? 0xffffffff << (w0 & 31) : 0xffffffff;
  for (let d: u32 = 0; d < nDims && sm != 0; d++) {
    const bt = load<u32>(BLOCKS + ((<usize>d) << 2)) + 3 * b;
    const map = pw(bt);
    const loc = load<u32>(LOCS + ((<usize>d) << 2));
    const row = map == 0 ? loc : pw(map + loc);
    store<usize>(ROWS + ((<usize>d) << 3), pa(pw(bt + 1) + (row << 5)));
    sm &= pw(pw(bt + 2) + row);
  }
  while (sm != 0) {
    const w = ctz<u32>(sm);
    let x: u32 = (b << 5) + w == w0 ? 0xffffffff << (pos & 31) : 0xffffffff;
    for (let d: u32 = 0; d < nDims && x != 0; d++) {
      x &= load<u32>(load<usize>(ROWS + ((<usize>d) << 3)) + ((<usize>w) << 2));
    }
    if (x != 0) return (b << BLOCK_SHIFT) + (w << 5) + ctz<u32>(x);
    sm &= sm - 1;
  }
  return NONE;
}
