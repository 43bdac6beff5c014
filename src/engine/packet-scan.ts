// The packet text form (parsePacket in packet.ts) scanned byte by byte, straight from the input's
// bytes, into the scanner's own reused fields, for the streaming eval's hot path: no strings, no
// regular expressions, no word arrays, no Packet object per line. It accepts a subset of parsePacket's language — IPv4 packets
// whose words are spelled the usual way (lower-case names, no leading zeros in addresses) — and
// gives exactly what parsePacket gives for them. For any other line (IPv6, odd spellings, any
// mistake) `scan` says no and the caller takes parsePacket, which accepts the line or rejects it
// with its located error; so the two paths accept one language and report one set of errors.

import { CT_STATE, IFNAMSIZ, L4PROTO, TCP_FLAGS, type CtState } from '../model/values.js';
import { ip4Text } from './addr.js';
import { ICMP, ICMPV6, TCP, TRANSPORT_HEADER, type Packet } from './packet.js';

const PROTOS: [string, number][] = [...Object.entries(L4PROTO), ['icmp6', ICMPV6]];
const CTS = Object.keys(CT_STATE) as CtState[];
const FLAGS = Object.entries(TCP_FLAGS);

/** The option words, found by their length and first two characters (then compared whole). */
const K = { local: 0, iif: 1, oif: 2, ct: 3, mark: 4, ctmark: 5, len: 6, csum: 7, type: 8, code: 9, flags: 10 } as const;
const packWord = (t: Uint8Array, s: number, e: number) => (e - s) | (t[s]! << 8) | ((e - s > 1 ? t[s + 1]! : 0) << 16);
const ascii = (w: string) => Buffer.from(w, 'latin1');
const KEYS = new Map(Object.entries(K).map(([w, k]) => [packWord(ascii(w), 0, w.length), [ascii(w), k] as const]));
const PROTO_WORDS = PROTOS.map(([w, n]) => [ascii(w), n] as const);
const CT_WORDS = CTS.map((w) => [ascii(w), w] as const);
const FLAG_WORDS = FLAGS.map(([w, n]) => [ascii(w), n] as const);
const ARROW = ascii('->');

/** A reusable scanner of lines given as bytes; after a successful `scan`, its fields are the packet (IPv4 only). */
export class PacketScanner {
  saddr = 0;
  daddr = 0;
  l4proto = 0;
  sport = 0;
  dport = 0;
  iifname = '';
  oifname = '';
  ctState: CtState = 'new';
  mark = 0;
  ctMark = 0;
  tcpFlags = 0;
  length = 0;
  local = false;
  private text: Buffer = Buffer.alloc(0);
  private end = 0;
  private lastIif = '';
  private lastOif = '';
  private dportGiven = false;
  private pos = 0;
  private s = 0;
  private e = 0;
  private bad = false;

  /**
   * Scans the line in bytes start…end (trimmed); false when it is not in the fast subset
   * (parsePacket decides it then, from the line decoded as UTF-8).
   */
  scan(bytes: Buffer, start = 0, end = bytes.length): boolean {
    this.text = bytes;
    this.end = end;
    this.pos = start;
    this.bad = false;
    if (!this.word()) return false;
    const proto = this.proto();
    if (proto < 0 || !this.word() || !this.endpoint(true) || !this.word() || !this.is(this.s, this.e, ARROW)) return false;
    if (!this.word() || !this.endpoint(false)) return false;
    this.l4proto = proto;
    this.iifname = this.oifname = '';
    this.ctState = 'new';
    this.mark = this.ctMark = 0;
    let flags = -1;
    let length = -1;
    let type = -1;
    let code = -1;
    let csum = -1;
    this.local = false;
    while (this.word()) {
      const ks = this.s;
      const key = KEYS.get(packWord(this.text, ks, this.e));
      if (key === undefined || !this.is(ks, this.e, key[0])) return false;
      if (key[1] === K.local) {
        this.local = true;
        continue;
      }
      if (!this.word()) return false;
      const s = this.s;
      const e = this.e;
      switch (key[1]) {
        case K.iif:
        case K.oif: {
          if (e - s >= IFNAMSIZ) return false;
          // The same name as the last line's is that string again (no new string; its hash is kept).
          const iif = key[1] === K.iif;
          const last = iif ? this.lastIif : this.lastOif;
          const name = this.same(s, e, last) ? last : this.text.toString('latin1', s, e);
          if (iif) this.iifname = this.lastIif = name;
          else this.oifname = this.lastOif = name;
          break;
        }
        case K.ct: {
          const ct = CT_WORDS.find(([w]) => this.is(s, e, w));
          if (ct === undefined) return false;
          this.ctState = ct[1];
          break;
        }
        case K.mark: if ((this.mark = this.num(s, e, 0xffffffff)) < 0) return false; break;
        case K.ctmark: if ((this.ctMark = this.num(s, e, 0xffffffff)) < 0) return false; break;
        case K.len: if ((length = this.num(s, e, 0xffff)) < 0) return false; break;
        case K.csum: if ((csum = this.num(s, e, 0xffff)) < 0) return false; break;
        case K.type: if ((type = this.num(s, e, 255)) < 0) return false; break;
        case K.code: if ((code = this.num(s, e, 255)) < 0) return false; break;
        case K.flags: if ((flags = this.flags(s, e)) < 0) return false; break;
      }
    }
    if (this.bad) return false;
    const icmp = proto === ICMP || proto === ICMPV6;
    if (csum >= 0) this.dport = csum;
    if (type >= 0 || code >= 0) {
      if (!icmp) return false;
      this.sport = (Math.max(type, 0) << 8) | Math.max(code, 0);
    }
    this.tcpFlags = flags >= 0 ? flags : proto === TCP ? TCP_FLAGS[this.ctState === 'new' ? 'syn' : 'ack']! : 0;
    this.length = length >= 0 ? length : 20 + (TRANSPORT_HEADER[proto] ?? 0);
    if (icmp && csum < 0 && !this.dportGiven) {
      let sum = this.sport;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      this.dport = ~sum & 0xffff;
    }
    return true;
  }

