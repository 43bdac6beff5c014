// Binary packet records (the what-if service's application/vnd.nftlens.packets body), decoded
// straight into the classifier's batch columns: fixed-size little-endian records, one packet each,
// whose fields are the engine's input columns (layout.ts K_* and B_LEN/B_LOCAL), so a batch is
// filled by a strided copy with its checks, and classified by one call into WebAssembly per
// batch of the classifier's capacity. Interface names travel as 16 NUL-padded bytes (IFNAMSIZ);
// a name is decoded only when it differs from the previous record's. No allocation per packet.
//
//  offset size field
//   0     1   family: 4 or 6
//   1     1   l4proto
//   2     1   tcp flags
//   3     1   1: locally generated (`local`), 2: to an address of this host (`dst-local`); not both;
//              | 4: to the link-layer broadcast address, 8: to a multicast one (`pkttype`; not with 1)
//   4     2   sport (first 16-bit word of the transport header; ICMP: type << 8 | code)
//   6     2   dport (second 16-bit word; ICMP: the checksum)
//   8     2   length (IP packet bytes)
//  10     1   ct state as its bit: 1 invalid, 2 established, 4 related, 8 new, 64 untracked
//  11     1   0
//  12     4   mark
//  16     4   ct mark
//  20    16   saddr: 4 words, most significant first (IPv4: the address in word 0, words 1–3 zero)
//  36    16   daddr
//  52    16   iifname, UTF-8, NUL-padded (at most 15 bytes; all NUL: none)
//  68    16   oifname

import { addressOf } from '../addr.js';
import type { Classifier } from '../classifier.js';
import * as L from '../layout.js';
import type { Packet } from '../packet.js';
import { HOOK_CODE, type PathHook } from '../plan.js';
import { NftlensError } from '../../model/diagnostics.js';
import { CT_STATE } from '../../model/values.js';
import { NameMemo } from './name-memo.js';

/** The content type of a body of records. */
export const RECORDS_TYPE = 'application/vnd.nftlens.packets';
export const RECORD_BYTES = 84;
export const RECORD = {
  family: 0, l4proto: 1, tcpFlags: 2, local: 3, sport: 4, dport: 6, length: 8, ctState: 10, reserved: 11,
  mark: 12, ctMark: 16, saddr: 20, daddr: 36, iifname: 52, oifname: 68,
} as const;
const IFNAMSIZ = 16;
const CT_OK = new Uint8Array(256);
for (const bit of Object.values(CT_STATE)) CT_OK[bit] = 1;

/** Where record i is, for errors: the body, and the field by name. */
const at = (file: string, i: number, field: string) => ({ file, field: `records[${i}].${field}` });

/** A 16-byte name field seen last, and what it gave. */
class NameCache {
  readonly words = new Int32Array(4);
  valid = false;
  name = '';
  cls = 0;
  /** B_MASQ of the name as an output interface, for IPv4 and IPv6 packets. */
  masq4 = 0;
  masq6 = 0;
}

export class RecordBatch {
  private readonly c: Uint32Array[];
  private readonly hookCode: number;
  private readonly classes = new NameMemo((name) => this.classifier.interfaceClass(name));
  private readonly iif = new NameCache();
  private readonly oif = new NameCache();
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  /** Rows filled in the batch, records taken before them, and a record split between two pushes. */
  private n = 0;
  private taken = 0;
  private readonly part = new Uint8Array(RECORD_BYTES);
  private partLength = 0;

  /**
   * After each batch `done(start, k)` reads rows 0…k−1 of the columns: records start…start+k−1.
   * A bad record throws its located error (`file`, field `records[i].name`).
   */
  constructor(
    private readonly classifier: Classifier,
    hook: PathHook | undefined,
    private readonly file: string,
    private readonly done: (start: number, k: number) => void,
  ) {
    this.c = classifier.columns;
    this.hookCode = hook ? HOOK_CODE[hook] + 1 : 0;
  }

  /** Records of `body`, a whole number of them, classified; how many. */
  run(body: Uint8Array): number {
    this.push(body);
    return this.end();
  }

  /** The next bytes of the records, cut anywhere: whole records go into the batch, classified as it fills. */
  push(bytes: Uint8Array): void {
    let at = 0;
    if (this.partLength) {
      at = Math.min(RECORD_BYTES - this.partLength, bytes.length);
      this.part.set(bytes.subarray(0, at), this.partLength);
      this.partLength += at;
      if (this.partLength < RECORD_BYTES) return;
      this.partLength = 0;
      this.take(this.part, 0, 1);
    }
    const whole = Math.floor((bytes.length - at) / RECORD_BYTES);
    this.take(bytes, at, whole);
    at += whole * RECORD_BYTES;
    if (at < bytes.length) {
      this.part.set(bytes.subarray(at));
      this.partLength = bytes.length - at;
    }
  }

