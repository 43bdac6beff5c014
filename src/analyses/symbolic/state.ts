// A symbolic packet: a set of ORIGINAL headers (a header space) together with what each field
// reads now, as a function of the original header — a substitution. Statements rewrite fields
// (marks, addresses, ports) to constants, to another original field (`meta mark set ct mark`) or,
// for netmap, to a constant prefix over the original host bits; conntrack flags (and, for
// headers conntrack never tracks, the header) say what `ct state` reads. A later match is
// encoded under the substitution, so every set stays exact and is always about the packets as
// they arrived.
//
//   field now  = orig                     (undefined)
//   mark now   = 0x10 | ct mark (orig)   ({ const } | { field: 'mark' | 'ctmark', and?, xor? })
//   daddr now  = 10.1.0.0/16 ⊕ host bits of orig daddr   ({ base, len, family })

import type { Match } from '../../model/ruleset.js';
import type { PathHook } from '../../engine/plan.js';
import { CT_STATE, FIELDS, ifnameMatches, valueIntervals, valueItems, type CtState, type Interval } from '../../model/values.js';
import { ICMP, ICMPV6 } from '../../engine/packet.js';
import { ALL_BITS } from '../../model/mark-op.js';
import { CT_STATES, type FieldVars } from '../headerspace/layout.js';
import { matchSpace } from '../headerspace/encode.js';
import type { HeaderSpace, Space } from '../headerspace/space.js';

/** An address now: the constant top `len` bits of `base`, the rest from the original field. */
export interface AddrSub {
  base: bigint;
  len: number;
  family: 4 | 6;
}
/** A mark now: a constant, or `(orig field & and) ^ xor` (and/xor absent: all bits kept, 0). */
export type MarkSub = { const: bigint } | { field: 'mark' | 'ctmark'; and?: number; xor?: number };

export interface Subst {
  saddr?: AddrSub;
  daddr?: AddrSub;
  sport?: number;
  dport?: number;
  mark?: MarkSub;
  ctmark?: MarkSub;
}

/** Where in the path a state is: which interfaces the hook shows and what conntrack did. */
export interface Context {
  /** Conntrack has run (prerouting/output at -200, or a hook after them). */
  tracked: boolean;
  /** A `notrack` ran on a packet without a conntrack entry: ct state reads `untracked`. */
  notracked: boolean;
  /** The hook shows no input (output) / output (prerouting, input) interface: the name is ''. */
  noIif: boolean;
  noOif: boolean;
  /** The hook whose chains run (route lookups tell prerouting and the output side apart). */
  hook?: PathHook;
}

export interface SymState {
  space: Space;
  sub: Subst;
  ctx: Context;
  natDone: { src: boolean; dst: boolean };
  /**
   * The conntrack status a connection's first packet has so far (engine/ct-status.ts: the
   * NAT_DONE bits of the NAT points passed, SRC_NAT/DST_NAT where NAT changed the tuple); absent: 0.
   * Other packets' status depends on their family only (Predicates `established`).
   */
  status?: number;
}

