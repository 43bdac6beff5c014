// The dimensions of the geometric core, and how one match becomes a union of boxes over them.
// A packet header is a point of the dimensions below, read as the BDD header space reads it:
//   saddr4/daddr4  an IPv4 packet's address (an IPv6 packet: any value — its "fiber" spans them)
//   saddr6/daddr6  an IPv6 packet's address as its rank among the 128-bit boundaries the chains'
//                  `ip6` matches use (coordinate compression: an interval stays one interval)
//   mark/ctmark    the mark with its bits reordered so that every mask the chains use covers
//                  the top bits (masks must nest; then `mark & m == v` is one interval)
//   iifname/oifname the interface-name class of the header space's alphabet (headerspace/ifnames.ts)
//   ctstate        the ct state code (layout.ts CT_STATES); ctmark counts only with an entry
// Every match is a union of disjoint boxes over these (`matchParts`): the conntrack-dependent
// ones split on (nfproto, l4proto) where conntrack cannot track the header, as the symbolic
// analysis does (symbolic/state.ts). Anything else is not a box: undefined, and the BDD path runs.

import type { Match } from '../../model/ruleset.js';
import { CT_STATE, ifnameMatches, valueItems, type Interval } from '../../model/values.js';
import { matchIntervals } from '../../engine/plan.js';
import { complement, intersect } from '../../engine/dims.js';
import { ICMP, ICMPV6 } from '../../engine/packet.js';
import { CT_STATES, type FieldName } from '../headerspace/layout.js';
import type { HeaderSpace } from '../headerspace/space.js';
import { MarkOrder } from './marks.js';

/** The dimensions, in box order (the most telling first: the core prefers the first of equally good cuts). */
export const DIM_NAMES = [
  'saddr4', 'daddr4', 'saddr6', 'daddr6', 'iifname', 'oifname', 'sport', 'dport', 'l4proto', 'mark', 'ctmark', 'ctstate', 'nfproto',
] as const;
export type DimName = (typeof DIM_NAMES)[number];
export const DIM = Object.fromEntries(DIM_NAMES.map((d, k) => [d, k])) as Record<DimName, number>;
/** The header field each dimension reads. */
export const FIELD_OF: Record<DimName, FieldName> = {
  saddr4: 'saddr', daddr4: 'daddr', saddr6: 'saddr', daddr6: 'daddr', iifname: 'iifname', oifname: 'oifname',
  sport: 'sport', dport: 'dport', l4proto: 'l4proto', mark: 'mark', ctmark: 'ctmark', ctstate: 'ctstate', nfproto: 'nfproto',
};

/** Where a rule runs: whether conntrack ran, and which interfaces the hook shows. */
export interface DimContext {
  tracked: boolean;
  noIif: boolean;
  noOif: boolean;
}

/** Part of a match's packets: intervals of the dimensions it constrains (the others: any). */
export type Part = Map<number, Interval[]>;

const U32 = 0xffffffffn;
const ADDRESS_FIELDS: ReadonlySet<string> = new Set(['ip saddr', 'ip daddr', 'ip6 saddr', 'ip6 daddr']);
const U128 = (1n << 128n) - 1n;
/** ct state codes with a conntrack entry (layout.ts CT_WITH_ENTRY: new, established, related). */
const WITH_ENTRY: Interval = { lo: 0n, hi: 2n };
const UNTRACKED = BigInt(CT_STATES.indexOf('untracked'));
/** Headers conntrack tracks, and those it never does (ICMP in IPv6, ICMPv6 in IPv4). */
const TRACKABLE: Part[] = [
  new Map([[DIM.nfproto, [{ lo: 0n, hi: 0n }]], [DIM.l4proto, complement([{ lo: BigInt(ICMPV6), hi: BigInt(ICMPV6) }], 255n)]]),
  new Map([[DIM.nfproto, [{ lo: 1n, hi: 1n }]], [DIM.l4proto, complement([{ lo: BigInt(ICMP), hi: BigInt(ICMP) }], 255n)]]),
];
const UNTRACKABLE: Part[] = [
  new Map([[DIM.nfproto, [{ lo: 0n, hi: 0n }]], [DIM.l4proto, [{ lo: BigInt(ICMPV6), hi: BigInt(ICMPV6) }]]]),
  new Map([[DIM.nfproto, [{ lo: 1n, hi: 1n }]], [DIM.l4proto, [{ lo: BigInt(ICMP), hi: BigInt(ICMP) }]]]),
];

/** A match's value as sorted disjoint intervals (the plan's, read once per value), or undefined when it does not fit. */
function intervalsOf(m: Match): Interval[] | undefined {
  try {
    return matchIntervals(m);
  } catch {
    return undefined;
  }
}

