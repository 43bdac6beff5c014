// `conntrack -L` output (conntrack-tools, plain and `-o extended`, IPv4 and IPv6) read as flows:
// one connection a line, its original direction the flow's first packet. A line is
//
//   [ipv4     2 ]tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 \
//     [packets=3 bytes=180 ]src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 [packets=2 bytes=120 ]\
//     [ASSURED] mark=0 [zone=3 ]use=1
//
// (`-o extended` adds the layer-3 name and number; [UNREPLIED] may stand before the reply tuple;
// icmp/icmpv6 have type= code= id= instead of ports; `unknown`, gre and others have no ports.)
// The first src= opens the original tuple, the second the reply. The protocol number after the
// name is the one taken. packets=/bytes= (with accounting on) of both directions are the flow's;
// without them the flow counts no packets. mark= is the connection's mark as rules left it, not
// what the first packet carried, so the first packet has ct mark 0 and meta mark 0; zone= is
// read and checked but the engine has no conntrack zones. The first packet is `ct new`, TCP flags
// syn, the length of its bare headers, ICMP's checksum that of an 8-byte header with zero id and
// sequence: what `nftlens eval -p` gives the same packet text.
//
// Lines are scanned as bytes (no string per line but for IPv6 addresses and interface names): the
// common line (IPv4, a protocol name met before and its decimal number, decimal values) in one
// pass with keys found by fixed byte comparisons, any other a token at a time, with the same
// result (a test holds the two to it); blank lines and the "conntrack v1.4.7 (conntrack-tools): N flow entries have been shown." trailer
// (when stderr was captured too) are skipped; anything else malformed is a located FLOW_RECORD.

import { ICMP, ICMPV6 } from '../../engine/packet.js';
import { FlowRow, type FlowBatch } from './batch.js';
import { firstPacketDefaults, protoNumber, recordError, setAddress } from './fields.js';
import { readLines, type LineParser } from './lines.js';

const SP = 32;
const EQ = 61;
const TRAILER = Buffer.from('conntrack v');

/** The keys read, found by one number made of a key's bytes (keys are at most 7 ASCII bytes). */
const NAMES = ['src', 'dst', 'sport', 'dport', 'type', 'code', 'id', 'packets', 'bytes', 'mark', 'zone'] as const;
type Key = (typeof NAMES)[number];
function packKey(buf: Uint8Array, s: number, e: number): number {
  if (e - s > 7) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c > 127) return -1;
    v = v * 128 + c; // 7 × 7 bits: exact in a double
  }
  return v;
}
const KEYS = new Map<number, Key>(NAMES.map((k) => [packKey(Buffer.from(k), 0, k.length), k]));

/** The same keys as small numbers (the fast path's). */
const K_NONE = 0, K_SRC = 1, K_DST = 2, K_SPORT = 3, K_DPORT = 4, K_TYPE = 5, K_CODE = 6, K_ID = 7, K_PACKETS = 8, K_BYTES = 9, K_MARK = 10, K_ZONE = 11;
/** The key at s (a line ends at e) with its '=', or K_NONE: fixed byte comparisons. */
function keyAt(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  switch (b[s]) {
    case 115: // src= sport=
      if (n > 3 && b[s + 1] === 114 && b[s + 2] === 99 && b[s + 3] === EQ) return K_SRC;
      return n > 5 && b[s + 1] === 112 && b[s + 2] === 111 && b[s + 3] === 114 && b[s + 4] === 116 && b[s + 5] === EQ ? K_SPORT : K_NONE;
    case 100: // dst= dport=
      if (n > 3 && b[s + 1] === 115 && b[s + 2] === 116 && b[s + 3] === EQ) return K_DST;
      return n > 5 && b[s + 1] === 112 && b[s + 2] === 111 && b[s + 3] === 114 && b[s + 4] === 116 && b[s + 5] === EQ ? K_DPORT : K_NONE;
    case 112: // packets=
      return n > 7 && b[s + 1] === 97 && b[s + 2] === 99 && b[s + 3] === 107 && b[s + 4] === 101 && b[s + 5] === 116 && b[s + 6] === 115 && b[s + 7] === EQ ? K_PACKETS : K_NONE;
    case 98: // bytes=
      return n > 5 && b[s + 1] === 121 && b[s + 2] === 116 && b[s + 3] === 101 && b[s + 4] === 115 && b[s + 5] === EQ ? K_BYTES : K_NONE;
    case 116: // type=
      return n > 4 && b[s + 1] === 121 && b[s + 2] === 112 && b[s + 3] === 101 && b[s + 4] === EQ ? K_TYPE : K_NONE;
    case 99: // code=
      return n > 4 && b[s + 1] === 111 && b[s + 2] === 100 && b[s + 3] === 101 && b[s + 4] === EQ ? K_CODE : K_NONE;
    case 109: // mark=
      return n > 4 && b[s + 1] === 97 && b[s + 2] === 114 && b[s + 3] === 107 && b[s + 4] === EQ ? K_MARK : K_NONE;
    case 122: // zone=
      return n > 4 && b[s + 1] === 111 && b[s + 2] === 110 && b[s + 3] === 101 && b[s + 4] === EQ ? K_ZONE : K_NONE;
    case 105: // id=
      return n > 2 && b[s + 1] === 100 && b[s + 2] === EQ ? K_ID : K_NONE;
    default:
      return K_NONE;
  }
}
/** Bytes of each key with its '='. */
const KEY_BYTES = [0, 4, 4, 6, 6, 5, 5, 3, 8, 6, 5, 5];

