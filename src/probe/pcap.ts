// Packets on the wire for the kernel probe: crafts Ethernet frames (IPv4/IPv6 + TCP/UDP/ICMP/ICMPv6
// or any other protocol) with correct checksums from a wire description, writes them as a pcap file
// for tcpreplay, and parses what tcpdump captured (Ethernet or Linux "any" SLL2 framing) back.
//
// Every frame carries a tag that survives forwarding and NAT — the IPv4 ID or the IPv6 flow label —
// so the sink can say which packet arrived. `th sport/dport` are the first two 16-bit words of the
// transport header whatever the protocol: for ICMP that is type·code and the checksum, so the
// checksum is made to come out at the wanted value by choosing the echo sequence word.

import { formatAddress, parseAddress } from '../model/values.js';

export interface WirePacket {
  version: 4 | 6;
  saddr: string;
  daddr: string;
  l4proto: number;
  /** First and second 16-bit word of the transport header. */
  sport: number;
  dport: number;
  /** TCP header byte 13 (all eight flag bits). */
  tcpFlags?: number;
  tcpSeq?: number;
  tcpAck?: number;
  /** The third 16-bit word for ICMP/ICMPv6 (the echo identifier); defaults to the tag's low 16 bits. */
  icmpId?: number;
  /** IPv4 ID (16 bits) or IPv6 flow label (20 bits); non-zero and unique within one run. */
  tag: number;
  /** Total length of the IP packet; padded with zeros up to it when larger than the headers. */
  length?: number;
  srcMac: string;
  dstMac: string;
}

/** What a captured frame says: enough to tell which packet it was and what NAT did to it. */
export interface SeenPacket {
  version: 4 | 6;
  tag: number;
  saddr: string;
  daddr: string;
  l4proto: number;
  sport: number;
  dport: number;
  /** Interface index the frame arrived on (SLL2 captures only). */
  ifindex?: number;
}

export const IPPROTO = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 } as const;

/** The smallest transport header nftlens writes for a protocol (ports need 4 bytes, ICMP 8). */
export function transportHeaderLength(l4proto: number): number {
  return l4proto === IPPROTO.tcp ? 20 : 8;
}

export function ipHeaderLength(version: 4 | 6): number {
  return version === 4 ? 20 : 40;
}

/** The smallest IP packet a wire packet needs. */
export function minimumLength(p: Pick<WirePacket, 'version' | 'l4proto'>): number {
  return ipHeaderLength(p.version) + transportHeaderLength(p.l4proto);
}

// ─── checksums ───────────────────────────────────────────────────────────────────────────────────

/** Ones' complement sum of 16-bit big-endian words (odd length padded with a zero byte), folded. */
export function onesSum(buf: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (buf.length % 2) sum += buf[buf.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

const addOnes = (a: number, b: number): number => {
  const s = a + b;
  return (s & 0xffff) + (s >>> 16);
};

function pseudoHeader(p: WirePacket, l4len: number): Buffer {
  const src = addressBytes(p.saddr, p.version);
  const dst = addressBytes(p.daddr, p.version);
  if (p.version === 4) {
    const b = Buffer.alloc(12);
    src.copy(b, 0);
    dst.copy(b, 4);
    b[9] = p.l4proto;
    b.writeUInt16BE(l4len, 10);
    return b;
  }
  const b = Buffer.alloc(40);
  src.copy(b, 0);
  dst.copy(b, 16);
  b.writeUInt32BE(l4len, 32);
  b[39] = p.l4proto;
  return b;
}

function addressBytes(text: string, version: 4 | 6): Buffer {
  const a = parseAddress(text);
  if (!a || a.version !== version) throw new Error(`"${text}" is not an IPv${version} address`);
  const n = version === 4 ? 4 : 16;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Number((a.value >> BigInt(8 * (n - 1 - i))) & 0xffn);
  return b;
}

function macBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((x) => !/^[0-9a-f]{2}$/i.test(x))) throw new Error(`bad MAC address ${mac}`);
  return Buffer.from(parts.map((x) => parseInt(x, 16)));
}

// ─── crafting ────────────────────────────────────────────────────────────────────────────────────

/** One Ethernet frame for a wire packet. */
export function craftFrame(p: WirePacket): Buffer {
  const ipLen = Math.max(p.length ?? 0, minimumLength(p));
  const l4len = ipLen - ipHeaderLength(p.version);
  const l4 = craftTransport(p, l4len);
  const ip = p.version === 4 ? ipv4Header(p, ipLen) : ipv6Header(p, l4len);
  const eth = Buffer.alloc(14);
  macBytes(p.dstMac).copy(eth, 0);
  macBytes(p.srcMac).copy(eth, 6);
  eth.writeUInt16BE(p.version === 4 ? 0x0800 : 0x86dd, 12);
  return Buffer.concat([eth, ip, l4]);
}

function ipv4Header(p: WirePacket, total: number): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(total, 2);
  h.writeUInt16BE(p.tag & 0xffff, 4);
  h[8] = 64; // TTL
  h[9] = p.l4proto;
  addressBytes(p.saddr, 4).copy(h, 12);
  addressBytes(p.daddr, 4).copy(h, 16);
  h.writeUInt16BE(~onesSum(h) & 0xffff, 10);
  return h;
}

function ipv6Header(p: WirePacket, payload: number): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(((6 << 28) | (p.tag & 0xfffff)) >>> 0, 0);
  h.writeUInt16BE(payload, 4);
  h[6] = p.l4proto;
  h[7] = 64; // hop limit
  addressBytes(p.saddr, 6).copy(h, 8);
  addressBytes(p.daddr, 6).copy(h, 24);
  return h;
}

