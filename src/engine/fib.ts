// `fib` answered from the environment (model/ruleset.ts FibMatch), as nft_fib4_eval and
// nft_fib6_eval answer it from the kernel's tables. The WASM executor (assembly/engine/host.ts
// fibLocal, fibLocalOn, fibRoute) reads the same addresses and routes from the program.
//
// `type local`: the address is the host's (declared local and interface addresses) or loopback
// (127.0.0.0/8, ::1: the kernel's local table holds them on lo).
//
// `oif` (fibRoute), in the kernel's order:
//  1. in prerouting, a packet that came in on loopback finds its input interface;
//  2. IPv4 from 0.0.0.0 to 255.255.255.255 or 224.0.0.0/24 (DHCP, IGMP) finds the packet's device;
//  3. the host's own address finds none (the local table answers RTN_LOCAL / RTF_LOCAL);
//  4. IPv6 link-local: the lookup stays on the interface asked about (or the packet's device),
//     where fe80::/64 always is, so it finds that one;
//  5. otherwise the longest declared route: none found, none; `. iif` / `. oif` asks whether it
//     leaves through that interface. Without any declared route the lookup finds one through
//     whichever interface it asks about (a documented default: reverse-path checks pass).
// `. mark` selects policy-routing rules, which the environment does not declare: it changes nothing.

import { mergeIntervals, type Interval } from '../model/values.js';
import type { Expr, FibOifMatch, Rule, Ruleset } from '../model/ruleset.js';
import type { Environment, Route } from './environment.js';
import type { PathHook } from './plan.js';

const LOOPBACK4: Interval = { lo: 0x7f000000n, hi: 0x7fffffffn };
const LOOPBACK6: Interval = { lo: 1n, hi: 1n };
/** fe80::/10 and the fe80::/64 every IPv6 interface routes. */
export const LINK_LOCAL: Interval = { lo: 0xfe80n << 112n, hi: (0xfe80n << 112n) | ((1n << 118n) - 1n) };
export const LINK_LOCAL_64: Interval = { lo: 0xfe80n << 112n, hi: (0xfe80n << 112n) | ((1n << 64n) - 1n) };
/** 224.0.0.0/24, and the limited broadcast. */
export const LOCAL_MULTICAST4: Interval = { lo: 0xe0000000n, hi: 0xe00000ffn };
export const BROADCAST4 = 0xffffffffn;

export function fibLocal(env: Environment, family: 4 | 6, addr: bigint): boolean {
  if (family === 4 ? addr >= LOOPBACK4.lo && addr <= LOOPBACK4.hi : addr === LOOPBACK6.lo) return true;
  return env.local[family].has(addr);
}

/**
 * `fib ADDR . iif|. oif type local`: the address is one of that interface's — inet_dev_addr_type
 * answers local only when the address's local route is on the device; loopback's are lo's.
 */
export function fibLocalOn(env: Environment, family: 4 | 6, addr: bigint, dev: string): boolean {
  if (dev === 'lo') return family === 4 ? addr >= LOOPBACK4.lo && addr <= LOOPBACK4.hi : addr === LOOPBACK6.lo;
  return env.interfaces.get(dev)?.[family].has(addr) ?? false;
}

/** The addresses `fib … . iif|. oif type local` finds on each interface (for the analyses). */
export function interfaceLocalIntervals(env: Environment, family: 4 | 6): Map<string, Interval[]> {
  const out = new Map<string, Interval[]>([['lo', [family === 4 ? LOOPBACK4 : LOOPBACK6]]]);
  for (const [dev, sets] of env.interfaces) if (dev !== 'lo') out.set(dev, mergeIntervals([...sets[family]].map((a) => ({ lo: a, hi: a }))));
  return out;
}

/** The local addresses of a family as sorted disjoint intervals (for the analyses). */
export function fibLocalIntervals(env: Environment, family: 4 | 6): Interval[] {
  return mergeIntervals([family === 4 ? LOOPBACK4 : LOOPBACK6, ...[...env.local[family]].map((a) => ({ lo: a, hi: a }))]);
}