  /** Classifies what the batch holds; the records taken. A record cut short is an error. */
  end(): number {
    if (this.partLength) {
      throw NftlensError.of('INPUT_PARSE', `the body ends inside record ${this.taken + this.n} (${this.partLength} of its ${RECORD_BYTES} bytes)`, at(this.file, this.taken + this.n, 'family'));
    }
    this.flush();
    return this.taken;
  }

  /** Records `count` of them from offset `o` of `b`, into the batch. */
  private take(b: Uint8Array, o: number, count: number): void {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const cap = this.classifier.capacity;
    while (count > 0) {
      const k = Math.min(count, cap - this.n);
      this.fill(b, view, o, this.n, k);
      this.n += k;
      o += k * RECORD_BYTES;
      count -= k;
      if (this.n === cap) this.flush();
    }
  }

  private flush(): void {
    if (!this.n) return;
    this.classifier.runBatch(this.n);
    this.done(this.taken, this.n);
    this.taken += this.n;
    this.n = 0;
  }

  /** Rows row…row+k−1 from the records at offset o. */
  private fill(b: Uint8Array, v: DataView, o: number, row: number, k: number): void {
    const c = this.c;
    const nfproto = c[L.K_NFPROTO]!, l4 = c[L.K_L4PROTO]!, sp = c[L.K_SPORT]!, dp = c[L.K_DPORT]!;
    const iif = c[L.K_IIF]!, oif = c[L.K_OIF]!, ct = c[L.K_CTSTATE]!, mark = c[L.K_MARK]!, ctMark = c[L.K_CTMARK]!;
    const flags = c[L.K_FLAGS]!, len = c[L.B_LEN]!, local = c[L.B_LOCAL]!, hook = c[L.B_HOOK]!, masq = c[L.B_MASQ]!;
    const s0 = c[L.K_SADDR]!, s1 = c[L.K_SADDR + 1]!, s2 = c[L.K_SADDR + 2]!, s3 = c[L.K_SADDR + 3]!;
    const d0 = c[L.K_DADDR]!, d1 = c[L.K_DADDR + 1]!, d2 = c[L.K_DADDR + 2]!, d3 = c[L.K_DADDR + 3]!;
    const hookCode = this.hookCode;
    const file = this.file;
    // Record index of row i: start + i.
    const start = this.taken;
    for (let i = row, end = row + k; i < end; i++, o += RECORD_BYTES) {
      const family = b[o]!;
      const lb = b[o + RECORD.local]!;
      const cts = b[o + RECORD.ctState]!;
      const a = o + RECORD.saddr;
      const z = o + RECORD.daddr;
      s0[i] = v.getUint32(a, true);
      d0[i] = v.getUint32(z, true);
      const sx = (s1[i] = v.getUint32(a + 4, true)) | (s2[i] = v.getUint32(a + 8, true)) | (s3[i] = v.getUint32(a + 12, true));
      const dx = (d1[i] = v.getUint32(z + 4, true)) | (d2[i] = v.getUint32(z + 8, true)) | (d3[i] = v.getUint32(z + 12, true));
      if (family === 4) {
        if (sx | dx) this.bad(start + i, file, sx ? 'saddr' : 'daddr', 'an IPv4 address has words 1–3 zero');
        nfproto[i] = 2;
      } else if (family === 6) nfproto[i] = 10;
      else this.bad(start + i, file, 'family', `${family} is no family: 4 or 6`);
      if (lb & ~15 || (lb & 3) === 3 || (lb & 12) === 12 || (lb & 1 && lb & 12)) this.bad(start + i, file, 'local', badLocal(lb));
      if (!CT_OK[cts]) this.bad(start + i, file, 'ctState', `${cts} is no ct state bit: 1 invalid, 2 established, 4 related, 8 new, 64 untracked`);
      if (b[o + RECORD.reserved]) this.bad(start + i, file, 'reserved', 'must be 0');
      l4[i] = b[o + RECORD.l4proto]!;
      flags[i] = b[o + RECORD.tcpFlags]!;
      local[i] = lb;
      ct[i] = cts;
      sp[i] = v.getUint16(o + RECORD.sport, true);
      dp[i] = v.getUint16(o + RECORD.dport, true);
      len[i] = v.getUint16(o + RECORD.length, true);
      mark[i] = v.getUint32(o + RECORD.mark, true);
      ctMark[i] = v.getUint32(o + RECORD.ctMark, true);
      hook[i] = hookCode;
      iif[i] = this.name(this.iif, b, v, o + RECORD.iifname, start + i, file, 'iifname', false);
      const oc = this.oif;
      oif[i] = this.name(oc, b, v, o + RECORD.oifname, start + i, file, 'oifname', true);
      masq[i] = family === 4 ? oc.masq4 : oc.masq6;
    }
  }

