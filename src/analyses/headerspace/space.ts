// HeaderSpace: sets of packet headers as handles into the analyzer core's BDD table, with the
// algebra (and, or, not, diff), tests (isEmpty, equals, subset), measures (count), projection
// (exists) and the raw field constraints the encoder builds matches from. Every handle returned
// holds one reference in the core; `release` gives it back so garbage collection may reclaim it.
//
// Sets live inside `all`, the valid headers: ct state one of five, interface ids of listed
// classes. Some bits mean nothing for some packets and are left free there, never constrained:
// the high 96 address bits of IPv4 packets, tcp flags of non-TCP packets, the ct mark of packets
// without a conntrack entry. Every set is built so (see encode.ts), which keeps one diagram per
// set, and `count` divides those free bits back out.

import { NftlensError } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import { CT_STATES, CT_WITH_ENTRY, FAMILY_CODE, Layout, PKT_TYPES, TCP, type FieldName, type FieldVars } from './layout.js';
import type { Packet } from '../../engine/packet.js';
import { describe, type DescribeOptions } from './describe.js';
import { IfnameAlphabet } from './ifnames.js';
import { member, witness } from './witness.js';
import { instantiate, type AnalyzerExports } from './wasm.js';

/** A set of headers: a node id of one HeaderSpace. */
export type Space = number & { readonly __space: unique symbol };

export interface HeaderSpaceOptions {
  /** Interface names and `prefix*` patterns the sets will mention (default: none). */
  ifnames?: Iterable<string>;
  /** Node table limit (default 2^23 = 8 Mi nodes, 128 MiB). */
  maxNodes?: number;
  /** log2 of the operation cache entries (default 20; 16 bytes each). */
  cacheLog2?: number;
}

export interface SpaceStats {
  /** Live nodes (reachable from held handles after the last collection, plus newer ones). */
  nodes: number;
  capacity: number;
  maxNodes: number;
  /** Bytes of the core's tables in use. */
  bytes: number;
}

/** A part of the space where some bits are free, and how many. */
interface FreeRegion {
  where: Space;
  freeBits: number;
}

export class HeaderSpace {
  readonly layout: Layout;
  readonly ifnames: IfnameAlphabet;
  readonly none = 0 as Space;
  /** Every valid header. */
  readonly all: Space;
  /** Frames unicast to this host (meta pkttype host): every frame past the routing decision. */
  readonly unicast: Space;
  private readonly ex: AnalyzerExports;
  private io32!: Uint32Array;
  private io8!: Uint8Array;
  private buffer: ArrayBuffer | undefined;
  /** family × tcp × ct entry: where free bits are, for count; ANDs of `all`. */
  private readonly regions: FreeRegion[][];
  private readonly family: Record<4 | 6, Space>;
  private readonly tcp: Space;
  private readonly withCt: Space;

  constructor(opts: HeaderSpaceOptions = {}) {
    this.ifnames = new IfnameAlphabet(opts.ifnames ?? []);
    this.ex = instantiate();
    if (this.ex.init(this.ifnames.bits, opts.maxNodes ?? 1 << 23, opts.cacheLog2 ?? 20) < 0) {
      throw NftlensError.of('ANALYSIS_LIMIT', 'the analyzer could not reserve memory for its node table', {});
    }
    this.layout = new Layout(this.ex);
    const valid = [
      this.codes('ctstate', CT_STATES.map((_, i) => i)),
      this.codes('iifname', this.ifnames.classes.map((_, i) => i)),
      this.codes('oifname', this.ifnames.classes.map((_, i) => i)),
      this.codes('pkttype', PKT_TYPES.map((_, i) => i)),
    ];
    this.all = this.intersect(valid);
    this.release(...valid);
    this.family = { 4: this.equal('nfproto', BigInt(FAMILY_CODE[4])), 6: this.equal('nfproto', BigInt(FAMILY_CODE[6])) };
    this.tcp = this.equal('l4proto', BigInt(TCP));
    const withCt = this.codes('ctstate', CT_WITH_ENTRY.map((s) => CT_STATES.indexOf(s)));
    this.withCt = this.and(withCt, this.all);
    this.unicast = this.equal('pkttype', 0n);
    this.release(withCt);
    const notTcp = this.not(this.tcp);
    const noCt = this.not(this.withCt);
    const ctmark = this.layout.field('ctmark').width;
    const flags = this.layout.field('tcpflags').width;
    const addrFree = this.layout.v4Free('saddr').width + this.layout.v4Free('daddr').width;
    this.regions = [
      [{ where: this.family[4], freeBits: addrFree }, { where: this.family[6], freeBits: 0 }],
      [{ where: this.tcp, freeBits: 0 }, { where: notTcp, freeBits: flags }],
      [{ where: this.withCt, freeBits: 0 }, { where: noCt, freeBits: ctmark }],
    ];
  }

  // ─── the algebra ───────────────────────────────────────────────────────────────────────────

