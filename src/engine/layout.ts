// The one memory layout of the engine, shared by both sides of the WebAssembly boundary:
// src/engine (TypeScript) writes programs and packet batches with these offsets and
// assembly/engine (AssemblyScript) reads them. Only integer constants live here, so the file
// compiles as TypeScript and as AssemblyScript alike. All units are 32-bit words unless noted.
//
// ┌ program (u32 words, offsets are word offsets from the program's start) ───────────────────┐
// │ header      H_*                                                                          │
// │ chains      nChains × CHAIN_WORDS   (C_* fields)                                         │
// │ dims        per chain, nDims × DIM_WORDS (D_*): field slot, width, mask, boundaries,      │
// │             index; per block of 1024 rules: map (interval → row), rows, summary words    │
// │ rules       per chain, one word per rule: offset of its op stream, or RULE_VERDICT | V_* │
// │ ops         per rule, the expressions left after its leading matches (OP_*)              │
// │ pipelines   for family × hook, a slot list: [n, (kind, value) × n]                       │
// │ locals      local addresses (v4: 1 word, v6: 4 words), masquerade addresses per if-class │
// └──────────────────────────────────────────────────────────────────────────────────────────┘
// ┌ batch (struct of arrays; column c of packet i is word  c × stride + i) ───────────────────┐
// │ inputs B_IN_* (a packet), outputs B_OUT_* (verdict, deciding rule/chain, packet after NAT)│
// └──────────────────────────────────────────────────────────────────────────────────────────┘

/**
 * Words between batch columns beyond the capacity. Columns a power of two apart would all fall in
 * the same cache sets (40 columns in an 8-way cache evict each other); 16 more words (one cache
 * line) stagger them.
 */
export const COLUMN_PAD = 16;

/** Bumped whenever anything below changes; the loader refuses a build/engine.wasm of another. */
export const LAYOUT_VERSION = 21;
export const MAGIC = 0x6e66746c; // "nftl"

// ─── packet state slots (the keys rules match on), also the batch input columns' order ───────
export const K_NFPROTO = 0; // 2 (ipv4) or 10 (ipv6)
export const K_SADDR = 1; // 4 words, most significant first; IPv4 uses word 0 only
export const K_DADDR = 5; // 4 words
export const K_L4PROTO = 9;
export const K_SPORT = 10; // first 16-bit word of the transport header
export const K_DPORT = 11; // second 16-bit word
export const K_IIF = 12; // interface class id (see src/engine/ifnames.ts)
export const K_OIF = 13;
export const K_CTSTATE = 14; // a CT_STATE bit as seen now (invalid before conntrack)
export const K_MARK = 15;
export const K_CTMARK = 16;
export const K_FLAGS = 17; // tcp flags byte
export const K_HASCT = 18; // 1 when the packet has a conntrack entry (ct mark readable)
export const K_CTSTATUS = 19; // what `ct status` reads (src/engine/ct-status.ts); not a column
export const K_PKTTYPE = 20; // `meta pkttype`: 0 host, 1 broadcast, 2 multicast (from B_LOCAL's PKT_* bits); not a column
export const K_WORDS = 21;

// ─── batch columns ───────────────────────────────────────────────────────────────────────────
// Inputs: K_NFPROTO..K_FLAGS as above (K_IIF/K_OIF hold the packet's interface classes,
// K_CTSTATE the state conntrack gives it, K_HASCT is ignored), then:
export const B_LEN = 19; // bytes, for counters
export const B_LOCAL = 20; // bits: LOCAL_GENERATED, LOCAL_DESTINATION, PKT_BROADCAST, PKT_MULTICAST
export const LOCAL_GENERATED = 1; // locally generated (output → postrouting)
export const LOCAL_DESTINATION = 2; // the given destination is the host's (routed to input while unchanged)
/** The frame's link-layer destination was the broadcast address (pkttype 1) / a multicast one (pkttype 2): (bits >> 2) & 3. */
export const PKT_BROADCAST = 4;
export const PKT_MULTICAST = 8;
export const B_HOOK = 21; // 0: the whole path; else HOOK_* + 1: that hook alone
export const B_MASQ = 22; // masquerade address index of the output interface (+1), 0: none
// Outputs:
export const B_VERDICT = 23; // VERDICT_*
export const B_RULE = 24; // deciding rule id, or 0xffffffff when a policy decided
export const B_CHAIN = 25; // chain of the deciding rule or policy; ROUTE_DROP: the routing decision dropped it
// B_OUT_SADDR … B_OUT_CTMARK are written only for a packet whose B_OUT_PATH has PATH_REWRITTEN;
// for any other they equal its input columns K_SADDR … K_CTMARK, which evaluate leaves unchanged.
export const B_OUT_SADDR = 26; // 4 words: the packet as NAT and statements left it
export const B_OUT_DADDR = 30;
export const B_OUT_SPORT = 34;
export const B_OUT_DPORT = 35;
export const B_OUT_MARK = 36;
export const B_OUT_CTMARK = 37;
export const B_OUT_CTSTATE = 38;
export const B_OUT_PATH = 39; // bit per HOOK_* the packet went through, and PATH_REWRITTEN
/** B_OUT_PATH bit: a NAT or mark statement rewrote the packet (B_OUT_SADDR … B_OUT_CTMARK written). */
export const PATH_REWRITTEN = 0x80000000;
/** B_OUT_PATH bit: the packet met a stateful expression that could have gone another way (src/engine/state.ts). */
export const PATH_STATEFUL = 0x40000000;
export const B_COLUMNS = 40;