  /** The interface class of the name field at `o` (and, for the output interface, its masquerade indexes). */
  private name(cache: NameCache, b: Uint8Array, v: DataView, o: number, i: number, file: string, field: string, out: boolean): number {
    const w = cache.words;
    const w0 = v.getInt32(o, true), w1 = v.getInt32(o + 4, true), w2 = v.getInt32(o + 8, true), w3 = v.getInt32(o + 12, true);
    if (cache.valid && w0 === w[0] && w1 === w[1] && w2 === w[2] && w3 === w[3]) return cache.cls;
    let e = 0;
    while (e < IFNAMSIZ && b[o + e] !== 0) e++;
    if (e === IFNAMSIZ) this.bad(i, file, field, `longer than ${IFNAMSIZ - 1} bytes (no NUL in its 16)`);
    for (let k = e; k < IFNAMSIZ; k++) if (b[o + k] !== 0) this.bad(i, file, field, 'bytes after the name\'s NUL are not all NUL');
    let name: string;
    try {
      name = this.utf8.decode(b.subarray(o, o + e));
    } catch {
      this.bad(i, file, field, 'not UTF-8');
    }
    cache.name = name;
    cache.cls = this.classOf(name);
    if (out) {
      cache.masq4 = this.classifier.masqueradeIndex(4, name);
      cache.masq6 = this.classifier.masqueradeIndex(6, name);
    }
    w[0] = w0, w[1] = w1, w[2] = w2, w[3] = w3;
    cache.valid = true;
    return cache.cls;
  }

  private classOf(name: string): number {
    return this.classes.get(name);
  }

  private bad(i: number, file: string, field: string, message: string): never {
    throw NftlensError.of('INPUT_PARSE', `record ${i}: ${field} ${message}`, at(file, i, field));
  }
}

/** Packets as records (a client's side of the format; the service's tests and benchmark use it). */
export function encodeRecords(packets: readonly Packet[]): Buffer {
  const out = Buffer.alloc(packets.length * RECORD_BYTES);
  packets.forEach((p, i) => {
    const o = i * RECORD_BYTES;
    out[o + RECORD.family] = p.family;
    out[o + RECORD.l4proto] = p.l4proto;
    out[o + RECORD.tcpFlags] = p.tcpFlags;
    out[o + RECORD.local] = (p.local ? L.LOCAL_GENERATED : 0) | (p.dstLocal ? L.LOCAL_DESTINATION : 0) | (p.pktType === 'broadcast' ? L.PKT_BROADCAST : p.pktType === 'multicast' ? L.PKT_MULTICAST : 0);
    out.writeUInt16LE(p.sport, o + RECORD.sport);
    out.writeUInt16LE(p.dport, o + RECORD.dport);
    out.writeUInt16LE(p.length, o + RECORD.length);
    out[o + RECORD.ctState] = CT_STATE[p.ctState]!;
    out.writeUInt32LE(p.mark, o + RECORD.mark);
    out.writeUInt32LE(p.ctMark, o + RECORD.ctMark);
    for (const [field, text] of [[RECORD.saddr, p.saddr], [RECORD.daddr, p.daddr]] as const) {
      const a = addressOf(text)!;
      const v = a.version === 4 ? a.value << 96n : a.value;
      for (let w = 0; w < 4; w++) out.writeUInt32LE(Number((v >> BigInt(96 - 32 * w)) & 0xffffffffn), o + field + 4 * w);
    }
    out.write(p.iifname, o + RECORD.iifname, IFNAMSIZ - 1, 'utf8');
    out.write(p.oifname, o + RECORD.oifname, IFNAMSIZ - 1, 'utf8');
  });
  return out;
}

/** Why a record's local byte is refused. */
function badLocal(lb: number): string {
  if ((lb & 3) === 3) return 'a packet is either locally generated (1) or to an address of this host (2), not both';
  if ((lb & 12) === 12) return 'a frame came to the broadcast address (4) or a multicast one (8), not both';
  if (lb & 1 && lb & 12) return 'a locally generated packet (1) is no received frame (4, 8)';
  return `${lb}: the bits 1, 2, 4 and 8`;
}
