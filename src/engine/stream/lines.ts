// The packets file as bytes: read straight into chunks of whole lines (`rawChunks`), and
// the lines of a chunk walked in place (`LineCursor`), with line breaks as readline takes them
// (\n, \r\n and a lone \r). A chunk owns its memory (it may be handed to another thread). A line
// whose ends are plain ASCII is trimmed of spaces and tabs in place; any other is decoded as UTF-8
// and trimmed as String#trim does, so blank lines and # comments are the ones the text form skips.

import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { NftlensError } from '../../model/diagnostics.js';

const LF = 10;
const CR = 13;
const HASH = 35;
/** The longest line read: a packet's is some tens of bytes (an input without line breaks ends here). */
export const MAX_LINE = 1 << 20;

/**
 * Memory for chunks, given back once a chunk is done with (in this thread, or when a worker hands
 * it back), so that a long input does not ask for fresh pages per chunk. At most `max` are kept.
 */
export class Spares {
  private readonly list: ArrayBuffer[] = [];
  constructor(private readonly max: number) {}

  give(b: ArrayBuffer): void {
    if (this.list.length < this.max) this.list.push(b);
  }

  /** A buffer of at least n bytes, the whole of its ArrayBuffer. */
  take(n: number): Buffer {
    const b = this.list.pop();
    return Buffer.from(b && b.byteLength >= n ? b : new ArrayBuffer(n));
  }
}

/** The packets file: read into the caller's memory (no copy for a file), closed at the end. */
export interface PacketSource {
  /** The name the user gave (`-` for standard input). */
  file: string;
  /** Reads up to `room` bytes into `into` from `at`; 0 at the end. */
  read(into: Buffer, at: number, room: number): Promise<number>;
  close(): Promise<void>;
}

/** The file (or standard input for `-`), opened now so that an unreadable file is reported before anything is done. */
export async function openPackets(file: string, stdin: Readable): Promise<PacketSource> {
  if (file === '-') return streamSource(stdin, file);
  let handle: FileHandle;
  try {
    handle = await open(file);
  } catch (e) {
    throw unreadable(e, file);
  }
  // A regular file is read in this thread: from the page cache a read takes microseconds, while a
  // read through libuv's threads waits for the event loop to come round each time (a millisecond
  // or more per chunk on a busy machine). Anything else (a FIFO, a device) may block: read as usual.
  const regular = await handle.stat().then((s) => s.isFile(), () => false);
  const read = regular
    ? async (into: Buffer, at: number, room: number) => readSync(handle.fd, into, at, room, null)
    : async (into: Buffer, at: number, room: number) => (await handle.read(into, at, room, null)).bytesRead;
  return { file, read, close: () => handle.close() };
}

/** A stream's blocks, copied into the caller's memory. */
export function streamSource(input: Readable, file: string): PacketSource {
  const blocks = input[Symbol.asyncIterator]();
  let left: Buffer = Buffer.alloc(0);
  return {
    file,
    async read(into, at, room) {
      if (!left.length) {
        const n = await blocks.next();
        if (n.done) return 0;
        left = typeof n.value === 'string' ? Buffer.from(n.value) : (n.value as Buffer);
      }
      const k = left.copy(into, at, 0, Math.min(room, left.length));
      left = left.subarray(k);
      return k;
    },
    close: async () => undefined,
  };
}

const unreadable = (e: unknown, file: string) => NftlensError.of('INPUT_READ', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });

/**
 * Chunks of at least `size` bytes (the last may be shorter) holding whole lines, each at the start
 * of its own memory (from `spares`); the last one may lack its line break. Nothing is yielded for
 * an empty input.
 */
