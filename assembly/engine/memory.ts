// Where the engine's state lives: the loaded program, the packet's keys, the jump stack, the
// trace buffer, the counters. Module globals and static data only — nothing is allocated.
import { K_WORDS, JUMP_STACK, MAX_DIMS, MAX_DRAWS, MAX_FOREST_DIMS, T_WORDS } from './layout';

/** Byte address of the program (its word offsets are relative to this). */
export let prog: usize = 0;
export function setProgram(p: usize): void {
  prog = p;
}

/** Word `off` of the program. */
// @ts-ignore: decorator
@inline export function pw(off: u32): u32 {
  return load<u32>(prog + ((<usize>off) << 2));
}
// @ts-ignore: decorator
@inline export function pa(off: u32): usize {
  return prog + ((<usize>off) << 2);
}

/** The packet as rules see it now: K_* slots. */
export const KEYS: usize = memory.data(K_WORDS * 4);
// @ts-ignore: decorator
@inline export function key(slot: u32): u32 {
  return load<u32>(KEYS + ((<usize>slot) << 2));
}
// @ts-ignore: decorator
@inline export function setKey(slot: u32, v: u32): void {
  store<u32>(KEYS + ((<usize>slot) << 2), v);
}

/** Jump stack: (chain, next rule) pairs. */
export const STACK: usize = memory.data(JUMP_STACK * 8);

/** Per dim of the chain being searched: the key's interval, the block table, the current row. */
export const LOCS: usize = memory.data(MAX_DIMS * 4);
export const BLOCKS: usize = memory.data(MAX_DIMS * 4);
export const ROWS: usize = memory.data(MAX_DIMS * 8);
export const SUPS: usize = memory.data(MAX_DIMS * 4);
/** The masked keys of the chain's cut-tree dims during a search (cuts.ts). */
export const FKEYS: usize = memory.data(MAX_FOREST_DIMS * 4);

// Trace: 4-word events, written only when tracing is on.
let traceAt: usize = 0;
let traceCap: u32 = 0;
export let traceLen: u32 = 0;
export function setTrace(at: usize, cap: u32): void {
  traceAt = at;
  traceCap = cap;
  traceLen = 0;
}
// @ts-ignore: decorator
@inline export function emit(kind: u32, a: u32, b: u32, c: u32 = 0): void {
  if (traceCap != 0) record(kind, a, b, c);
}
function record(kind: u32, a: u32, b: u32, c: u32): void {
  if (traceLen == traceCap) return;
  const p = traceAt + ((<usize>traceLen * T_WORDS) << 2);
  store<u32>(p, kind);
  store<u32>(p + 4, a);
  store<u32>(p + 8, b);
  store<u32>(p + 12, c);
  traceLen++;
}

/** The packet's draws (src/engine/state.ts): (rule, expression, way) triples, the first MAX_DRAWS. */
export const DRAWS: usize = memory.data(MAX_DRAWS * 12);
export let drawLen: u32 = 0;
// @ts-ignore: decorator
@inline export function clearDraws(): void {
  drawLen = 0;
}
export function recordDraw(rule: u32, expr: u32, way: u32): void {
  if (drawLen < <u32>MAX_DRAWS) {
    const p = DRAWS + <usize>drawLen * 12;
    store<u32>(p, rule);
    store<u32>(p + 4, expr);
    store<u32>(p + 8, way);
  }
  drawLen++;
}

/** Counters: f64 pairs (packets, bytes) per counter id. */
export let counters: usize = 0;
export function setCounters(p: usize): void {
  counters = p;
}