/** A key telling states apart that behave alike (same substitution and flags). */
export function stateKey(s: SymState): string {
  return JSON.stringify([s.sub, s.ctx, s.natDone, s.status ?? 0], (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** What every match of a rule reads: keyed so that a rule's encoding can be cached per context. */
export function contextKey(s: SymState): string {
  const c = s.ctx;
  return `${c.tracked ? 1 : 0}${c.notracked ? 1 : 0}${c.noIif ? 1 : 0}${c.noOif ? 1 : 0}` + (Object.keys(s.sub).length || s.status ? stateKey(s) : '');
}

/**
 * The encoder of matches under a state's substitution and context. Identity encodings come from
 * headerspace/encode.ts and are cached per match; the rest are built here.
 */
export class Predicates {
  private readonly plain = new Map<Match, Space>();
  private withCtCache: Space | undefined;
  private untrackedCache: Space | undefined;
  private untrackableCache: Space | undefined;
  private readonly trackedCt = new Map<Match, Space>();

  /** `established`: the status of a packet that is not its connection's first, by family (engine/ct-status.ts establishedStatus). */
  constructor(readonly hs: HeaderSpace, private readonly established: Record<4 | 6, number> = { 4: 0, 6: 0 }) {}

  /** Headers with a conntrack entry as the state sees them (none before conntrack or after notrack). */
  hasCt(ctx: Context): Space {
    if (!ctx.tracked || ctx.notracked) return this.hs.none;
    if (this.withCtCache === undefined) {
      const all = this.hs.withConntrack();
      this.withCtCache = this.hs.diff(all, this.untrackable());
      this.hs.release(all);
    }
    return this.withCtCache;
  }

  /** Headers conntrack never tracks: ICMP in IPv6, ICMPv6 in IPv4 (engine/packet.ts `trackable`). Not owned. */
  private untrackable(): Space {
    if (this.untrackableCache === undefined) {
      const hs = this.hs;
      const parts = ([[6, ICMP], [4, ICMPV6]] as const).map(([family, proto]) => {
        const fam = hs.ofFamily(family);
        const p = hs.equal('l4proto', BigInt(proto));
        const both = hs.and(fam, p);
        hs.release(fam, p);
        return both;
      });
      this.untrackableCache = hs.union(parts);
      hs.release(...parts);
    }
    return this.untrackableCache;
  }

  /** The headers (inside `all`) for which the match holds, read under the state. Caller releases. */
  match(s: SymState, m: Match): Space {
    const hs = this.hs;
    const info = FIELDS[m.field];
    switch (m.field) {
      case 'ct status':
        return this.ctStatus(s, m);
      case 'ip saddr':
      case 'ip6 saddr':
      case 'ip daddr':
      case 'ip6 daddr': {
        const sub = m.field.endsWith('saddr') ? s.sub.saddr : s.sub.daddr;
        const family = info.nfproto === 'ipv4' ? 4 : 6;
        if (!sub || sub.family !== family) return this.identity(m);
        return this.withOp(m, hs.ofFamily(family), this.addrIn(sub, m.field.endsWith('saddr') ? 'saddr' : 'daddr', ivs(m)));
      }
      case 'th sport':
      case 'th dport': {
        const c = m.field === 'th sport' ? s.sub.sport : s.sub.dport;
        if (c === undefined) return this.identity(m);
        return this.withOp(m, hs.keep(hs.all), this.constant(inIvs(ivs(m), BigInt(c), m.mask)));
      }
      case 'meta mark':
      case 'ct mark': {
        const sub = m.field === 'meta mark' ? s.sub.mark : s.sub.ctmark;
        const dep = m.field === 'ct mark' ? hs.keep(this.hasCt(s.ctx)) : hs.keep(hs.all);
        if (m.field === 'ct mark' && dep === hs.none) return dep;
        if (!sub) {
          const id = this.identity(m);
          const out = hs.and(id, dep);
          hs.release(id, dep);
          return out;
        }
        if ('const' in sub) return this.withOp(m, dep, this.constant(inIvs(ivs(m), sub.const, m.mask)));
        // A copied mark: the same comparison on the source field's variables; with arithmetic,
        // each value block as bits of the source (markBlocks).
        const vars = hs.layout.field(sub.field);
        const parts = sub.and === undefined && sub.xor === undefined
          ? ivs(m).map((iv) => hs.range(vars, iv.lo, iv.hi, m.mask === undefined ? undefined : BigInt(m.mask)))
          : markBlocks(ivs(m), m.mask ?? ALL_BITS, sub.and ?? ALL_BITS, sub.xor ?? 0).map(([mask, value]) => hs.range(vars, value, value, mask));
        const raw = hs.union(parts);
        hs.release(...parts);
        return this.withOp(m, dep, raw);
      }
      case 'ct state':
        return this.ctState(s.ctx, m);
      case 'meta iifname':
      case 'meta oifname': {
        const none = m.field === 'meta iifname' ? s.ctx.noIif : s.ctx.noOif;
        if (!none) return this.identity(m);
        const inside = valueItems(m.value).some((p) => ifnameMatches(p as string, ''));
        return this.constant(m.op === '==' ? inside : !inside);
      }
      case 'ip protocol':
      case 'meta l4proto':
      case 'meta nfproto':
      case 'tcp flags':
      case 'meta pkttype':
        return this.identity(m);
    }
  }

  /**
   * `ct state`: what conntrack shows — once tracked, the original state (but what it shows an
   * untracked packet where conntrack cannot track the header); before, invalid/untracked.
   */
  private ctState(ctx: Context, m: Match): Space {
    const hs = this.hs;
    if (ctx.notracked) return this.constant(holds(m, 'untracked'));
    if (!ctx.tracked) return this.notTracked(m);
    let s = this.trackedCt.get(m);
    if (s === undefined) {
      const id = this.identity(m);
      const own = hs.diff(id, this.untrackable());
      const before = this.notTracked(m);
      const refused = hs.and(before, this.untrackable());
      s = hs.or(own, refused);
      hs.release(id, own, before, refused);
      this.trackedCt.set(m, s);
    }
    return hs.keep(s);
  }

  /** `ct state` of a packet without an entry: `untracked` if it came so, else `invalid`. */
  private notTracked(m: Match): Space {
    const hs = this.hs;
    this.untrackedCache ??= hs.equal('ctstate', BigInt(CT_STATES.indexOf('untracked')));
    const u = this.untrackedCache;
    if (holds(m, 'untracked') && holds(m, 'invalid')) return hs.keep(hs.all);
    if (holds(m, 'untracked')) return hs.keep(u);
    if (holds(m, 'invalid')) return hs.not(u);
    return hs.none;
  }

  /** dep ∩ raw for ==, dep ∖ raw for != (raw released). */
  /**
   * `ct status`: a connection's first packet reads the state's status; any other packet with an
   * entry its family's established status (a lone packet: un-NATed, not assured, as the engine
   * takes it); a packet without an entry reads none, so the match does not hold, `!=` included.
   */
  private ctStatus(s: SymState, m: Match): Space {
    const hs = this.hs;
    const dep = this.hasCt(s.ctx);
    if (dep === hs.none) return hs.none;
    const holds = (v: number) => inIvs(ivs(m), BigInt(v), m.mask);
    const first = hs.equal('ctstate', 0n); // CT_STATES[0] = new
    const parts: Space[] = holds(s.status ?? 0) ? [hs.and(first, dep)] : [];
    for (const f of [4, 6] as const) {
      if (!holds(this.established[f])) continue;
      const fam = hs.ofFamily(f);
      const later = hs.diff(fam, first);
      parts.push(hs.and(later, dep));
      hs.release(fam, later);
    }
    hs.release(first);
    const raw = hs.union(parts);
    hs.release(...parts);
    return this.withOp(m, hs.keep(dep), raw);
  }

  private withOp(m: Match, dep: Space, raw: Space): Space {
    const hs = this.hs;
    const out = m.op === '==' ? hs.and(dep, raw) : hs.diff(dep, raw);
    hs.release(dep, raw);
    return out;
  }

  private constant(b: boolean): Space {
    return b ? this.hs.keep(this.hs.all) : this.hs.none;
  }

  private identity(m: Match): Space {
    let s = this.plain.get(m);
    if (s === undefined) {
      s = matchSpace(this.hs, m);
      this.plain.set(m, s);
    }
    return this.hs.keep(s);
  }

  /** Raw set of headers whose (substituted) address lies in one of the intervals. */
  addrIn(sub: AddrSub, field: 'saddr' | 'daddr', list: Interval[]): Space {
    const hs = this.hs;
    const bits = sub.family === 4 ? 32 : 128;
    const vars: FieldVars = sub.family === 4 ? hs.layout.v4(field) : hs.layout.field(field);
    const k = bits - sub.len;
    const span = (1n << BigInt(k)) - 1n;
    const low: FieldVars = { first: vars.first + vars.width - k, width: k };
    const parts: Space[] = [];
    for (const iv of list) {
      const lo = iv.lo > sub.base ? iv.lo : sub.base;
      const hi = iv.hi < sub.base + span ? iv.hi : sub.base + span;
      if (lo > hi) continue;
      if (k === 0) {
        parts.push(hs.keep(hs.all));
        break;
      }
      parts.push(hs.range(low, lo - sub.base, hi - sub.base));
    }
    const raw = hs.union(parts);
    hs.release(...parts);
    const out = hs.and(raw, hs.all);
    hs.release(raw);
    return out;
  }

  /** Raw set of headers whose (substituted) port lies in [lo, hi]. */
  portIn(s: SymState, field: 'sport' | 'dport', lo: number, hi: number): Space {
    const c = s.sub[field];
    if (c !== undefined) return this.constant(lo <= c && c <= hi);
    const r = this.hs.range(this.hs.layout.field(field), BigInt(lo), BigInt(hi));
    const out = this.hs.and(r, this.hs.all);
    this.hs.release(r);
    return out;
  }

  /** The current address of a state's packets lies in the intervals (family given). */
  addrNow(s: SymState, field: 'saddr' | 'daddr', family: 4 | 6, list: Interval[]): Space {
    const sub = s.sub[field];
    const use: AddrSub = sub && sub.family === family ? sub : { base: 0n, len: 0, family };
    const fam = this.hs.ofFamily(family);
    const a = this.addrIn(use, field, list);
    const out = this.hs.and(fam, a);
    this.hs.release(fam, a);
    return out;
  }
}

/** Whether a `ct state` match holds for one state. */
function holds(m: Match, st: CtState): boolean {
  const inside = ivs(m).some((iv) => iv.lo <= BigInt(CT_STATE[st]!) && BigInt(CT_STATE[st]!) <= iv.hi);
  return m.op === '==' ? inside : !inside;
}

function ivs(m: Match): Interval[] {
  const r = valueIntervals(m.field, m.value);
  if (typeof r === 'string') throw new Error(r); // plan.ts checked every value
  return r;
}

/**
 * `((orig & and) ^ xor) & mask` in the intervals, as a union of ternary conditions on orig
 * ([bits fixed, their values]): each interval splits into aligned blocks (a fixed top, any low
 * bits); a block fixes the bits of the top that `mask` keeps (a top bit `mask` clears must be 0);
 * of those, a bit `and` clears is the constant xor bit (it must agree), any other is orig's bit
 * ^ xor's. Exact; at most 62 blocks an interval.
 */
export function markBlocks(list: Interval[], mask: number, and: number, xor: number): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  const m = BigInt(mask >>> 0);
  const a = BigInt(and >>> 0);
  const x = BigInt(xor >>> 0);
  const block = (top: bigint, low: number): void => {
    const fixed = ((1n << 32n) - 1n) ^ ((1n << BigInt(low)) - 1n);
    if (top & fixed & ~m) return; // a bit the mask clears would have to be 1
    const need = fixed & m;
    if (((x ^ top) & need & ~a) !== 0n) return; // a constant bit disagrees
    out.push([need & a, (top ^ x) & need & a]);
  };
  for (const iv of list) {
    let lo = iv.lo;
    const hi = iv.hi > 0xffffffffn ? 0xffffffffn : iv.hi;
    while (lo <= hi) {
      let low = 0;
      while (low < 32 && (lo & ((1n << BigInt(low + 1)) - 1n)) === 0n && lo + (1n << BigInt(low + 1)) - 1n <= hi) low++;
      block(lo, low);
      lo += 1n << BigInt(low);
    }
  }
  return out;
}

function inIvs(list: Interval[], x: bigint, mask?: number): boolean {
  const v = mask === undefined ? x : x & BigInt(mask);
  return list.some((iv) => iv.lo <= v && v <= iv.hi);
}
