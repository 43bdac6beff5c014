// What the flow readers share: the located error of a malformed record, addresses and protocol
// names into a FlowRow, and the defaults that make a flow's first packet when the record does not
// say (the text form's: TCP flags syn, the length of the bare headers, ICMP's checksum of an
// 8-byte header with zero id and sequence) — so a witness printed in text reads back as the very
// packet that was classified.

import { ICMP, ICMPV6, TCP, TRANSPORT_HEADER, icmpChecksum } from '../../engine/packet.js';
import { addressOf, ip4Text, addressText } from '../../engine/addr.js';
import { NftlensError } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import { L4PROTO, TCP_FLAGS } from '../../model/values.js';
import { v6Words, type FlowRow } from './batch.js';

/** Longest line a text flow reader takes (a conntrack line is some 300 bytes). */
export const MAX_LINE = 64 * 1024;

export function recordError(message: string, origin: Origin): NftlensError {
  return NftlensError.of('FLOW_RECORD', message, origin);
}

/** Sets the row's source or destination from address text; false when it is no address. */
export function setAddress(row: FlowRow, which: 'saddr' | 'daddr', text: string, other?: 4 | 6): boolean {
  const a = addressOf(text);
  if (!a || (other !== undefined && a.version !== other)) return false;
  row.family = a.version;
  const w = row[which];
  if (a.version === 4) {
    w[0] = Number(a.value);
    w[1] = w[2] = w[3] = 0;
  } else v6Words(a.value, w);
  return true;
}

/** A protocol by name (as nft and conntrack spell them) or number; -1 when neither. */
export function protoNumber(text: string): number {
  const t = text.toLowerCase();
  if (/^\d{1,3}$/.test(t)) return Number(t) <= 255 ? Number(t) : -1;
  const n = t === 'icmp6' ? ICMPV6 : L4PROTO[t];
  return n ?? -1;
}

/** The first packet's defaults for what the record did not give: flags, length, ICMP checksum. */
export function firstPacketDefaults(row: FlowRow, given: { flags?: boolean; length?: boolean; csum?: boolean }): void {
  if (!given.flags) row.tcpFlags = row.l4proto === TCP ? TCP_FLAGS.syn! : 0;
  if (!given.length) row.length = (row.family === 4 ? 20 : 40) + (TRANSPORT_HEADER[row.l4proto] ?? 0);
  if (!given.csum && (row.l4proto === ICMP || row.l4proto === ICMPV6)) {
    const text = (w: Uint32Array) => (row.family === 4 ? ip4Text(w[0]!) : addressText((BigInt(w[0]!) << 96n) | (BigInt(w[1]!) << 64n) | (BigInt(w[2]!) << 32n) | BigInt(w[3]!), 6));
    row.dport = icmpChecksum({ family: row.family, l4proto: row.l4proto, sport: row.sport, saddr: text(row.saddr), daddr: text(row.daddr) });
  }
}