// ─── hooks (path order) ──────────────────────────────────────────────────────────────────────
export const HOOK_PREROUTING = 0;
export const HOOK_INPUT = 1;
export const HOOK_FORWARD = 2;
export const HOOK_OUTPUT = 3;
export const HOOK_POSTROUTING = 4;
export const N_HOOKS = 5;

// ─── final verdicts ──────────────────────────────────────────────────────────────────────────
export const VERDICT_DROP = 0;
export const VERDICT_ACCEPT = 1;
export const VERDICT_REJECT = 2;
export const NO_RULE = 0xffffffff;
/**
 * B_CHAIN of a packet the routing decision dropped: a frame not addressed to this host at the link
 * layer (broadcast, multicast) that would be forwarded — ip_forward/ip6_forward forward PACKET_HOST only.
 */
export const ROUTE_DROP = 0xfffffffe;

// ─── program header ──────────────────────────────────────────────────────────────────────────
export const H_MAGIC = 0;
export const H_LAYOUT = 1;
export const H_NCHAINS = 2;
export const H_CHAINS = 3; // offset of the chain records
export const H_PIPES = 4; // offset of 2 × N_HOOKS slot-list offsets: [v4 hooks…, v6 hooks…]
export const H_NLOCAL4 = 5;
export const H_LOCAL4 = 6;
export const H_NLOCAL6 = 7;
export const H_LOCAL6 = 8;
export const H_MASQ = 9; // offset of masquerade addresses: index i (1-based) at +(i-1)×4, 4 words
export const H_EMPTY_IF = 10; // interface class of "no interface"
export const H_NRULES = 11;
export const H_NCOUNTERS = 12;
/** The declared routes (src/engine/fib.ts), longest prefix first: IPv4 [net, mask, interface class], IPv6 [net[4], mask[4], class]. */
export const H_ROUTED = 13; // 1: routes are declared; 0: lookups find one through any interface
export const H_NROUTE4 = 14;
export const H_ROUTE4 = 15;
export const H_NROUTE6 = 16;
export const H_ROUTE6 = 17;
export const H_LO_IF = 18; // interface class of `lo`
export const H_NATS = 19; // bit 1: IPv4 has nat chains (nf_nat runs), bit 2: IPv6
/** Every address of each interface with its class: IPv4 [class, address], IPv6 [class, address[4]]. */
export const H_NIFADDR4 = 20;
export const H_IFADDR4 = 21;
export const H_NIFADDR6 = 22;
export const H_IFADDR6 = 23;
export const H_WORDS = 24;

// ─── chain record ────────────────────────────────────────────────────────────────────────────
export const C_NRULES = 0;
export const C_NDIMS = 1;
export const C_NBLOCKS = 2; // blocks of BLOCK_RULES rules = ceil(nRules / 1024), at least 1
export const C_DIMS = 3; // offset of the dim records
export const C_RULES = 4; // offset of the rule table (one word per rule: op-stream offset, or RULE_VERDICT)
export const C_FIRST_RULE = 5; // global id of rule 0
export const C_POLICY = 6; // VERDICT_ACCEPT or VERDICT_DROP
export const C_NSUP = 7; // block-summary words per interval = ceil(nBlocks / 32)
export const C_FOREST = 8; // offset of the chain's cut trees (F_*), or 0: search the bit vectors (D_*)
export const CHAIN_WORDS = 9;

/** Rules per block: one 32-word bitset row, one summary word. */
export const BLOCK_SHIFT = 10;

