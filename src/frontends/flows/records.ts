// Flow logs: JSON lines (one object a line) and CSV (a header row naming the columns, then a flow
// a row, read with csv-parse). Both name the same columns; unknown ones are ignored, so logs
// exported by other tools read as they are:
//
//   src, dst   addresses of the first packet (required; one IP version)
//   proto      protocol name (tcp, udp, icmp, icmpv6, …) or number (required)
//   sport, dport   ports (default 0); for icmp/icmpv6 `type` and `code` instead (default 0)
//   iif, oif   input and output interface names (default: none, or --iif/--oif)
//   packets, bytes   the flow's counts, both directions (default 1 and 0)
//   mark       the first packet's meta mark (default 0)
//   flags      its TCP flags, names joined by `,` or a number (default syn)
//
// A missing or bad value is a FLOW_RECORD at its line and column name.

import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { ICMP, ICMPV6 } from '../../engine/packet.js';
import type { Origin } from '../../model/origin.js';
import { IFNAMSIZ, TCP_FLAGS } from '../../model/values.js';
import { FlowBatch, FlowRow } from './batch.js';
import { MAX_LINE, firstPacketDefaults, protoNumber, recordError, setAddress } from './fields.js';
import { readLines, type LineParser } from './lines.js';

export const COLUMNS = ['src', 'dst', 'proto', 'sport', 'dport', 'type', 'code', 'iif', 'oif', 'packets', 'bytes', 'mark', 'flags'] as const;

export function readJsonLines(blocks: AsyncIterable<Buffer>, file: string): AsyncGenerator<FlowBatch> {
  return readLines(blocks, file, new JsonLine(file));
}

/** One JSON line into `row`; blank lines hold no flow. */
export class JsonLine implements LineParser {
  readonly row = new FlowRow();
  constructor(private readonly file: string) {}

  parse(buf: Buffer, s: number, e: number, line: number): boolean {
    const text = buf.toString('utf8', s, e).trim();
    if (!text) return false;
    const where = { file: this.file, line };
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw recordError(`not JSON: ${(err as Error).message}`, where);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw recordError('a flow is a JSON object', where);
    fillRow(this.row, doc as Record<string, unknown>, where);
    return true;
  }
}

export async function* readCsv(blocks: AsyncIterable<Buffer>, file: string): AsyncGenerator<FlowBatch> {
  const batch = new FlowBatch(file, 'line');
  const row = new FlowRow();
  const parser = Readable.from(blocks).pipe(parse({ columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), info: true, skip_empty_lines: true, trim: true, max_record_size: MAX_LINE, bom: true }));
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: Record<string, string>; info: { lines: number } }>;
  for (;;) {
    let next: IteratorResult<{ record: Record<string, string>; info: { lines: number } }>;
    try {
      next = await records.next();
    } catch (e) {
      const err = e as Error & { lines?: number; code?: string };
      if (err.code === undefined || !err.code.startsWith('CSV_')) throw e;
      throw recordError(`not CSV: ${err.message}`, { file, line: err.lines });
    }
    if (next.done) break;
    const where = { file, line: next.value.info.lines };
    if (where.line === 2 && !('src' in next.value.record)) throw recordError('the header row names no src column (columns: ' + COLUMNS.join(', ') + ')', { file, line: 1 });
    fillRow(row, next.value.record, where);
    batch.push(row);
    if (batch.full) {
      yield batch;
      batch.n = 0;
    }
  }
  if (batch.n) yield batch;
}

/** One record's columns into the row (its first packet), or a FLOW_RECORD naming the column. */
function fillRow(row: FlowRow, o: Record<string, unknown>, where: Origin): void {
  const at = (field: string): Origin => ({ ...where, field });
  row.clear();
  row.at = where.line ?? 0;
  const text = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    throw recordError(`${k} must be a string or a number`, at(k));
  };
  const num = (k: string, max: number, fallback: number): number => {
    const t = text(k);
    if (t === undefined) return fallback;
    const n = /^(0x[0-9a-f]+|\d+)$/i.test(t) ? Number(t) : NaN;
    if (!(n <= max)) throw recordError(`${k} ${JSON.stringify(t)} is not a number up to ${max}`, at(k));
    return n;
  };
  for (const k of ['src', 'dst'] as const) {
    const t = text(k);
    if (t === undefined) throw recordError(`no ${k} address`, at(k));
    if (!setAddress(row, k === 'src' ? 'saddr' : 'daddr', t, k === 'dst' ? row.family : undefined)) {
      throw recordError(`${k} ${JSON.stringify(t)} is not an IP${k === 'dst' ? `v${row.family}` : ''} address${k === 'dst' ? ' (of the source\'s version)' : ''}`, at(k));
    }
  }
  const p = text('proto');
  if (p === undefined) throw recordError('no proto', at('proto'));
  row.l4proto = protoNumber(p);
  if (row.l4proto < 0) throw recordError(`proto ${JSON.stringify(p)} is not a protocol name or number`, at('proto'));
  if (row.l4proto === ICMP || row.l4proto === ICMPV6) row.sport = (num('type', 255, 0) << 8) | num('code', 255, 0);
  else {
    row.sport = num('sport', 0xffff, 0);
    row.dport = num('dport', 0xffff, 0);
  }
  for (const [k, f] of [['iif', 'iifname'], ['oif', 'oifname']] as const) {
    const name = text(k) ?? '';
    if (Buffer.byteLength(name) >= IFNAMSIZ) throw recordError(`${k} ${JSON.stringify(name)} is longer than ${IFNAMSIZ - 1} bytes`, at(k));
    row[f] = name;
  }
  row.packets = num('packets', Number.MAX_SAFE_INTEGER, 1);
  row.bytes = num('bytes', Number.MAX_SAFE_INTEGER, 0);
  row.mark = num('mark', 0xffffffff, 0);
  const flags = text('flags');
  if (flags !== undefined) row.tcpFlags = tcpFlags(flags, at('flags'));
  firstPacketDefaults(row, { flags: flags !== undefined });
}

function tcpFlags(t: string, where: Origin): number {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(t) && Number(t) <= 255) return Number(t);
  let v = 0;
  for (const f of t.split(/[,|]/)) {
    const bit = TCP_FLAGS[f.trim()];
    if (bit === undefined) throw recordError(`"${f}" is not a tcp flag (${Object.keys(TCP_FLAGS).join(', ')})`, where);
    v |= bit;
  }
  return v;
}