function craftTransport(p: WirePacket, len: number): Buffer {
  const b = Buffer.alloc(len);
  b.writeUInt16BE(p.sport & 0xffff, 0);
  b.writeUInt16BE(p.dport & 0xffff, 2);
  const icmp = (p.version === 4 && p.l4proto === IPPROTO.icmp) || (p.version === 6 && p.l4proto === IPPROTO.icmpv6);
  if (p.l4proto === IPPROTO.tcp) {
    b.writeUInt32BE((p.tcpSeq ?? 1) >>> 0, 4);
    b.writeUInt32BE((p.tcpAck ?? 0) >>> 0, 8);
    b[12] = 5 << 4; // data offset: 5 words, no options
    b[13] = (p.tcpFlags ?? 0) & 0xff;
    b.writeUInt16BE(64240, 14); // window
    b.writeUInt16BE(~onesSum(b, onesSum(pseudoHeader(p, len))) & 0xffff, 16);
  } else if (p.l4proto === IPPROTO.udp) {
    b.writeUInt16BE(len, 4);
    const c = ~onesSum(b, onesSum(pseudoHeader(p, len))) & 0xffff;
    b.writeUInt16BE(c === 0 ? 0xffff : c, 6);
  } else if (icmp) {
    // Bytes 2–3 (the checksum) must read as `dport`: pick the sequence word (bytes 6–7) so that
    // the ones' complement sum over the message (with the IPv6 pseudo-header) comes out right.
    b.writeUInt16BE((p.icmpId ?? p.tag) & 0xffff, 4);
    b.writeUInt16BE(0, 2);
    b.writeUInt16BE(0, 6);
    const rest = p.version === 6 ? onesSum(b, onesSum(pseudoHeader(p, len))) : onesSum(b);
    const withCsum = addOnes(rest, p.dport & 0xffff);
    b.writeUInt16BE((0xffff - withCsum) & 0xffff, 6);
    b.writeUInt16BE(p.dport & 0xffff, 2);
  }
  return b;
}

// ─── pcap files ──────────────────────────────────────────────────────────────────────────────────

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_LINUX_SLL2 = 276;

export function writePcap(frames: readonly Buffer[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16); // snaplen
  head.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const parts: Uint8Array[] = [head];
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(0, 0);
    rec.writeUInt32LE(i, 4); // microseconds: keeps timestamps increasing
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, f);
  });
  return Buffer.concat(parts);
}

export function readPcap(buf: Buffer): { linktype: number; frames: Buffer[] } {
  if (buf.length < 24) return { linktype: LINKTYPE_ETHERNET, frames: [] };
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) {
    throw new Error('not a pcap file');
  }
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = u32(20) & 0xffff;
  const frames: Buffer[] = [];
  for (let o = 24; o + 16 <= buf.length; ) {
    const incl = u32(o + 8);
    if (o + 16 + incl > buf.length) break; // a record cut short by a stopped capture
    frames.push(buf.subarray(o + 16, o + 16 + incl));
    o += 16 + incl;
  }
  return { linktype, frames };
}

// ─── parsing what arrived ────────────────────────────────────────────────────────────────────────

const SLL2_OUTGOING = 4;

/** Parses one captured frame; undefined for anything that is not an IPv4/IPv6 packet coming in. */
export function parseFrame(frame: Buffer, linktype: number): SeenPacket | undefined {
  let ethertype: number;
  let off: number;
  let ifindex: number | undefined;
  if (linktype === LINKTYPE_LINUX_SLL2) {
    if (frame.length < 20 || frame[10] === SLL2_OUTGOING) return undefined;
    ethertype = frame.readUInt16BE(0);
    ifindex = frame.readUInt32BE(4);
    off = 20;
  } else if (linktype === LINKTYPE_ETHERNET) {
    if (frame.length < 14) return undefined;
    ethertype = frame.readUInt16BE(12);
    off = 14;
  } else {
    throw new Error(`unsupported capture link type ${linktype}`);
  }
  const ip = frame.subarray(off);
  let seen: Omit<SeenPacket, 'sport' | 'dport'> & { l4: Buffer };
  if (ethertype === 0x0800 && ip.length >= 20 && ip[0]! >> 4 === 4) {
    const ihl = (ip[0]! & 0x0f) * 4;
    seen = {
      version: 4,
      tag: ip.readUInt16BE(4),
      l4proto: ip[9]!,
      saddr: formatAddress(BigInt(ip.readUInt32BE(12)), 4),
      daddr: formatAddress(BigInt(ip.readUInt32BE(16)), 4),
      l4: ip.subarray(ihl),
    };
  } else if (ethertype === 0x86dd && ip.length >= 40 && ip[0]! >> 4 === 6) {
    seen = {
      version: 6,
      tag: ip.readUInt32BE(0) & 0xfffff,
      l4proto: ip[6]!,
      saddr: formatAddress(bigintOf(ip.subarray(8, 24)), 6),
      daddr: formatAddress(bigintOf(ip.subarray(24, 40)), 6),
      l4: ip.subarray(40),
    };
  } else {
    return undefined;
  }
  const { l4, ...rest } = seen;
  const sport = l4.length >= 2 ? l4.readUInt16BE(0) : 0;
  const dport = l4.length >= 4 ? l4.readUInt16BE(2) : 0;
  return { ...rest, sport, dport, ...(ifindex !== undefined ? { ifindex } : {}) };
}

function bigintOf(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}
