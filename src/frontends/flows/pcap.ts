// pcap and pcapng captures read as flows: every IP packet is put in its flow by its 5-tuple,
// direction-aware — a reply (addresses and ports swapped) joins the flow its request opened, so
// the flow's first packet is the one the capture saw first, in the direction it went — and
// counted (packets, and IP bytes) in it. ICMP echo requests and replies are one flow per echo
// identifier, as conntrack keeps them; other ICMP messages one per addresses, type and code.
//
// Flows are held in a table of at most `maxFlows`; when it is full, the oldest eighth is handed
// on (a later packet of one of those starts a new flow, as a flow exporter's active timeout
// does), so memory stays bounded however long the capture. The interface is the pcapng
// interface's if_name when the capture has one (the packet's input interface), else --iif.

import { NftlensError } from '../../model/diagnostics.js';
import { FlowBatch, FlowRow } from './batch.js';
import { readPcapFrames, readPcapngFrames } from './capture.js';
import { FrameDecoder, SUPPORTED_LINKS, type Skip } from './frames.js';

export const MAX_FLOWS = 1 << 20;

/** What a capture held besides flows. */
export interface CaptureStats {
  frames: number;
  skipped: Record<Skip, number>;
}

interface Entry {
  row: FlowRow;
  packets: number;
  bytes: number;
}

export async function* readCapture(blocks: AsyncIterable<Buffer>, file: string, kind: 'pcap' | 'pcapng', stats: CaptureStats, maxFlows = MAX_FLOWS): AsyncGenerator<FlowBatch> {
  const frames = kind === 'pcap' ? readPcapFrames(blocks, file) : readPcapngFrames(blocks, file);
  const dec = new FrameDecoder();
  const r = dec.row;
  const table = new Map<string, Entry>();
  const batch = new FlowBatch(file, 'record');
  const checked = new Set<number>();
  for await (const f of frames) {
    stats.frames++;
    if (!checked.has(f.linktype)) {
      if (!SUPPORTED_LINKS.has(f.linktype)) throw NftlensError.of('FLOW_FORMAT', `capture link type ${f.linktype} is not read (Ethernet, Linux cooked SLL/SLL2 and raw IP are)`, { file, field: `record ${f.record}` });
      checked.add(f.linktype);
    }
    const skip = dec.decode(f.data, f.linktype);
    if (skip) {
      stats.skipped[skip]++;
      continue;
    }
    const key = flowKey(r, dec.icmpId);
    const e = table.get(key);
    if (e) {
      e.packets++;
      e.bytes += r.length;
      continue;
    }
    const row = new FlowRow();
    copyRow(r, row);
    row.iifname = f.ifname.slice(0, 15);
    row.at = f.record;
    table.set(key, { row, packets: 1, bytes: r.length });
    if (table.size > maxFlows) yield* drain(table, batch, Math.max(1, maxFlows >> 3));
  }
  yield* drain(table, batch, table.size);
  if (batch.n) yield batch;
  batch.n = 0;
}

/** Hands on the `count` oldest flows of the table (in first-seen order), a full batch at a time. */
function* drain(table: Map<string, Entry>, batch: FlowBatch, count: number): Generator<FlowBatch> {
  for (const [key, e] of table) {
    if (count-- <= 0) break;
    table.delete(key);
    e.row.packets = e.packets;
    e.row.bytes = e.bytes;
    batch.push(e.row);
    if (batch.full) {
      yield batch;
      batch.n = 0;
    }
  }
}

function copyRow(from: FlowRow, to: FlowRow): void {
  to.family = from.family;
  to.saddr.set(from.saddr);
  to.daddr.set(from.daddr);
  to.l4proto = from.l4proto;
  to.sport = from.sport;
  to.dport = from.dport;
  to.tcpFlags = from.tcpFlags;
  to.length = from.length;
}

const ECHO = new Set([8, 0, 128, 129]);

/** The same string for a packet and its reply. */
function flowKey(r: FlowRow, icmpId: number): string {
  const s = r.family === 4 ? String(r.saddr[0]) : r.saddr.join(':');
  const d = r.family === 4 ? String(r.daddr[0]) : r.daddr.join(':');
  const icmp = r.l4proto === 1 || r.l4proto === 58;
  if (icmp) {
    const type = r.sport >> 8;
    const tail = ECHO.has(type) ? `e${icmpId}` : `t${r.sport}`;
    return s < d ? `${r.l4proto}|${s}|${d}|${tail}` : `${r.l4proto}|${d}|${s}|${tail}`;
  }
  const a = `${s}/${r.sport}`;
  const b = `${d}/${r.dport}`;
  return a < b ? `${r.l4proto}|${a}|${b}` : `${r.l4proto}|${b}|${a}`;
}
