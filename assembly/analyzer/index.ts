// The analyzer core: an exact header-space algebra on reduced ordered binary decision diagrams
// over the packet header bits, for the shadowing, redundancy, isolation and diff analyses.
// Numbers-only exports; the TS side (src/analyses/headerspace/) keeps handles and meanings.
//
// ── Theory of Operation ───────────────────────────────────────────────────────────────────────
//
// Problem. Operators ask "which rules can never match?", "can A reach B?", "what does this change
// break?". Each needs sets of packets — the packets a rule matches, the packets that reach it, the
// packets two rulesets treat differently — combined exactly, tested for emptiness, and shown with
// a witness packet. A packet header is a vector of ~380 bits (layout.ts), far too many to
// enumerate, but rule sets are built from prefixes, ranges and equalities, which BDDs represent
// compactly.
//
// Representation (Bryant, "Graph-Based Algorithms for Boolean Function Manipulation", 1986; the
// same choice as Batfish's BDDPacket). A set of headers is a Boolean function of the header bits,
// stored as a reduced ordered BDD: each node tests one variable and has a low (bit = 0) and high
// (bit = 1) child; variables are tested in one global order (layout.ts); no node has equal
// children and no two nodes are equal (the unique table, `mk` in nodes.ts). So every set has
// exactly one diagram, equal sets are equal node ids, and `isEmpty` is `== FALSE`.
//
// Free bits. Some header bits mean nothing for some packets: the high 96 address bits of an IPv4
// packet, the tcp flags of a non-TCP one, the ct mark of one without a conntrack entry. The TS
// side never constrains them there (every set it builds is invariant under them), so a set still
// has one diagram and equality stays node identity; it divides them out when counting. The
// enumerated fields (ct state: 5 of 8 codes; interface classes) are kept to their valid codes by
// intersecting with the set of valid headers, which the variable order keeps at the bottom.
//
// Steps and the functions that do them:
//   1. Layout   `init` → layoutInit: variable numbers of each field (widths declared once).
//   2. Build    `range` (build.ts): {x : lo <= x & mask <= hi} for one field, at most 4 nodes a
//               bit; prefixes, ports, ranges, masked marks are all this one shape.
//   3. Combine  `and`/`or`/`diff`/`xor`/`not`, `exists` (ops.ts): memoised recursions on the
//               top variable; results cached in a bounded direct-mapped table.
//   4. Measure  `satCount` (ops.ts): weighted path count, in f64 (2^380 fits).
//   5. Read     `fieldMinAtLeast`/`fieldRestrict` (walk.ts): a witness, field by field, with
//               the smallest value at or above a readable target; `cubes`: paths as ternary
//               vectors, which the TS side merges into prefixes and ranges.
//   6. Memory   `ref`/`deref`/`collect` (nodes.ts): a full table makes the operation return ERR
//               (-1 to JS) — never a trap; the caller collects garbage, which may raise the
//               capacity, and retries; at the node limit it reports ANALYSIS_LIMIT.
//
// Worked example: `th dport 80-88` (the field's 16 variables d15..d0, most significant first).
//   lo = 80 = 0000 0000 0101 0000, hi = 88 = 0000 0000 0101 1000; `range` walks from d0 up with
//   four states (x's high bits equal to lo's and hi's: BOTH; to lo's only: LO; hi's only: HI;
//   neither: FREE). Reading the result from the top:
//
//     d15 … d7   lo and hi agree (0): BOTH must take 0; the 1 branch is FALSE      9 nodes
//     d6 d5 d4   they agree (1, 0, 1): BOTH follows them                            3 nodes
//     d3         lo has 0, hi has 1: 0 → state LO, 1 → state HI                     1 node
//     d2 d1 d0   LO: lo's bits are 000, any x is >= them → TRUE (no node)
//                HI: hi's bits are 000, x must be 000                               3 nodes
//
//   16 nodes; `satCount` = 8 (0101 0xxx) + 1 (0101 1000) = 9 assignments of the field, times
//   2^(other variables). `cubes` yields 0000000001010xxx and 0000000001011000, i.e. [80, 87]
//   and [88, 88], which describe merges back into "dport 80-88". And with `meta l4proto 6`
//   (another `range` on the l4proto variables) is one `apply(AND)`; a witness asks
//   `fieldMinAtLeast` for l4proto >= 6 (gets 6), restricts, then dport >= 80 (gets 80).
//
// Memory layout: memory.ts. Node record: nodes.ts. The io slots used by each export are given
// next to it.

