// The Ruleset IR: the one model every front end lowers to and every back end, the engine and the
// analyses read. It follows nftables' own structure (tables → chains → rules → expressions) and
// keeps the source location of every node.
//
//   Ruleset ─ Table (family, name) ─ Chain (base: type/hook/priority/policy, or regular)
//                                      └─ Rule: exprs (matches and statements, run left to right)
//                                               + an optional final verdict (none = continue)
//
// Values are kept readable (addresses as text, protocols as numbers) and exact: a prefix keeps the
// address as written, so `10.42.1.5/16` means `(addr & /16) == 10.42.1.5`, which matches nothing,
// exactly as the kernel compares it. src/model/values.ts turns values into numeric intervals.

import type { Origin } from './origin.js';

export type Family = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';
export type ChainType = 'filter' | 'nat' | 'route';
export type Policy = 'accept' | 'drop';

export interface Ruleset {
  tables: Table[];
}

export interface Table {
  family: Family;
  name: string;
  chains: Chain[];
  /** Named sets (`set NAME { type …; flags …; elements = { … } }`); matches hold their elements inline. */
  sets?: NamedSet[];
  /** Named maps (`map NAME { type K : V; elements = { k : v, … } }`); lookups hold their elements inline. */
  maps?: NamedMap[];
  /** Labels of the resource the table came from (Liqo decides by them which gateway applies it). */
  labels?: Record<string, string>;
  comment?: string;
  /** Kernel handle, when read from the kernel. */
  handle?: number;
  origin: Origin;
}

export interface BaseChain {
  type: ChainType;
  hook: Hook;
  priority: number;
  policy: Policy;
  /** netdev/ingress chains name their device. */
  device?: string;
}

/**
 * A named set of the table. Its elements are read by its type (`ipv4_addr`, `inet_service`…) and
 * every match that names it (`ip daddr @name`) carries them inline in its value and the set's name
 * in `set`, so the engine and the analyses see a union of values, and the renderers name the set.
 * A set the packet path updates (flag `dynamic` or `timeout`, or named by an `update @set`
 * statement) is `dynamic`: what it holds is state, so a lookup in it is a StateMatch, never its
 * elements inline.
 */
export interface NamedSet {
  name: string;
  /** nft's data type name: `ipv4_addr`, `ipv6_addr`, `inet_service`, `inet_proto`, `mark`, `ifname`, `ct_state`. */
  type: SetType;
  /** `interval` (prefixes and ranges allowed), `constant`; `dynamic`, `timeout`: the packet path updates it (see `dynamic`). */
  flags: SetFlag[];
  elements: Item[];
  /** A concatenated set (`type ipv4_addr . inet_service`): its types and elements (then `type` is the first and `elements` empty). */
  concat?: { types: SetType[]; elements: Item[][] };
  /** Flag `timeout`: the default lifetime of an element, in seconds (`timeout 3h`). */
  timeout?: number;
  /** The most elements the set holds (`size 65535`); the packet path adds none beyond it. */
  size?: number;
  /** Flag `timeout`: how often expired elements are collected, in seconds. */
  gcInterval?: number;
  /** The packet path updates it: lookups in it depend on state (src/model/ruleset.ts StateMatch). */
  dynamic?: true;
  comment?: string;
  handle?: number;
  origin: Origin;
}

export type SetFlag = 'interval' | 'constant' | 'dynamic' | 'timeout';

/**
 * A named map of the table. Every lookup that names it (`iifname vmap @jumps`, `snat ip prefix to
 * ip saddr map @nets`) carries its elements inline and the map's name in `map`, as for sets.
 */
export interface NamedMap {
  name: string;
  /** The key's types: one, or several for a concatenated key (`ipv4_addr . inet_proto . inet_service`). */
  key: SetType[];
  /** What the elements map to: verdicts, marks, or addresses (NAT). */
  data: MapData;
  flags: ('interval' | 'constant')[];
  elements: MapElement<Verdict | number | Item>[];
  comment?: string;
  handle?: number;
  origin: Origin;
}

export type MapData = 'verdict' | 'mark' | 'ipv4_addr' | 'ipv6_addr';

