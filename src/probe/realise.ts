// Which engine packets the probe can put on a wire, and how. A packet's fields are the engine's
// inputs, but on a wire most of them are decided by the kernel: conntrack gives the ct state from
// the protocol, the TCP flags / ICMP type and the flow's history; a new flow's ct mark is 0 (the
// meta mark is given by the probe's own first chain); only forwarded packets can be sent from outside. This module says, from the kernel's rules, what state a crafted
// first packet gets, which packet must open a flow before an `established` one, and refuses (with a
// reason) what cannot be sent — so the probe never compares the engine against a different packet.
//
// Kernel references: nf_conntrack_proto_tcp.c (tcp_valid_flags, get_conntrack_index, tcp_new with
// nf_conntrack_tcp_loose = 1), nf_conntrack_proto_icmp.c / icmpv6.c (valid_new, invmap), the
// generic tracker for other protocols (its tuple has no ports), nf_conntrack_icmp_packet /
// nf_conntrack_icmpv6_packet (no entry for the other IP version's ICMP), ip_route_input_slow
// (martians), ip6_rcv_core / ip6_forward (addresses IPv6 never forwards).

import { TCP_FLAGS, parseAddress, prefixMask, type CtState } from '../model/values.js';
import { makePacket, trackable, ICMP, ICMPV6, TCP, UDP, type Packet } from '../engine/packet.js';
import { checkInterfaceName } from './topology.js';
import { minimumLength } from './pcap.js';

export type Realisation =
  | { ok: true; /** Packets to send first (the opening of the flow, in the other direction). */ setup: Packet[] }
  | { ok: false; reason: string };

const { syn: SYN, ack: ACK, rst: RST, fin: FIN, urg: URG } = TCP_FLAGS as Record<string, number>;
/** Protocols with a tracker of their own that checks more than crafted packets carry. */
const OWN_TRACKERS: Record<number, string> = { 33: 'dccp', 132: 'sctp', 136: 'udplite' };
/** IPv6 next headers that are extension headers (the kernel looks past them for meta l4proto). */
const IPV6_EXTENSIONS = new Set([0, 43, 44, 51, 59, 60, 135, 139, 140, 253, 254]);

/** The ct state the kernel gives a packet that opens no known flow. */
export function firstPacketState(p: Pick<Packet, 'family' | 'l4proto' | 'sport' | 'tcpFlags'>): CtState {
  if (!trackable(p)) return 'invalid';
  switch (p.l4proto) {
    case TCP: {
      // tcp_error: flags outside tcp_valid_flags (PSH, ECE, CWR ignored) are invalid.
      const f = p.tcpFlags & (FIN! | SYN! | RST! | ACK! | URG!);
      const valid = [SYN!, SYN! | URG!, SYN! | ACK!, RST!, RST! | ACK!, FIN! | ACK!, FIN! | ACK! | URG!, ACK!, ACK! | URG!];
      if (!valid.includes(f)) return 'invalid';
      // tcp_new: from NONE only SYN opens a flow, and a bare ACK picks one up mid-stream (loose).
      if (f & RST!) return 'invalid';
      if (f & SYN!) return f & ACK! ? 'invalid' : 'new';
      if (f & FIN!) return 'invalid';
      return 'new';
    }
    case ICMP:
      return [8, 13, 15, 17].includes(p.sport >> 8) ? 'new' : 'invalid';
    case ICMPV6:
      return [128, 139].includes(p.sport >> 8) ? 'new' : 'invalid';
    default:
      return 'new';
  }
}

/** The reverse packet that opens the flow a packet then answers (its state: established). */
export function openingPacket(p: Packet): Packet | string {
  const reverse = {
    saddr: p.daddr, daddr: p.saddr, iifname: p.oifname, oifname: p.iifname, l4proto: p.l4proto, ctState: 'new' as const,
    length: minimumLength({ version: p.family, l4proto: p.l4proto }),
  };
  switch (p.l4proto) {
    case TCP: {
      // The reply to a SYN is a SYN-ACK; other replies need a full handshake first.
      const f = p.tcpFlags & (FIN! | SYN! | RST! | ACK! | URG!);
      if ((f & ~URG!) !== (SYN! | ACK!)) return 'an established TCP packet is sent as the SYN-ACK answering a SYN: its flags must be syn,ack';
      return makePacket({ ...reverse, sport: p.dport, dport: p.sport, tcpFlags: SYN! });
    }
    case UDP:
      return makePacket({ ...reverse, sport: p.dport, dport: p.sport });
    case ICMP:
    case ICMPV6: {
      const reply = p.l4proto === ICMP ? 0 : 129;
      if (p.sport >> 8 !== reply) return `an established ${p.l4proto === ICMP ? 'ICMP' : 'ICMPv6'} packet is sent as the echo reply (type ${reply}) to an echo request`;
      return makePacket({ ...reverse, sport: (reply === 0 ? 8 << 8 : 128 << 8) | (p.sport & 0xff) });
    }
    default:
      return makePacket({ ...reverse, sport: p.dport, dport: p.sport });
  }
}

