// The packet the engine evaluates: the header fields nftables rules can read, in one value, with
// a one-line text form and a JSON form. Bad text or JSON is an NftlensError (INPUT_PARSE).
//
//   tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif liqo-tunnel ct new mark 0x1 flags syn len 60
//   icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0
//   udp [fd00::1]:53 -> [fd00::2]:53 local
//
// The first word is the protocol (a name nft knows, or a number). Defaults: ports 0; no input or
// output interface; `ct new`; marks 0; tcp flags `syn` for ct new, `ack` otherwise (0 for other
// protocols); length = IP header (20 or 40) + transport header (tcp 20, udp 8, icmp 8) bytes;
// not local (it arrives from the network). `sport`/`dport` are the raw first and second 16-bit
// words of the transport header, whatever the protocol: for ICMP they are (type << 8 | code) and
// the checksum (default: that of an 8-byte header with zero id and sequence). Any protocol goes
// with either IP version: ICMP (1) inside IPv6 is a packet the kernel forwards and `meta l4proto`
// matches, though conntrack never tracks it (see `trackable`).

import { NftlensError } from '../model/diagnostics.js';
import type { Origin } from '../model/origin.js';
import { addressOf, addressText } from './addr.js';
import {
  CT_STATE, IFNAMSIZ, L4PROTO, TCP_FLAGS, l4protoName, type CtState,
} from '../model/values.js';

export interface Packet {
  family: 4 | 6;
  /** Canonical address text. */
  saddr: string;
  daddr: string;
  l4proto: number;
  sport: number;
  dport: number;
  /** Input/output interface names; '' when the packet has none. */
  iifname: string;
  oifname: string;
  /** What conntrack decides for this packet. */
  ctState: CtState;
  mark: number;
  ctMark: number;
  tcpFlags: number;
  /** IP packet length in bytes (what counters add). */
  length: number;
  /** Locally generated: goes output → postrouting instead of prerouting → input|forward. */
  local: boolean;
  /**
   * The destination address (as given) is one of this host's: the routing decision sends the
   * packet to input, whatever addresses the engine was told (text: `dst-local`). Set only when true.
   */
  dstLocal?: boolean;
  /**
   * The frame came to a link-layer broadcast or multicast address (`meta pkttype`; text: `pkttype
   * broadcast`). Absent: to this host's (unicast). A received packet only: the kernel forwards
   * such a packet nowhere (the routing decision drops it), so only this host takes it.
   */
  pktType?: 'broadcast' | 'multicast';
}

/** The link-layer destinations a packet may come to (`host` is the default, written as no word). */
const PKT_TYPES = ['host', 'unicast', 'broadcast', 'multicast'];

export const ICMP = 1;
export const ICMPV6 = 58;
export const TCP = 6;
export const UDP = 17;

/** Transport header bytes by protocol, for the default length. */
export const TRANSPORT_HEADER: Record<number, number> = { 6: 20, 17: 8, 1: 8, 58: 8, 136: 8, 132: 12 };

function fail(message: string, origin: Origin = {}): never {
  throw NftlensError.of('INPUT_PARSE', message, origin);
}