/** Sorted boundaries of a 128-bit dimension (the first is 0): rank r covers [b[r], b[r + 1] - 1]. */
export class Ranks {
  readonly bounds: bigint[];
  constructor(starts: Iterable<bigint>) {
    // Sorted, then equal neighbours dropped: a Set of bigints that differ only in their high bits
    // (IPv6 prefixes) hashes them alike, and 20,000 of them took 1.4 s.
    const sorted = [0n, ...starts].filter((b) => b <= U128).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.bounds = sorted.filter((b, i) => i === 0 || b !== sorted[i - 1]);
  }
  get top(): number {
    return this.bounds.length - 1;
  }
  rank(x: bigint): number {
    let lo = 0;
    let hi = this.bounds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.bounds[mid]! <= x) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  /** The addresses of ranks [a, b]. */
  span(a: number, b: number): Interval {
    return { lo: this.bounds[a]!, hi: b + 1 < this.bounds.length ? this.bounds[b + 1]! - 1n : U128 };
  }
}

/** How the chains' values are coded in the dimensions; shared by both chains of a diff. */
export class DimCoder {
  private constructor(
    readonly hs: HeaderSpace,
    readonly ranks: { saddr6: Ranks; daddr6: Ranks },
    readonly marks: { mark: MarkOrder; ctmark: MarkOrder },
    /** The IPv6 matches' intervals (read once: parsing IPv6 addresses is slow). */
    private readonly v6: Map<Match, Interval[]>,
  ) {}

  /** matchParts of a match with one value other than an address, by its text: Liqo's chains repeat `ct state new` or an interface thousands of times. */
  private readonly partsByText = new Map<string, Part[] | undefined>();

  /** The coder for these matches; undefined when their masks do not nest. */
  static of(hs: HeaderSpace, matches: Iterable<Match>): DimCoder | undefined {
    const starts = { saddr6: [] as bigint[], daddr6: [] as bigint[] };
    const masks = { mark: new Set<number>(), ctmark: new Set<number>() };
    const v6 = new Map<Match, Interval[]>();
    for (const m of matches) {
      if (m.field === 'ip6 saddr' || m.field === 'ip6 daddr') {
        const ivs = intervalsOf(m);
        if (!ivs) continue;
        v6.set(m, ivs);
        for (const iv of ivs) starts[m.field === 'ip6 saddr' ? 'saddr6' : 'daddr6'].push(iv.lo, iv.hi + 1n);
      } else if ((m.field === 'meta mark' || m.field === 'ct mark') && m.mask !== undefined) {
        masks[m.field === 'meta mark' ? 'mark' : 'ctmark'].add(m.mask >>> 0);
      }
    }
    const mark = MarkOrder.of(masks.mark);
    const ctmark = MarkOrder.of(masks.ctmark);
    if (!mark || !ctmark) return undefined;
    return new DimCoder(hs, { saddr6: new Ranks(starts.saddr6), daddr6: new Ranks(starts.daddr6) }, { mark, ctmark }, v6);
  }

  /** The largest value of each dimension (nfproto: both family codes). */
  universe(): Interval[][] {
    const n = BigInt(this.hs.ifnames.classes.length - 1);
    const top: Record<DimName, bigint> = {
      saddr4: U32, daddr4: U32, saddr6: BigInt(this.ranks.saddr6.top), daddr6: BigInt(this.ranks.daddr6.top), iifname: n, oifname: n,
      sport: 0xffffn, dport: 0xffffn, l4proto: 255n, mark: U32, ctmark: U32, ctstate: BigInt(CT_STATES.length - 1), nfproto: 1n,
    };
    return DIM_NAMES.map((d) => [{ lo: 0n, hi: top[d] }]);
  }

  /** The packets a match holds for where a rule runs, as disjoint parts (not to be changed: shared); undefined when not boxes. */
  matchParts(m: Match, ctx: DimContext): Part[] | undefined {
    const v = m.value;
    // Addresses are mostly each a rule's own: not kept.
    if (typeof v === 'object' || ADDRESS_FIELDS.has(m.field)) return this.computeParts(m, ctx);
    const key = `${+ctx.tracked}${+ctx.noIif}${+ctx.noOif}${m.field}|${m.op}|${m.mask ?? ''}|${m.ifindex ? 1 : 0}|${typeof v}:${v}`;
    if (this.partsByText.has(key)) return this.partsByText.get(key);
    const parts = this.computeParts(m, ctx);
    this.partsByText.set(key, parts);
    return parts;
  }

