// Running chains: find the next matching rule (lookup.ts), run its op stream — statements, later
// matches, the verdict — and follow jumps, gotos and returns with a jump stack, as the kernel's
// nft_do_chain does. Mirrors src/engine/reference.ts (the oracle it is property-tested against);
// the semantics are described there.

import {
  C_FIRST_RULE, C_POLICY, C_RULES, CHAIN_WORDS, H_CHAINS, H_MASQ, K_CTMARK, K_CTSTATE, K_DADDR, K_DPORT,
  K_HASCT, K_L4PROTO, K_MARK, K_NFPROTO, K_SADDR, K_SPORT, NAT_ADDR_PREFIX, NAT_ADDR_RANGE, NAT_DNAT,
  NAT_MASQ, NAT_REDIRECT, NO_RULE, OP_CONCAT, OP_COUNTER, OP_END, OP_MATCH, OP_NAT, OP_NOP, OP_NOTRACK, OP_SETMARK, OP_VERDICT, OP_FIB, OP_FIB_OIF, OP_STATE, T_DRAW, REQ_CT, REQ_TCP,
  REQ_V4, REQ_V6, RULE_VERDICT, T_CHAIN, T_FAIL, T_POLICY, T_RETURN, T_RULE, T_STMT, T_VERDICT, V_ACCEPT, V_CONTINUE, V_DROP,
  V_GOTO, V_JUMP, V_REJECT, V_RETURN, VERDICT_ACCEPT, VERDICT_DROP, VERDICT_REJECT, C_NRULES, NAT_WORDS,
  H_NATS, K_CTSTATUS, K_IIF, K_OIF, IPS_CONFIRMED, IPS_SEEN_REPLY, IPS_SRC_NAT, IPS_DST_NAT, IPS_SRC_NAT_DONE, IPS_DST_NAT_DONE,
} from './layout';
import { forestMatch } from './cuts';
import { fibLocal, fibLocalOn, fibRoute, redirectTo } from './host';
import { firstMatch } from './lookup';
import { clearDraws, counters, emit, key, pw, recordDraw, setKey, STACK } from './memory';

// ─── per-packet state besides the keys ───────────────────────────────────────────────────────
/** The ct state conntrack gives the packet (a CT_STATE bit). */
export let ctGiven: u32 = 0;
/** Conntrack has looked at the packet / the packet is untracked (notrack). */
export let tracked: bool = false;
export let untracked: bool = false;
export let natDoneSrc: bool = false;
export let natDoneDst: bool = false;
/** A NAT or mark statement changed the packet's addresses, ports or marks. */
export let rewritten: bool = false;
export let pktLen: u32 = 0;
/** Masquerade address index (1-based) of the output interface for the packet's family; 0: none. */
export let masqIndex: u32 = 0;
/** The hook whose chains run (HOOK_*). */
export let hookNow: u32 = 0;
/** The conntrack status bits `ct status` reads (src/engine/ct-status.ts), kept in K_CTSTATUS. */
let status: u32 = 0;
/**
 * The state word every packet starts from (src/engine/state.ts), what is left of it, and the last
 * way drawn (an `again` op reads it: the first element of its lookup always drew before it). The
 * packet met a draw with more than one way when memory.ts recorded one (drawLen).
 */
let stateInit: u32 = 0;
let stateWord: u32 = 0;
let lastWay: u32 = 0;
export function setStateWord(w: u32): void {
  stateInit = w;
}
/** The decision that ended the last base chain: rule id (NO_RULE for a policy) and chain. */
export let lastRule: u32 = NO_RULE;
export let lastChain: u32 = NO_RULE;

const NFPROTO_IPV4: u32 = 2;
const NFPROTO_IPV6: u32 = 10;
const IPPROTO_ICMP: u32 = 1;
const IPPROTO_ICMPV6: u32 = 58;
/** The ct state bit of `invalid` (model/values.ts CT_STATE). */
const CT_INVALID: u32 = 1;