/** A packet from partial fields, defaults filled and every value checked. */
export function makePacket(p: Partial<Packet> & Pick<Packet, 'saddr' | 'daddr'>, origin: Origin = {}): Packet {
  const s = addressOf(p.saddr);
  const d = addressOf(p.daddr);
  if (!s) fail(`"${p.saddr}" is not an IP address`, origin);
  if (!d) fail(`"${p.daddr}" is not an IP address`, origin);
  if (s.version !== d.version) fail(`source ${p.saddr} and destination ${p.daddr} are not of one IP version`, origin);
  const family = s.version;
  const l4proto = p.l4proto ?? TCP;
  checkUint('protocol', l4proto, 8, origin);
  const ctState = p.ctState ?? 'new';
  if (!(ctState in CT_STATE)) fail(`"${ctState}" is not a ct state`, origin);
  const tcpFlags = p.tcpFlags ?? (l4proto === TCP ? (ctState === 'new' ? TCP_FLAGS.syn! : TCP_FLAGS.ack!) : 0);
  const pkt: Packet = {
    family,
    saddr: addressText(s.value, family),
    daddr: addressText(d.value, family),
    l4proto,
    sport: p.sport ?? 0,
    dport: p.dport ?? 0,
    iifname: p.iifname ?? '',
    oifname: p.oifname ?? '',
    ctState,
    mark: p.mark ?? 0,
    ctMark: p.ctMark ?? 0,
    tcpFlags,
    length: p.length ?? (family === 4 ? 20 : 40) + (TRANSPORT_HEADER[l4proto] ?? 0),
    local: p.local ?? false,
    ...(p.dstLocal ? { dstLocal: true } : {}),
    ...(p.pktType !== undefined ? { pktType: p.pktType } : {}),
  };
  if (pkt.local && pkt.dstLocal) fail('a packet is either locally generated (local) or to an address of this host (dst-local), not both', origin);
  if (pkt.pktType !== undefined && pkt.pktType !== 'broadcast' && pkt.pktType !== 'multicast') fail(`"${String(pkt.pktType)}" is not a packet type a received frame has (broadcast, multicast; unicast is the default)`, origin);
  if (pkt.local && pkt.pktType) fail('a locally generated packet is no received frame: pkttype is for packets that come in by an interface', origin);
  if (p.dport === undefined && (l4proto === ICMP || l4proto === ICMPV6)) pkt.dport = icmpChecksum(pkt);
  checkUint('source port', pkt.sport, 16, origin);
  checkUint('destination port', pkt.dport, 16, origin);
  checkUint('mark', pkt.mark, 32, origin);
  checkUint('ct mark', pkt.ctMark, 32, origin);
  checkUint('tcp flags', pkt.tcpFlags, 8, origin);
  checkUint('length', pkt.length, 16, origin);
  for (const [what, name] of [['iif', pkt.iifname], ['oif', pkt.oifname]] as const) {
    if (name.length >= IFNAMSIZ) fail(`${what} "${name}" is longer than ${IFNAMSIZ - 1} bytes`, origin);
  }
  return pkt;
}

/**
 * Whether conntrack can give the packet an entry. Its ICMP trackers take their own IP version
 * only — nf_conntrack_icmp_packet returns -NF_ACCEPT unless `state->pf == NFPROTO_IPV4`, and
 * nf_conntrack_icmpv6_packet unless it is NFPROTO_IPV6 — and nf_conntrack_in then drops the new
 * entry. So ICMP in IPv6 and ICMPv6 in IPv4 always read ct state `invalid` (or `untracked` after
 * notrack) and have no ct mark, whatever the packet's flow history (its `ctState`) says.
 */
export function trackable(p: Pick<Packet, 'family' | 'l4proto'>): boolean {
  return p.family === 4 ? p.l4proto !== ICMPV6 : p.l4proto !== ICMP;
}

function checkUint(what: string, n: unknown, bits: number, origin: Origin): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= 2 ** bits) {
    fail(`${what} ${JSON.stringify(n)} is not a ${bits}-bit unsigned number`, origin);
  }
}

