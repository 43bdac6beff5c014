// Packets worth probing a ruleset with: for every rule, a packet built from its match values (inside
// each `==` value, outside each `!=` one), plus seeded random packets drawn from the addresses,
// ports and interfaces the ruleset mentions and from fresh ones. Only packets the probe can put on a
// wire are returned (see realise.ts); the same seed gives the same packets.

import { expandMaps } from '../model/expand-maps.js';
import type { ConcatMatch, Match, Ruleset } from '../model/ruleset.js';
import { FIELDS, formatAddress, parseAddress, valueIntervals, valueItems, TCP_FLAGS } from '../model/values.js';
import { makePacket, ICMP, ICMPV6, TCP, UDP, type Packet } from '../engine/packet.js';
import { prng } from '../model/prng.js';
import { realise } from './realise.js';
import { minimumLength } from './pcap.js';

export interface GenerateOptions {
  /** Random packets to add (default 0). */
  random?: number;
  seed?: number;
}

interface Pools {
  v4: bigint[];
  v6: bigint[];
  ports: number[];
  ifnames: string[];
  families: (4 | 6)[];
}

type Fields = Partial<Packet> & { family?: 4 | 6 };

export function generatePackets(written: Ruleset, opts: GenerateOptions = {}): Packet[] {
  const ruleset = expandMaps(written); // a packet for every element of every map
  const rnd = prng(opts.seed ?? 1);
  const pools = collectPools(ruleset);
  const out: Packet[] = [];
  const keep = (f: Fields): void => {
    const p = complete(f, pools, rnd);
    if (p && realise(p).ok) out.push(p);
  };
  for (const t of ruleset.tables) {
    for (const c of t.chains) {
      for (const r of c.rules) {
        const f: Fields = t.family === 'ip' ? { family: 4 } : t.family === 'ip6' ? { family: 6 } : {};
        for (const e of r.exprs) {
          if (e.kind === 'match') applyMatch(f, e, rnd);
          else if (e.kind === 'concat') for (const m of concatParts(e, rnd)) applyMatch(f, m, rnd);
        }
        keep(f);
      }
    }
  }
  for (let i = 0, tries = 0; i < (opts.random ?? 0) && tries < 20 * (opts.random ?? 0); tries++) {
    const before = out.length;
    keep({});
    if (out.length > before) i++;
  }
  return out;
}

function collectPools(ruleset: Ruleset): Pools {
  const pools: Pools = { v4: [], v6: [], ports: [], ifnames: ['eth0', 'eth1'], families: [] };
  const fams = new Set(ruleset.tables.map((t) => t.family));
  if (fams.has('ip') || fams.has('inet')) pools.families.push(4);
  if (fams.has('ip6') || fams.has('inet')) pools.families.push(6);
  if (!pools.families.length) pools.families.push(4);
  for (const t of ruleset.tables) {
    for (const c of t.chains) {
      for (const r of c.rules) {
        for (const x of r.exprs) for (const e of x.kind === 'concat' ? x.elements.flatMap((el) => x.fields.map((field, i): Match => ({ kind: 'match', field, op: '==', value: el[i]!, origin: x.origin }))) : [x]) {
          if (e.kind !== 'match') continue;
          const kind = FIELDS[e.field].kind;
          if (kind === 'ifname') {
            for (const it of valueItems(e.value)) if (typeof it === 'string') pools.ifnames.push(ifnameFor(it));
          } else if (kind === 'ipv4' || kind === 'ipv6' || e.field === 'th sport' || e.field === 'th dport') {
            const ivs = valueIntervals(e.field, e.value);
            if (typeof ivs === 'string') continue;
            for (const iv of ivs) {
              const vals = [iv.lo, iv.hi, iv.lo > 0n ? iv.lo - 1n : iv.lo, iv.hi + 1n];
              for (const v of vals) {
                if (kind === 'ipv4' && v < 1n << 32n) pools.v4.push(v);
                else if (kind === 'ipv6' && v < 1n << 128n) pools.v6.push(v);
                else if (kind === 'uint' && v < 65536n) pools.ports.push(Number(v));
              }
            }
          }
        }
      }
    }
  }
  pools.ifnames = [...new Set(pools.ifnames)];
  return pools;
}

/** One element of a concatenation (at random) as one match per field, with the concatenation's op. */
function concatParts(x: ConcatMatch, rnd: () => number): Match[] {
  const el = x.elements[Math.floor(rnd() * x.elements.length)];
  if (!el) return [];
  return x.fields.map((field, i) => ({ kind: 'match', field, op: x.op, value: el[i]!, origin: x.origin }));
}

/** A concrete interface name an nft pattern matches (`liqo*` → `liqo0`). */
function ifnameFor(pattern: string): string {
  if (pattern.endsWith('*') && !pattern.endsWith('\\*')) return (pattern.slice(0, -1) + '0').slice(0, 15);
  return pattern.replace(/\\\*$/, '*').slice(0, 15);
}

