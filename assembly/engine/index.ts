// The engine's WebAssembly exports: numbers in, numbers out, nothing allocated. The TypeScript
// side (src/engine/wasm.ts) writes a compiled program and a batch of packets into this module's
// memory (layout: src/engine/layout.ts), then calls `evaluate` once for the whole batch.
// How a chain is searched: lookup.ts; how rules run: exec.ts; the semantics: src/engine/reference.ts.

import {
  B_CHAIN, B_HOOK, B_LEN, B_LOCAL, B_MASQ, LOCAL_DESTINATION, LOCAL_GENERATED, B_OUT_CTMARK, B_OUT_CTSTATE, B_OUT_DADDR, B_OUT_DPORT, B_OUT_MARK,
  B_OUT_PATH, B_OUT_SADDR, B_OUT_SPORT, PATH_STATEFUL, B_RULE, B_VERDICT, H_EMPTY_IF,
  H_PIPES, HOOK_FORWARD, HOOK_INPUT, HOOK_OUTPUT, HOOK_POSTROUTING, HOOK_PREROUTING, K_CTMARK, K_CTSTATE, K_DADDR,
  K_DPORT, K_FLAGS, K_L4PROTO, K_HASCT, K_IIF, K_MARK, K_NFPROTO, K_OIF, K_SADDR, K_SPORT, LAYOUT_VERSION, N_HOOKS, PATH_REWRITTEN, S_CHAIN, S_AFTER_NAT,
  S_CONNTRACK, T_CONNTRACK, T_HOOK, T_NAT_SKIP, T_ROUTE, VERDICT_ACCEPT, VERDICT_DROP, K_PKTTYPE, NO_RULE, ROUTE_DROP,
} from './layout';
import { isHostAddress } from './host';
import { conntrack, ctGiven, enterHook, natBound, lastChain, lastRule, natDoneDst, natDoneSrc, resetPacket, rewritten, runBaseChain } from './exec';
import { DRAWS, drawLen, key, pw, setCounters, setKey, setProgram, setTrace, emit, traceLen } from './memory';

export { setStateWord } from './exec';

/** The last packet's draws: byte address of (rule, expression, way) triples, and how many it made. */
export function drawsAt(): usize {
  return DRAWS;
}
export function drawCount(): u32 {
  return drawLen;
}

export function heapBase(): usize {
  return __heap_base;
}

export function layoutVersion(): u32 {
  return LAYOUT_VERSION;
}

/**
 * Evaluates packets 0 … n−1 of the batch at `batch` (columns `stride` words apart) against the program at
 * `program`, adding to the counters at `counterAt`, writing trace events (if `traceCap` > 0) at
 * `traceAt`. Returns the number of trace events written.
 */
export function evaluate(program: usize, batch: usize, stride: u32, n: u32, counterAt: usize, traceAt: usize, traceCap: u32): u32 {
  setProgram(program);
  setCounters(counterAt);
  setTrace(traceAt, traceCap);
  // Once per batch: each (family, hook)'s slot list, 0 where the hook has nothing to run.
  const pipes = pw(H_PIPES);
  for (let h: u32 = 0; h < 2 * N_HOOKS; h++) {
    const pipe = pw(pipes + h);
    store<u32>(PIPES + ((<usize>h) << 2), pw(pipe) == 0 ? 0 : pipe);
  }
  noIf = pw(H_EMPTY_IF);
  const s4 = (<usize>stride) << 2;
  let p = batch;
  for (let i: u32 = 0; i < n; i++, p += 4) evaluateOne(p, s4);
  return traceLen;
}

/** Per batch: word offset of each (family, hook)'s slot list, 0 for an empty one. */
const PIPES: usize = memory.data(2 * N_HOOKS * 4);
let noIf: u32 = 0;

// @ts-ignore: decorator
@inline function col(p: usize, s4: usize, c: u32): usize {
  return p + s4 * c;
}

