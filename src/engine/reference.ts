// The reference interpreter: nftables' packet path written for clarity, straight from the IR.
// It is the oracle the WASM classifier is property-tested against, and it returns the same
// EvalResult. Only the chain numbering and the hook order come from plan.ts; every match,
// statement and verdict is interpreted here on its own.
//
// Path: network packets go prerouting → routing decision (daddr one of the host's addresses →
// input, else forward) → postrouting if forwarded; local packets go output → postrouting.
// Conntrack runs in prerouting/output at -200: chains before it see ct state `invalid` and no
// ct mark; `notrack` before it makes the packet `untracked`; a packet conntrack cannot track
// (ICMP in IPv6, ICMPv6 in IPv4: packet.ts `trackable`) reads `invalid` after it too. NAT
// chains run only for a new connection; a NAT statement accepts and ends the nat chains of that
// hook (nf_nat_inet_fn).
// A packet of a tracked connection (not its first) is rewritten by conntrack's NAT with the mapping
// the first packet got only when the caller says what it is (`conntrackNat`, flow.ts does): the
// model, which sees one packet, leaves it as it is otherwise.

import { plainVerdict } from '../model/expand-maps.js';
import { applyMarkOp, markOp } from '../model/mark-op.js';
import { fibOifHolds, type ConcatMatch, type Expr, type Match, type NatStmt, type Rule, type SetUpdateStmt, type StateMatch } from '../model/ruleset.js';
import {
  CT_STATE, FIELDS, NFPROTO, PKTTYPE, ifnameMatches, prefixMask, valueIntervals, valueItems, type CtState, type Interval,
} from '../model/values.js';
import { addressOf, addressText } from './addr.js';
import { fibLocal, fibLocalOn, fibRoute } from './fib.js';
import { firstAddress, type Environment } from './environment.js';
import { trackable, type Packet } from './packet.js';
import { natFamily, natHookReached, type PathHook, type Plan } from './plan.js';
import { establishedStatus, familyNats, natStatus, type Connection } from './ct-status.js';
import type { EvalResult, FinalVerdict, TraceEvent } from './result.js';
import { fieldsRead, goesOn, StateWord, waysOf, type Draw, type StateChoice } from './state.js';

export interface EvalOptions {
  trace?: boolean;
  /** Evaluate one hook alone (the packet enters it as it is); default: the packet's whole path. */
  hook?: PathHook;
  /** The ways stateful expressions take (src/engine/state.ts): a word or the choices; default 0, the first way of each. */
  state?: StateChoice;
}

/** A tuple half conntrack's NAT writes: an address and (for protocols with ports) a port. */
export interface NatTarget {
  addr: string;
  port: number;
}

export interface ReferenceOptions extends EvalOptions {
  /**
   * The rewrite conntrack's NAT applies to this packet of an existing connection (not ct new):
   * its destination at the DST-manip hooks (prerouting, output: NF_IP_PRI_NAT_DST, -100), its
   * source at the SRC-manip hooks (input, postrouting: NF_IP_PRI_NAT_SRC, 100) — nf_nat_packet
   * from nf_nat_inet_fn, whose hooks exist in a family once it has any nat chain.
   */
  conntrackNat?: { dst?: NatTarget; src?: NatTarget };
  /** For `ct status` (ct-status.ts), what the connection of a packet that is not its first had: NAT, ASSURED; default neither. */
  connection?: Connection;
  /** The state word to draw from, shared by several evaluations (flow.ts: a connection's packets); default: one made from `state`. */
  stateWord?: StateWord;
}

/** Protocols whose NAT rewrites ports (nf_nat_l4proto_unique_tuple). */
export const NAT_PORT_PROTOS = new Set([6, 17, 33, 132, 136]);