/**
 * One element of a map: its key (one item per key field: single, prefix or range) and its value.
 * An empty key is the catch-all element (`* : drop`): it holds for a key no other element holds.
 */
export interface MapElement<V> {
  key: Item[];
  value: V;
  origin: Origin;
}

/**
 * A map lookup: the packet's key (one field, or a concatenation of fields) looked up among the
 * elements. When no element holds the key the rule ends there, as a failed match ends it (the
 * kernel's NFT_BREAK). Keys of distinct elements never overlap (nft refuses overlapping intervals).
 * The engine and the analyses see lookups expanded into one rule per element (src/model/expand-maps.ts).
 */
export interface MapLookup<V> {
  /** The key's fields; empty when `state` is the key. */
  key: MatchField[];
  /** A key that changes from packet to packet (`numgen random mod 2 vmap { 0 : goto a, 1 : goto b }`, `jhash ip saddr mod 2 map …`): an element's key is its value. */
  state?: NumberSource;
  /** `meta iif`/`oif` as the key (an interface index, Match.ifindex): the key's one field is `meta iifname`/`oifname`. */
  ifindex?: true;
  elements: MapElement<V>[];
  /** The named map of the table the elements come from. */
  map?: string;
}

export type SetType = 'ipv4_addr' | 'ipv6_addr' | 'inet_service' | 'inet_proto' | 'mark' | 'ifname' | 'ct_state';

export interface Chain {
  name: string;
  /** Present for base chains; a regular chain is entered only by jump/goto. */
  base?: BaseChain;
  rules: Rule[];
  comment?: string;
  handle?: number;
  origin: Origin;
}

export interface Rule {
  /** Matches and statements, evaluated left to right; the first failing match ends the rule. */
  exprs: Expr[];
  /** The final verdict, or a verdict map; absent means the packet goes on with the next rule (`continue`). */
  verdict?: Verdict | VmapVerdict;
  /** nft rule comment. Liqo stores the rule name here, and so does the renderer. */
  comment?: string;
  handle?: number;
  origin: Origin;
}

export type Expr = Match | ConcatMatch | Statement | FibMatch | CtHelperMatch | StateMatch;

// ─── stateful expressions ────────────────────────────────────────────────────────────────────────

/**
 * What a stateful expression reads: state the packet does not carry (a counter, a token bucket,
 * the elements the packet path has put in a set). nftlens cannot know it, so every answer the
 * state allows is an outcome: the engine draws one choice per evaluation of the expression
 * (src/engine/outcomes.ts lists every outcome), the analyses take both ways (never a false
 * "unreachable").
 * - `numgen inc|random mod N offset O`: one of O … O+N−1 (N choices; `mod 1` is no choice).
 * - `jhash KEY mod N [seed S] offset O`, `symhash mod N offset O`: a hash of the packet, one of
 *   O … O+N−1 too. The seed is random when none is given (nft_jhash_init) and symhash's is the
 *   boot's, so nftlens does not compute the hash: every number is a way, as for numgen.
 * - `limit rate [over] R/PER [burst B]`, `quota [over|until] N`, `ct count [over] N`: holds or not.
 * - `ip saddr @dyn` (a lookup in a dynamic set): holds or not.
 */
export type StateSource = NumberSource | LimitSource | QuotaSource | CtCountSource | DynSetSource;

export interface NumgenSource {
  what: 'numgen';
  mode: 'inc' | 'random';
  mod: number;
  offset: number;
}

/** `jhash ip saddr . tcp dport mod 4 seed 0xdeadbeef offset 100` (`key`: the fields hashed), `symhash mod 2`. */
export type HashSource = { what: 'jhash'; key: MatchField[]; mod: number; seed?: number; offset: number } | { what: 'symhash'; mod: number; offset: number };

/** A source that draws a number: numgen, jhash, symhash. */
export type NumberSource = NumgenSource | HashSource;

export const drawsNumber = (s: StateSource): s is NumberSource => s.what === 'numgen' || s.what === 'jhash' || s.what === 'symhash';

/** The packet fields a stateful expression reads: a dynamic set's key, the fields jhash hashes. */
export const stateKey = (s: StateSource): MatchField[] => (s.what === 'set' || s.what === 'jhash' ? s.key : []);