/** Not a hook: the routing decision between prerouting and input or forward. */
const ROUTE: u32 = N_HOOKS;

/** One packet: row `p` (its word in column 0), columns `s4` bytes apart. */
// @ts-ignore: decorator
@inline function evaluateOne(p: usize, s4: usize): void {
  // The keys K_NFPROTO … K_FLAGS (consecutive slots = consecutive columns), unrolled: 4 ns a packet.
  let q = p;
  setKey(K_NFPROTO, load<u32>(q));
  q += s4; setKey(K_SADDR, load<u32>(q));
  q += s4; setKey(K_SADDR + 1, load<u32>(q));
  q += s4; setKey(K_SADDR + 2, load<u32>(q));
  q += s4; setKey(K_SADDR + 3, load<u32>(q));
  q += s4; setKey(K_DADDR, load<u32>(q));
  q += s4; setKey(K_DADDR + 1, load<u32>(q));
  q += s4; setKey(K_DADDR + 2, load<u32>(q));
  q += s4; setKey(K_DADDR + 3, load<u32>(q));
  q += s4; setKey(K_L4PROTO, load<u32>(q));
  q += s4; setKey(K_SPORT, load<u32>(q));
  q += s4; setKey(K_DPORT, load<u32>(q));
  q += s4; setKey(K_IIF, load<u32>(q));
  q += s4; setKey(K_OIF, load<u32>(q));
  q += s4; setKey(K_CTSTATE, load<u32>(q));
  q += s4; setKey(K_MARK, load<u32>(q));
  q += s4; setKey(K_CTMARK, load<u32>(q));
  q += s4; setKey(K_FLAGS, load<u32>(q));
  const iif = key(K_IIF);
  const oif = key(K_OIF);
  const hookSel = load<u32>(col(p, s4, B_HOOK));
  const localBits = load<u32>(col(p, s4, B_LOCAL));
  const local = (localBits & LOCAL_GENERATED) != 0;
  const only = hookSel - 1;
  resetPacket(key(K_CTSTATE), hookSel != 0 && only != HOOK_PREROUTING && only != HOOK_OUTPUT, load<u32>(col(p, s4, B_LEN)), load<u32>(col(p, s4, B_MASQ)));
  setKey(K_PKTTYPE, local ? 0 : (localBits >>> 2) & 3);
  const f: u32 = key(K_NFPROTO) == 2 ? 0 : N_HOOKS;
  let pathBits: u32 = 0;
  // The hooks to run in order, one (HOOK_* + 1) a nibble from the lowest, 0 after the last;
  // ROUTE + 1 stands for the routing decision, which picks what follows prerouting.
  let todo: u32 = hookSel != 0 ? hookSel : local ? (HOOK_OUTPUT + 1) | ((HOOK_POSTROUTING + 1) << 4) : (HOOK_PREROUTING + 1) | ((ROUTE + 1) << 4);
  let v = VERDICT_ACCEPT;
  let routeDrop = false;
  while (todo != 0) {
    const hook = (todo & 15) - 1;
    todo >>>= 4;
    if (hook == ROUTE) {
      const toHost = isHostAddress(K_DADDR) || ((localBits & LOCAL_DESTINATION) != 0 && sameDestination(p, s4));
      // A broadcast or multicast frame is forwarded nowhere (ip_forward takes PACKET_HOST only).
      if (!toHost && key(K_PKTTYPE) != 0) {
        emit(T_ROUTE, 0, 1);
        v = VERDICT_DROP;
        routeDrop = true;
        break;
      }
      emit(T_ROUTE, toHost ? 1 : 0, 0);
      todo = toHost ? HOOK_INPUT + 1 : (HOOK_FORWARD + 1) | ((HOOK_POSTROUTING + 1) << 4);
      continue;
    }
    pathBits |= 1 << hook;
    v = runHook(f, hook, local, iif, oif);
    if (v != VERDICT_ACCEPT) break;
  }
  store<u32>(col(p, s4, B_VERDICT), v);
  store<u32>(col(p, s4, B_RULE), routeDrop ? NO_RULE : lastRule);
  store<u32>(col(p, s4, B_CHAIN), routeDrop ? ROUTE_DROP : lastChain);
  store<u32>(col(p, s4, B_OUT_CTSTATE), key(K_CTSTATE));
  if (drawLen != 0) pathBits |= PATH_STATEFUL;
  if (!rewritten) {
    // Unchanged: the caller reads the input columns (layout.ts), 12 stores a packet saved.
    store<u32>(col(p, s4, B_OUT_PATH), pathBits);
    return;
  }
  store<u32>(col(p, s4, B_OUT_PATH), pathBits | PATH_REWRITTEN);
  q = col(p, s4, B_OUT_SADDR);
  for (let w: u32 = 0; w < 4; w++, q += s4) store<u32>(q, key(K_SADDR + w));
  for (let w: u32 = 0; w < 4; w++, q += s4) store<u32>(q, key(K_DADDR + w));
  store<u32>(col(p, s4, B_OUT_SPORT), key(K_SPORT));
  store<u32>(col(p, s4, B_OUT_DPORT), key(K_DPORT));
  store<u32>(col(p, s4, B_OUT_MARK), key(K_MARK));
  store<u32>(col(p, s4, B_OUT_CTMARK), key(K_CTMARK));
}

