// What the engine needs to know about the host besides its ruleset: its own addresses (the
// routing decision: a packet to one of them goes to input, any other is forwarded), the
// addresses of its interfaces (masquerade takes the first one of the packet's family on the
// output interface; with none, the kernel drops the packet), and its routes (what `fib … oif`
// looks up). Interface addresses are the host's own addresses too; written with a prefix length
// (`10.0.0.1/24`) they also give the connected route (`10.0.0.0/24 dev IFACE`), as the kernel
// adds one.

import { NftlensError } from '../model/diagnostics.js';
import { parseAddress, prefixMask } from '../model/values.js';

export interface EngineOptions {
  /** Addresses of this host; a packet to one of them is delivered locally (input). */
  localAddresses?: string[];
  /** Addresses of each interface, first one first (masquerade uses it); `address/len` adds the connected route. */
  interfaceAddresses?: Record<string, string[]>;
  /**
   * The main routing table: `PREFIX dev NAME` (`10.0.0.0/8 dev eth1`, `default dev eth0`,
   * `::/0 dev eth0`, `2001:db8::/32 dev eth1`). When neither these nor prefixed interface addresses declare any
   * route, lookups find one through whichever interface they ask about (reverse-path checks pass
   * for every address that is not the host's own) — see src/engine/fib.ts.
   */
  routes?: string[];
}

/** A route of the main table: addresses `net`/`len` leave through `dev`. */
export interface Route {
  version: 4 | 6;
  net: bigint;
  len: number;
  dev: string;
}

export interface Environment {
  local: Record<4 | 6, Set<bigint>>;
  /** Every address of each interface, as declared: the first of a family is what masquerade and redirect take (firstAddress). */
  interfaces: Map<string, Record<4 | 6, Set<bigint>>>;
  /** Declared routes, longest prefix first; undefined when none is declared (see EngineOptions.routes). */
  routes?: Route[];
}

export function makeEnvironment(opts: EngineOptions = {}): Environment {
  const env: Environment = { local: { 4: new Set(), 6: new Set() }, interfaces: new Map() };
  const routes: Route[] = [];
  const parse = (text: string, what: string) => {
    const a = parseAddress(text);
    if (!a) throw NftlensError.of('INPUT_PARSE', `${what}: "${text}" is not an IP address`, { field: what });
    return a;
  };
  for (const text of opts.localAddresses ?? []) {
    const a = parse(text, 'local address');
    env.local[a.version].add(a.value);
  }
  for (const [name, list] of Object.entries(opts.interfaceAddresses ?? {})) {
    const all: Record<4 | 6, Set<bigint>> = { 4: new Set(), 6: new Set() };
    for (const text of list) {
      const what = `address of interface ${name}`;
      const [addr, len] = splitPrefix(text, what);
      const a = parse(addr, what);
      all[a.version].add(a.value);
      env.local[a.version].add(a.value);
      if (len !== undefined) routes.push(route(a.version, a.value, len, name, text, what));
    }
    env.interfaces.set(name, all);
  }
  for (const text of opts.routes ?? []) routes.push(parseRoute(text));
  if (routes.length) env.routes = routes.sort((a, b) => b.len - a.len);
  return env;
}

/** `PREFIX dev NAME`, `ADDRESS dev NAME` (a host route) or `default dev NAME` (IPv4's `0.0.0.0/0`; IPv6's is `::/0`). */
export function parseRoute(text: string): Route {
  const what = 'route';
  const m = /^\s*(\S+)\s+dev\s+(\S+)\s*$/.exec(text);
  if (!m) throw NftlensError.of('INPUT_PARSE', `route "${text}" is not "PREFIX dev INTERFACE" (e.g. "10.0.0.0/8 dev eth1", "default dev eth0")`, { field: what });
  const [, dst, dev] = m as unknown as [string, string, string];
  if (dst === 'default') return { version: 4, net: 0n, len: 0, dev };
  const [addr, len] = splitPrefix(dst, what);
  const a = parseAddress(addr);
  if (!a) throw NftlensError.of('INPUT_PARSE', `route "${text}": "${addr}" is not an IP address`, { field: what });
  return route(a.version, a.value, len ?? (a.version === 4 ? 32 : 128), dev, text, what);
}

function splitPrefix(text: string, what: string): [string, number | undefined] {
  const slash = text.indexOf('/');
  if (slash < 0) return [text, undefined];
  const len = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len)) throw NftlensError.of('INPUT_PARSE', `${what}: "${text}" has no valid prefix length`, { field: what });
  return [text.slice(0, slash), Number(len)];
}

function route(version: 4 | 6, value: bigint, len: number, dev: string, text: string, what: string): Route {
  const bits = version === 4 ? 32 : 128;
  if (len > bits) throw NftlensError.of('INPUT_PARSE', `${what}: "${text}": an IPv${version} prefix is at most /${bits}`, { field: what });
  return { version, net: value & prefixMask(len, bits), len, dev };
}

/** Interface names the environment speaks of (they need classes of their own): loopback is one. */
export function environmentNames(env: Environment): string[] {
  return [...new Set(['lo', ...env.interfaces.keys(), ...(env.routes ?? []).map((r) => r.dev)])];
}

/** The interface's first address of a family (what masquerade and redirect take), if any. */
export function firstAddress(env: Environment, name: string, family: 4 | 6): bigint | undefined {
  for (const a of env.interfaces.get(name)?.[family] ?? []) return a;
  return undefined;
}