// ─── dimension record: one (field, mask) the chain's leading matches constrain ────────────────
export const D_SLOT = 0; // K_* slot
export const D_WIDTH = 1; // 1 or 4 words
export const D_MASK = 2; // applied to width-1 keys
export const D_NB = 3; // number of boundaries (= elementary intervals); boundary 0 is 0
export const D_BOUNDS = 4; // offset: nb × width words, ascending
export const D_INDEX = 5; // offset of the dim's index (see D_IKIND)
export const D_IKIND = 6; // IDX_*
export const D_BLOCKS = 7; // offset: per block [map, rows, summ] offsets — map: nb words (interval →
//                            block row; 0: the identity, for a one-block chain), rows: 32 words
//                            per row, summ: 1 word per row
export const D_SUP = 8; // offset: nb × nSup words — bit b: the interval's row in block b is non-zero
export const D_ISIZE = 9; // entries of an IDX_DIRECT index; a key beyond them is binary-searched
export const DIM_WORDS = 10;
/** Dims one chain may have (distinct (field, mask) pairs in its rules' leading matches). */
export const MAX_DIMS = 64;

/** How a dim finds the elementary interval of a key. */
export const IDX_SEARCH = 0; // binary search over all boundaries (128-bit keys)
export const IDX_DIRECT = 1; // index[key] is the interval (keys of 8 or 16 bits, interface classes)
/**
 * 32-bit keys: [base, shift, size, then size + 1 entries]; a key k ≥ base with t = (k − base) >>> shift
 * below size lies in [index[t], index[t + 1]] (binary search); below base: interval 0; beyond: the last.
 * The shift gives at most two slots per boundary over the boundaries' span.
 */
export const IDX_SHIFT = 2;

// ─── cut trees (src/engine/cuts.ts): word offsets below are relative to the forest's start ────
export const F_NDIMS = 0;
export const F_NTREES = 1;
export const F_NPIECES = 2;
export const F_FLAT = 3; // offset of all pieces in rule order, for keys beyond a dim's `max`
export const F_FLAGS = 4; // F_TWO_DIM when some node cuts two dims (else the search decodes one)
export const F_DIMS = 5; // per dim [slot, mask, max]; then per tree [first rule, root offset, root header]
export const F_DIM_WORDS = 3;
export const F_TREE_WORDS = 3;
// A node is held by its parent as (offset, header). Header d | s << 4 | b << 9 | d2 << 14 |
// s2 << 18 | b2 << 23: the node cuts dim d's box (aligned on its size) into 2^b slices and, when
// b2 > 0, dim d2's into 2^b2 at the same time; its 2^(b + b2) children are (offset, header)
// pairs at offset, the key's child is i << b2 | j with i = (key[d] >>> s) & (2^b − 1) and
// j = (key[d2] >>> s2) & (2^b2 − 1) (0 when b2 = 0). Header F_LEAF | n: n pieces at offset,
// each [rule, (lo, hi − lo) × nDims], in rule order.
export const F_LEAF = 0x80000000;
export const F_TWO_DIM = 1;
/** Dims a forest may have (its masked keys are kept in a small array during a search). */
export const MAX_FOREST_DIMS = 16;

/**
 * Rule-table word of a rule that only decides (accept, drop or reject: nothing after its leading
 * matches): RULE_VERDICT | V_*, no op stream. The executor ends the chain without reading ops.
 */
export const RULE_VERDICT = 0x80000000;

// ─── op stream: header word = OP_* | expression index << 8, then operands ────────────────────
export const OP_END = 0; // the rule ends without verdict: next rule
export const OP_MATCH = 1; // [slot, width, mask, neg, req, n, n × (lo[width], hi[width])]
export const OP_COUNTER = 2; // [counter id]
export const OP_SETMARK = 3; // [key: 0 meta / 1 ct, source: 0 constant / 1 meta / 2 ct, and, xor]: (source & and) ^ xor
export const OP_NOTRACK = 4; // []
export const OP_NOP = 5; // [] — log, mss clamp: no effect on the verdict or the header
export const OP_NAT = 6; // [type, family, addrKind, a[4], b[4], portKind, portLo, portHi]
export const OP_VERDICT = 7; // [V_*, target chain]
export const OP_FIB = 8; // [addr: 0 saddr / 1 daddr, negate, through: 0 none / 1 iif / 2 oif]: fib ADDR type local (src/engine/fib.ts)
export const OP_FIB_OIF = 9; // [addr: 0 saddr / 1 daddr, through: 0 none / 1 iif / 2 oif, holds when found: 1 / 0]: fib … oif (fibRoute)
/**
 * A stateful expression (src/engine/state.ts): [ways, offset, flags, neg, req, n, n × (lo, hi)] —
 * draws a way (flags bit 1, again: takes the last draw's instead), and goes on when offset + way
 * is inside the intervals (outside with neg); req: its key fields' dependencies (a dynamic set's
 * lookup); flags bit 2: a statement (traced as one when the rule goes on).
 */