/** Narrows the fields so the packet meets one match (when it can tell how). */
function applyMatch(f: Fields, m: Match, rnd: () => number): void {
  const info = FIELDS[m.field];
  if (info.nfproto) f.family = info.nfproto === 'ipv4' ? 4 : 6;
  if (info.l4proto !== undefined) f.l4proto = info.l4proto;
  const pick = (): bigint | undefined => {
    const ivs = valueIntervals(m.field, m.value);
    if (typeof ivs === 'string' || ivs.length === 0) return undefined;
    if (m.op === '==') {
      const iv = ivs[Math.floor(rnd() * ivs.length)]!;
      const span = iv.hi - iv.lo;
      return span === 0n ? iv.lo : iv.lo + (BigInt(Math.floor(rnd() * 1e9)) % (span + 1n));
    }
    const top = (1n << BigInt(info.bits)) - 1n;
    for (let guess of [ivs[0]!.lo - 1n, ivs.at(-1)!.hi + 1n]) if (guess >= 0n && guess <= top) return guess;
    return undefined;
  };
  switch (info.kind) {
    case 'ipv4':
    case 'ipv6': {
      const v = pick();
      if (v === undefined) return;
      const text = formatAddress(v, info.kind === 'ipv4' ? 4 : 6);
      if (m.field.endsWith('saddr')) f.saddr = text;
      else f.daddr = text;
      return;
    }
    case 'uint': {
      if (m.mask !== undefined) return;
      const v = pick();
      if (v === undefined) return;
      const n = Number(v);
      if (m.field === 'th sport') f.sport = n;
      else if (m.field === 'th dport') f.dport = n;
      else if (m.field === 'meta l4proto' || m.field === 'ip protocol') f.l4proto = n;
      else if (m.field === 'tcp flags') f.tcpFlags = n;
      else if (m.field === 'meta mark') f.mark = n;
      // A frame to the broadcast or a multicast address (a received frame's only other types).
      else if (m.field === 'meta pkttype' && (n === 1 || n === 2)) f.pktType = n === 1 ? 'broadcast' : 'multicast';
      return;
    }
    case 'ifname': {
      const items = valueItems(m.value).filter((x): x is string => typeof x === 'string');
      if (m.op === '==' && items.length) {
        const name = ifnameFor(items[Math.floor(rnd() * items.length)]!);
        if (m.field === 'meta iifname') f.iifname = name;
        else f.oifname = name;
      }
      return;
    }
    case 'ctstate': {
      const items = valueItems(m.value).filter((x): x is string => typeof x === 'string');
      const want = m.op === '==' ? items.find((s) => s === 'new' || s === 'established' || s === 'invalid') : ['new', 'established'].find((s) => !items.includes(s));
      if (want) f.ctState = want as Packet['ctState'];
      return;
    }
    case 'nfproto': {
      const items = valueItems(m.value);
      const v4 = items.includes('ipv4') || items.includes(2);
      f.family = (m.op === '==') === v4 ? 4 : 6;
      return;
    }
  }
}

/** Fills what the rule left open with random choices, and makes the packet's state sendable. */
function complete(f: Fields, pools: Pools, rnd: () => number): Packet | undefined {
  const pickOf = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const family = f.family ?? (f.saddr ? parseAddress(f.saddr)!.version : f.daddr ? parseAddress(f.daddr)!.version : pickOf(pools.families));
  const icmp = family === 4 ? ICMP : ICMPV6;
  const l4proto = f.l4proto ?? pickOf([TCP, TCP, TCP, UDP, UDP, UDP, icmp, icmp, 99]);
  // Conntrack tells flows of other protocols apart by addresses alone: draw fresh ones for them
  // more often, or many packets would share a flow and need a probe round each.
  const fromPool = l4proto === TCP || l4proto === UDP || l4proto === ICMP || l4proto === ICMPV6 ? 0.7 : 0.2;
  const addr = (): string => {
    const pool = family === 4 ? pools.v4 : pools.v6;
    if (pool.length && rnd() < fromPool) return formatAddress(pool[Math.floor(rnd() * pool.length)]!, family);
    return family === 4
      ? formatAddress((10n << 24n) | BigInt(Math.floor(rnd() * 2 ** 24)), 4)
      : formatAddress((0xfd00n << 112n) | BigInt(Math.floor(rnd() * 2 ** 48)), 6);
  };

  const ctState = f.ctState ?? (rnd() < 0.85 ? 'new' : pickOf(['established', 'invalid'] as const));
  const port = (): number => (pools.ports.length && rnd() < 0.5 ? pickOf(pools.ports) : 1024 + Math.floor(rnd() * 64000));
  let sport = f.sport ?? (l4proto === TCP || l4proto === UDP ? 1024 + Math.floor(rnd() * 64000) : port());
  let tcpFlags = f.tcpFlags;
  if (l4proto === TCP && tcpFlags === undefined) {
    tcpFlags = ctState === 'new' ? pickOf([TCP_FLAGS.syn!, TCP_FLAGS.ack!]) : ctState === 'established' ? TCP_FLAGS.syn! | TCP_FLAGS.ack! : TCP_FLAGS.fin!;
  }
  if ((l4proto === ICMP || l4proto === ICMPV6) && f.sport === undefined) {
    const type = ctState === 'new' ? (l4proto === ICMP ? 8 : 128) : ctState === 'established' ? (l4proto === ICMP ? 0 : 129) : (l4proto === ICMP ? 3 : 1);
    sport = type << 8;
  }
  // The output interface follows the destination, as a routing table would: packets from one
  // interface to one address then never need two routes (and so two probe rounds).
  const ifs = pools.ifnames;
  const daddr = f.daddr ?? addr();
  const iifname = f.iifname ?? pickOf(ifs);
  let oifname = f.oifname ?? ifs[hash(daddr) % ifs.length]!;
  if (oifname === iifname && f.oifname === undefined && ifs.length > 1) oifname = ifs[(ifs.indexOf(iifname) + 1) % ifs.length]!;
  try {
    return makePacket({
      saddr: f.saddr ?? addr(), daddr, l4proto, sport, dport: f.dport ?? port(),
      iifname, oifname, ctState, tcpFlags, mark: f.mark ?? 0, length: f.length ?? minimumLength({ version: family, l4proto }),
    });
  } catch {
    return undefined; // e.g. an IPv4 source and an IPv6 destination from one rule's matches
  }
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}
