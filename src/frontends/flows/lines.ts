// Text flow files cut into blocks of whole lines, read a block at a time (constant memory): each
// block the stream gives is cut after its last line break, the rest carried to the next. A line
// longer than MAX_LINE — a file with no line breaks, such as one of NUL bytes — is a located error
// instead of a growing buffer.

import { FlowBatch, type FlowRow } from './batch.js';
import { MAX_LINE, recordError } from './fields.js';

export interface LineBlock {
  /** Whole lines, each ended by \n but perhaps the last of the file. */
  buf: Buffer;
  /** Line number of its first line. */
  first: number;
}

export async function* lineBlocks(blocks: AsyncIterable<Buffer>, file: string): AsyncGenerator<LineBlock> {
  let rest: Buffer | undefined;
  let line = 1;
  for await (const block of blocks) {
    const last = block.lastIndexOf(10);
    if (last < 0) {
      rest = rest ? Buffer.concat([rest, block]) : block;
      if (rest.length > MAX_LINE) throw recordError(`line longer than ${MAX_LINE} bytes (not a text flow file?)`, { file, line });
      continue;
    }
    let from = 0;
    if (rest) {
      // The line cut at the last block's end, whole now: a block of its own (the rest is not copied).
      const nl = block.indexOf(10);
      yield { buf: Buffer.concat([rest, block.subarray(0, nl + 1)]), first: line++ };
      from = nl + 1;
    }
    rest = last + 1 < block.length ? block.subarray(last + 1) : undefined;
    if (from <= last) {
      const buf = block.subarray(from, last + 1);
      const first = line;
      for (let at = buf.indexOf(10); at >= 0; at = buf.indexOf(10, at + 1)) line++;
      yield { buf, first };
    }
    if (rest && rest.length > MAX_LINE) throw recordError(`line longer than ${MAX_LINE} bytes (not a text flow file?)`, { file, line });
  }
  if (rest) yield { buf: rest, first: line };
}

/** Walks the lines of a block: after `next()` is true, [s, e) is a line (without \n and a \r before it) and `line` its number. */
export class LineCursor {
  s = 0;
  e = 0;
  line = 0;
  private buf: Buffer = Buffer.alloc(0);
  private at = 0;

  constructor(private readonly file: string) {}

  reset(b: LineBlock): void {
    this.buf = b.buf;
    this.at = 0;
    this.line = b.first - 1;
  }

  next(): boolean {
    const buf = this.buf;
    if (this.at >= buf.length) return false;
    let nl = buf.indexOf(10, this.at);
    if (nl < 0) nl = buf.length;
    this.s = this.at;
    this.e = nl > this.at && buf[nl - 1] === 13 ? nl - 1 : nl;
    this.at = nl + 1;
    this.line++;
    if (this.e - this.s > MAX_LINE) throw recordError(`line longer than ${MAX_LINE} bytes (not a text flow file?)`, { file: this.file, line: this.line });
    return true;
  }
}

/** A text format's line reader: fills `row` from a line, false for a line that holds no flow. */
export interface LineParser {
  readonly row: FlowRow;
  parse(buf: Buffer, s: number, e: number, line: number): boolean;
}

/** The flows of a block's lines into `batch`; yields it each time it is full (the caller empties it). */
export function* blockFlows(b: LineBlock, p: LineParser, batch: FlowBatch, cur: LineCursor): Generator<FlowBatch> {
  cur.reset(b);
  while (cur.next()) {
    if (!p.parse(b.buf, cur.s, cur.e, cur.line)) continue;
    batch.push(p.row);
    if (batch.full) {
      yield batch;
      batch.n = 0;
    }
  }
}

/** A text flow file's flows, a batch at a time. */
export async function* readLines(blocks: AsyncIterable<Buffer>, file: string, p: LineParser): AsyncGenerator<FlowBatch> {
  const batch = new FlowBatch(file, 'line');
  const cur = new LineCursor(file);
  for await (const b of lineBlocks(blocks, file)) yield* blockFlows(b, p, batch, cur);
  if (batch.n) yield batch;
}
