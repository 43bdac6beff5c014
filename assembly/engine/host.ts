// The host's tables, as the program holds them (src/engine/compile.ts): its own addresses (`fib …
// type local`, through an interface too), its routes (`fib … oif`, src/engine/fib.ts fibRoute) and
// each interface's addresses (`redirect`). Each reads the packet's keys; none keeps state.

import {
  H_IFADDR4, H_IFADDR6, H_LO_IF, H_LOCAL4, H_LOCAL6, H_NIFADDR4, H_NIFADDR6, H_NLOCAL4, H_NLOCAL6, H_NROUTE4, H_NROUTE6,
  H_ROUTE4, H_ROUTE6, H_ROUTED, HOOK_OUTPUT, HOOK_POSTROUTING, HOOK_PREROUTING, K_DADDR, K_IIF, K_NFPROTO, K_OIF, K_SADDR,
} from './layout';
import { key, pw, setKey } from './memory';

const NFPROTO_IPV4: u32 = 2;

/**
 * `redirect`: the destination becomes 127.0.0.1 / ::1 in output, else the input interface's first
 * address (its first entry in H_IFADDR*, as declared); false when it has none (the kernel drops).
 */
export function redirectTo(v4: bool, hook: u32): bool {
  if (hook == HOOK_OUTPUT) {
    if (v4) setKey(K_DADDR, 0x7f000001);
    else for (let i: u32 = 0; i < 4; i++) setKey(K_DADDR + i, i == 3 ? 1 : 0);
    return true;
  }
  const dev = key(K_IIF);
  if (v4) {
    const n = pw(H_NIFADDR4);
    const at = pw(H_IFADDR4);
    for (let i: u32 = 0; i < n; i++) {
      if (pw(at + 2 * i) == dev) {
        setKey(K_DADDR, pw(at + 2 * i + 1));
        return true;
      }
    }
    return false;
  }
  const n = pw(H_NIFADDR6);
  const at = pw(H_IFADDR6);
  for (let i: u32 = 0; i < n; i++) {
    const x = at + 5 * i;
    if (pw(x) == dev) {
      for (let w: u32 = 0; w < 4; w++) setKey(K_DADDR + w, pw(x + 1 + w));
      return true;
    }
  }
  return false;
}

/** `fib saddr|daddr type local`: the address now in `slot` is one of the host's or loopback (src/engine/fib.ts). */
export function fibLocal(slot: u32): bool {
  return isLoopback(slot) || isHostAddress(slot);
}

/** The address in `slot` is loopback: 127.0.0.0/8, ::1. */
function isLoopback(slot: u32): bool {
  if (key(K_NFPROTO) == NFPROTO_IPV4) return key(slot) >>> 24 == 127;
  return key(slot) == 0 && key(slot + 1) == 0 && key(slot + 2) == 0 && key(slot + 3) == 1;
}

/** The address in `slot` is one of the host's declared ones (local and interface addresses): the routing decision's test too. */
export function isHostAddress(slot: u32): bool {
  if (key(K_NFPROTO) == NFPROTO_IPV4) {
    const n = pw(H_NLOCAL4);
    const at = pw(H_LOCAL4);
    for (let i: u32 = 0; i < n; i++) if (pw(at + i) == key(slot)) return true;
    return false;
  }
  const n = pw(H_NLOCAL6);
  const at = pw(H_LOCAL6);
  for (let i: u32 = 0; i < n; i++) {
    const x = at + 4 * i;
    if (pw(x) == key(slot) && pw(x + 1) == key(slot + 1) && pw(x + 2) == key(slot + 2) && pw(x + 3) == key(slot + 3)) return true;
  }
  return false;
}

/** `fib ADDR . iif|. oif type local`: the address now in `slot` is one of interface class `dev`'s (loopback's are lo's). */
export function fibLocalOn(slot: u32, dev: u32): bool {
  if (dev == pw(H_LO_IF)) return isLoopback(slot);
  if (key(K_NFPROTO) == NFPROTO_IPV4) {
    const n = pw(H_NIFADDR4);
    const at = pw(H_IFADDR4);
    for (let i: u32 = 0; i < n; i++) if (pw(at + 2 * i) == dev && pw(at + 2 * i + 1) == key(slot)) return true;
    return false;
  }
  const n = pw(H_NIFADDR6);
  const at = pw(H_IFADDR6);
  for (let i: u32 = 0; i < n; i++) {
    const x = at + 5 * i;
    if (pw(x) == dev && pw(x + 1) == key(slot) && pw(x + 2) == key(slot + 1) && pw(x + 3) == key(slot + 2) && pw(x + 4) == key(slot + 3)) return true;
  }
  return false;
}

/**
 * `fib ADDR [. iif|. oif] oif`: whether the route lookup for the address now in `slot` finds an
 * output interface (through the one named by `through`: 1 iif, 2 oif) at `hook`. Rules 1–5 of src/engine/fib.ts.
 */
export function fibRoute(slot: u32, through: u32, hook: u32): bool {
  if (hook == HOOK_PREROUTING && key(K_IIF) == pw(H_LO_IF)) return true;
  const v4 = key(K_NFPROTO) == NFPROTO_IPV4;
  if (v4 && key(K_SADDR) == 0 && (key(K_DADDR) == 0xffffffff || (key(K_DADDR) & 0xffffff00) == 0xe0000000)) return true;
  if (fibLocal(slot)) return false;
  const via: u32 = through == 1 ? key(K_IIF) : through == 2 ? key(K_OIF) : 0xffffffff;
  const routed = pw(H_ROUTED) == 1;
  if (v4) {
    if (!routed) return true;
    const a = key(slot);
    const n = pw(H_NROUTE4);
    const at = pw(H_ROUTE4);
    for (let i: u32 = 0; i < n; i++) {
      const r = at + 3 * i;
      if ((a & pw(r + 1)) == pw(r)) return via == 0xffffffff || pw(r + 2) == via;
    }
    return false;
  }
  const w0 = key(slot);
  if ((w0 & 0xffc00000) == 0xfe800000) {
    // Link-local: the lookup stays on the interface asked about, or the packet's device.
    if (w0 == 0xfe800000 && key(slot + 1) == 0) return true;
    if (!routed) return true;
    const dev = via != 0xffffffff ? via : hook == HOOK_OUTPUT || hook == HOOK_POSTROUTING ? key(K_OIF) : key(K_IIF);
    const n = pw(H_NROUTE6);
    const at = pw(H_ROUTE6);
    for (let i: u32 = 0; i < n; i++) {
      const r = at + 9 * i;
      if (pw(r + 8) == dev && covers6(slot, r)) return true;
    }
    return false;
  }
  if (!routed) return true;
  const n = pw(H_NROUTE6);
  const at = pw(H_ROUTE6);
  for (let i: u32 = 0; i < n; i++) {
    const r = at + 9 * i;
    if (covers6(slot, r)) return via == 0xffffffff || pw(r + 8) == via;
  }
  return false;
}

/** The IPv6 address in `slot` is inside the route at `r` ([net[4], mask[4], class]). */
function covers6(slot: u32, r: u32): bool {
  for (let w: u32 = 0; w < 4; w++) if ((key(slot + w) & pw(r + 4 + w)) != pw(r + w)) return false;
  return true;
}