/** The ICMP(v6) checksum of an 8-byte header with zero id and sequence and no payload (ICMPv6 in IPv6 adds the pseudo-header). */
export function icmpChecksum(p: Pick<Packet, 'family' | 'l4proto' | 'sport' | 'saddr' | 'daddr'>): number {
  let sum = p.sport; // type << 8 | code
  if (p.l4proto === ICMPV6 && p.family === 6) {
    for (const a of [p.saddr, p.daddr]) {
      const v = addressOf(a)!.value;
      for (let i = 7; i >= 0; i--) sum += Number((v >> BigInt(16 * i)) & 0xffffn);
    }
    sum += 8 + ICMPV6; // upper-layer length and next header of the pseudo-header
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ─── text ────────────────────────────────────────────────────────────────────────────────────

const CT_NAMES = Object.keys(CT_STATE) as CtState[];

export function parsePacket(text: string, origin: Origin = {}): Packet {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const where = (msg: string): never => fail(`packet "${text.trim()}": ${msg}`, origin);
  if (words.length < 4 || words[2] !== '->') where('expected "PROTO SRC[:PORT] -> DST[:PORT] …"');
  const protoWord = words[0]!.toLowerCase();
  const l4proto = /^\d+$/.test(protoWord) ? Number(protoWord) : protoWord === 'icmp6' ? ICMPV6 : L4PROTO[protoWord];
  if (l4proto === undefined || l4proto > 255) where(`unknown protocol "${words[0]}"`);
  const src = splitEndpoint(words[1]!, l4proto, where);
  const dst = splitEndpoint(words[3]!, l4proto, where);
  const p: Partial<Packet> & Pick<Packet, 'saddr' | 'daddr'> = { saddr: src.addr, daddr: dst.addr, l4proto };
  if (src.port !== undefined) p.sport = src.port;
  if (dst.port !== undefined) p.dport = dst.port;
  let type: number | undefined;
  let code: number | undefined;
  for (let i = 4; i < words.length; i++) {
    const key = words[i]!;
    if (key === 'local') {
      p.local = true;
      continue;
    }
    if (key === 'dst-local') {
      p.dstLocal = true;
      continue;
    }
    const val = words[++i];
    if (val === undefined) where(`"${key}" needs a value`);
    switch (key) {
      case 'iif': p.iifname = val; break;
      case 'oif': p.oifname = val; break;
      case 'ct':
        if (!CT_NAMES.includes(val as CtState)) where(`"${val}" is not a ct state (${CT_NAMES.join(', ')})`);
        p.ctState = val as CtState;
        break;
      case 'mark': p.mark = num(val, where); break;
      case 'ctmark': p.ctMark = num(val, where); break;
      case 'pkttype':
        if (!PKT_TYPES.includes(val)) where(`"${val}" is not a packet type (unicast, broadcast, multicast; a frame for another host never reaches the IP hooks)`);
        if (val === 'broadcast' || val === 'multicast') p.pktType = val;
        break;
      case 'len': p.length = num(val, where); break;
      case 'flags': p.tcpFlags = parseFlags(val, where); break;
      case 'type': type = num(val, where); break;
      case 'code': code = num(val, where); break;
      case 'csum': p.dport = num(val, where); break;
      default: where(`unknown word "${key}"`);
    }
  }
  if (type !== undefined || code !== undefined) {
    if (l4proto !== ICMP && l4proto !== ICMPV6) where('type/code are for icmp and icmpv6');
    if ((type ?? 0) > 255 || (code ?? 0) > 255) where('type and code are 8-bit');
    p.sport = ((type ?? 0) << 8) | (code ?? 0);
  }
  return makePacket(p, origin);
}

/** Protocols whose first header words are ports (tcp, dccp, udp, udplite, sctp). */
const PORTED = new Set([6, 33, 17, 136, 132]);

/**
 * `ADDR[:PORT]`, `[IPv6]` or `[IPv6]:PORT`. An IPv6 address without brackets has no port; where
 * its last group could be meant as one (`fd00::1:53`, itself an address, and `fd00::1` too) for a
 * protocol with ports, the text is ambiguous and refused: brackets say which is meant.
 */
function splitEndpoint(word: string, l4proto: number, where: (m: string) => never): { addr: string; port?: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(word);
  if (v6) return v6[2] === undefined ? { addr: v6[1]! } : { addr: v6[1]!, port: num(v6[2], where) };
  if (word.includes(':') && word.indexOf(':') !== word.lastIndexOf(':')) {
    const last = word.lastIndexOf(':');
    const head = word.slice(0, last);
    if (PORTED.has(l4proto) && /^\d{1,5}$/.test(word.slice(last + 1)) && addressOf(head)?.version === 6) {
      where(`"${word}" is ambiguous: write [${head}]:${word.slice(last + 1)} for a port, or [${word}] for the address (an IPv6 address without brackets has no port)`);
    }
    return { addr: word };
  }
  const [addr, port] = word.split(':');
  return port === undefined ? { addr: addr! } : { addr: addr!, port: num(port, where) };
}

function num(s: string, where: (m: string) => never): number {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(s)) where(`"${s}" is not a number`);
  return Number(s);
}

function parseFlags(s: string, where: (m: string) => never): number {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(s)) return Number(s);
  let v = 0;
  for (const f of s.split(/[,|]/)) {
    const bit = TCP_FLAGS[f];
    if (bit === undefined) where(`"${f}" is not a tcp flag (${Object.keys(TCP_FLAGS).join(', ')})`);
    v |= bit;
  }
  return v;
}