/** Conntrack's ICMP trackers take their own IP version only (packet.ts `trackable`). */
function trackable(): bool {
  const l4 = key(K_L4PROTO);
  const nf = key(K_NFPROTO);
  return !((l4 == IPPROTO_ICMP && nf == NFPROTO_IPV6) || (l4 == IPPROTO_ICMPV6 && nf == NFPROTO_IPV4));
}

/** Keys K_NFPROTO and K_L4PROTO must be set: a packet conntrack cannot track reads `invalid`. */
export function resetPacket(given: u32, isTracked: bool, len: u32, masq: u32): void {
  ctGiven = trackable() ? given : CT_INVALID;
  untracked = given == 64;
  tracked = isTracked;
  natDoneSrc = false;
  natDoneDst = false;
  rewritten = false;
  pktLen = len;
  masqIndex = masq;
  lastRule = NO_RULE;
  lastChain = NO_RULE;
  stateWord = stateInit;
  clearDraws();
  const nats = (pw(H_NATS) & (key(K_NFPROTO) == NFPROTO_IPV4 ? 1 : 2)) != 0;
  status = given == 8 ? 0 : IPS_CONFIRMED | IPS_SEEN_REPLY | (nats ? IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE : 0);
  setKey(K_CTSTATUS, status);
  refreshCt();
}

/** nf_nat has bound a first packet's mapping for `dst` or source (a null binding when no rule NATs). */
export function natBound(dst: bool, changed: bool): void {
  if (key(K_HASCT) == 0 || ctGiven != 8) return;
  status |= dst ? IPS_DST_NAT_DONE | (changed ? IPS_DST_NAT : 0) : IPS_SRC_NAT_DONE | (changed ? IPS_SRC_NAT : 0);
  setKey(K_CTSTATUS, status);
}

// @ts-ignore: decorator
@inline export function enterHook(hook: u32): void {
  hookNow = hook;
}

// @ts-ignore: decorator
@inline export function conntrack(): void {
  if (!untracked) tracked = true;
  refreshCt();
}

/** K_CTSTATE and K_HASCT from the conntrack state: invalid before conntrack, untracked after notrack. */
function refreshCt(): void {
  setKey(K_CTSTATE, untracked ? 64 : tracked ? ctGiven : 1);
  setKey(K_HASCT, tracked && !untracked && (ctGiven == 2 || ctGiven == 4 || ctGiven == 8) ? 1 : 0);
}

// ─── chains ──────────────────────────────────────────────────────────────────────────────────
const NEXT: u32 = 100; // distinct from the VERDICT_* values
const JUMP: u32 = 10;
const GOTO: u32 = 11;
const RETURN: u32 = 12;
let target: u32 = 0;

// @ts-ignore: decorator
@inline function chainRec(chain: u32): u32 {
  return pw(H_CHAINS) + chain * CHAIN_WORDS;
}

/** Runs a base chain and what it calls; returns VERDICT_* and records the decision. */
export function runBaseChain(base: u32): u32 {
  let sp: u32 = 0;
  let chain = base;
  let pos: u32 = 0;
  emit(T_CHAIN, chain, 0);
  while (true) {
    const rec = chainRec(chain);
    const nRules = pw(rec + C_NRULES);
    const r = firstMatch(rec, pos, nRules);
    if (r < nRules) {
      const id = pw(rec + C_FIRST_RULE) + r;
      emit(T_RULE, id, 0);
      const word = pw(pw(rec + C_RULES) + r);
      if ((word & RULE_VERDICT) != 0) {
        // A rule that only decides: its verdict is in the rule table (no op stream to read).
        const v = word & ~RULE_VERDICT;
        emit(T_VERDICT, id, v);
        lastRule = id;
        lastChain = chain;
        return v == V_ACCEPT ? VERDICT_ACCEPT : v == V_DROP ? VERDICT_DROP : VERDICT_REJECT;
      }
      const out = runOps(word, id);
      if (out == NEXT) {
        pos = r + 1;
        continue;
      }
      if (out == JUMP || out == GOTO) {
        if (out == JUMP) {
          const f = STACK + ((<usize>sp) << 3);
          store<u32>(f, chain);
          store<u32>(f + 4, r + 1);
          sp++;
        }
        chain = target;
        pos = 0;
        emit(T_CHAIN, chain, out == JUMP ? 1 : 2);
        continue;
      }
      if (out != RETURN) {
        lastRule = id;
        lastChain = chain;
        return out;
      }
    }
    // Fell off the chain, or `return`: back to the caller, or the base chain's policy.
    if (sp == 0) {
      const policy = pw(chainRec(base) + C_POLICY);
      emit(T_POLICY, base, policy);
      lastRule = NO_RULE;
      lastChain = base;
      return policy;
    }
    emit(T_RETURN, chain, 0);
    sp--;
    const f = STACK + ((<usize>sp) << 3);
    chain = load<u32>(f);
    pos = load<u32>(f + 4);
  }
  return VERDICT_DROP; // not reached
}