interface State {
  pkt: Packet;
  /** The state conntrack gives the packet: its own, or `invalid` if it cannot be tracked. */
  ct: CtState;
  saddr: bigint;
  daddr: bigint;
  sport: number;
  dport: number;
  mark: number;
  ctMark: number;
  /** Conntrack has looked at the packet. */
  tracked: boolean;
  untracked: boolean;
  natDone: { src: boolean; dst: boolean };
  /** What `ct status` reads (ct-status.ts). */
  status: number;
  iif: string;
  oif: string;
  /** The hook running. */
  hook?: PathHook;
  trace?: TraceEvent[];
  counters?: Float64Array;
  word: StateWord;
  draws: Draw[];
}

type ChainEnd = { verdict: FinalVerdict; rule?: number };

const WITH_CT = new Set<CtState>(['new', 'established', 'related']);
const hasCt = (s: State) => s.tracked && !s.untracked && WITH_CT.has(s.ct);
const ctSeen = (s: State): CtState => (s.untracked ? 'untracked' : s.tracked ? s.ct : 'invalid');

export function referenceEvaluate(plan: Plan, env: Environment, pkt: Packet, opts: ReferenceOptions = {}, counters?: Float64Array): EvalResult {
  const s: State = {
    pkt,
    ct: trackable(pkt) ? pkt.ctState : 'invalid',
    saddr: addressOf(pkt.saddr)!.value,
    daddr: addressOf(pkt.daddr)!.value,
    sport: pkt.sport,
    dport: pkt.dport,
    mark: pkt.mark,
    ctMark: pkt.ctMark,
    tracked: opts.hook !== undefined && opts.hook !== 'prerouting' && opts.hook !== 'output',
    untracked: pkt.ctState === 'untracked',
    natDone: { src: false, dst: false },
    status: pkt.ctState === 'new' ? 0 : establishedStatus(familyNats(plan, pkt.family), opts.connection),
    iif: '',
    oif: '',
    trace: opts.trace ? [] : undefined,
    counters,
    word: opts.stateWord ?? new StateWord(opts.state ?? 0),
    draws: [],
  };
  const hooks: PathHook[] = [];
  let last: (ChainEnd & { chain: number; by: 'rule' | 'policy' }) | undefined;
  let verdict: FinalVerdict = 'accept';

  // The routing decision: to the host (input), forwarded, or — a broadcast or multicast frame that
  // would be forwarded — dropped (ip_forward and ip6_forward take PACKET_HOST frames only).
  const route = (): PathHook | undefined => {
    const local = env.local[pkt.family].has(s.daddr) || (pkt.dstLocal === true && s.daddr === addressOf(pkt.daddr)!.value);
    const dropped = !local && pkt.pktType !== undefined;
    s.trace?.push(dropped ? { kind: 'route', local, dropped } : { kind: 'route', local });
    return local ? 'input' : dropped ? undefined : 'forward';
  };
  let routeDrop = false;
  let path: PathHook[];
  if (opts.hook) path = [opts.hook];
  else if (pkt.local) path = ['output', 'postrouting'];
  else path = ['prerouting'];

  for (let i = 0; i < path.length && verdict === 'accept'; i++) {
    const hook = path[i]!;
    hooks.push(hook);
    s.trace?.push({ kind: 'hook', hook });
    s.hook = hook;
    s.iif = hook === 'output' || (hook === 'postrouting' && pkt.local) ? '' : pkt.iifname;
    s.oif = hook === 'prerouting' || hook === 'input' ? '' : pkt.oifname;
    const ctNat = opts.conntrackNat?.[hook === 'prerouting' || hook === 'output' ? 'dst' : 'src'];
    let ctNatDone = ctNat === undefined || hook === 'forward';
    const slots = plan.pipelines[pkt.family][hook];
    const manip = hook === 'prerouting' || hook === 'output' ? 'dst' : 'src';
    for (const slot of slots) {
      const natRan = natHookReached(plan, pkt.family, hook, slot);
      if (!ctNatDone && natRan) {
        conntrackRewrite(s, hook, ctNat!);
        ctNatDone = true;
      }
      // nf_nat has bound the first packet's mapping (a null one when no rule NATs) before any
      // chain after it; a nat slot binds it after its chains, or at the NAT statement.
      const bindDone = () => {
        if (hasCt(s) && s.ct === 'new') s.status |= natStatus(manip);
      };
      if (natRan && slot.kind === 'chain') bindDone();
      if (slot.kind === 'conntrack') {
        if (!s.untracked) s.tracked = true;
        s.trace?.push({ kind: 'conntrack', state: ctSeen(s) });
        continue;
      }
      const chains = slot.kind === 'chain' ? [slot.chain] : slot.chains;
      const firstPacket = hasCt(s) && s.ct === 'new';
      for (const chain of chains) {
        if (slot.kind === 'nat' && !firstPacket) {
          s.trace?.push({ kind: 'nat-skip', chain });
          continue;
        }
        const end = runBaseChain(plan, env, s, chain);
        last = { ...end, chain: end.chain, by: end.rule === undefined ? 'policy' : 'rule' };
        if (end.verdict !== 'accept') {
          verdict = end.verdict;
          break;
        }
        if (slot.kind === 'nat' && s.natDone[manip]) break;
      }
      if (verdict !== 'accept') break;
      if (slot.kind === 'nat') bindDone();
    }
    if (!ctNatDone && verdict === 'accept') conntrackRewrite(s, hook, ctNat!);
    if (verdict === 'accept' && !opts.hook && hook === 'prerouting') {
      const next = route();
      if (next) path.push(next);
      else {
        verdict = 'drop';
        routeDrop = true;
      }
    }
    if (verdict === 'accept' && !opts.hook && hook === 'forward') path.push('postrouting');
  }

  const out: Packet = {
    ...pkt,
    saddr: addressText(s.saddr, pkt.family),
    daddr: addressText(s.daddr, pkt.family),
    sport: s.sport,
    dport: s.dport,
    mark: s.mark,
    ctMark: s.ctMark,
    ctState: ctSeen(s),
  };
  const result: EvalResult = { verdict, by: routeDrop ? 'route' : last ? last.by : 'none', hooks, packet: out };
  if (last && !routeDrop) {
    result.chain = last.chain;
    if (last.rule !== undefined) result.rule = last.rule;
  }
  if (s.draws.length) result.draws = s.draws;
  if (s.trace) result.trace = s.trace;
  return result;
}

