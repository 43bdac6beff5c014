// A captured frame decoded down to what a flow's first packet needs: link layer (Ethernet with
// VLAN tags, Linux cooked SLL and SLL2, raw IP), IPv4 or IPv6 (extension headers skipped), and
// the transport header's first two 16-bit words (ports; ICMP's type·code and checksum — what
// nftables' `th sport/dport` read) and TCP flags. Non-IP frames, IPv4 fragments after the first
// (no transport header: the kernel reassembles before conntrack), and frames cut before their
// transport words are not flows: decode says why, and the reader counts them.

import { FlowRow } from './batch.js';

export const LINK = { NULL: 0, ETHERNET: 1, RAW: 101, RAW_BSD: 12, RAW_OPENBSD: 14, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;
export const SUPPORTED_LINKS = new Set<number>(Object.values(LINK).filter((l) => l !== LINK.NULL));

export type Skip = 'not-ip' | 'fragment' | 'truncated';

/** Decodes frames into its row (addresses, protocol, transport words, flags, length) and the ICMP echo id. */
export class FrameDecoder {
  readonly row = new FlowRow();
  /** The third 16-bit word of an ICMP(v6) header (the echo identifier); 0 for other protocols. */
  icmpId = 0;

  /** undefined when the frame is a flow's packet, else why it is not. */
  decode(frame: Buffer, linktype: number): Skip | undefined {
    this.icmpId = 0;
    const at = decodeFrame(frame, linktype, this.row);
    if (typeof at === 'string') return at;
    const p = this.row.l4proto;
    if ((p === 1 || p === 58) && at + 6 <= frame.length) this.icmpId = frame.readUInt16BE(at + 4);
    return undefined;
  }
}

/** Fills row; the transport header's offset, or why the frame is no flow's packet. */
function decodeFrame(frame: Buffer, linktype: number, row: FlowRow): Skip | number {
  let off: number;
  let ethertype = -1;
  switch (linktype) {
    case LINK.ETHERNET: {
      if (frame.length < 14) return 'truncated';
      ethertype = frame.readUInt16BE(12);
      off = 14;
      while ((ethertype === 0x8100 || ethertype === 0x88a8) && frame.length >= off + 4) {
        ethertype = frame.readUInt16BE(off + 2);
        off += 4;
      }
      break;
    }
    case LINK.LINUX_SLL:
      if (frame.length < 16) return 'truncated';
      ethertype = frame.readUInt16BE(14);
      off = 16;
      break;
    case LINK.LINUX_SLL2:
      if (frame.length < 20) return 'truncated';
      ethertype = frame.readUInt16BE(0);
      off = 20;
      break;
    default:
      off = 0; // raw IP: the version nibble says which
  }
  if (off >= frame.length) return 'truncated';
  const version = frame[off]! >> 4;
  if (ethertype >= 0 && !((ethertype === 0x0800 && version === 4) || (ethertype === 0x86dd && version === 6))) return 'not-ip';
  if (version === 4) return ipv4(frame, off, row);
  if (version === 6) return ipv6(frame, off, row);
  return 'not-ip';
}

function ipv4(f: Buffer, o: number, row: FlowRow): Skip | number {
  if (f.length < o + 20) return 'truncated';
  const ihl = (f[o]! & 15) * 4;
  if (ihl < 20) return 'not-ip';
  if (f.readUInt16BE(o + 6) & 0x1fff) return 'fragment';
  row.family = 4;
  row.saddr[0] = f.readUInt32BE(o + 12);
  row.daddr[0] = f.readUInt32BE(o + 16);
  row.saddr[1] = row.saddr[2] = row.saddr[3] = row.daddr[1] = row.daddr[2] = row.daddr[3] = 0;
  row.l4proto = f[o + 9]!;
  row.length = f.readUInt16BE(o + 2);
  return transport(f, o + ihl, row);
}

/** Extension headers skipped to the transport header: hop-by-hop, routing, destination options, AH, fragment. */
const EXTENSIONS = new Set([0, 43, 60, 51, 44]);

function ipv6(f: Buffer, o: number, row: FlowRow): Skip | number {
  if (f.length < o + 40) return 'truncated';
  row.family = 6;
  for (let w = 0; w < 4; w++) {
    row.saddr[w] = f.readUInt32BE(o + 8 + 4 * w);
    row.daddr[w] = f.readUInt32BE(o + 24 + 4 * w);
  }
  row.length = Math.min(0xffff, 40 + f.readUInt16BE(o + 4));
  let next = f[o + 6]!;
  let at = o + 40;
  while (EXTENSIONS.has(next)) {
    if (f.length < at + 8) return 'truncated';
    if (next === 44 && f.readUInt16BE(at + 2) & 0xfff8) return 'fragment';
    const len = next === 44 ? 8 : next === 51 ? (f[at + 1]! + 2) * 4 : (f[at + 1]! + 1) * 8;
    next = f[at]!;
    at += len;
  }
  row.l4proto = next;
  return transport(f, at, row);
}

const PORTED = new Set([6, 17, 132, 33, 136, 1, 58]);

/** The transport header's first words, whatever the protocol (nft's `th` reads them for any); returns its offset. */
function transport(f: Buffer, at: number, row: FlowRow): Skip | number {
  row.tcpFlags = 0;
  row.sport = row.dport = 0;
  if (f.length < at + 4) return PORTED.has(row.l4proto) ? 'truncated' : at;
  row.sport = f.readUInt16BE(at);
  row.dport = f.readUInt16BE(at + 2);
  if (row.l4proto === 6) {
    if (f.length < at + 14) return 'truncated';
    row.tcpFlags = f[at + 13]!;
  }
  return at;
}