  /** The scanned packet as parsePacket gives it. */
  toPacket(): Packet {
    return {
      family: 4, saddr: ip4Text(this.saddr), daddr: ip4Text(this.daddr), l4proto: this.l4proto, sport: this.sport, dport: this.dport,
      iifname: this.iifname, oifname: this.oifname, ctState: this.ctState, mark: this.mark, ctMark: this.ctMark,
      tcpFlags: this.tcpFlags, length: this.length, local: this.local,
    };
  }

  /** The next word in s…e; false at the end, or at a character parsePacket's \s may split on. */
  private word(): boolean {
    const t = this.text;
    const n = this.end;
    let i = this.pos;
    while (i < n && (t[i] === 32 || t[i] === 9)) i++;
    if (i >= n) return false;
    this.s = i;
    for (; i < n; i++) {
      const c = t[i]!;
      if (c === 32 || c === 9) break;
      if (c < 33 || c > 126) {
        this.bad = true;
        return false;
      }
    }
    this.e = this.pos = i;
    return true;
  }

  private is(s: number, e: number, w: Uint8Array): boolean {
    if (e - s !== w.length) return false;
    for (let k = 0; k < w.length; k++) if (this.text[s + k] !== w[k]) return false;
    return true;
  }

  /** Whether bytes s…e spell `name` (an ASCII string). */
  private same(s: number, e: number, name: string): boolean {
    if (e - s !== name.length) return false;
    for (let k = 0; k < name.length; k++) if (this.text[s + k] !== name.charCodeAt(k)) return false;
    return true;
  }

  private proto(): number {
    const { s, e } = this;
    const c = this.text[s]!;
    if (c >= 48 && c <= 57) return this.num(s, e, 255, false);
    for (const [name, n] of PROTO_WORDS) if (this.is(s, e, name)) return n;
    return -1;
  }

  /** ADDR or ADDR:PORT, an IPv4 address in its canonical spelling. */
  private endpoint(src: boolean): boolean {
    const t = this.text;
    let i = this.s;
    let a = 0;
    for (let o = 0; o < 4; o++) {
      if (o && (i >= this.e || t[i++] !== 46)) return false;
      const start = i;
      let v = 0;
      for (; i < this.e && t[i]! >= 48 && t[i]! <= 57; i++) v = v * 10 + t[i]! - 48;
      if (i === start || i - start > 3 || v > 255 || (i - start > 1 && t[start] === 48)) return false;
      a = a * 256 + v;
    }
    let port = 0;
    const given = i < this.e;
    if (given) {
      if (t[i] !== 58 || (port = this.num(i + 1, this.e, 0xffff)) < 0) return false;
    }
    if (src) {
      this.saddr = a;
      this.sport = port;
    } else {
      this.daddr = a;
      this.dport = port;
      this.dportGiven = given;
    }
    return true;
  }

  /** A decimal or 0x-hex number in s…e up to max; −1 if it is not one. */
  private num(s: number, e: number, max: number, hex = true): number {
    const t = this.text;
    if (s >= e) return -1;
    let v = 0;
    if (hex && e - s > 2 && t[s] === 48 && (t[s + 1]! | 32) === 120) {
      for (let i = s + 2; i < e; i++) {
        const c = t[i]! | 32;
        const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
        if (d < 0 || (v = v * 16 + d) > max) return -1;
      }
      return v;
    }
    for (let i = s; i < e; i++) {
      const c = t[i]!;
      if (c < 48 || c > 57 || (v = v * 10 + c - 48) > max) return -1;
    }
    return v;
  }

  /** Tcp flags: a number, or names joined by , or |. */
  private flags(s: number, e: number): number {
    const t = this.text;
    const c = t[s]!;
    if (c >= 48 && c <= 57) return this.num(s, e, 255);
    let v = 0;
    for (let i = s; i <= e; ) {
      let j = i;
      while (j < e && t[j] !== 44 && t[j] !== 124) j++;
      const f = FLAG_WORDS.find(([n]) => this.is(i, j, n));
      if (!f) return -1;
      v |= f[1];
      i = j + 1;
    }
    return v;
  }
}
