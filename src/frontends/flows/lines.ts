// Text flow files cut into blocks of whole lines, read a block at a time (constant memory): each
// block the stream gives is cut after its last line break, the rest carried to the next. A line
// longer than MAX_LINE — a file with no line breaks, such as one of NUL bytes — is a located error
// instead of a growing buffer.

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
    const buf = rest ? Buffer.concat([rest, block.subarray(0, last + 1)]) : block.subarray(0, last + 1);
    rest = last + 1 < block.length ? block.subarray(last + 1) : undefined;
    const first = line;
    for (let at = buf.indexOf(10); at >= 0; at = buf.indexOf(10, at + 1)) line++;
    if (rest && rest.length > MAX_LINE) throw recordError(`line longer than ${MAX_LINE} bytes (not a text flow file?)`, { file, line });
    yield { buf, first };
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
    return true;
  }
}