/** `limit rate [over] RATE[/UNIT]/PER [burst N UNIT]`, the units as written (`packets`, `bytes`, `kbytes`, `mbytes`). */
export interface LimitSource {
  what: 'limit';
  rate: number;
  rateUnit: string;
  per: 'second' | 'minute' | 'hour' | 'day' | 'week';
  burst?: number;
  burstUnit?: string;
  over: boolean;
}

/** `quota [over|until] N UNIT [used N UNIT]`. */
export interface QuotaSource {
  what: 'quota';
  val: number;
  valUnit: string;
  used?: number;
  usedUnit?: string;
  over: boolean;
}

/** `ct count [over] N`: connections counted per set element (a statement of a dynamic set's element in nft). */
export interface CtCountSource {
  what: 'ct count';
  count: number;
  over: boolean;
}

/** A lookup in a dynamic set: `ip saddr @affinity`, `ip saddr . th dport != @seen`. */
export interface DynSetSource {
  what: 'set';
  set: string;
  key: MatchField[];
  op: '==' | '!=';
}

/**
 * A match on a stateful expression. Without `value` it holds or not (limit, quota, ct count, a
 * dynamic set); with `value` (numgen, jhash, symhash) it holds when the drawn number is in the value (`!=`: not).
 * `again`: an element after the first of one expanded lookup (src/model/expand-maps.ts) reads the
 * number the first drew instead of drawing anew — one lookup is one evaluation.
 */
export interface StateMatch {
  kind: 'state';
  source: StateSource;
  op: '==' | '!=';
  value?: MatchValue;
  again?: true;
  origin: Origin;
}

/**
 * `ct helper "tftp"`: the name of the conntrack helper attached to the packet's connection. The
 * models nftlens reads attach none (`ct helper set` is refused, and the kernel attaches none on
 * its own: nf_conntrack_helper has been 0 since Linux 4.7 and is gone since 6.0), and the kernel
 * ends the rule when a connection has no helper, whatever the op (nft_ct_get_eval: no helper
 * extension, NFT_BREAK): so the match holds for no packet, `!=` too (checked on the kernel in
 * test/probe/semantics-exprs.test.ts). The engine and the analyses see it so (expand-maps.ts).
 */
export interface CtHelperMatch {
  kind: 'ct helper';
  op: '==' | '!=';
  name: string;
  origin: Origin;
}

/**
 * `fib saddr|daddr type local`, `fib saddr type != local`: whether the routing table has the
 * packet's (current) address as one of the host's own. Answered from the environment: the
 * declared local and interface addresses, plus loopback (127.0.0.0/8, ::1), as the kernel's local
 * table holds them. Through an interface (`fib saddr . oif type local`, Calico's) the address must
 * be one of that interface's (loopback's are lo's). Only the `local` type is modelled. Not a
 * leading match: the engine runs it as an op after the rule's classified matches.
 */
export interface FibTypeMatch {
  kind: 'fib';
  result: 'type';
  addr: 'saddr' | 'daddr';
  through?: 'iif' | 'oif';
  op: '==' | '!=';
  type: 'local';
  origin: Origin;
}

/**
 * `fib saddr . iif oif missing` (the reverse-path check), `fib saddr . mark . iif oif != 0`,
 * `fib daddr oif exists`: whether the route lookup for the address finds an output interface —
 * through the packet's input (`. iif`) or output (`. oif`) interface when one is named. Answered
 * from the environment's routes (src/engine/fib.ts fibRoute has the kernel's rules: a local
 * address has none, a route through another interface none, loopback input in prerouting
 * always one). `value` is what the rule compares with: `exists` (true), `missing` (false), or
 * the interface index 0 ("none"), as written.
 */
export interface FibOifMatch {
  kind: 'fib';
  result: 'oif';
  addr: 'saddr' | 'daddr';
  through?: 'iif' | 'oif';
  /** `. mark`: the lookup takes the packet's mark (policy routing; no effect on the declared routes). */
  mark?: true;
  op: '==' | '!=';
  value: boolean | 0;
  origin: Origin;
}

export type FibMatch = FibTypeMatch | FibOifMatch;

