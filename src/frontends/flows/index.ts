// The flow readers' one entry: a flow file (or standard input) opened, its format sniffed or
// taken from --format and checked, and its flows read in batches, in constant memory.
//
//   const src = await openFlows('flows.txt', 'auto', stdin);
//   for await (const batch of src.batches) … batch.n flows in columns (batch.ts) …

import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { NftlensError } from '../../model/diagnostics.js';
import type { FlowBatch } from './batch.js';
import { ConntrackLine, readConntrack } from './conntrack.js';
import { readCapture, type CaptureStats } from './pcap.js';
import { RangeReader, readRanges } from './ranges.js';
import { JsonLine, readCsv, readJsonLines } from './records.js';
import { sniffFormat, type FlowFormat } from './sniff.js';

export { FlowBatch, FlowRow } from './batch.js';
export { FLOW_FORMATS, type FlowFormat } from './sniff.js';
export type { CaptureStats } from './pcap.js';

export interface FlowSource {
  file: string;
  /** undefined for an empty file. */
  format: FlowFormat | undefined;
  /** The flows, read when iterated. */
  batches: () => AsyncGenerator<FlowBatch>;
  /** Or the file's bytes as read (for readers elsewhere: a pool's workers); one of the two is used. */
  raw: () => AsyncGenerator<Buffer>;
  /** Captures only: frames read and frames that were no flow's packet. */
  capture: CaptureStats;
  /** Bytes read so far, and the file's size (undefined for standard input): for a progress bar. */
  read: { bytes: number; size?: number };
  /** A regular file's path (not standard input's): readers elsewhere may read byte ranges of it themselves. */
  path?: string;
  /** Lets go of the stream (when neither `batches` nor `raw` is read). */
  close: () => void;
}

/** Opens `file` ('-': `stdin`), reads its first block and decides its format. */
export async function openFlows(file: string, format: FlowFormat | 'auto', stdin: Readable, maxFlows?: number): Promise<FlowSource> {
  if (file === '-') return flowsFrom(stdin, file, format, undefined, maxFlows);
  let stream: Readable;
  let size: number;
  let fh: FileHandle | undefined;
  try {
    fh = await open(file);
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw NftlensError.of('INPUT_READ', 'not a regular file', { file });
    }
    size = st.size;
    stream = fh.createReadStream({ highWaterMark: 1 << 20 });
  } catch (e) {
    if (e instanceof NftlensError) throw e;
    throw NftlensError.of('INPUT_READ', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
  }
  const handle = fh!;
  // destroying a stream that has a read in flight leaves its handle open: close it here too
  const closeAll = () => {
    stream.destroy();
    handle.close().catch(() => undefined);
  };
  let source: FlowSource;
  try {
    source = await flowsFrom(stream, file, format, size, maxFlows);
  } catch (e) {
    closeAll(); // a refused file (not a flow file, the wrong format) is closed too
    throw e;
  }
  source.path = file;
  source.close = closeAll;
  const fmt = source.format;
  if (fmt === 'conntrack' || fmt === 'jsonl') {
    // A regular text file is read from its start again, in byte ranges, rather than from the stream.
    source.batches = () => {
      source.close();
      const parser = fmt === 'conntrack' ? new ConntrackLine(file) : new JsonLine(file);
      return readRanges(new RangeReader(file, file, size), size, file, parser, source.read);
    };
  }
  return source;
}

/** Flows of a stream (`file` names it in errors; `size` when known, for progress). */
export async function flowsFrom(stream: Readable, file: string, format: FlowFormat | 'auto', size?: number, maxFlows?: number): Promise<FlowSource> {
  const read: FlowSource['read'] = { bytes: 0, ...(size !== undefined ? { size } : {}) };
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const next = async (): Promise<IteratorResult<Buffer | string>> => {
    try {
      return await it.next();
    } catch (e) {
      // The system's read errors are located; others (a stream's own, a limit) go on as they are.
      if (typeof (e as NodeJS.ErrnoException).syscall !== 'string') throw e;
      throw NftlensError.of('INPUT_READ', `cannot read: ${(e as NodeJS.ErrnoException).code}`, { file });
    }
  };
  let first = await next();
  // The first line whole (a pipe may give a few bytes at a time), or 4 KiB of it, to sniff.
  let head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  while (!first.done && head.length < 4096 && !head.includes(10)) {
    first = await next();
    if (!first.done) head = Buffer.concat([head, Buffer.from(first.value)]);
  }
  const sniffed = sniffFormat(head, file);
  if (format !== 'auto' && sniffed !== undefined && sniffed !== format) {
    throw NftlensError.of('FLOW_FORMAT', `not ${format === 'jsonl' ? 'JSON lines' : format === 'csv' ? 'CSV' : format === 'conntrack' ? 'conntrack -L output' : `a ${format} file`}: it looks like ${sniffed}`, { file });
  }
  async function* blocks(): AsyncGenerator<Buffer> {
    read.bytes += head.length;
    if (head.length) yield head;
    if (first.done) return;
    for (;;) {
      const r = await next();
      if (r.done) return;
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      read.bytes += b.length;
      yield b;
    }
  }
  const capture: CaptureStats = { frames: 0, skipped: { 'not-ip': 0, fragment: 0, truncated: 0 } };
  const readers: Record<FlowFormat, () => AsyncGenerator<FlowBatch>> = {
    conntrack: () => readConntrack(blocks(), file),
    jsonl: () => readJsonLines(blocks(), file),
    csv: () => readCsv(blocks(), file),
    pcap: () => readCapture(blocks(), file, 'pcap', capture, maxFlows),
    pcapng: () => readCapture(blocks(), file, 'pcapng', capture, maxFlows),
  };
  const fmt = sniffed;
  return { file, format: fmt, batches: fmt ? readers[fmt] : async function* () {}, raw: blocks, capture, read, close: () => void stream.destroy() };
}