export function readConntrack(blocks: AsyncIterable<Buffer>, file: string): AsyncGenerator<FlowBatch> {
  return readLines(blocks, file, new ConntrackLine(file));
}

/** Scans one line into `row`; reused for every line. */
export class ConntrackLine implements LineParser {
  readonly row = new FlowRow();
  private buf: Buffer = Buffer.alloc(0);
  private ls = 0;
  private line = 0;
  /** Current token [s, e), and where its first `=` is (-1: none). */
  private s = 0;
  private e = 0;
  private eq = -1;
  /** Protocol numbers of the names seen, by packKey; names of up to 4 bytes (a small integer key) in `small` too. */
  private readonly names = new Map<number, number>();
  private readonly small = new Map<number, number>();
  /** The last name the fast path met (its packKey, -2: none) and its number. */
  private lastName = -2;
  private lastNamed = -1;

  constructor(private readonly file: string) {}

  /** False for a line to skip (blank, the trailer); throws FLOW_RECORD for a malformed one. */
  parse(buf: Buffer, s: number, e: number, line: number): boolean {
    // (A blank line, a leading space, the trailer: none is a line the fast path takes.)
    if (this.fast(buf, s, e, line)) return true;
    this.buf = buf;
    this.ls = s;
    this.line = line;
    this.s = this.e = s;
    if (!this.token(e)) return false;
    if (buf[this.s] === 99 && e - this.s >= TRAILER.length && buf.compare(TRAILER, 0, TRAILER.length, this.s, this.s + TRAILER.length) === 0) return false;
    return this.full(e, line);
  }