/** Runs a rule's ops from word `op`; returns NEXT, a VERDICT_*, JUMP/GOTO (target set) or RETURN. */
function runOps(op: u32, id: u32): u32 {
  while (true) {
    const hdr = pw(op);
    const code = hdr & 0xff;
    const expr = hdr >>> 8;
    switch (code) {
      case OP_END:
        return NEXT;
      case OP_MATCH: {
        const n = pw(op + 6);
        const width = pw(op + 2);
        if (!matchOp(op)) {
          emit(T_FAIL, id, expr);
          return NEXT;
        }
        op += 7 + n * 2 * width;
        break;
      }
      case OP_CONCAT: {
        if (!concatOp(op)) {
          emit(T_FAIL, id, expr);
          return NEXT;
        }
        op += pw(op + 1);
        break;
      }
      case OP_COUNTER: {
        const c = counters + ((<usize>pw(op + 1)) << 4);
        store<f64>(c, load<f64>(c) + 1);
        store<f64>(c + 8, load<f64>(c + 8) + <f64>pktLen);
        emit(T_STMT, id, expr);
        op += 2;
        break;
      }
      case OP_SETMARK: {
        const isCt = pw(op + 1) == 1;
        const src = pw(op + 2);
        const hasCt = key(K_HASCT) == 1;
        if (src == 2 && !hasCt) {
          emit(T_FAIL, id, expr);
          return NEXT;
        }
        const read: u32 = src == 0 ? 0 : src == 1 ? key(K_MARK) : key(K_CTMARK);
        const v = (read & pw(op + 3)) ^ pw(op + 4);
        if (!isCt) setKey(K_MARK, v);
        else if (hasCt) setKey(K_CTMARK, v);
        rewritten = true;
        emit(T_STMT, id, expr);
        op += 5;
        break;
      }
      case OP_FIB: {
        const slot = pw(op + 1) == 0 ? K_SADDR : K_DADDR;
        const through = pw(op + 3);
        const local = through == 0 ? fibLocal(slot) : fibLocalOn(slot, key(through == 1 ? K_IIF : K_OIF));
        if (local == (pw(op + 2) == 1)) {
          emit(T_FAIL, id, expr);
          return NEXT;
        }
        op += 4;
        break;
      }
      case OP_FIB_OIF: {
        const found = fibRoute(pw(op + 1) == 0 ? K_SADDR : K_DADDR, pw(op + 2), hookNow);
        if (found != (pw(op + 3) == 1)) {
          emit(T_FAIL, id, expr);
          return NEXT;
        }
        op += 4;
        break;
      }
      case OP_STATE: {
        if (!stateOp(op, id, expr)) {
          emit(T_FAIL, id, expr);
          return NEXT;
        }
        if ((pw(op + 3) & 2) != 0) emit(T_STMT, id, expr);
        op += 7 + pw(op + 6) * 2;
        break;
      }
      case OP_NOTRACK: {
        if (key(K_HASCT) == 0 && !untracked) {
          untracked = true;
          refreshCt();
        }
        emit(T_STMT, id, expr);
        op += 1;
        break;
      }
      case OP_NOP: {
        emit(T_STMT, id, expr);
        op += 1;
        break;
      }
      case OP_NAT: {
        const r = natOp(op + 1);
        if (r != NEXT) {
          emit(T_STMT, id, expr);
          emit(T_VERDICT, id, r == VERDICT_ACCEPT ? V_ACCEPT : V_DROP);
          return r;
        }
        emit(T_STMT, id, expr);
        op += 1 + NAT_WORDS;
        break;
      }
      case OP_VERDICT: {
        const v = pw(op + 1);
        emit(T_VERDICT, id, v);
        if (v == V_ACCEPT) return VERDICT_ACCEPT;
        if (v == V_DROP) return VERDICT_DROP;
        if (v == V_REJECT) return VERDICT_REJECT;
        if (v == V_CONTINUE) return NEXT;
        if (v == V_RETURN) return RETURN;
        target = pw(op + 2);
        return v == V_JUMP ? JUMP : GOTO;
      }
      default:
        unreachable();
    }
  }
  return NEXT; // not reached
}

