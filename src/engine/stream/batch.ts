// The streaming eval's work on one chunk of the packets file (whole lines, as bytes): each line
// scanned straight from its bytes into the classifier's batch columns (engine/packet-scan.ts), one
// call into WebAssembly per batch of rows, and each row's result formatted from the columns into
// bytes (format.ts). Lines the scanner declines (JSON, IPv6, unusual spellings, mistakes) go
// through parsePacketLine, which gives the packet or the located error; those rows, and rows a
// statement rewrote, are formatted by the per-packet formatters. A bad line ends the chunk: the
// rows before it are classified and written, so output stops right before the bad line. The same
// code runs in the main thread and in the pool's workers (cli/eval-worker.ts) and in the what-if service (services/api/evaluate.ts).

import { withOutcomes } from '../outcomes.js';
import { ip4Text } from '../addr.js';
import type { Classifier } from '../classifier.js';
import * as L from '../layout.js';
import { formatPacket, parsePacketLine, type Packet } from '../packet.js';
import { PacketScanner } from '../packet-scan.js';
import { HOOK_CODE, type PathHook } from '../plan.js';
import { formatResult } from '../result.js';
import { NftlensError, type Diagnostic } from '../../model/diagnostics.js';
import { CT_STATE, type CtState } from '../../model/values.js';
import type { ByteOut } from './byte-out.js';
import { LineCursor } from './lines.js';
import { NameMemo } from './name-memo.js';
import { RowFormatter, resultJson } from './format.js';
import { terminalSafe } from '../../model/terminal.js';

/** What a chunk gave: its results are in the ByteOut, the first without a separator before it. */
export interface ChunkResult {
  /** Packets whose results were written. */
  packets: number;
  /** Lines read: all the chunk's, or up to and including the bad one. */
  lines: number;
  /** The bad line's error, its line numbered from the chunk's first line (1). */
  error?: Diagnostic[];
}

const CT_BY_BIT = new Map(Object.entries(CT_STATE).map(([k, v]) => [v, k as CtState]));
const SEPARATOR = { text: Buffer.from('\n'), json: Buffer.from(',\n') };

export class LineBatch {
  private readonly scanner = new PacketScanner();
  private readonly cursor = new LineCursor();
  private readonly format: RowFormatter;
  private readonly c: Uint32Array[];
  /** Per row: the Packet when the line took the slow path, else undefined. */
  private readonly packets: (Packet | undefined)[] = [];
  private readonly iif: string[] = [];
  private readonly oif: string[] = [];
  private readonly classes = new NameMemo((name) => this.classifier.interfaceClass(name));
  private readonly masq = new NameMemo((name) => this.classifier.masqueradeIndex(4, name));
  private readonly hookCode: number;
  private readonly separator: Buffer;
  /** Rows in the batch, and packets of the chunk written so far. */
  private n = 0;
  private written = 0;

  constructor(
    private readonly classifier: Classifier,
    private readonly json: boolean,
    private readonly hook?: PathHook,
    /** Called after each batch ran, before its rows are formatted: rows 0…n−1 are the chunk's packets start…start+n−1. */
    private readonly afterRun?: (start: number, n: number) => void,
  ) {
    this.c = classifier.columns;
    this.format = new RowFormatter(classifier.plan, this.c);
    this.hookCode = hook ? HOOK_CODE[hook] + 1 : 0;
    this.separator = json ? SEPARATOR.json : SEPARATOR.text;
  }

  /**
   * Classifies the packet lines of `bytes` (whole lines of `file`) and writes their results to `o`,
   * separated; stops at a bad line. Without `o` nothing is formatted: each batch's results are in
   * the classifier's columns when `afterRun` is called, and the last batch's stay there.
   */
  chunk(bytes: Buffer, file: string, o?: ByteOut): ChunkResult {
    const cur = this.cursor;
    cur.reset(bytes, file);
    this.n = this.written = 0;
    try {
      while (cur.next()) {
        const i = this.n;
        if (cur.scannable() && this.scanner.scan(bytes, cur.s, cur.e)) {
          this.packets[i] = undefined;
          this.writeScanned(i);
        } else {
          const text = cur.packet();
          if (text === undefined) continue;
          const p = parsePacketLine(text, { file, line: cur.line });
          this.packets[i] = p;
          this.classifier.writePacket(i, p, this.hook);
        }
        if (++this.n === this.classifier.capacity) this.flush(o);
      }
    } catch (e) {
      if (!(e instanceof NftlensError)) throw e;
      this.flush(o);
      return { packets: this.written, lines: cur.line, error: e.diagnostics };
    }
    this.flush(o);
    return { packets: this.written, lines: cur.line };
  }

  /** Classifies the rows in the batch and writes their results. */
  private flush(o: ByteOut | undefined): void {
    if (!this.n) return;
    this.classifier.runBatch(this.n);
    this.afterRun?.(this.written, this.n);
    if (!o) {
      this.written += this.n;
      this.n = 0;
      return;
    }
    for (let i = 0; i < this.n; i++, this.written++) {
      if (this.written) o.bytes(this.separator);
      const p = this.slowPacket(i);
      if (!p) this.format.row(i, this.iif[i]!, this.oif[i]!, this.json, o);
      else {
        const r = withOutcomes(this.classifier.readResult(i, p), () => this.classifier.outcomes(p, { hook: this.hook }));
        const plan = this.classifier.plan;
        o.text(terminalSafe(this.json ? '  ' + JSON.stringify(resultJson(plan, p, r), null, 2).replace(/\n/g, '\n  ') : `packet: ${formatPacket(p)}\n${formatResult(plan, r)}`));
      }
    }
    this.n = 0;
  }

  /**
   * The row's Packet when the fast formatter does not apply: a slow-path line, a rewritten packet,
   * or one whose verdict depends on state (its outcomes are run one by one; they use row 0, which
   * is formatted by then).
   */
  private slowPacket(i: number): Packet | undefined {
    const p = this.packets[i];
    if (p || !(this.c[L.B_OUT_PATH]![i]! & (L.PATH_REWRITTEN | L.PATH_STATEFUL))) return p;
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
    c[L.B_MASQ]![i] = this.masq.get(s.oifname);
    this.iif[i] = s.iifname;
    this.oif[i] = s.oifname;
  }

  private classOf(name: string): number {
    return this.classes.get(name);
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
