// `fib … oif` and `fib … . oif type local` for the symbolic walk, as spaces over the current
// addresses (after NAT) and the interface names. found(): the headers for which the route lookup
// finds an output interface, by the rules of src/engine/fib.ts fibRoute — per interface, the
// addresses whose longest declared route leaves through it are computed once. localOn(): the
// headers whose address is one of the named interface's.

import type { FibOifMatch, FibTypeMatch } from '../../model/ruleset.js';
import type { Interval } from '../../model/values.js';
import type { Environment } from '../../engine/environment.js';
import { BROADCAST4, fibLocalIntervals, interfaceLocalIntervals, LINK_LOCAL, LINK_LOCAL_64, LOCAL_MULTICAST4, routeIntervals } from '../../engine/fib.js';
import type { HeaderSpace, Space } from '../headerspace/index.js';
import type { Predicates, SymState } from './state.js';

export class RouteSpaces {
  /** Per family, per interface: addresses its longest route covers (link-local left out for IPv6). */
  private readonly byDev: Record<4 | 6, Map<string, Interval[]>>;
  /** Per interface, the link-local addresses (outside fe80::/64) a route through it covers. */
  private readonly linkLocal = new Map<string, Interval[]>();

  constructor(private readonly hs: HeaderSpace, private readonly pred: Predicates, private readonly env: Environment) {
    const routes = env.routes ?? [];
    this.byDev = { 4: routeIntervals(routes, 4), 6: new Map() };
    for (const [dev, list] of routeIntervals(routes, 6)) this.byDev[6].set(dev, subtract(list, LINK_LOCAL));
    for (const r of routes.filter((x) => x.version === 6)) {
      const span = { lo: r.net, hi: r.net | ((1n << BigInt(128 - r.len)) - 1n) };
      const inLl = intersect(span, LINK_LOCAL);
      if (inLl) this.linkLocal.set(r.dev, [...(this.linkLocal.get(r.dev) ?? []), inLl]);
    }
  }

  /** Headers whose lookup finds an interface (a new handle). */
  found(s: SymState, m: FibOifMatch): Space {
    const hs = this.hs;
    const parts: Space[] = [];
    const at = (field: 'saddr' | 'daddr', family: 4 | 6, list: Interval[]) => this.pred.addrNow(s, field, family, list);
    // 1. loopback input in prerouting; 2. IPv4 0.0.0.0 to broadcast or 224.0.0.0/24.
    if (s.ctx.hook === 'prerouting') parts.push(this.named('iifname', 'lo'));
    const zero = at('saddr', 4, [{ lo: 0n, hi: 0n }]);
    const bcast = at('daddr', 4, [{ lo: BROADCAST4, hi: BROADCAST4 }, LOCAL_MULTICAST4]);
    parts.push(hs.and(zero, bcast));
    hs.release(zero, bcast);
    // 3.–5. not the host's own address, and a route.
    const routed: Space[] = [];
    const via = m.through === 'iif' ? 'iifname' : m.through === 'oif' ? 'oifname' : undefined;
    const device = via ?? (s.ctx.hook === 'output' || s.ctx.hook === 'postrouting' ? 'oifname' : 'iifname');
    for (const f of [4, 6] as const) {
      if (!this.env.routes) {
        routed.push(hs.ofFamily(f));
        continue;
      }
      for (const [dev, list] of this.byDev[f]) routed.push(this.through(via, dev, at(m.addr, f, list)));
      if (f === 6) {
        routed.push(at(m.addr, 6, [LINK_LOCAL_64]));
        for (const [dev, list] of this.linkLocal) routed.push(this.through(device, dev, at(m.addr, 6, list)));
      }
    }
    const route = hs.union(routed);
    const localParts = ([4, 6] as const).map((f) => at(m.addr, f, fibLocalIntervals(this.env, f)));
    const local = hs.union(localParts);
    parts.push(hs.diff(route, local));
    hs.release(...routed, route, ...localParts, local);
    const out = hs.union(parts);
    hs.release(...parts);
    return out;
  }

  /** Headers whose address is one of the interface's the match names (`fib saddr . oif type local`; a new handle). */
  localOn(s: SymState, m: FibTypeMatch): Space {
    const field = m.through === 'iif' ? 'iifname' : 'oifname';
    const parts: Space[] = [];
    for (const f of [4, 6] as const) {
      for (const [dev, list] of interfaceLocalIntervals(this.env, f)) parts.push(this.through(field, dev, this.pred.addrNow(s, m.addr, f, list)));
    }
    const out = this.hs.union(parts);
    this.hs.release(...parts);
    return out;
  }

  /** `addrs` where the named interface field is `dev` (any interface when field is undefined); consumes addrs. */
  private through(field: 'iifname' | 'oifname' | undefined, dev: string, addrs: Space): Space {
    if (!field) return addrs;
    const on = this.named(field, dev);
    const out = this.hs.and(on, addrs);
    this.hs.release(on, addrs);
    return out;
  }

  private named(field: 'iifname' | 'oifname', name: string): Space {
    return this.hs.codes(field, this.hs.ifnames.matching(name));
  }
}

function intersect(a: Interval, b: Interval): Interval | undefined {
  const lo = a.lo > b.lo ? a.lo : b.lo;
  const hi = a.hi < b.hi ? a.hi : b.hi;
  return lo <= hi ? { lo, hi } : undefined;
}

/** The parts of sorted disjoint intervals outside `cut`. */
function subtract(list: Interval[], cut: Interval): Interval[] {
  const out: Interval[] = [];
  for (const iv of list) {
    if (iv.hi < cut.lo || iv.lo > cut.hi) out.push(iv);
    else {
      if (iv.lo < cut.lo) out.push({ lo: iv.lo, hi: cut.lo - 1n });
      if (iv.hi > cut.hi) out.push({ lo: cut.hi + 1n, hi: iv.hi });
    }
  }
  return out;
}