export const OP_STATE = 10;
/** Draws recorded per packet (rule, expression, way): src/engine/outcomes.ts reads them. */
export const MAX_DRAWS = 64;
/**
 * A concatenation in a set (`ip daddr . th dport { … }`), numbered apart from the ops above:
 * [words (whole op, header included), neg, req, nf, nf × (slot, width, mask), ne, forest,
 *  ne × nf × (n, n × (lo[width], hi[width]))] — per element, per field its sorted intervals.
 * forest: 0, or the offset of cut trees over the elements (F_* below, the element index as the
 * rule): a big set of fields of at most 32 bits is searched by them instead of scanned.
 */
export const OP_CONCAT = 40;

/** Requirements a match carries (nft adds them as dependencies): fail if unmet, whatever `op`. */
export const REQ_V4 = 1;
export const REQ_V6 = 2;
export const REQ_TCP = 4;
export const REQ_CT = 8;

export const NAT_SNAT = 0;
export const NAT_DNAT = 1;
export const NAT_MASQ = 2;
export const NAT_REDIRECT = 3; // DNAT to the input interface's first address (H_IFADDR*), loopback in output
export const NAT_ADDR_NONE = 0;
export const NAT_ADDR_RANGE = 1; // a[] .. b[] (a single address has a == b)
export const NAT_ADDR_PREFIX = 2; // a[] = network, b[] = mask: new = a | (old & ~b)
export const NAT_WORDS = 14; // operand words after the header

export const V_ACCEPT = 1;
export const V_DROP = 2;
export const V_REJECT = 3;
export const V_CONTINUE = 4;
export const V_RETURN = 5;
export const V_JUMP = 6;
export const V_GOTO = 7;

// ─── pipeline slots ──────────────────────────────────────────────────────────────────────────
export const S_CHAIN = 0; // value: chain index
export const S_CONNTRACK = 1; // conntrack assigns the state (prerouting/output, priority -200)
export const S_NAT = 2; // value: offset of [n, chain × n] — nat chains, run only for ct new
/** Conntrack status bits (nf_conntrack_common.h IPS_*) the engine gives packets (src/engine/ct-status.ts). */
export const IPS_SEEN_REPLY = 0x2;
export const IPS_ASSURED = 0x4;
export const IPS_CONFIRMED = 0x8;
export const IPS_SRC_NAT = 0x10;
export const IPS_DST_NAT = 0x20;
export const IPS_SRC_NAT_DONE = 0x80;
export const IPS_DST_NAT_DONE = 0x100;

/** Flag on an S_CHAIN slot's kind: nf_nat has run before it (plan.ts natHookReached). */
export const S_AFTER_NAT = 0x100;

// ─── trace events: 4 words each [kind, a, b, c] ─────────────────────────────────────────────
export const T_HOOK = 1; // a: HOOK_*
export const T_CONNTRACK = 2; // a: ct state bit now seen
export const T_CHAIN = 3; // a: chain, b: 0 hook / 1 jump / 2 goto
export const T_RULE = 4; // a: rule id — its leading matches held
export const T_STMT = 5; // a: rule id, b: expression index
export const T_FAIL = 6; // a: rule id, b: expression index — a later match failed
export const T_VERDICT = 7; // a: rule id, b: V_* (NAT: V_ACCEPT; masquerade without address: V_DROP)
export const T_RETURN = 8; // a: chain returned from
export const T_POLICY = 9; // a: chain, b: VERDICT_*
export const T_ROUTE = 10; // a: 1 local (input), 0 forward; b: 1 dropped (a broadcast or multicast frame not to this host)
export const T_NAT_SKIP = 11; // a: chain — a nat chain skipped: not the first packet
export const T_DRAW = 12; // a: rule id, b: expression index, c: the way drawn
export const T_WORDS = 4;

/** The engine's jump stack (NFT_JUMP_STACK_SIZE in linux/net/netfilter/nf_tables_core.c). */
export const JUMP_STACK = 16;