/** Whether a `fib … oif` match holds, given whether the lookup found an interface. */
export function fibOifHolds(m: FibOifMatch, found: boolean): boolean {
  return (found === (m.value === true)) !== (m.op === '!=');
}

// ─── matches ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Header fields a rule can match. `ip …` fields imply an IPv4 packet, `ip6 …` an IPv6 one;
 * `th sport/dport` read the first/second 16-bit word of the transport header of ANY protocol
 * (an ICMP packet has "ports" too); nft's `tcp dport 80` is lowered to `meta l4proto 6` + `th dport 80`.
 */
export type MatchField =
  | 'ip saddr'
  | 'ip daddr'
  | 'ip6 saddr'
  | 'ip6 daddr'
  | 'ip protocol'
  | 'meta l4proto'
  | 'meta nfproto'
  | 'th sport'
  | 'th dport'
  | 'meta iifname'
  | 'meta oifname'
  | 'ct state'
  | 'ct mark'
  | 'ct status'
  | 'meta pkttype'
  | 'meta mark'
  | 'tcp flags';

/**
 * One value of a match:
 * - a number (ports, protocols, marks, flags) or a string (an address, an interface name — a
 *   trailing `*` is nft's prefix wildcard —, a ct state, an nfproto `ipv4`/`ipv6`);
 * - a prefix `{prefix: '10.0.0.0', len: 8}`: `(x & mask(len)) == prefix`;
 * - an inclusive range `{range: [lo, hi]}`.
 */
export type Atom = number | string;
export type Item = Atom | { prefix: string; len: number } | { range: [Atom, Atom] };
export type MatchValue = Item | { set: Item[] };

export interface Match {
  kind: 'match';
  field: MatchField;
  /** `==` is membership in the value (or the set), `!=` its complement. */
  op: '==' | '!=';
  /** Bits kept before comparing: `tcp flags & (syn|ack) == syn`, `meta mark & 0xff != 0`. */
  mask?: number;
  /**
   * On `meta iifname`/`oifname`: written `meta iif`/`oif`, the interface index nft resolves from
   * the name when it loads the rule (it refuses a name no interface has). Against a packet it is
   * the exact name (no wildcard); it renders back as `iif`/`oif`.
   */
  ifindex?: true;
  value: MatchValue;
  /** The named set of the table the value comes from (`ip daddr @blocked`); the value holds its elements. */
  set?: string;
  origin: Origin;
}

/**
 * A concatenation looked up in a set: `ip daddr . meta l4proto . th dport { 10.0.0.0/24 . tcp . 22,
 * 10.0.1.1 . udp . 53-60 }` holds when the packet's tuple of fields is inside one element, each
 * element a box (per field a value item: single, prefix, range; an interface name may end in `*`).
 * The fields' dependencies (`ip …` an IPv4 packet, `ct mark` a conntrack entry) must hold, whatever
 * the op, as for a Match: nft adds them as matches of their own.
 */
export interface ConcatMatch {
  kind: 'concat';
  fields: MatchField[];
  op: '==' | '!=';
  /** Each element: one item per field, in order. */
  elements: Item[][];
  /** The named set of the table the elements come from (`ip daddr . th dport @allowed`). */
  set?: string;
  origin: Origin;
}

// ─── statements ──────────────────────────────────────────────────────────────────────────────────

export interface CounterStmt {
  kind: 'counter';
  /** Kernel counts, when read from the kernel; ignored when comparing models. */
  packets?: number;
  bytes?: number;
  origin: Origin;
}

/**
 * `meta mark set 0x10`, `ct mark set 5`, `meta mark set ct mark` (Liqo's metamarkfromctmark), and
 * mark arithmetic `meta mark set meta mark & 0xff00 | 0x1`, `ct mark set meta mark ^ 0x4000`: with a
 * mark as `value`, the field becomes `(value & and) ^ xor` — the kernel's nft_bitwise, to which nft
 * folds every chain of `&`, `|`, `^` with constants (see src/model/mark-op.ts).
 */
export interface SetMarkStmt {
  kind: 'set-mark';
  key: 'meta mark' | 'ct mark';
  /** A constant, a mark, or a map lookup (`meta mark set ip saddr map { 10.0.0.0/8 : 0x1 }`). */
  value: number | 'meta mark' | 'ct mark' | MapLookup<number>;
  /** Only with a mark `value`; absent: 0xffffffff (all bits kept). */
  and?: number;
  /** Only with a mark `value`; absent: 0. */
  xor?: number;
  origin: Origin;
}