/** The protocol word formatPacket writes. */
export function protoText(l4proto: number): string {
  return l4proto === ICMPV6 ? 'icmpv6' : l4protoName(l4proto) ?? String(l4proto);
}

export function formatPacket(p: Packet): string {
  const proto = protoText(p.l4proto);
  const host = (a: string) => (p.family === 6 ? `[${a}]` : a);
  const icmp = p.l4proto === ICMP || p.l4proto === ICMPV6;
  const parts = icmp
    ? [proto, p.saddr, '->', p.daddr, 'type', String(p.sport >> 8), 'code', String(p.sport & 0xff), 'csum', hex(p.dport)]
    : [proto, `${host(p.saddr)}:${p.sport}`, '->', `${host(p.daddr)}:${p.dport}`];
  if (p.iifname) parts.push('iif', p.iifname);
  if (p.oifname) parts.push('oif', p.oifname);
  parts.push('ct', p.ctState);
  if (p.mark) parts.push('mark', hex(p.mark));
  if (p.ctMark) parts.push('ctmark', hex(p.ctMark));
  if (p.tcpFlags || p.l4proto === TCP) parts.push('flags', formatFlags(p.tcpFlags));
  parts.push('len', String(p.length));
  if (p.local) parts.push('local');
  if (p.dstLocal) parts.push('dst-local');
  if (p.pktType) parts.push('pkttype', p.pktType);
  return parts.join(' ');
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}

export function formatFlags(v: number): string {
  const names = Object.entries(TCP_FLAGS).filter(([, bit]) => v & bit).map(([n]) => n);
  return names.length ? names.join(',') : '0';
}

// ─── JSON ────────────────────────────────────────────────────────────────────────────────────

/** A packet from a JSON object with the fields of `Packet` (all but saddr/daddr optional). */
export function packetFromJson(doc: unknown, origin: Origin = {}): Packet {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail('a packet is a JSON object', origin);
  const o = { ...(doc as Record<string, unknown>) };
  const known = new Set(['family', 'saddr', 'daddr', 'l4proto', 'sport', 'dport', 'iifname', 'oifname', 'ctState', 'mark', 'ctMark', 'tcpFlags', 'length', 'local', 'dstLocal', 'pktType']);
  for (const k of Object.keys(o)) if (!known.has(k)) fail(`unknown packet field "${k}"`, origin);
  if (typeof o.saddr !== 'string' || typeof o.daddr !== 'string') fail('a packet needs string saddr and daddr', origin);
  if (o.pktType === 'host' || o.pktType === 'unicast') delete o.pktType;
  for (const k of ['iifname', 'oifname', 'ctState', 'pktType'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') fail(`packet field ${k} must be a string`, origin);
  }
  for (const k of ['local', 'dstLocal'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') fail(`packet field ${k} must be true or false`, origin);
  }
  let l4proto = o.l4proto;
  if (typeof l4proto === 'string') l4proto = l4proto === 'icmp6' ? ICMPV6 : L4PROTO[l4proto];
  const pkt = makePacket({ ...(o as Partial<Packet>), saddr: o.saddr, daddr: o.daddr, l4proto: l4proto as number | undefined }, origin);
  if (o.family !== undefined && o.family !== pkt.family) fail(`family ${String(o.family)} does not fit the addresses`, origin);
  return pkt;
}

/** Parses one line of a packets file: JSON when it starts with `{`, else the text form. */
export function parsePacketLine(line: string, origin: Origin = {}): Packet {
  const t = line.trim();
  if (!t.startsWith('{')) return parsePacket(t, origin);
  let doc: unknown;
  try {
    doc = JSON.parse(t);
  } catch (e) {
    fail(`not JSON: ${(e as Error).message}`, origin);
  }
  return packetFromJson(doc, origin);
}