/** The slots of one hook in order (f: 0 for ipv4, N_HOOKS for ipv6); stops at the first drop or reject. */
// @ts-ignore: decorator
@inline function runHook(f: u32, hook: u32, local: bool, iif: u32, oif: u32): u32 {
  emit(T_HOOK, hook, 0);
  enterHook(hook);
  const pipe = load<u32>(PIPES + ((<usize>(f + hook)) << 2));
  if (pipe == 0) return VERDICT_ACCEPT; // nothing runs here: the interface keys are not read either
  setKey(K_IIF, hook == HOOK_OUTPUT || (hook == HOOK_POSTROUTING && local) ? noIf : iif);
  setKey(K_OIF, hook == HOOK_PREROUTING || hook == HOOK_INPUT ? noIf : oif);
  const n = pw(pipe);
  const dstManip = hook == HOOK_PREROUTING || hook == HOOK_OUTPUT;
  for (let j: u32 = 0; j < n; j++) {
    const word = pw(pipe + 1 + 2 * j);
    const kind = word & 0xff;
    const val = pw(pipe + 2 + 2 * j);
    if ((word & S_AFTER_NAT) != 0) natBound(dstManip, false);
    if (kind == S_CONNTRACK) {
      conntrack();
      emit(T_CONNTRACK, key(K_CTSTATE), 0);
    } else if (kind == S_CHAIN) {
      const v = runBaseChain(val);
      if (v != VERDICT_ACCEPT) return v;
    } else {
      // NAT chains: only a connection's first packet; a NAT statement ends them (nf_nat_inet_fn).
      const first = key(K_HASCT) == 1 && ctGiven == 8;
      const m = pw(val);
      for (let k: u32 = 0; k < m; k++) {
        const c = pw(val + 1 + k);
        if (!first) {
          emit(T_NAT_SKIP, c, 0);
          continue;
        }
        const v = runBaseChain(c);
        if (v != VERDICT_ACCEPT) return v;
        if (dstManip ? natDoneDst : natDoneSrc) break;
      }
      natBound(dstManip, false);
    }
  }
  return VERDICT_ACCEPT;
}

/** Whether the destination is still the packet's own (its input columns): no NAT changed it. */
function sameDestination(p: usize, s4: usize): bool {
  for (let w: u32 = 0; w < 4; w++) if (load<u32>(col(p, s4, K_DADDR + w)) != key(K_DADDR + w)) return false;
  return true;
}