import { fieldFirst, fieldWidth, layoutInit } from './layout';
import { IO_BYTES, bucketsBase, ioBase, memoryInit, nvars, outBase } from './memory';
import * as nodes from './nodes';
import * as ops from './ops';
import * as build from './build';
import * as walk from './walk';

export {
  FIELD_NFPROTO, FIELD_L4PROTO, FIELD_TCPFLAGS, FIELD_SADDR, FIELD_DADDR, FIELD_SPORT, FIELD_DPORT,
  FIELD_MARK, FIELD_CTMARK, FIELD_IIFNAME, FIELD_OIFNAME, FIELD_CTSTATE, FIELD_PKTTYPE, FIELD_COUNT,
  fieldFirst, fieldWidth,
} from './layout';

let ready = false;

/**
 * Sets the module up once: interface-name ids of `ifnameBits` bits, at most `maxNodes` nodes,
 * 2^cacheLog2 operation-cache entries. Returns the number of variables, or -1 (memory refused,
 * or called twice).
 */
export function init(ifnameBits: i32, maxNodes: i32, cacheLog2: i32): i32 {
  if (ready || ifnameBits < 1 || ifnameBits > 16 || maxNodes < 16 || cacheLog2 < 4 || cacheLog2 > 26) return -1;
  const vars = layoutInit(ifnameBits);
  if (!memoryInit(<u32>vars, <u32>maxNodes, <u32>cacheLog2)) return -1;
  if (!nodes.nodesInit(<u32>maxNodes)) return -1;
  ready = true;
  return vars;
}

export function variables(): i32 {
  return <i32>nvars;
}
/** Address of the io region (IO_BYTES). */
export function io(): usize {
  return ioBase;
}
export function ioBytes(): usize {
  return IO_BYTES;
}
/** Address where `cubes` writes. */
export function out(): usize {
  return outBase;
}

// ─── algebra (every result may be ERR = -1: node table full) ─────────────────────────────────
export function and(a: u32, b: u32): u32 {
  return ops.apply(ops.OP_AND, a, b);
}
export function or(a: u32, b: u32): u32 {
  return ops.apply(ops.OP_OR, a, b);
}
export function diff(a: u32, b: u32): u32 {
  return ops.apply(ops.OP_DIFF, a, b);
}
export function xor(a: u32, b: u32): u32 {
  return ops.apply(ops.OP_XOR, a, b);
}
export function not(a: u32): u32 {
  return ops.not(a);
}
/** Starts a quantified-variable set; add fields with `quantAdd`, then call `exists`. */
export function quantBegin(): void {
  ops.quantBegin();
}
export function quantAdd(first: u32, width: u32): void {
  ops.quantAdd(first, width);
}
export function exists(n: u32): u32 {
  return ops.exists(n);
}
export function satCount(n: u32): f64 {
  return ops.satCount(n);
}

// ─── building and reading ────────────────────────────────────────────────────────────────────
/** io+0 lo, io+16 hi, io+32 mask: 128-bit little-endian u32 words. */
export function range(first: u32, width: u32): u32 {
  return build.range(first, width);
}
/** io: one byte per variable. */
export function member(n: u32): bool {
  return build.member(n);
}
/** io+0 target in, io+16 value out. */
export function fieldMinAtLeast(n: u32, first: u32, width: u32): bool {
  return walk.fieldMinAtLeast(n, first, width);
}
/** io+16 value in. */
export function fieldRestrict(n: u32, first: u32, width: u32): u32 {
  return walk.fieldRestrict(n, first, width);
}
export function cubes(n: u32, max: u32): u32 {
  return walk.cubes(n, max);
}
export function cubesTruncated(): bool {
  return walk.cubesTruncated();
}

// ─── memory ──────────────────────────────────────────────────────────────────────────────────
export function ref(n: u32): void {
  nodes.ref(n);
}
export function deref(n: u32): void {
  nodes.deref(n);
}
export function collect(grow: bool): u32 {
  return nodes.collect(grow);
}
export function size(n: u32): u32 {
  return nodes.size(n);
}
export function liveNodes(): u32 {
  return nodes.live;
}
export function capacity(): u32 {
  return nodes.capacity;
}
export function maxNodes(): u32 {
  return nodes.maxNodes;
}
/** Bytes of the tables in use: io, caches, the active unique-table buckets, the nodes handed out. */
export function usedBytes(): f64 {
  const fixed = <f64>(bucketsBase - ioBase);
  return fixed + <f64>nodes.buckets() * 4 + <f64>nodes.used * 16;
}