/** `notrack`: the packet skips connection tracking (its ct state is then `untracked`). */
export interface NotrackStmt {
  kind: 'notrack';
  origin: Origin;
}

/** `tcp option maxseg size set rt mtu | N`: rewrites the MSS option; no effect on the verdict. */
export interface MssClampStmt {
  kind: 'mss-clamp';
  size: number | 'rt mtu';
  origin: Origin;
}

/**
 * `snat|dnat to ADDR[:PORT]`, `snat prefix to NET/LEN` (netmap: host bits kept), `masquerade`, and
 * `redirect [to :PORT]`: DNAT to the input interface's first address (127.0.0.1 / ::1 in output).
 * A NAT statement ends the base chain like `accept` (the kernel returns NF_ACCEPT).
 */
export interface NatStmt {
  kind: 'nat';
  type: 'snat' | 'dnat' | 'masquerade' | 'redirect';
  /** An address, a prefix (1:1 netmap), or an address range (a pool). Absent for masquerade, redirect and with `map`. */
  to?: Item;
  /** The address from a map (`dnat ip prefix to ip daddr map { 10.0.0.0/24 : 192.168.0.0/24 }`): `to` per element. */
  map?: MapLookup<Item>;
  port?: number | { range: [number, number] };
  /** `random`, `fully-random`, `persistent`: how the kernel picks the address and port; no effect on verdicts. */
  flags?: NatFlag[];
  origin: Origin;
}

export type NatFlag = 'random' | 'fully-random' | 'persistent';
export const NAT_FLAGS: readonly NatFlag[] = ['random', 'fully-random', 'persistent'];

export interface LogStmt {
  kind: 'log';
  prefix?: string;
  origin: Origin;
}

/**
 * `add @set { KEY }`, `update @set { KEY }`, `delete @set { KEY }`: the packet path changes a dynamic
 * set. Adding a key the set does not hold fails when the set is full, and the kernel then ends the
 * rule (nft_dynset_eval: NFT_BREAK); with a stateful expression on the element (`{ ip saddr limit
 * rate over 10/second }`, a meter) the rule goes on only if it holds. So add and update are a
 * choice (the rule goes on, or ends); delete always goes on.
 */
export interface SetUpdateStmt {
  kind: 'set-update';
  op: 'add' | 'update' | 'delete';
  set: string;
  key: MatchField[];
  /** The element's own timeout, in seconds (`{ ip saddr timeout 60s }`). */
  timeout?: number;
  /** A stateful expression evaluated with the element (`limit`, `ct count`, `quota`). */
  stateful?: LimitSource | QuotaSource | CtCountSource;
  origin: Origin;
}

export type Statement = CounterStmt | SetMarkStmt | NotrackStmt | MssClampStmt | NatStmt | LogStmt | SetUpdateStmt;

// ─── verdicts ────────────────────────────────────────────────────────────────────────────────────

export type Verdict =
  | { kind: 'accept' | 'drop' | 'continue' | 'return'; origin: Origin }
  | { kind: 'reject'; with?: RejectWith; origin: Origin }
  | { kind: 'jump' | 'goto'; target: string; origin: Origin };

/** `KEY vmap { k1 : accept, k2 : jump c, … }` or `KEY vmap @name`: the verdict the key maps to. */
export interface VmapVerdict {
  kind: 'vmap';
  lookup: MapLookup<Verdict>;
  origin: Origin;
}

export interface RejectWith {
  type: 'icmp' | 'icmpv6' | 'icmpx' | 'tcp reset';
  /** e.g. `port-unreachable`, `net-unreachable`, `admin-prohibited`. */
  code?: string;
}

export type VerdictKind = Verdict['kind'];

export const HOOKS: readonly Hook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress'];
export const FAMILIES: readonly Family[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

/** `ip filter`, `inet nat`: how nft and the origins name a table. */
export function tableId(t: Pick<Table, 'family' | 'name'>): string {
  return `${t.family} ${t.name}`;
}