/** What a `fib … oif` lookup sees of a packet at one hook. */
export interface FibPacket {
  family: 4 | 6;
  saddr: bigint;
  daddr: bigint;
  /** Interface names at this hook ('' where the hook has none). */
  iif: string;
  oif: string;
  hook: PathHook;
}

/** Whether the lookup finds an output interface (rule 1–5 above). */
export function fibRoute(env: Environment, m: Pick<FibOifMatch, 'addr' | 'through'>, p: FibPacket): boolean {
  if (p.hook === 'prerouting' && p.iif === 'lo') return true;
  if (p.family === 4 && p.saddr === 0n && (p.daddr === BROADCAST4 || inside(p.daddr, LOCAL_MULTICAST4))) return true;
  const a = m.addr === 'saddr' ? p.saddr : p.daddr;
  if (fibLocal(env, p.family, a)) return false;
  const via = m.through === 'iif' ? p.iif : m.through === 'oif' ? p.oif : undefined;
  if (p.family === 6 && inside(a, LINK_LOCAL)) {
    if (inside(a, LINK_LOCAL_64)) return true;
    const on = via ?? (p.hook === 'output' || p.hook === 'postrouting' ? p.oif : p.iif); // or the packet's device
    return env.routes === undefined || env.routes.some((r) => r.version === 6 && r.dev === on && covers(r, a));
  }
  if (env.routes === undefined) return true;
  const best = env.routes.find((r) => r.version === p.family && covers(r, a));
  return best !== undefined && (via === undefined || best.dev === via);
}

function inside(a: bigint, iv: Interval): boolean {
  return a >= iv.lo && a <= iv.hi;
}

function covers(r: Route, a: bigint): boolean {
  const bits = r.version === 4 ? 32 : 128;
  return a >> BigInt(bits - r.len) === r.net >> BigInt(bits - r.len);
}

/**
 * The declared routes of a family as a partition for the analyses: per interface, the addresses
 * whose longest matching route leaves through it (sorted disjoint intervals).
 */
export function routeIntervals(routes: readonly Route[], family: 4 | 6): Map<string, Interval[]> {
  const bits = family === 4 ? 32 : 128;
  const mine = routes.filter((r) => r.version === family);
  const span = (r: Route): Interval => ({ lo: r.net, hi: r.net | ((1n << BigInt(bits - r.len)) - 1n) });
  // Elementary intervals between every route's ends; each gets its longest covering route.
  const cuts = [...new Set(mine.flatMap((r) => [span(r).lo, span(r).hi + 1n]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out = new Map<string, Interval[]>();
  for (let i = 0; i + 1 < cuts.length; i++) {
    const lo = cuts[i]!;
    const best = mine.find((r) => covers(r, lo)); // routes are longest first
    if (best) {
      const list = out.get(best.dev) ?? [];
      list.push({ lo, hi: cuts[i + 1]! - 1n });
      out.set(best.dev, list);
    }
  }
  for (const [dev, list] of out) out.set(dev, mergeIntervals(list));
  return out;
}

/**
 * Whether any rule looks a route up (`fib … oif`) or an interface's addresses (`fib … . oif type`,
 * `redirect`): then the environment's interfaces need names of their own.
 */
export function needsInterfaceNames(rules: Iterable<Rule>): boolean {
  for (const r of rules) for (let i = 0; i < r.exprs.length; i++) if (needsNames(r.exprs[i]!)) return true;
  return false;
}

/** Whether this expression is one needsInterfaceNames looks for. */
export function needsNames(e: Expr): boolean {
  return (e.kind === 'fib' && (e.result === 'oif' || e.through !== undefined)) || (e.kind === 'nat' && e.type === 'redirect');
}

/** Every rule of the rulesets. */
export function* allRules(...rulesets: Ruleset[]): Iterable<Rule> {
  for (const rs of rulesets) for (const t of rs.tables) for (const c of t.chains) yield* c.rules;
}