  /**
   * The common line — IPv4, a known protocol name and its decimal number, decimal values — in one
   * pass over its bytes with no call per token. False (the row half written) for anything else,
   * which `full` then reads or locates as an error: so what this takes, `full` takes alike.
   */
  private fast(buf: Buffer, s: number, e: number, line: number): boolean {
    const r = this.row;
    let te = s;
    while (te < e && buf[te] !== SP) te++;
    if (te - s === 4 && buf[s] === 105 && buf[s + 1] === 112 && buf[s + 2] === 118 && buf[s + 3] === 52) {
      // "ipv4", then its number 2
      s = te;
      while (s < e && buf[s] === SP) s++;
      if (s + 1 >= e || buf[s] !== 50 || buf[s + 1] !== SP) return false;
      s += 1;
      while (s < e && buf[s] === SP) s++;
      te = s;
      while (te < e && buf[te] !== SP) te++;
    }
    if (te === s || te - s > 4) return false;
    const k = packKey(buf, s, te);
    let named = this.lastNamed;
    if (k !== this.lastName) {
      const n = this.small.get(k);
      if (n === undefined) return false;
      this.lastName = k;
      this.lastNamed = named = n;
    }
    if (named < 0) return false;
    s = te;
    while (s < e && buf[s] === SP) s++;
    let proto = 0;
    let n = 0;
    for (; s < e && buf[s] !== SP; s++, n++) {
      const d = buf[s]! - 48;
      if (d < 0 || d > 9 || n > 3) return false;
      proto = proto * 10 + d;
    }
    if (n === 0 || proto !== named) return false;
    r.l4proto = proto;
    r.family = 4;
    r.packets = 0;
    r.bytes = 0;
    r.mark = 0;
    r.at = line;
    r.iifname = r.oifname = '';
    let tuple = 0;
    let sport = 0;
    let dport = 0;
    let type = 0;
    let code = 0;
    let src = false;
    let dst = false;
    for (;;) {
      while (s < e && buf[s] === SP) s++;
      if (s >= e) break;
      // A known key and its '=' at the token's start (its first '=', then: the key the full reader
      // finds); any other token, a word or another key, is skipped as the full reader skips it.
      const key = keyAt(buf, s, e);
      if (key === K_NONE) {
        while (s < e && buf[s] !== SP) s++;
        continue;
      }
      s += KEY_BYTES[key]!;
      if (key === K_SRC) tuple++;
      // Values the full reader neither reads nor checks: the addresses and ports outside the original tuple.
      if (tuple !== 1 && key <= K_CODE) {
        while (s < e && buf[s] !== SP) s++;
        continue;
      }
      if (key === K_SRC || key === K_DST) {
        // A dotted quad, or leave it to `full`.
        let v = 0;
        let part = -1;
        let dots = 0;
        for (; s < e; s++) {
          const b = buf[s]!;
          if (b === SP) break;
          if (b === 46) {
            if (part < 0 || dots === 3) return false;
            v = v * 256 + part;
            part = -1;
            dots++;
          } else {
            const d = b - 48;
            if (d < 0 || d > 9) return false;
            part = part < 0 ? d : part * 10 + d;
            if (part > 255) return false;
          }
        }
        if (dots !== 3 || part < 0) return false;
        v = v * 256 + part;
        if (key === K_SRC) {
          r.saddr[0] = v;
          src = true;
        } else {
          r.daddr[0] = v;
          dst = true;
        }
        continue;
      }
      // A decimal number (up to 15 digits: exact), or leave it to `full`.
      let v = 0;
      n = 0;
      for (; s < e; s++, n++) {
        const b = buf[s]!;
        if (b === SP) break;
        const d = b - 48;
        if (d < 0 || d > 9 || n === 15) return false;
        v = v * 10 + d;
      }
      if (n === 0) return false;
      switch (key) {
        case K_SPORT:
          if (v > 0xffff) return false;
          if (tuple === 1) sport = v;
          break;
        case K_DPORT:
          if (v > 0xffff) return false;
          if (tuple === 1) dport = v;
          break;
        case K_TYPE:
          if (v > 255) return false;
          if (tuple === 1) type = v;
          break;
        case K_CODE:
          if (v > 255) return false;
          if (tuple === 1) code = v;
          break;
        case K_ID:
        case K_ZONE:
          if (v > 0xffff) return false;
          break;
        case K_PACKETS:
          r.packets += v;
          break;
        case K_BYTES:
          r.bytes += v;
          break;
        case K_MARK:
          if (v > 0xffffffff) return false;
          break;
      }
    }
    if (!src || !dst || tuple < 2) return false;
    for (let w = 1; w < 4; w++) r.saddr[w] = r.daddr[w] = 0;
    const icmp = proto === ICMP || proto === ICMPV6;
    r.sport = icmp ? (type << 8) | code : sport;
    r.dport = icmp ? 0 : dport;
    firstPacketDefaults(r, {});
    return true;
  }

  /** Any line, a token at a time, with located errors. */
  private full(e: number, line: number): boolean {
    const buf = this.buf;
    const r = this.row;
    r.clear();
    r.packets = 0;
    r.at = line;
    // An event prefix ([NEW], as conntrack -E prints) is skipped.
    if (buf[this.s] === 91 && !this.token(e)) this.fail('no protocol after the event', 'proto');
    let family: 4 | 6 | undefined;
    if (this.word('ipv4') || this.word('ipv6')) {
      family = buf[this.s + 3] === 52 ? 4 : 6;
      if (!this.token(e) || this.number(255) !== (family === 4 ? 2 : 10)) this.fail('the layer-3 number does not follow its name (2 for ipv4, 10 for ipv6)', 'l3proto');
      if (!this.token(e)) this.fail('no protocol', 'proto');
    }
    const named = this.protoName();
    if (!this.token(e)) this.fail('no protocol number after the protocol name', 'proto');
    const proto = this.number(255);
    if (proto < 0) this.fail(`protocol number ${this.text()} is not a number up to 255`, 'proto');
    if (named >= 0 && named !== proto) this.fail(`protocol number ${proto} is not that of the name before it (${named})`, 'proto');
    r.l4proto = proto;
    let tuple = 0;
    let type = 0;
    let code = 0;
    let src = false;
    let dst = false;
    while (this.token(e)) {
      const ts = this.s;
      const eq = this.eq;
      if (eq < 0) continue; // timeout, state, [ASSURED], [UNREPLIED], [OFFLOAD]
      const key = KEYS.get(packKey(buf, ts, eq));
      this.s = eq + 1;
      switch (key) {
        case undefined: break; // use=, secctx=, labels=, delta-time=, srckey=…: not needed for the first packet
        case 'src':
          tuple++;
          if (tuple === 1) src = this.address('saddr', family);
          break;
        case 'dst':
          if (tuple === 1) dst = this.address('daddr', r.family);
          break;
        case 'sport': if (tuple === 1) r.sport = this.must(0xffff, key); break;
        case 'dport': if (tuple === 1) r.dport = this.must(0xffff, key); break;
        case 'type': if (tuple === 1) type = this.must(255, key); break;
        case 'code': if (tuple === 1) code = this.must(255, key); break;
        case 'id': this.must(0xffff, key); break;
        case 'packets': r.packets += this.must(Number.MAX_SAFE_INTEGER, key); break;
        case 'bytes': r.bytes += this.must(Number.MAX_SAFE_INTEGER, key); break;
        case 'mark': this.must(0xffffffff, key); break;
        case 'zone': this.must(0xffff, key); break;
      }
      this.s = ts;
    }
    if (!src || !dst) this.fail('no src= and dst= of the original direction: not a conntrack -L line', 'src');
    if (tuple < 2) this.fail('no reply direction (a second src=): not a conntrack -L line', 'src');
    if (proto === ICMP || proto === ICMPV6) r.sport = (type << 8) | code;
    firstPacketDefaults(r, {});
    return true;
  }