export async function* rawChunks(source: PacketSource, size: number, spares = new Spares(0)): AsyncGenerator<Buffer> {
  let buf = spares.take(2 * size);
  let fill = 0;
  for (;;) {
    if (fill === buf.length) {
      const bigger = spares.take(2 * buf.length);
      buf.copy(bigger, 0, 0, fill);
      buf = bigger;
    }
    let n: number;
    try {
      n = await source.read(buf, fill, buf.length - fill);
    } catch (e) {
      throw unreadable(e, source.file);
    }
    if (n === 0) break;
    fill += n;
    if (fill < size) continue;
    let cut = lastBreak(buf.subarray(0, fill));
    // One line of MAX_LINE bytes or more: handed on whole, for the cursor to refuse.
    if (cut === 0 && fill >= MAX_LINE) cut = fill;
    if (cut === 0) continue;
    const next = spares.take(Math.max(2 * size, fill - cut));
    buf.copy(next, 0, cut, fill);
    yield buf.subarray(0, cut);
    buf = next;
    fill -= cut;
  }
  if (fill) yield buf.subarray(0, fill);
}

/** Bytes up to and including the last line break, leaving a \r at the very end (it may be half of a \r\n); 0 if none. */
export function lastBreak(b: Buffer): number {
  const lf = b.lastIndexOf(LF);
  // (lastIndexOf reads a negative start as counted from the end.)
  const cr = b.length < 2 ? -1 : b.lastIndexOf(CR, b.length - 2);
  return Math.max(lf, cr) + 1;
}

/**
 * Walks the lines of one chunk: after each `next()`, `s…e` is the line trimmed of spaces and tabs,
 * `line` its number in the chunk (1-based); a line of MAX_LINE bytes or more is refused, located.
 */
export class LineCursor {
  s = 0;
  e = 0;
  line = 0;
  private bytes: Buffer = Buffer.alloc(0);
  private file = '';
  private at = 0;
  private cr = false;

  reset(bytes: Buffer, file: string): void {
    this.bytes = bytes;
    this.file = file;
    this.at = 0;
    this.line = 0;
    this.cr = bytes.indexOf(CR) >= 0;
  }

  /** The next line; false after the last. */
  next(): boolean {
    const b = this.bytes;
    const n = b.length;
    const start = this.at;
    if (start >= n) return false;
    let end: number;
    if (!this.cr) {
      end = b.indexOf(LF, start);
      if (end < 0) end = n;
      this.at = end + 1;
    } else {
      end = start;
      while (end < n && b[end] !== LF && b[end] !== CR) end++;
      this.at = end + (b[end] === CR && b[end + 1] === LF ? 2 : 1);
    }
    this.line++;
    if (end - start >= MAX_LINE) throw NftlensError.of('INPUT_PARSE', `a line of ${MAX_LINE} bytes or more: not a packet`, { file: this.file, line: this.line });
    let s = start;
    let e = end;
    while (s < e && (b[s] === 32 || b[s] === 9)) s++;
    while (e > s && (b[e - 1] === 32 || b[e - 1] === 9)) e--;
    this.s = s;
    this.e = e;
    return true;
  }

  /** Whether the line is a candidate for the byte scanner: plain (below) and not a comment. */
  scannable(): boolean {
    return this.plain() && this.bytes[this.s] !== HASH;
  }

  /** Whether the line's trimmed ends are printable ASCII (else it is read as text: `text()`). */
  plain(): boolean {
    const b = this.bytes;
    return this.s < this.e && b[this.s]! > 32 && b[this.s]! < 127 && b[this.e - 1]! > 32 && b[this.e - 1]! < 127;
  }

  /** The line decoded as UTF-8 and trimmed as String#trim does. */
  text(): string {
    return this.bytes.toString('utf8', this.s, this.e).trim();
  }

  /** The line as a packet's text, or undefined for a blank line or a comment. */
  packet(): string | undefined {
    if (this.plain()) return this.bytes[this.s] === HASH ? undefined : this.bytes.toString('utf8', this.s, this.e);
    const t = this.text();
    return t && t.charCodeAt(0) !== HASH ? t : undefined;
  }
}