  private computeParts(m: Match, ctx: DimContext): Part[] | undefined {
    if (m.mask !== undefined && m.field !== 'meta mark' && m.field !== 'ct mark') return undefined;
    const plain = (dim: number, ivs: Interval[] | undefined, top: bigint, family?: 0n | 1n): Part[] | undefined => {
      if (!ivs) return undefined;
      const p: Part = new Map([[dim, m.op === '!=' ? complement(ivs, top) : ivs]]);
      if (family !== undefined) p.set(DIM.nfproto, [{ lo: family, hi: family }]);
      return [p];
    };
    const raw = () => intervalsOf(m);
    switch (m.field) {
      case 'meta nfproto': {
        const ivs = raw();
        if (!ivs) return undefined;
        const has = (x: bigint) => ivs.some((iv) => iv.lo <= x && x <= iv.hi);
        return plain(DIM.nfproto, ([[2n, 0n], [10n, 1n]] as const).filter(([v]) => has(v)).map(([, c]) => ({ lo: c, hi: c })), 1n);
      }
      case 'meta l4proto':
        return plain(DIM.l4proto, raw(), 255n);
      case 'ip protocol':
        return plain(DIM.l4proto, raw(), 255n, 0n);
      case 'ip saddr':
      case 'ip daddr':
        return plain(m.field === 'ip saddr' ? DIM.saddr4 : DIM.daddr4, raw(), U32, 0n);
      case 'ip6 saddr':
      case 'ip6 daddr': {
        const ivs = this.v6.get(m);
        if (!ivs) return undefined;
        const dim = m.field === 'ip6 saddr' ? 'saddr6' : 'daddr6';
        const r = this.ranks[dim];
        const set = m.op === '!=' ? complement(ivs, U128) : ivs;
        return [new Map([[DIM[dim], set.map((iv) => ({ lo: BigInt(r.rank(iv.lo)), hi: BigInt(r.rank(iv.hi)) }))], [DIM.nfproto, [{ lo: 1n, hi: 1n }]]])];
      }
      case 'th sport':
      case 'th dport':
        return plain(m.field === 'th sport' ? DIM.sport : DIM.dport, raw(), 0xffffn);
      case 'meta mark':
        return plain(DIM.mark, this.marks.mark.intervals(raw(), m.mask), U32);
      case 'ct mark': {
        if (!ctx.tracked) return [];
        const ivs = this.marks.ctmark.intervals(raw(), m.mask);
        if (!ivs) return undefined;
        const set = m.op === '!=' ? complement(ivs, U32) : ivs;
        return TRACKABLE.map((t) => new Map([...t, [DIM.ctstate, [WITH_ENTRY]], [DIM.ctmark, set]]));
      }
      case 'ct state':
        return this.ctState(m, ctx);
      case 'meta iifname':
      case 'meta oifname':
        return this.ifname(m, m.field === 'meta iifname' ? ctx.noIif : ctx.noOif);
      default:
        return undefined;
    }
  }

  /** `ct state`: the state conntrack shows — for a header it cannot track (or before it ran): untracked or invalid. */
  private ctState(m: Match, ctx: DimContext): Part[] | undefined {
    const ivs = intervalsOf(m);
    if (!ivs) return undefined;
    const holds = (code: number) => {
      const bit = BigInt(CT_STATE[CT_STATES[code]!]!);
      return ivs.some((iv) => iv.lo <= bit && bit <= iv.hi) === (m.op === '==');
    };
    const codes = (shown: (c: number) => number) => toIntervals(CT_STATES.flatMap((_, c) => (holds(shown(c)) ? [c] : [])));
    const refused = codes((c) => (BigInt(c) === UNTRACKED ? c : CT_STATES.indexOf('invalid')));
    if (!ctx.tracked) return [new Map([[DIM.ctstate, refused]])];
    const own = codes((c) => c);
    return [
      ...TRACKABLE.map((t) => new Map([...t, [DIM.ctstate, own]])),
      ...UNTRACKABLE.map((t) => new Map([...t, [DIM.ctstate, refused]])),
    ];
  }

  /** iifname/oifname: the classes its patterns match (where the hook shows no interface: the empty name). */
  private ifname(m: Match, none: boolean): Part[] | undefined {
    const items = valueItems(m.value);
    if (items.some((p) => typeof p !== 'string' || p === '' || !this.hs.ifnames.knows(p))) return undefined;
    const n = this.hs.ifnames.classes.length;
    if (none) {
      const inside = items.some((p) => ifnameMatches(p as string, ''));
      return inside === (m.op === '==') ? [new Map()] : [];
    }
    const ids = toIntervals([...new Set(items.flatMap((p) => this.hs.ifnames.matching(p as string)))]);
    return [new Map([[m.field === 'meta iifname' ? DIM.iifname : DIM.oifname, m.op === '!=' ? complement(ids, BigInt(n - 1)) : ids]])];
  }
}

/** Small numbers as sorted disjoint intervals. */
function toIntervals(xs: number[]): Interval[] {
  const out: Interval[] = [];
  for (const x of [...xs].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && BigInt(x) === last.hi + 1n) last.hi = BigInt(x);
    else out.push({ lo: BigInt(x), hi: BigInt(x) });
  }
  return out;
}

/** The intersection of two lists of disjoint parts (disjoint again); empty parts left out. */
export function meetParts(a: readonly Part[], b: readonly Part[]): Part[] {
  const out: Part[] = [];
  for (const p of a) {
    for (const q of b) {
      const r: Part = new Map(p);
      let empty = false;
      for (const [k, ivs] of q) {
        const x = r.has(k) ? intersect(r.get(k)!, ivs) : ivs;
        if (x.length === 0) {
          empty = true;
          break;
        }
        r.set(k, x);
      }
      if (!empty) out.push(r);
    }
  }
  return out;
}