  /** The next space-separated token of the line [.., end); false at its end. */
  private token(end: number): boolean {
    const buf = this.buf;
    let s = this.e;
    while (s < end && buf[s] === SP) s++;
    if (s >= end) return false;
    let e = s;
    let eq = -1;
    for (let c = buf[e]!; c !== SP; c = buf[e]!) {
      if (c === EQ && eq < 0) eq = e;
      if (++e >= end) break;
    }
    this.s = s;
    this.e = e;
    this.eq = eq;
    return true;
  }

  private word(w: string): boolean {
    if (this.e - this.s !== w.length) return false;
    for (let i = 0; i < w.length; i++) if (this.buf[this.s + i] !== w.charCodeAt(i)) return false;
    return true;
  }

  /** The protocol number of the name token, -1 when it names none. */
  private protoName(): number {
    const k = packKey(this.buf, this.s, this.e);
    let n = k < 0 ? undefined : this.names.get(k);
    if (n === undefined) {
      n = protoNumber(this.text());
      if (k >= 0) this.names.set(k, n);
      if (k >= 0 && this.e - this.s <= 4) this.small.set(k, n);
    }
    return n;
  }

  private text(): string {
    return this.buf.toString('utf8', this.s, this.e);
  }

  /** The token [s, e) as a decimal (or 0x hex) number up to max; -1 when it is not one. */
  private number(max: number): number {
    const buf = this.buf;
    let s = this.s;
    const e = this.e;
    if (s >= e) return -1;
    let v = 0;
    if (e - s > 2 && buf[s] === 48 && (buf[s + 1] === 120 || buf[s + 1] === 88)) {
      s += 2;
      for (; s < e; s++) {
        const c = buf[s]! | 32;
        const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
      }
    } else {
      for (; s < e; s++) {
        const d = buf[s]! - 48;
        if (d < 0 || d > 9) return -1;
        v = v * 10 + d;
      }
    }
    return v <= max ? v : -1;
  }

  private must(max: number, key: string): number {
    const v = this.number(max);
    if (v < 0) this.fail(`${key}=${this.text()} is not a number up to ${max}`, key);
    return v;
  }

  /** Reads an address value into the row; IPv4 dotted quads without a string. */
  private address(which: 'saddr' | 'daddr', family: 4 | 6 | undefined): true {
    const buf = this.buf;
    const w = this.row[which];
    let v = 0;
    let part = -1;
    let dots = 0;
    let ok = true;
    for (let i = this.s; i < this.e && ok; i++) {
      const c = buf[i]!;
      if (c === 46) {
        ok = part >= 0 && dots < 3;
        v = v * 256 + part;
        part = -1;
        dots++;
      } else if (c >= 48 && c <= 57) {
        part = part < 0 ? c - 48 : part * 10 + c - 48;
        ok = part <= 255;
      } else ok = false;
    }
    if (ok && dots === 3 && part >= 0 && family !== 6 && (which === 'saddr' || this.row.family === 4)) {
      w[0] = v * 256 + part;
      w[1] = w[2] = w[3] = 0;
      this.row.family = 4;
      return true;
    }
    const key = which === 'saddr' ? 'src' : 'dst';
    const want = which === 'daddr' ? this.row.family : family;
    if (!setAddress(this.row, which, this.text(), want)) this.fail(`${key}=${this.text()} is not an IP${want ? `v${want}` : ''} address`, key);
    return true;
  }

  private fail(message: string, field: string): never {
    throw recordError(message, { file: this.file, line: this.line, column: this.s - this.ls + 1, field });
  }
}
