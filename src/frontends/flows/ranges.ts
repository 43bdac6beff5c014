// A text flow file read a byte range at a time, by readers that each take their own ranges (the
// replay pool's workers), without a thread that reads the whole file for them. A line belongs to
// the range its first byte lies in: a range's lines run from just after the first line break at or
// after its start − 1 to the first line break at or after its end − 1 (or the file's end), so the
// ranges' lines are the file's, each once, and only the tail of a range's last line is read twice.
// A range's lines are numbered from 1; whoever joins the ranges adds the lines of those before.
// A line longer than MAX_LINE is read up to MAX_LINE + 2 bytes, enough for LineCursor to locate it.
// The file is read up to the size it had when opened (bytes appended later are not flows of this read).

import { openSync, closeSync, readSync } from 'node:fs';
import { NftlensError } from '../../model/diagnostics.js';
import { MAX_LINE } from './fields.js';
import { FlowBatch } from './batch.js';
import { LineCursor, blockFlows, type LineBlock, type LineParser } from './lines.js';

/** A range's size: what a pool's job reads, and what one thread reads at a time. */
export const RANGE = 2 << 20;

/** Bytes read past a range's end at first for its last line's tail (more only for a longer tail). */
const TAIL = 4096;

export class RangeReader {
  private buf = Buffer.alloc(0);
  private eof = false;

  /** `file` names the file in errors; `size` is its size when it was opened. */
  constructor(
    private readonly path: string,
    private readonly file: string,
    private readonly size: number,
  ) {}

  /** The lines that begin in [start, end), as a block whose first line is 1; undefined when none begins there. */
  read(start: number, end: number): LineBlock | undefined {
    end = Math.min(end, this.size);
    if (start >= end) return undefined;
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (e) {
      throw this.error(e);
    }
    try {
      const from = start > 0 ? start - 1 : 0;
      let got = this.fill(fd, from, end - from + TAIL);
      let view = this.buf.subarray(0, got);
      let s = 0;
      if (start > 0) {
        const nl = view.indexOf(10);
        if (nl < 0 || from + nl + 1 >= end) return undefined;
        s = nl + 1;
      }
      let nl = view.indexOf(10, end - 1 - from);
      if (nl < 0 && !this.eof) {
        got = this.fill(fd, from, end - from + MAX_LINE + 2);
        view = this.buf.subarray(0, got);
        nl = view.indexOf(10, end - 1 - from);
      }
      return { buf: view.subarray(s, nl < 0 ? got : nl + 1), first: 1 };
    } finally {
      closeSync(fd);
    }
  }

  /** Reads up to `len` bytes at `from` into the reused buffer; the bytes read. */
  private fill(fd: number, from: number, len: number): number {
    len = Math.max(0, Math.min(len, this.size - from));
    if (this.buf.length < len) this.buf = Buffer.allocUnsafe(len);
    let got = 0;
    this.eof = false;
    while (got < len) {
      let n: number;
      try {
        n = readSync(fd, this.buf, got, len - got, from + got);
      } catch (e) {
        throw this.error(e);
      }
      if (n === 0) break;
      got += n;
    }
    this.eof = got < len || from + got >= this.size;
    return got;
  }

  private error(e: unknown): NftlensError {
    return NftlensError.of('INPUT_READ', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: this.file });
  }
}

/**
 * A regular file's flows read a range at a time in this thread (into one reused buffer, lines
 * numbered in the file, no line counted twice); `read.bytes` follows the ranges read.
 */
export async function* readRanges(reader: RangeReader, size: number, file: string, p: LineParser, read: { bytes: number }, range = RANGE): AsyncGenerator<FlowBatch> {
  const batch = new FlowBatch(file, 'line');
  const cur = new LineCursor(file);
  let lines = 0;
  for (let start = 0; start < size; start += range) {
    const end = Math.min(size, start + range);
    const b = reader.read(start, end);
    read.bytes = end;
    if (!b) continue;
    b.first = lines + 1;
    yield* blockFlows(b, p, batch, cur);
    lines = cur.line;
  }
  if (batch.n) yield batch;
}