  and(a: Space, b: Space): Space {
    return this.call(() => this.ex.and(a, b));
  }
  or(a: Space, b: Space): Space {
    return this.call(() => this.ex.or(a, b));
  }
  /** a and not b. */
  diff(a: Space, b: Space): Space {
    return this.call(() => this.ex.diff(a, b));
  }
  /** Headers in exactly one of a and b. */
  xor(a: Space, b: Space): Space {
    return this.call(() => this.ex.xor(a, b));
  }
  /** The valid headers not in a. */
  not(a: Space): Space {
    return this.diff(this.all, a);
  }
  /** The union of a list (empty: none); the list's handles are kept. */
  union(list: readonly Space[]): Space {
    return this.fold(list, (a, b) => this.or(a, b), this.none);
  }
  /** The intersection of a list (empty: all). */
  intersect(list: readonly Space[]): Space {
    return this.fold(list, (a, b) => this.and(a, b), this.all);
  }

  isEmpty(a: Space): boolean {
    return a === this.none;
  }
  equals(a: Space, b: Space): boolean {
    return a === b;
  }
  subsetOf(a: Space, b: Space): boolean {
    const d = this.diff(a, b);
    this.release(d);
    return d === this.none;
  }
  overlaps(a: Space, b: Space): boolean {
    const d = this.and(a, b);
    this.release(d);
    return d !== this.none;
  }

  /** Number of distinct headers in a (free bits not counted); exact up to 2^53. */
  count(a: Space): number {
    // The link-layer packet type is not counted: a set of headers counts the same whatever
    // frames carry them (its bits are made free in each region, then divided out).
    const ptBits = this.layout.field('pkttype').width;
    let total = 0;
    const walk = (dim: number, s: Space, free: number): void => {
      if (s === this.none) return;
      if (dim === this.regions.length) {
        const q = this.anyPkttype(s);
        total += this.ex.satCount(q) / 2 ** (free + ptBits);
        this.release(q);
        return;
      }
      for (const r of this.regions[dim]!) {
        const part = this.and(s, r.where);
        walk(dim + 1, part, free + r.freeBits);
        this.release(part);
      }
    };
    walk(0, a, 0);
    return total;
  }

  log2Count(a: Space): number {
    return Math.log2(this.count(a));
  }

  /** The headers that agree with some header of a on every field but `fields` (projection). */
  exists(a: Space, fields: readonly FieldName[]): Space {
    this.ex.quantBegin();
    for (const f of fields) {
      const v = this.layout.field(f);
      this.ex.quantAdd(v.first, v.width);
    }
    const q = this.call(() => this.ex.exists(a));
    let r = this.and(q, this.all);
    this.release(q);
    // Freed conditions may leave free-bit parts constrained: free them again.
    if (fields.includes('nfproto')) r = this.freeBits(r, this.family[4], ['saddr', 'daddr'], true);
    if (fields.includes('l4proto')) r = this.freeBits(r, this.tcp, ['tcpflags'], false);
    if (fields.includes('ctstate')) r = this.freeBits(r, this.withCt, ['ctmark'], false);
    return r;
  }

  /** r, with `fields` made free outside (or, if `inside`, inside) the condition c. */
  private freeBits(r: Space, c: Space, fields: FieldName[], inside: boolean): Space {
    const part = inside ? this.and(r, c) : this.diff(r, c);
    const rest = inside ? this.diff(r, c) : this.and(r, c);
    this.ex.quantBegin();
    for (const f of fields) {
      const v = f === 'saddr' || f === 'daddr' ? this.layout.v4Free(f) : this.layout.field(f);
      this.ex.quantAdd(v.first, v.width);
    }
    const freed = this.call(() => this.ex.exists(part));
    const out = this.or(rest, freed);
    this.release(r, part, rest, freed);
    return out;
  }

  // ─── reading sets ──────────────────────────────────────────────────────────────────────────

  /** One packet of the set, with readable values (undefined if the set is empty). */
  witness(a: Space): Packet | undefined {
    return witness(this, a);
  }
  /**
   * a with the packet type's bits made free (no valid-code restriction either) when a leaves the
   * packet type free — every valid code with every header of a — else undefined. A new handle.
   */
  withoutPkttype(a: Space): Space | undefined {
    const q = this.anyPkttype(a);
    const back = this.and(q, this.all);
    const free = this.equals(back, a);
    this.release(back);
    if (free) return q;
    this.release(q);
    return undefined;
  }

  /** ∃ packet type: a with the packet type's bits free, raw (not within `all`). A new handle. */
  private anyPkttype(a: Space): Space {
    const pt = this.layout.field('pkttype');
    this.ex.quantBegin();
    this.ex.quantAdd(pt.first, pt.width);
    return this.call(() => this.ex.exists(a));
  }

  /** A short list of readable cubes whose union is the set (or a part of it, then said). */
  describe(a: Space, opts?: DescribeOptions): string[] {
    return describe(this, a, opts);
  }
  /** Whether a concrete packet's header is in the set. */
  member(a: Space, p: Packet): boolean {
    return member(this, a, p);
  }

  // ─── field constraints (raw: not yet inside `all`, no implied dependencies) ─────────────────