/** Whether the packet has what a match's field needs (REQ_* bits: nft's dependencies). */
// @ts-ignore: decorator
@inline function requirementsMet(req: u32): bool {
  if (req == 0) return true;
  const nf = key(K_NFPROTO);
  if ((req & REQ_V4) != 0 && nf != 2) return false;
  if ((req & REQ_V6) != 0 && nf != 10) return false;
  if ((req & REQ_TCP) != 0 && key(K_L4PROTO) != 6) return false;
  return (req & REQ_CT) == 0 || key(K_HASCT) != 0;
}

/** OP_STATE: requirements, then a way drawn from the state word; whether the rule goes on. */
function stateOp(op: u32, id: u32, expr: u32): bool {
  if (!requirementsMet(pw(op + 5))) return false;
  const ways = pw(op + 1);
  let way: u32 = lastWay;
  if ((pw(op + 3) & 1) == 0) {
    way = 0;
    if (ways > 1) {
      way = stateWord % ways;
      stateWord = stateWord / ways;
      recordDraw(id, expr, way);
      emit(T_DRAW, id, expr, way);
    }
    lastWay = way;
  }
  const v = pw(op + 2) + way;
  const n = pw(op + 6);
  let inside = false;
  for (let i: u32 = 0; i < n; i++) {
    if (pw(op + 7 + 2 * i) <= v && v <= pw(op + 8 + 2 * i)) {
      inside = true;
      break;
    }
  }
  return inside != (pw(op + 4) != 0);
}

/** A match after a statement: requirements, then the key against its intervals. */
function matchOp(op: u32): bool {
  const slot = pw(op + 1);
  const width = pw(op + 2);
  const n = pw(op + 6);
  if (!requirementsMet(pw(op + 5))) return false;
  // The intervals are sorted and disjoint (compile.ts): a binary search for the last one starting
  // at or below the key, then a check of its end — a set of any size costs log2(n) probes.
  const base = op + 7;
  const stride = 2 * width;
  let lo: u32 = 0;
  let hi: u32 = n;
  if (width == 1) {
    const k = key(slot) & pw(op + 3);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pw(base + mid * stride) <= k) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && k <= pw(base + (lo - 1) * stride + 1);
  }
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmp128(base + mid * stride, slot) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && cmp128(base + (lo - 1) * stride + 4, slot) >= 0;
}

/** A concatenation in a set (OP_CONCAT): requirements, then whether some element holds every field's key. */
function concatOp(op: u32): bool {
  const neg = pw(op + 2) != 0;
  const nf = pw(op + 4);
  if (!requirementsMet(pw(op + 3))) return false;
  const fields = op + 5;
  const ne = pw(fields + 3 * nf);
  const forest = pw(fields + 3 * nf + 1);
  if (forest != 0) return (forestMatch(forest, 0, ne) < ne) != neg;
  let at = fields + 3 * nf + 2;
  for (let e: u32 = 0; e < ne; e++) {
    let all = true;
    for (let f: u32 = 0; f < nf; f++) {
      const n = pw(at);
      const slot = pw(fields + 3 * f);
      const width = pw(fields + 3 * f + 1);
      if (all && !inIntervals(at + 1, n, slot, width, pw(fields + 3 * f + 2))) all = false;
      at += 1 + n * 2 * width;
    }
    if (all) return !neg;
  }
  return neg;
}

