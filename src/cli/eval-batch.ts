// The streaming eval's batch of packet lines: each line scanned straight into the classifier's
// batch columns (engine/packet-scan.ts), one call into WebAssembly for the batch, and each row's
// result formatted from the columns (eval-format.ts). Lines the scanner declines (JSON, IPv6,
// unusual spellings, mistakes) go through parsePacketLine, which gives the packet or the located
// error; those rows, and rows a statement rewrote, are formatted by the per-packet formatters.

import { ip4Text } from '../engine/addr.js';
import type { Classifier } from '../engine/classifier.js';
import * as L from '../engine/layout.js';
import { formatPacket, parsePacketLine, type Packet } from '../engine/packet.js';
import { PacketScanner } from '../engine/packet-scan.js';
import { HOOK_CODE, type PathHook } from '../engine/plan.js';
import { formatResult } from '../engine/result.js';
import { CT_STATE, type CtState } from '../model/values.js';
import type { ByteOut } from './byte-out.js';
import { RowFormatter, resultJson } from './eval-format.js';
import { terminalSafe } from './terminal.js';

/** Packet lines of a file (trimmed, not blank, not comments) and their line numbers. */
export interface LineChunk {
  file: string;
  lines: string[];
  numbers: number[];
}

const CT_BY_BIT = new Map(Object.entries(CT_STATE).map(([k, v]) => [v, k as CtState]));
const LIMIT = 1 << 16;
const NL = Buffer.from('\n');
const COMMA = Buffer.from(',\n');

export class LineBatch {
  private readonly scanner = new PacketScanner();
  private readonly format: RowFormatter;
  private readonly c: Uint32Array[];
  /** Per row: the Packet when the line took the slow path, else undefined. */
  private readonly packets: (Packet | undefined)[] = [];
  private readonly iif: string[] = [];
  private readonly oif: string[] = [];
  private readonly classes = new Map<string, number>();
  private readonly masq = new Map<string, number>();
  private readonly hookCode: number;
  private n = 0;

  constructor(
    private readonly classifier: Classifier,
    private readonly hook?: PathHook,
  ) {
    this.c = classifier.columns;
    this.format = new RowFormatter(classifier.plan, this.c);
    this.hookCode = hook ? HOOK_CODE[hook] + 1 : 0;
  }

  /** Writes the chunk's packets into rows 0…, then classifies them; a bad line throws its located error. */
  run(chunk: LineChunk): void {
    if (chunk.lines.length > this.classifier.capacity) throw new RangeError(`chunk of ${chunk.lines.length} exceeds capacity`);
    this.n = chunk.lines.length;
    for (let i = 0; i < this.n; i++) {
      const line = chunk.lines[i]!;
      if (this.scanner.scan(line)) {
        this.packets[i] = undefined;
        this.writeScanned(i);
      } else {
        const p = parsePacketLine(line, { file: chunk.file, line: chunk.numbers[i]! });
        this.packets[i] = p;
        this.classifier.writePacket(i, p, this.hook);
      }
    }
    this.classifier.runBatch(this.n);
  }

  /** The rows' results in text, blocks separated by blank lines. */
  text(o: ByteOut): void {
    for (let i = 0; i < this.n; i++) {
      if (i) o.bytes(NL);
      const p = this.slowPacket(i);
      if (p) o.text(terminalSafe(`packet: ${formatPacket(p)}\n${formatResult(this.classifier.plan, this.classifier.readResult(i, p))}`));
      else this.format.row(i, this.iif[i]!, this.oif[i]!, false, o);
    }
  }

  /** The rows' results as -o json array elements, separated by `,\n`. */
  json(o: ByteOut): void {
    for (let i = 0; i < this.n; i++) {
      if (i) o.bytes(COMMA);
      const p = this.slowPacket(i);
      if (p) o.text(terminalSafe('  ' + JSON.stringify(resultJson(this.classifier.plan, p, this.classifier.readResult(i, p)), null, 2).replace(/\n/g, '\n  ')));
      else this.format.row(i, this.iif[i]!, this.oif[i]!, true, o);
    }
  }

  /** The row's Packet when the fast formatter does not apply: a slow-path line, or a rewritten packet. */
  slowPacket(i: number): Packet | undefined {
    const p = this.packets[i];
    if (p || !(this.c[L.B_OUT_PATH]![i]! & L.PATH_REWRITTEN)) return p;
    return this.scanned(i);
  }

  private writeScanned(i: number): void {
    const s = this.scanner;
    const c = this.c;
    c[L.K_NFPROTO]![i] = 2;
    c[L.K_SADDR]![i] = s.saddr;
    c[L.K_DADDR]![i] = s.daddr;
    for (let w = 1; w < 4; w++) c[L.K_SADDR + w]![i] = c[L.K_DADDR + w]![i] = 0;
    c[L.K_L4PROTO]![i] = s.l4proto;
    c[L.K_SPORT]![i] = s.sport;
    c[L.K_DPORT]![i] = s.dport;
    c[L.K_IIF]![i] = this.classOf(s.iifname);
    c[L.K_OIF]![i] = this.classOf(s.oifname);
    c[L.K_CTSTATE]![i] = CT_STATE[s.ctState]!;
    c[L.K_MARK]![i] = s.mark;
    c[L.K_CTMARK]![i] = s.ctMark;
    c[L.K_FLAGS]![i] = s.tcpFlags;
    c[L.B_LEN]![i] = s.length;
    c[L.B_LOCAL]![i] = s.local ? 1 : 0;
    c[L.B_HOOK]![i] = this.hookCode;
    let m = this.masq.get(s.oifname);
    if (m === undefined) {
      if (this.masq.size >= LIMIT) this.masq.clear();
      this.masq.set(s.oifname, (m = this.classifier.masqueradeIndex(4, s.oifname)));
    }
    c[L.B_MASQ]![i] = m;
    this.iif[i] = s.iifname;
    this.oif[i] = s.oifname;
  }

  private classOf(name: string): number {
    let k = this.classes.get(name);
    if (k === undefined) {
      if (this.classes.size >= LIMIT) this.classes.clear();
      this.classes.set(name, (k = this.classifier.interfaceClass(name)));
    }
    return k;
  }

  /** The Packet a fast row was written from, read back from its input columns. */
  private scanned(i: number): Packet {
    const c = this.c;
    return {
      family: 4, saddr: ip4Text(c[L.K_SADDR]![i]!), daddr: ip4Text(c[L.K_DADDR]![i]!), l4proto: c[L.K_L4PROTO]![i]!,
      sport: c[L.K_SPORT]![i]!, dport: c[L.K_DPORT]![i]!, iifname: this.iif[i]!, oifname: this.oif[i]!,
      ctState: CT_BY_BIT.get(c[L.K_CTSTATE]![i]!)!, mark: c[L.K_MARK]![i]!, ctMark: c[L.K_CTMARK]![i]!,
      tcpFlags: c[L.K_FLAGS]![i]!, length: c[L.B_LEN]![i]!, local: c[L.B_LOCAL]![i] === 1,
    };
  }
}
