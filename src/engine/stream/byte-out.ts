// An output chunk built as bytes in one growing buffer: byte strings made once are copied in,
// numbers and IPv4 addresses are written digit by digit, so a packet's output allocates nothing.
// `take` hands the bytes over and begins another buffer, since the stream may still hold them;
// `recycle` gives one back when the stream is done with it, so that a long run does not ask the
// allocator (and the kernel) for fresh pages per chunk. Memory stays bounded by the largest chunk.
// Each buffer is the whole of its own ArrayBuffer (never Node's shared pool), so it can be transferred.

const HEX = Buffer.from('0123456789abcdef');

export class ByteOut {
  private buf: Buffer;
  private pos = 0;

  /** Bytes the next buffer starts with: as many as the biggest chunk took, so it rarely grows. */
  private size: number;

  constructor(size = 1 << 20) {
    this.size = size;
    this.buf = Buffer.allocUnsafeSlow(size);
  }

  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    // A loop beats TypedArray#set's call overhead on the short pieces most writes are.
    if (n > 12) this.buf.set(b, this.pos);
    else for (let k = 0, buf = this.buf, at = this.pos; k < n; k++) buf[at + k] = b[k]!;
    this.pos += n;
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    this.room(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Copies bytes start…end already written (a part written twice). */
  again(start: number, end: number): void {
    this.room(end - start);
    this.buf.copyWithin(this.pos, start, end);
    this.pos += end - start;
  }

  /** A non-negative integer below 2^32, in decimal (digits counted by comparisons, written from the last). */
  uint(n: number): void {
    this.room(10);
    const b = this.buf;
    if (n < 10) {
      b[this.pos++] = 48 + n;
      return;
    }
    const digits = n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
    let at = this.pos + digits;
    this.pos = at;
    while (n >= 10) {
      // (n / 10) >>> 0 truncates exactly below 2^32, without a float floor.
      const q = (n / 10) >>> 0;
      b[--at] = 48 + n - 10 * q;
      n = q;
    }
    b[--at] = 48 + n;
  }

  /** 0x and a 32-bit number in lower-case hex. */
  hex(n: number): void {
    let digits = 1;
    for (let m = n >>> 4; m; m >>>= 4) digits++;
    this.room(digits + 2);
    const b = this.buf;
    b[this.pos++] = 48;
    b[this.pos++] = 120;
    for (let i = this.pos + digits - 1; i >= this.pos; i--, n >>>= 4) b[i] = HEX[n & 15]!;
    this.pos += digits;
  }

  /** An IPv4 address word in dotted-quad form. */
  ip4(w: number): void {
    this.room(15);
    const b = this.buf;
    let at = this.pos;
    for (let shift = 24; shift >= 0; shift -= 8) {
      const v = (w >>> shift) & 255;
      if (v >= 100) {
        const h = (v / 100) | 0;
        b[at++] = 48 + h;
        b[at++] = 48 + (((v - 100 * h) / 10) | 0);
      } else if (v >= 10) b[at++] = 48 + ((v / 10) | 0);
      b[at++] = 48 + (v % 10);
      if (shift) b[at++] = 46;
    }
    this.pos = at;
  }

  /** The bytes written so far; the next ones go to a recycled buffer, or a fresh one. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.size = Math.max(this.size, this.buf.length);
    const spare = this.spare.pop();
    this.buf = spare && spare.length >= this.size ? spare : Buffer.allocUnsafeSlow(this.size);
    this.pos = 0;
    return out;
  }

  /** The bytes written, for a last time: no next buffer is made (the ByteOut is done with). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Gives back what `take` returned, once nothing holds it any more (the write called back). */
  recycle(taken: Buffer): void {
    if (this.spare.length < 2) this.spare.push(Buffer.from(taken.buffer, taken.byteOffset, taken.buffer.byteLength - taken.byteOffset));
  }

  private readonly spare: Buffer[] = [];
}