/** Whether the key at `slot` (masked, for 32-bit keys) is inside one of n intervals at `iv`. */
function inIntervals(iv: u32, n: u32, slot: u32, width: u32, mask: u32): bool {
  if (width == 1) {
    const k = key(slot) & mask;
    for (let i: u32 = 0; i < n; i++, iv += 2) if (pw(iv) <= k && k <= pw(iv + 1)) return true;
    return false;
  }
  for (let i: u32 = 0; i < n; i++, iv += 8) {
    if (cmp128(iv, slot) <= 0 && cmp128(iv + 4, slot) >= 0) return true;
  }
  return false;
}

/** Compares the 128-bit program value at word `at` with the key at `slot`: -1, 0, 1. */
function cmp128(at: u32, slot: u32): i32 {
  for (let i: u32 = 0; i < 4; i++) {
    const x = pw(at + i);
    const y = key(slot + i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

/** snat/dnat/masquerade; operands at `o`. NEXT when it does not apply (other IP version). */
function natOp(o: u32): u32 {
  const type = pw(o);
  const fam = pw(o + 1);
  const kind = pw(o + 2);
  const pfam: u32 = key(K_NFPROTO) == NFPROTO_IPV4 ? 4 : 6;
  if (fam != 0 && fam != pfam) return NEXT;
  const width: u32 = pfam == 4 ? 1 : 4;
  const dst = type == NAT_DNAT || type == NAT_REDIRECT;
  const base: u32 = dst ? K_DADDR : K_SADDR;
  const portSlot: u32 = dst ? K_DPORT : K_SPORT;
  const was0 = key(base);
  const was1 = key(base + 1);
  const was2 = key(base + 2);
  const was3 = key(base + 3);
  const wasPort = key(portSlot);
  if (type == NAT_MASQ) {
    if (masqIndex == 0) return VERDICT_DROP;
    const m = pw(H_MASQ) + (masqIndex - 1) * 4;
    for (let i: u32 = 0; i < width; i++) setKey(base + i, pw(m + i));
  } else if (type == NAT_REDIRECT) {
    if (!redirectTo(pfam == 4, hookNow)) return VERDICT_DROP;
  } else if (kind == NAT_ADDR_PREFIX) {
    for (let i: u32 = 0; i < width; i++) setKey(base + i, pw(o + 3 + i) | (key(base + i) & ~pw(o + 7 + i)));
  } else if (kind == NAT_ADDR_RANGE) {
    const keep = !dst && cmpWords(o + 3, base, width) <= 0 && cmpWords(o + 7, base, width) >= 0;
    if (!keep) for (let i: u32 = 0; i < width; i++) setKey(base + i, pw(o + 3 + i));
  }
  if (pw(o + 11) != 0) {
    const l4 = key(K_L4PROTO);
    if (l4 == 6 || l4 == 17 || l4 == 33 || l4 == 132 || l4 == 136) {
      const ps: u32 = dst ? K_DPORT : K_SPORT;
      const p = key(ps);
      const lo = pw(o + 12);
      if (p < lo || p > pw(o + 13)) setKey(ps, lo);
    }
  }
  if (dst) natDoneDst = true;
  else natDoneSrc = true;
  rewritten = true;
  natBound(dst, key(base) != was0 || key(base + 1) != was1 || key(base + 2) != was2 || key(base + 3) != was3 || key(portSlot) != wasPort);
  return VERDICT_ACCEPT;
}


function cmpWords(at: u32, slot: u32, width: u32): i32 {
  for (let i: u32 = 0; i < width; i++) {
    const x = pw(at + i);
    const y = key(slot + i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}




