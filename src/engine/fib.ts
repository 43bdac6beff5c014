// `fib saddr|daddr type local` answered from the environment (model/ruleset.ts FibMatch): an
// address is local when the host has it (declared local and interface addresses) or it is
// loopback (127.0.0.0/8, ::1: the kernel's local table holds them on lo). The WASM executor
// (assembly/engine/exec.ts fibLocal) reads the same addresses from the program.

import { mergeIntervals, type Interval } from '../model/values.js';
import type { Environment } from './environment.js';

const LOOPBACK4: Interval = { lo: 0x7f000000n, hi: 0x7fffffffn };
const LOOPBACK6: Interval = { lo: 1n, hi: 1n };

export function fibLocal(env: Environment, family: 4 | 6, addr: bigint): boolean {
  if (family === 4 ? addr >= LOOPBACK4.lo && addr <= LOOPBACK4.hi : addr === LOOPBACK6.lo) return true;
  return env.local[family].has(addr);
}

/** The local addresses of a family as sorted disjoint intervals (for the analyses). */
export function fibLocalIntervals(env: Environment, family: 4 | 6): Interval[] {
  return mergeIntervals([family === 4 ? LOOPBACK4 : LOOPBACK6, ...[...env.local[family]].map((a) => ({ lo: a, hi: a }))]);
}