  /** { x : lo <= x & mask <= hi } on a field's variables. */
  range(vars: FieldVars, lo: bigint, hi: bigint, mask?: bigint): Space {
    const full = (1n << BigInt(vars.width)) - 1n;
    this.words(0, lo);
    this.words(4, hi);
    this.words(8, mask ?? full);
    return this.call(() => this.ex.range(vars.first, vars.width));
  }

  /** field == v, inside `all`. */
  equal(field: FieldName, v: bigint): Space {
    const r = this.range(this.layout.field(field), v, v);
    const out = this.and(r, this.all);
    this.release(r);
    return out;
  }

  /** field ∈ codes (small enumerated fields), raw. */
  codes(field: FieldName, codes: readonly number[]): Space {
    const parts = codes.map((c) => this.range(this.layout.field(field), BigInt(c), BigInt(c)));
    const u = this.union(parts);
    this.release(...parts);
    return u;
  }

  /** Headers of one IP family (inside `all`). */
  ofFamily(family: 4 | 6): Space {
    return this.keep(this.family[family]);
  }
  /** TCP headers (inside `all`). */
  tcpHeaders(): Space {
    return this.keep(this.tcp);
  }
  /** Headers with a conntrack entry: ct state new, established or related (inside `all`). */
  withConntrack(): Space {
    return this.keep(this.withCt);
  }

  // ─── handles and memory ────────────────────────────────────────────────────────────────────

  /** One more reference to a handle (release it once more later). */
  keep(a: Space): Space {
    this.ex.ref(a);
    return a;
  }
  /** Gives handles back; a released handle must not be used again. */
  release(...spaces: Space[]): void {
    for (const s of spaces) this.ex.deref(s);
  }
  /** Nodes of one set's diagram, terminals included. */
  size(a: Space): number {
    return this.ex.size(a);
  }
  /** Collects garbage now; returns the live node count. */
  collect(): number {
    this.ex.collect(0);
    return this.ex.liveNodes();
  }
  stats(): SpaceStats {
    return { nodes: this.ex.liveNodes(), capacity: this.ex.capacity(), maxNodes: this.ex.maxNodes(), bytes: this.ex.usedBytes() };
  }

  /** Runs a core operation; on a full table collects garbage (growing it) and retries. */
  private call(op: () => number): Space {
    for (let attempt = 0; ; attempt++) {
      const r = op();
      if (r >= 0) {
        this.ex.ref(r);
        return r as Space;
      }
      const full = this.ex.capacity() >= this.ex.maxNodes();
      if (attempt > 0 && full) throw this.limit({});
      this.ex.collect(attempt > 0 ? 1 : 0);
      // At the limit with the table still 15/16 live, every few operations would collect again
      // (each collection walks the whole table): report the limit instead of thrashing.
      if (full && this.ex.liveNodes() > this.ex.maxNodes() - (this.ex.maxNodes() >>> 4)) throw this.limit({});
    }
  }

  /** The error for a set too large for the node limit, located at `origin`. */
  limit(origin: Origin): NftlensError {
    return NftlensError.of(
      'ANALYSIS_LIMIT',
      `the header-space analysis needs more than ${this.ex.maxNodes()} BDD nodes; raise the node limit or analyse fewer rules at once`,
      origin,
    );
  }

  /** op over a list as a balanced tree: operands of like size, which keeps BDD apply cheap. */
  private fold(list: readonly Space[], op: (a: Space, b: Space) => Space, empty: Space): Space {
    if (list.length === 0) return this.keep(empty);
    let level = list.map((s) => this.keep(s));
    while (level.length > 1) {
      const next: Space[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) {
        next.push(op(level[i]!, level[i + 1]!));
        this.release(level[i]!, level[i + 1]!);
      }
      if (level.length % 2) next.push(level[level.length - 1]!);
      level = next;
    }
    return level[0]!;
  }

  // ─── the io region ─────────────────────────────────────────────────────────────────────────

  /** Views of io, remade when memory grew. */
  ioWords(): Uint32Array {
    this.views();
    return this.io32;
  }
  ioBytes(): Uint8Array {
    this.views();
    return this.io8;
  }
  outBytes(length: number): Uint8Array {
    return new Uint8Array(this.ex.memory.buffer, this.ex.out(), length);
  }
  private views(): void {
    if (this.buffer === this.ex.memory.buffer) return;
    this.buffer = this.ex.memory.buffer;
    this.io32 = new Uint32Array(this.buffer, this.ex.io(), 64 * 1024 / 4);
    this.io8 = new Uint8Array(this.buffer, this.ex.io(), 64 * 1024);
  }
  /** Writes a 128-bit value as 4 little-endian words at io word `at`. */
  words(at: number, v: bigint): void {
    const w = this.ioWords();
    for (let i = 0; i < 4; i++) w[at + i] = Number((v >> BigInt(32 * i)) & 0xffffffffn);
  }
  readWords(at: number): bigint {
    const w = this.ioWords();
    let v = 0n;
    for (let i = 3; i >= 0; i--) v = (v << 32n) | BigInt(w[at + i]!);
    return v;
  }

  /** The core, for the readers in this folder (witness, describe). */
  get core(): AnalyzerExports {
    return this.ex;
  }
}
