// A batch of flows, as the flow readers (conntrack.ts, pcap.ts, records.ts) hand them to replay:
// struct-of-arrays columns of a fixed capacity, reused from batch to batch, so reading millions of
// flows allocates nothing per flow. A flow is its first packet — the original direction's
// 5-tuple, interfaces, mark, TCP flags and length, as the engine's batch columns take them — and
// the packets and bytes seen in both directions. Only a witness (a flow a report shows) becomes a
// Packet object, in the text `nftlens eval -p` reads.

import { makePacket, type Packet } from '../../engine/packet.js';
import { ip4Text, addressText } from '../../engine/addr.js';
import type { Origin } from '../../model/origin.js';

/** Flows per batch: the engine's default batch capacity. */
export const FLOW_BATCH = 4096;

/** The fields of one flow, filled by a reader and committed with FlowBatch.push. */
export class FlowRow {
  family: 4 | 6 = 4;
  /** Address words, most significant first; IPv4 uses word 0 only. */
  readonly saddr = new Uint32Array(4);
  readonly daddr = new Uint32Array(4);
  l4proto = 0;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  length = 0;
  mark = 0;
  iifname = '';
  oifname = '';
  packets = 1;
  bytes = 0;
  at = 0;

  clear(): void {
    this.saddr.fill(0);
    this.daddr.fill(0);
    this.l4proto = this.sport = this.dport = this.tcpFlags = this.length = this.mark = this.bytes = this.at = 0;
    this.family = 4;
    this.iifname = this.oifname = '';
    this.packets = 1;
  }
}

export class FlowBatch {
  n = 0;
  readonly family: Uint8Array;
  readonly saddr: Uint32Array;
  readonly daddr: Uint32Array;
  readonly l4proto: Uint8Array;
  readonly sport: Uint16Array;
  readonly dport: Uint16Array;
  readonly tcpFlags: Uint8Array;
  readonly length: Uint16Array;
  readonly mark: Uint32Array;
  readonly iifname: string[];
  readonly oifname: string[];
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly at: Float64Array;

  constructor(
    readonly file: string,
    readonly unit: 'line' | 'record',
    readonly capacity = FLOW_BATCH,
  ) {
    this.family = new Uint8Array(capacity);
    this.saddr = new Uint32Array(capacity * 4);
    this.daddr = new Uint32Array(capacity * 4);
    this.l4proto = new Uint8Array(capacity);
    this.sport = new Uint16Array(capacity);
    this.dport = new Uint16Array(capacity);
    this.tcpFlags = new Uint8Array(capacity);
    this.length = new Uint16Array(capacity);
    this.mark = new Uint32Array(capacity);
    this.iifname = new Array<string>(capacity).fill('');
    this.oifname = new Array<string>(capacity).fill('');
    this.packets = new Float64Array(capacity);
    this.bytes = new Float64Array(capacity);
    this.at = new Float64Array(capacity);
  }

  get full(): boolean {
    return this.n === this.capacity;
  }

  /** Appends a row (the caller checks `full` first). */
  push(r: FlowRow): void {
    const i = this.n++;
    this.family[i] = r.family;
    for (let w = 0; w < 4; w++) {
      this.saddr[i * 4 + w] = r.saddr[w]!;
      this.daddr[i * 4 + w] = r.daddr[w]!;
    }
    this.l4proto[i] = r.l4proto;
    this.sport[i] = r.sport;
    this.dport[i] = r.dport;
    this.tcpFlags[i] = r.tcpFlags;
    this.length[i] = r.length;
    this.mark[i] = r.mark;
    this.iifname[i] = r.iifname;
    this.oifname[i] = r.oifname;
    this.packets[i] = r.packets;
    this.bytes[i] = r.bytes;
    this.at[i] = r.at;
  }

  where(i: number): Origin {
    return this.unit === 'line' ? { file: this.file, line: this.at[i]! } : { file: this.file, field: `record ${this.at[i]!}` };
  }

  /** Flow i's first packet (ct new), as the engine sees it: the witness of a report. Interfaces the flow lacks are the given ones. */
  packet(i: number, local: boolean, iif = '', oif = ''): Packet {
    const f = this.family[i] as 4 | 6;
    const addr = (a: Uint32Array) => (f === 4 ? ip4Text(a[i * 4]!) : addressText(wordsValue(a, i * 4), 6));
    return makePacket({
      saddr: addr(this.saddr), daddr: addr(this.daddr), l4proto: this.l4proto[i]!, sport: this.sport[i]!, dport: this.dport[i]!,
      iifname: this.iifname[i] || iif, oifname: this.oifname[i] || oif, mark: this.mark[i]!, tcpFlags: this.tcpFlags[i]!, length: this.length[i]!, local,
    });
  }
}

function wordsValue(a: Uint32Array, at: number): bigint {
  return (BigInt(a[at]!) << 96n) | (BigInt(a[at + 1]!) << 64n) | (BigInt(a[at + 2]!) << 32n) | BigInt(a[at + 3]!);
}

/** Address words of an IPv6 address value. */
export function v6Words(v: bigint, out: Uint32Array): void {
  out[0] = Number((v >> 96n) & 0xffffffffn);
  out[1] = Number((v >> 64n) & 0xffffffffn);
  out[2] = Number((v >> 32n) & 0xffffffffn);
  out[3] = Number(v & 0xffffffffn);
}