/** Conntrack's NAT on a packet of an existing connection: destination at DST hooks, source at SRC hooks. */
function conntrackRewrite(s: State, hook: PathHook, to: NatTarget): void {
  const dst = hook === 'prerouting' || hook === 'output';
  const addr = addressOf(to.addr)!.value;
  const ports = NAT_PORT_PROTOS.has(s.pkt.l4proto);
  if (dst) {
    s.daddr = addr;
    if (ports) s.dport = to.port;
  } else {
    s.saddr = addr;
    if (ports) s.sport = to.port;
  }
  s.trace?.push({ kind: 'conntrack-nat', manip: dst ? 'dst' : 'src', to: formatTarget(s.pkt.family, to.addr, ports ? to.port : undefined) });
}

function formatTarget(family: 4 | 6, addr: string, port: number | undefined): string {
  if (port === undefined) return addr;
  return family === 6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** One base chain with the chains it jumps to; how it ended and which rule (if any) ended it. */
function runBaseChain(plan: Plan, env: Environment, s: State, base: number): ChainEnd & { chain: number } {
  const stack: { chain: number; next: number }[] = [];
  let chain = base;
  let i = 0;
  s.trace?.push({ kind: 'chain', chain, via: 'hook' });
  for (;;) {
    const info = plan.chains[chain]!;
    const rules = info.chain.rules;
    let returning = i >= rules.length;
    if (!returning) {
      const id = info.firstRule + i;
      const outcome = runRule(plan, env, s, id, rules[i]!);
      switch (outcome) {
        case 'next':
          i++;
          continue;
        case 'accept':
        case 'drop':
        case 'reject':
          return { verdict: outcome, rule: id, chain };
        case 'jump':
        case 'goto': {
          if (outcome === 'jump') stack.push({ chain, next: i + 1 });
          chain = info.targets[i]!;
          i = 0;
          s.trace?.push({ kind: 'chain', chain, via: outcome });
          continue;
        }
        case 'return':
          returning = true;
      }
    }
    // Fell off the chain, or `return`: back to the caller, or the base chain's policy.
    const frame = stack.pop();
    if (!frame) {
      const policy = plan.chains[base]!.chain.base!.policy;
      s.trace?.push({ kind: 'policy', chain: base, verdict: policy });
      return { verdict: policy, chain: base };
    }
    s.trace?.push({ kind: 'return', chain });
    chain = frame.chain;
    i = frame.next;
  }
}

type RuleOutcome = 'next' | 'accept' | 'drop' | 'reject' | 'jump' | 'goto' | 'return';

function runRule(plan: Plan, env: Environment, s: State, id: number, rule: Rule): RuleOutcome {
  let leading = true;
  const enter = () => {
    if (leading) s.trace?.push({ kind: 'rule', rule: id });
    leading = false;
  };
  for (let e = 0; e < rule.exprs.length; e++) {
    const expr: Expr = rule.exprs[e]!;
    if (expr.kind === 'concat') {
      // Compiled into the op stream, not the chain's lookup (compile.ts): the rule is entered first.
      enter();
      if (concatMatches(s, expr)) continue;
      s.trace?.push({ kind: 'fail', rule: id, expr: e });
      return 'next';
    }
    if (expr.kind === 'match') {
      if (matches(s, expr)) continue;
      if (!leading) s.trace?.push({ kind: 'fail', rule: id, expr: e });
      return 'next';
    }
    enter();
    if (expr.kind === 'fib') {
      // Not a leading match (the engine classifies on header fields only): it runs once the
      // rule is entered, like a match after a statement.
      const a = expr.addr === 'saddr' ? s.saddr : s.daddr;
      const held = expr.result === 'type'
        ? (expr.through ? fibLocalOn(env, s.pkt.family, a, expr.through === 'iif' ? s.iif : s.oif) : fibLocal(env, s.pkt.family, a)) === (expr.op === '==')
        : fibOifHolds(expr, fibRoute(env, expr, { family: s.pkt.family, saddr: s.saddr, daddr: s.daddr, iif: s.iif, oif: s.oif, hook: s.hook! }));
      if (held) continue;
      s.trace?.push({ kind: 'fail', rule: id, expr: e });
      return 'next';
    }
    if (expr.kind === 'state' || expr.kind === 'set-update') {
      if (stateful(s, id, e, expr)) {
        if (expr.kind === 'set-update') s.trace?.push({ kind: 'stmt', rule: id, expr: e });
        continue;
      }
      s.trace?.push({ kind: 'fail', rule: id, expr: e });
      return 'next';
    }
    switch (expr.kind) {
      case 'counter': {
        const c = plan.counterAt.get(`${id}:${e}`)!;
        if (s.counters) {
          s.counters[2 * c] = s.counters[2 * c]! + 1;
          s.counters[2 * c + 1] = s.counters[2 * c + 1]! + s.pkt.length;
        }
        break;
      }
      case 'set-mark': {
        // Reading `ct mark` without a conntrack entry ends the rule (nft_ct_get_eval: NFT_BREAK);
        // writing it without one does nothing (nft_ct_set_eval).
        if (expr.value === 'ct mark' && !hasCt(s)) {
          s.trace?.push({ kind: 'fail', rule: id, expr: e });
          return 'next';
        }
        const op = markOp(expr);
        const v = applyMarkOp(op, op.source === 'ct mark' ? s.ctMark : op.source === 'meta mark' ? s.mark : 0);
        if (expr.key === 'meta mark') s.mark = v;
        else if (hasCt(s)) s.ctMark = v;
        break;
      }
      case 'notrack':
        // nft_notrack_eval: no effect on a packet that already has a conntrack entry.
        if (!hasCt(s) && !s.untracked) s.untracked = true;
        break;
      case 'nat': {
        const r = applyNat(env, s, expr);
        if (r === 'noop') break;
        s.trace?.push({ kind: 'stmt', rule: id, expr: e });
        s.trace?.push({ kind: 'verdict', rule: id, verdict: r });
        return r;
      }
      case 'mss-clamp':
      case 'log':
        break;
    }
    s.trace?.push({ kind: 'stmt', rule: id, expr: e });
  }
  enter();
  const v = plainVerdict(rule);
  if (!v || v.kind === 'continue') {
    if (v) s.trace?.push({ kind: 'verdict', rule: id, verdict: 'continue' });
    return 'next';
  }
  s.trace?.push({ kind: 'verdict', rule: id, verdict: v.kind });
  return v.kind;
}

/**
 * A stateful expression: the way the state word gives it (a lookup in a dynamic set first needs
 * its key fields' dependencies, as any lookup does); whether the rule goes on.
 */
function stateful(s: State, rule: number, expr: number, x: StateMatch | SetUpdateStmt): boolean {
  if (!fieldsRead(x).every((f) => matches(s, { kind: 'match', field: f, op: '!=', value: { set: [] }, origin: x.origin }))) return false;
  const of = waysOf(x);
  const again = x.kind === 'state' && x.again === true;
  const choice = s.word.draw(of, again);
  if (of > 1 && !again) {
    s.draws.push({ rule, expr, choice, of });
    s.trace?.push({ kind: 'draw', rule, expr, choice, of });
  }
  return goesOn(x, choice);
}

/** A match as the kernel evaluates it, with the dependencies nft adds for its field. */
function matches(s: State, m: Match): boolean {
  const info = FIELDS[m.field];
  const fam = s.pkt.family;
  if (info.nfproto && NFPROTO[info.nfproto] !== (fam === 4 ? NFPROTO.ipv4 : NFPROTO.ipv6)) return false;
  if (info.l4proto !== undefined && s.pkt.l4proto !== info.l4proto) return false;
  if ((m.field === 'ct mark' || m.field === 'ct status') && !hasCt(s)) return false;
  let inside: boolean;
  if (info.kind === 'ifname') {
    const name = m.field === 'meta iifname' ? s.iif : s.oif;
    inside = valueItems(m.value).some((p) => ifnameMatches(p as string, name));
  } else {
    let x = fieldValue(s, m.field);
    if (m.mask !== undefined) x &= BigInt(m.mask);
    inside = intervalsOf(m).some((iv) => iv.lo <= x && x <= iv.hi);
  }
  return m.op === '==' ? inside : !inside;
}

/**
 * A concatenation in a set: every field's dependency holds, and (for `==`) some element holds each
 * field's value — the element read as one `==` match per field.
 */
function concatMatches(s: State, m: ConcatMatch): boolean {
  const probe = (field: Match['field'], value: Match['value']): Match => ({ kind: 'match', field, op: '==', value, origin: m.origin });
  const zero = (field: Match['field']): Match => ({ kind: 'match', field, op: '!=', value: { set: [] }, origin: m.origin });
  if (!m.fields.every((f) => matches(s, zero(f)))) return false;
  const inside = m.elements.some((el) => m.fields.every((f, i) => matches(s, probe(f, el[i]!))));
  return m.op === '==' ? inside : !inside;
}

const intervalCache = new WeakMap<Match, Interval[]>();
function intervalsOf(m: Match): Interval[] {
  let ivs = intervalCache.get(m);
  if (!ivs) {
    const r = valueIntervals(m.field, m.value);
    if (typeof r === 'string') throw new Error(r); // plan.ts checked every value
    intervalCache.set(m, (ivs = r));
  }
  return ivs;
}

function fieldValue(s: State, field: Match['field']): bigint {
  switch (field) {
    case 'ip saddr':
    case 'ip6 saddr': return s.saddr;
    case 'ip daddr':
    case 'ip6 daddr': return s.daddr;
    case 'ip protocol':
    case 'meta l4proto': return BigInt(s.pkt.l4proto);
    case 'meta nfproto': return BigInt(s.pkt.family === 4 ? NFPROTO.ipv4 : NFPROTO.ipv6);
    case 'th sport': return BigInt(s.sport);
    case 'th dport': return BigInt(s.dport);
    case 'ct state': return BigInt(CT_STATE[ctSeen(s)]!);
    case 'ct mark': return BigInt(s.ctMark);
    case 'ct status': return BigInt(s.status);
    case 'meta pkttype': return BigInt(s.pkt.local ? 0 : PKTTYPE[s.pkt.pktType ?? 'host']!);
    case 'meta mark': return BigInt(s.mark);
    case 'tcp flags': return BigInt(s.pkt.tcpFlags);
    case 'meta iifname':
    case 'meta oifname': throw new Error('interface names are matched by name');
  }
}

/**
 * snat/dnat/masquerade/redirect (nft_nat_eval, nf_nat_setup_info): `accept`, `drop` (masquerade
 * without an address on the output interface, redirect without one on the input interface), or
 * `noop` (an inet NAT for the other IP version).
 * Pools: an address or port already inside the range is kept (the kernel's first choice for
 * snat and for ports); otherwise the model takes the range's first value, where the kernel
 * picks one by hash.
 */
function applyNat(env: Environment, s: State, n: NatStmt): 'accept' | 'drop' | 'noop' {
  const fam = s.pkt.family;
  const bits = fam === 4 ? 32 : 128;
  const tf = natFamily(n.to);
  if (tf !== undefined && tf !== fam) return 'noop';
  const dst = n.type === 'dnat' || n.type === 'redirect';
  const old = dst ? s.daddr : s.saddr;
  const oldPort = dst ? s.dport : s.sport;
  let addr = old;
  if (n.type === 'masquerade') {
    const a = firstAddress(env, s.oif, fam);
    if (a === undefined) return 'drop';
    addr = a;
  } else if (n.type === 'redirect') {
    // nf_nat_redirect: loopback in output, else the input interface's first address (none: drop).
    const a = s.hook === 'output' ? (fam === 4 ? 0x7f000001n : 1n) : firstAddress(env, s.iif, fam);
    if (a === undefined) return 'drop';
    addr = a;
  } else if (n.to !== undefined) {
    const to = n.to;
    if (typeof to === 'object' && 'prefix' in to) {
      const mask = prefixMask(to.len, bits);
      addr = (addressOf(to.prefix)!.value & mask) | (old & ~mask & ((1n << BigInt(bits)) - 1n));
    } else {
      const [lo, hi] = typeof to === 'object' && 'range' in to ? to.range : [to, to];
      const l = addressOf(String(lo))!.value;
      const h = addressOf(String(hi))!.value;
      addr = !dst && l <= old && old <= h ? old : l;
    }
  }
  if (dst) s.daddr = addr;
  else s.saddr = addr;
  if (n.port !== undefined && NAT_PORT_PROTOS.has(s.pkt.l4proto)) {
    const [lo, hi] = typeof n.port === 'number' ? [n.port, n.port] : n.port.range;
    const p = dst ? s.dport : s.sport;
    const np = lo <= p && p <= hi ? p : lo;
    if (dst) s.dport = np;
    else s.sport = np;
  }
  s.natDone[dst ? 'dst' : 'src'] = true;
  // nf_nat_setup_info: the mapping is bound; the status says NAT when it changed the tuple.
  if (hasCt(s) && s.ct === 'new') {
    const changed = dst ? s.daddr !== old || s.dport !== oldPort : s.saddr !== old || s.sport !== oldPort;
    s.status |= natStatus(dst ? 'dst' : 'src', changed);
  }
  return 'accept';
}