/** Whether and how the probe can send a packet so that the kernel sees what the engine is given. */
export function realise(p: Packet): Realisation {
  const no = (reason: string): Realisation => ({ ok: false, reason });
  if (p.local) return no('the probe sends packets from outside the gateway, not locally generated ones');
  if (p.dstLocal) return no('the probe compares forwarded packets: one addressed to the gateway itself (dst-local) never reaches the sink');
  if (!p.iifname || !p.oifname) return no('a forwarded packet needs both iif and oif');
  for (const name of [p.iifname, p.oifname]) {
    if (name === 'lo') return no('the gateway\'s own loopback is named lo: the probe cannot make another');
    try {
      checkInterfaceName(name);
    } catch (e) {
      return no((e as Error).message);
    }
  }
  for (const [what, addr] of [['source', p.saddr], ['destination', p.daddr]] as const) {
    const why = unforwardable(addr, what);
    if (why) return no(why);
  }
  if (OWN_TRACKERS[p.l4proto]) return no(`${OWN_TRACKERS[p.l4proto]} has a conntrack tracker of its own the probe does not satisfy`);
  if (p.family === 6 && IPV6_EXTENSIONS.has(p.l4proto)) return no(`next header ${p.l4proto} is an IPv6 extension header or carries none`);
  if (p.length > 1500) return no('the probe network has an MTU of 1500');
  if (p.length < minimumLength({ version: p.family, l4proto: p.l4proto })) {
    return no(`length ${p.length} leaves no room for the ${minimumLength({ version: p.family, l4proto: p.l4proto })}-byte headers the probe sends`);
  }
  if (!trackable(p) && p.ctState !== 'untracked') {
    // Never tracked: the engine, like the kernel, reads ct state invalid and no ct mark whatever
    // state and mark the packet was given, and no earlier packet can change that.
    return { ok: true, setup: [] };
  }
  switch (p.ctState) {
    case 'new':
    case 'invalid': {
      const kernel = firstPacketState(p);
      if (kernel !== p.ctState) return no(`the kernel gives this packet ct state ${kernel}, not ${p.ctState}`);
      if (p.ctMark !== 0) return no('a packet of a new flow has ct mark 0');
      return { ok: true, setup: [] };
    }
    case 'established': {
      const open = openingPacket(p);
      if (typeof open === 'string') return no(open);
      return { ok: true, setup: [open] };
    }
    case 'related':
    case 'untracked':
      return no(`the probe does not craft ${p.ctState} packets (untracked comes from a notrack rule)`);
  }
}

/** Why the kernel would not forward a packet with this address, or undefined. */
function unforwardable(text: string, what: string): string | undefined {
  const a = parseAddress(text)!;
  const inNet = (net: string, len: number): boolean => {
    const n = parseAddress(net)!;
    const bits = a.version === 4 ? 32 : 128;
    return n.version === a.version && (a.value & prefixMask(len, bits)) === n.value;
  };
  const special = a.version === 4
    ? [['0.0.0.0', 8, 'this-network'], ['127.0.0.0', 8, 'loopback'], ['224.0.0.0', 4, 'multicast'], ['240.0.0.0', 4, 'reserved/broadcast']]
    : [['::', 96, 'unspecified/IPv4-compatible'], ['::ffff:0:0', 96, 'IPv4-mapped'], ['fe80::', 10, 'link-local'], ['ff00::', 8, 'multicast']];
  for (const [net, len, name] of special as [string, number, string][]) {
    if (inNet(net, len)) return `the ${what} ${text} is ${name}: the kernel does not forward it`;
  }
  return undefined;
}

/**
 * Conntrack's identity of a packet's flow, the same for both directions: TCP/UDP by addresses and
 * ports, ICMP by addresses and echo id, any other protocol by addresses alone (generic tracker).
 */
export function flowKey(p: Pick<Packet, 'family' | 'l4proto' | 'saddr' | 'daddr' | 'sport' | 'dport'>, icmpId: number): string {
  const ends = p.l4proto === TCP || p.l4proto === UDP
    ? [`${p.saddr}#${p.sport}`, `${p.daddr}#${p.dport}`]
    : [p.saddr, p.daddr];
  ends.sort();
  const extra = p.l4proto === ICMP || p.l4proto === ICMPV6 ? `#${icmpId}` : '';
  return `${p.family}|${p.l4proto}|${ends.join('|')}${extra}`;
}

