// pcap and pcapng files read as a stream of captured frames, each with its link type and record
// number, in constant memory: the file is read a block at a time and a record is cut from what
// has been read. No maintained npm library reads both formats without libpcap, and the formats are
// small (pcap: a 24-byte file header, records of a 16-byte header and the frame; pcapng: blocks of
// type, length, body, length — section header, interface description with its link type and name,
// enhanced/simple/obsolete packet blocks; others skipped). A record longer than MAX_RECORD (a
// corrupt or hostile length, a "huge snaplen") or cut short is a located FLOW_RECORD.

import { NftlensError } from '../../model/diagnostics.js';
import { recordError } from './fields.js';

/** Largest frame or block taken: tcpdump's largest snaplen (256 KiB) and the block's own words. */
export const MAX_RECORD = 256 * 1024 + 64;

export interface Frame {
  data: Buffer;
  linktype: number;
  /** Interface name (pcapng if_name option), '' when unknown. */
  ifname: string;
  /** Frame length on the wire (may exceed data.length when the capture was cut at its snaplen). */
  wireLength: number;
  record: number;
}

/** Bytes of a stream, read on demand. */
class ByteQueue {
  private buf = Buffer.alloc(0);
  private at = 0;
  private done = false;
  offset = 0;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  /** Ensures n bytes are buffered; false when the stream ends first. */
  async need(n: number): Promise<boolean> {
    while (this.buf.length - this.at < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = Buffer.concat([this.buf.subarray(this.at), r.value]);
      if (!r.done) this.at = 0;
    }
    return this.buf.length - this.at >= n;
  }

  get available(): number {
    return this.buf.length - this.at;
  }

  /** The next n bytes (need(n) was true). */
  take(n: number): Buffer {
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    this.offset += n;
    return b;
  }
}

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xa1b23c4d]);
export const PCAPNG_SHB = 0x0a0d0d0a;

export async function* readPcapFrames(blocks: AsyncIterable<Buffer>, file: string): AsyncGenerator<Frame> {
  const q = new ByteQueue(blocks[Symbol.asyncIterator]());
  if (!(await q.need(24))) throw NftlensError.of('FLOW_FORMAT', 'not a pcap file: shorter than its 24-byte header', { file });
  const head = q.take(24);
  const le = PCAP_MAGICS.has(head.readUInt32LE(0));
  if (!le && !PCAP_MAGICS.has(head.readUInt32BE(0))) throw NftlensError.of('FLOW_FORMAT', 'not a pcap file (no pcap magic number)', { file });
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linktype = u32(head, 20) & 0x0fffffff;
  for (let record = 1; await q.need(1); record++) {
    const where = { file, field: `record ${record} (byte ${q.offset})` };
    if (!(await q.need(16))) throw recordError('record header cut short (a truncated capture)', where);
    const rh = q.take(16);
    const incl = u32(rh, 8);
    if (incl > MAX_RECORD) throw recordError(`record of ${incl} bytes is larger than ${MAX_RECORD} (corrupt, or a snaplen beyond any capture's)`, where);
    if (!(await q.need(incl))) throw recordError(`record cut short: ${q.available} of its ${incl} bytes (a truncated capture)`, where);
    yield { data: q.take(incl), linktype, ifname: '', wireLength: u32(rh, 12), record };
  }
}

interface Iface {
  linktype: number;
  snaplen: number;
  name: string;
}

export async function* readPcapngFrames(blocks: AsyncIterable<Buffer>, file: string): AsyncGenerator<Frame> {
  const q = new ByteQueue(blocks[Symbol.asyncIterator]());
  let le = true;
  let ifaces: Iface[] = [];
  let record = 0;
  for (let first = true; await q.need(1); first = false) {
    record++;
    const where = { file, field: `block ${record} (byte ${q.offset})` };
    if (!(await q.need(12))) throw recordError('block header cut short (a truncated capture)', where);
    const peek = q.take(8);
    const type = peek.readUInt32LE(0);
    if (type === PCAPNG_SHB) {
      if (!(await q.need(4))) throw recordError('section header cut short', where);
      const bom = q.take(4);
      if (bom.readUInt32LE(0) === 0x1a2b3c4d) le = true;
      else if (bom.readUInt32BE(0) === 0x1a2b3c4d) le = false;
      else throw recordError('section header without its byte-order magic', where);
      ifaces = [];
    } else if (first) throw NftlensError.of('FLOW_FORMAT', 'not a pcapng file (it does not open with a section header block)', { file });
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const btype = u32(peek, 0);
    const len = u32(peek, 4);
    const consumed = btype === PCAPNG_SHB ? 12 : 8;
    if (len < 12 || len % 4 !== 0) throw recordError(`block length ${len} is not a multiple of 4 of at least 12`, where);
    if (len > MAX_RECORD + 64) throw recordError(`block of ${len} bytes is larger than ${MAX_RECORD + 64} (corrupt, or a snaplen beyond any capture's)`, where);
    if (!(await q.need(len - consumed))) throw recordError(`block cut short: ${q.available} of its ${len - consumed} remaining bytes (a truncated capture)`, where);
    const body = q.take(len - consumed).subarray(0, len - consumed - 4);
    if (btype === 1) {
      if (body.length < 8) throw recordError('interface description block too short', where);
      ifaces.push({ linktype: u16(body, 0), snaplen: u32(body, 4), name: optionName(body.subarray(8), u16) });
    } else if (btype === 6 || btype === 2) {
      // Enhanced packet block: interface, timestamp (2 words), captured and original lengths.
      // Obsolete packet block: interface (16 bits), drops (16 bits), the same after.
      if (body.length < 20) throw recordError('packet block too short', where);
      const id = btype === 6 ? u32(body, 0) : u16(body, 0);
      const incl = u32(body, 12);
      const iface = ifaces[id];
      if (!iface) throw recordError(`packet of interface ${id}, which no interface description block described`, where);
      if (20 + incl > body.length) throw recordError(`packet of ${incl} bytes in a block of ${len}`, where);
      yield { data: body.subarray(20, 20 + incl), linktype: iface.linktype, ifname: iface.name, wireLength: u32(body, 16), record };
    } else if (btype === 3) {
      // Simple packet block: original length, then the packet (cut at the first interface's snaplen).
      const iface = ifaces[0];
      if (!iface || body.length < 4) throw recordError('simple packet block without an interface, or too short', where);
      const orig = u32(body, 0);
      const incl = Math.min(orig, iface.snaplen || orig, body.length - 4);
      yield { data: body.subarray(4, 4 + incl), linktype: iface.linktype, ifname: iface.name, wireLength: orig, record };
    }
  }
}

/** The if_name option (code 2) of an interface description block's options, '' when absent. */
function optionName(opts: Buffer, u16: (b: Buffer, o: number) => number): string {
  for (let o = 0; o + 4 <= opts.length; ) {
    const code = u16(opts, o);
    const len = u16(opts, o + 2);
    if (code === 0) break;
    if (code === 2 && o + 4 + len <= opts.length) return opts.toString('utf8', o + 4, o + 4 + len).replace(/\0+$/, '');
    o += 4 + ((len + 3) & ~3);
  }
  return '';
}
