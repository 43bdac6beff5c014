// The compact answer of a batch, gathered from the classifier's output columns as each batch ran
// (one copy of three columns per batch, no value per packet) into one buffer sized for the
// request: verdict, deciding rule and deciding chain, each n little-endian 32-bit words. That
// buffer is the binary answer (application/vnd.nftlens.results) as it stands; the compact JSON
// answer is written from it as bytes, with each deciding rule and chain's label and origin once.

import { endianness } from 'node:os';
import type { Classifier } from '../../engine/classifier.js';
import * as L from '../../engine/layout.js';
import { chainLabel, ruleLabel } from '../../engine/result.js';
import { ByteOut } from '../../engine/stream/byte-out.js';

export const RESULTS_TYPE = 'application/vnd.nftlens.results';
const LITTLE = endianness() === 'LE';
const VERDICT_JSON = ['"drop"', '"accept"', '"reject"', '"depends-on-state"'].map((v) => Buffer.from(v));
/** The verdict word of a packet that met stateful expressions (its rule and chain: the first way's). */
export const DEPENDS_ON_STATE = 3;
const NULL = Buffer.from('null');

export class CompactResults {
  /** Packets gathered so far. */
  count = 0;
  private buf!: Buffer;
  private max = 0;
  private verdict!: Uint32Array;
  private rule!: Uint32Array;
  private chain!: Uint32Array;

  /** Room for `expected` packets' results at first (it grows when more come). */
  constructor(private readonly c: Classifier, expected: number) {
    this.room(Math.max(1, expected));
  }

  private room(max: number): void {
    const old = this.buf;
    const [n, was] = [this.count, this.max];
    this.buf = Buffer.allocUnsafeSlow(12 * max);
    this.max = max;
    const ab = this.buf.buffer;
    this.verdict = new Uint32Array(ab, 0, max);
    this.rule = new Uint32Array(ab, 4 * max, max);
    this.chain = new Uint32Array(ab, 8 * max, max);
    if (old) for (let k = 0; k < 3; k++) old.copy(this.buf, 4 * k * max, 4 * k * was, 4 * k * was + 4 * n);
  }

  /** Rows 0…n−1 of the classifier's columns, as packets at…at+n−1 (packets come in order). */
  take(at: number, n: number): void {
    if (at + n > this.max) this.room(Math.max(at + n, 2 * this.max));
    const col = this.c.columns;
    this.verdict.set(col[L.B_VERDICT]!.subarray(0, n), at);
    const path = col[L.B_OUT_PATH]!;
    for (let i = 0; i < n; i++) if (path[i]! & L.PATH_STATEFUL) this.verdict[at + i] = DEPENDS_ON_STATE;
    this.rule.set(col[L.B_RULE]!.subarray(0, n), at);
    this.chain.set(col[L.B_CHAIN]!.subarray(0, n), at);
    this.count = at + n;
  }

  /** The columns as bytes: verdict (0 drop, 1 accept, 2 reject, 3 depends on state), rule, chain (0xffffffff: none), n words each. */
  binary(): Buffer {
    const n = this.count;
    if (!LITTLE) for (const a of [this.verdict, this.rule, this.chain]) for (let i = 0; i < n; i++) a[i] = swap(a[i]!);
    if (n < this.max) {
      this.buf.copyWithin(4 * n, 4 * this.max, 4 * this.max + 4 * n);
      this.buf.copyWithin(8 * n, 8 * this.max, 8 * this.max + 4 * n);
    }
    return this.buf.subarray(0, 12 * n);
  }

  /** `{ count, verdict[], rule[], chain[], rules{}, chains{} }`: ids, null for none; each deciding rule and chain once, with its label and origin. */
  json(): Buffer {
    const n = this.count;
    const plan = this.c.plan;
    const o = new ByteOut(Math.max(1024, 24 * n));
    o.text(`{"count":${n},"verdict":[`);
    for (let i = 0; i < n; i++) {
      if (i) o.bytes(COMMA);
      o.bytes(VERDICT_JSON[this.verdict[i]!]!);
    }
    const rules = this.ids(o, '],"rule":[', this.rule, plan.rules.length);
    const chains = this.ids(o, '],"chain":[', this.chain, plan.chains.length);
    o.text('],"rules":{');
    rules.forEach((r, k) => o.text(`${k ? ',' : ''}"${r}":${JSON.stringify({ label: ruleLabel(plan, r), origin: plan.rules[r]!.rule.origin })}`));
    o.text('},"chains":{');
    chains.forEach((r, k) => o.text(`${k ? ',' : ''}"${r}":${JSON.stringify({ label: chainLabel(plan, r), origin: plan.chains[r]!.chain.origin })}`));
    o.text('}}');
    return o.finish();
  }

  /**
   * Writes a column of ids (null for none: NO_RULE, or the chain word of a packet the routing
   * decision dropped, ROUTE_DROP) after `head`; the ids that occur, ascending.
   */
  private ids(o: ByteOut, head: string, col: Uint32Array, count: number): number[] {
    o.text(head);
    const seen = new Uint8Array(count);
    for (let i = 0, n = this.count; i < n; i++) {
      if (i) o.bytes(COMMA);
      const id = col[i]!;
      if (id >= count) o.bytes(NULL);
      else {
        o.uint(id);
        seen[id] = 1;
      }
    }
    const out: number[] = [];
    seen.forEach((s, id) => void (s && out.push(id)));
    return out;
  }
}

const COMMA = Buffer.from(',');
const swap = (w: number) => (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;
