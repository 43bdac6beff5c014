// The streaming eval's results for rows given in batch columns (IPv4 packets no statement
// rewrote), written as bytes (byte-out.ts) in text or JSON, byte for byte what
// terminalSafe(formatPacket/formatResult, or JSON.stringify(resultJson(…), null, 2)) gives for
// them, from byte strings made once: per rule and chain (the heading line, the JSON fragments),
// per path, protocol, flags byte, ct state and interface name. terminalSafe escapes character
// by character, so escaping each fragment once is escaping the whole. Only numbers and addresses
// are written per packet.

import * as L from '../layout.js';
import { formatFlags, protoText, ICMP, ICMPV6, TCP, type Packet } from '../packet.js';
import { PATH_HOOKS, HOOK_CODE, type Plan } from '../plan.js';
import { chainLabel, describeDraw, pathLine, resultHead, ruleLabel, type EvalResult, type FinalVerdict } from '../result.js';
import { CT_STATE } from '../../model/values.js';
import type { ByteOut } from './byte-out.js';
import { terminalSafe } from '../../model/terminal.js';

/** One result as `-o json` gives it: the packet, the verdict, the deciding rule and chain with their origins. */
export function resultJson(plan: Plan, packet: Packet, r: EvalResult) {
  if (r.outcomes) {
    // The verdict depends on state: `verdict` is the one all outcomes share, or `depends-on-state`.
    const verdicts = new Set(r.outcomes.map((o) => o.result.verdict));
    const outcomes = r.outcomes.map((o) => ({ state: o.draws.map((d) => describeDraw(plan, d)), ...decision(plan, o.result) }));
    return { packet, verdict: verdicts.size === 1 ? r.verdict : 'depends-on-state', outcomes, moreOutcomes: r.moreOutcomes };
  }
  return { packet, ...decision(plan, r) };
}

function decision(plan: Plan, r: EvalResult) {
  const rule = r.rule === undefined ? undefined : ruleJson(plan, r.rule);
  const chain = r.chain === undefined ? undefined : chainJson(plan, r.chain);
  return { verdict: r.verdict, by: r.by, rule, chain, hooks: r.hooks, after: r.packet, trace: r.trace };
}

function ruleJson(plan: Plan, id: number) {
  return { id, label: ruleLabel(plan, id), origin: plan.rules[id]!.rule.origin };
}

function chainJson(plan: Plan, id: number) {
  return { id, label: chainLabel(plan, id), origin: plan.chains[id]!.chain.origin };
}

const B = (s: string) => Buffer.from(terminalSafe(s));
const VERDICTS: FinalVerdict[] = ['drop', 'accept', 'reject'];
const PROTO = Array.from({ length: 256 }, (_, n) => B(protoText(n) + ' '));
const FLAGS = Array.from({ length: 256 }, (_, n) => B(' flags ' + formatFlags(n)));
const CT: Buffer[] = [];
for (const [name, bit] of Object.entries(CT_STATE)) CT[bit] = B(name);
const HOOK_MASK = (1 << L.N_HOOKS) - 1;
const LIMIT = 1 << 16;
const S = Object.fromEntries(Object.entries({
  packet: 'packet: ', nl: '\n', arrow: ' -> ', colon: ':', type: ' type ', code: ' code ', csum: ' csum ',
  iif: ' iif ', oif: ' oif ', ct: ' ct ', mark: ' mark ', ctmark: ' ctmark ', len: ' len ', local: ' local',
  jOpen: '  {\n    "packet": ', jFamily: '{\n      "family": 4,\n      "saddr": "', jDaddr: '",\n      "daddr": "', jProto: '",\n      "l4proto": ',
  jSport: ',\n      "sport": ', jDport: ',\n      "dport": ', jIif: ',\n      "iifname": ', jOif: ',\n      "oifname": ', jCt: ',\n      "ctState": "',
  jMark: '",\n      "mark": ', jCtMark: ',\n      "ctMark": ', jFlags: ',\n      "tcpFlags": ', jLen: ',\n      "length": ',
  jTrue: ',\n      "local": true\n    }', jFalse: ',\n      "local": false\n    }', jClose: '\n  }',
}).map(([k, v]) => [k, Buffer.from(v)])) as Record<string, Buffer>;

/** JSON members that are numbers: the text before each, and the column it comes from. */
const JSON_PRE = [[S.jProto!, L.K_L4PROTO], [S.jSport!, L.K_SPORT], [S.jDport!, L.K_DPORT]] as const;
/** An element's opening up to its packet's source address: one piece. */
const OPEN = Buffer.concat([S.jOpen!, S.jFamily!]);
/** The l4proto member by protocol number, with the sport member's opening after it. */
const JSON_PROTO = Array.from({ length: 256 }, (_, n) => Buffer.concat([S.jProto!, Buffer.from(String(n)), S.jSport!]));
/** Where the packet object begins in OPEN (`{`, the part the packet after repeats). */
const OBJECT = S.jFamily!.length;
const JSON_POST = [[S.jMark!, L.K_MARK], [S.jCtMark!, L.K_CTMARK], [S.jFlags!, L.K_FLAGS], [S.jLen!, L.B_LEN]] as const;

/** Indents JSON.stringify(v, null, 2) to stand as a property of an element of the top-level array. */
const nested = (v: unknown) => JSON.stringify(v, null, 2).replace(/\n/g, '\n    ');

/** Text and JSON of batch rows, from the columns. */
export class RowFormatter {
  private readonly textMiddles = new Map<number, Buffer>();
  private readonly jsonMiddles = new Map<number, Buffer>();
  private readonly names = new Map<string, Buffer>();
  private readonly jsonNames = new Map<string, Buffer>();
  /** JSON interface members by iifname and oifname, and the last pair met. */
  private readonly pairs = new Map<string, Map<string, Buffer>>();
  private lastIif = '';
  private lastOif = '';
  private lastPair?: Buffer;
  /** JSON packet ends by ct state, flags, length and local. */
  private readonly tails = new Map<number, Buffer>();

  constructor(
    private readonly plan: Plan,
    private readonly c: readonly Uint32Array[],
  ) {}

  /**
   * Row i: with `json`, as an element of the -o json array (indented by 2, no separator); else
   * `packet: …` and formatResult's lines. The packet is written once and copied as the packet
   * after, with that one's ct state.
   */
  row(i: number, iif: string, oif: string, json: boolean, o: ByteOut): void {
    if (json) return this.jsonRow(i, iif, oif, o);
    const c = this.c;
    o.bytes(S.packet!);
    const pre = o.length;
    this.echoPre(i, iif, oif, o);
    const preEnd = o.length;
    o.bytes(CT[c[L.K_CTSTATE]![i]!]!);
    const post = o.length;
    this.echoPost(i, o);
    const postEnd = o.length;
    o.bytes(this.middle(i, false));
    o.again(pre, preEnd);
    o.bytes(CT[c[L.B_OUT_CTSTATE]![i]!]!);
    o.again(post, postEnd);
    o.bytes(S.nl!);
  }

  /**
   * Row i as a JSON element, in as few pieces as it takes: the interface names with the members
   * around them are one piece per pair of names, and the ct state with the members after it one
   * per usual combination of their values (no marks, a length below 2^16); only the addresses and
   * ports are written per packet. The packet after is the packet copied, its ct state swapped in.
   */
  private jsonRow(i: number, iif: string, oif: string, o: ByteOut): void {
    const c = this.c;
    o.bytes(OPEN);
    const pre = o.length - OBJECT;
    o.ip4(c[L.K_SADDR]![i]!);
    o.bytes(S.jDaddr!);
    o.ip4(c[L.K_DADDR]![i]!);
    o.bytes(JSON_PROTO[c[L.K_L4PROTO]![i]!]!);
    o.uint(c[L.K_SPORT]![i]!);
    o.bytes(S.jDport!);
    o.uint(c[L.K_DPORT]![i]!);
    o.bytes(this.interfaces(iif, oif));
    const preEnd = o.length;
    const ct = c[L.K_CTSTATE]![i]!;
    const out = c[L.B_OUT_CTSTATE]![i]!;
    const tail = this.tail(i, ct);
    if (tail) o.bytes(tail);
    else {
      o.bytes(CT[ct]!);
      this.packetPost(i, o);
    }
    const postEnd = o.length;
    o.bytes(this.middle(i, true));
    o.again(pre, preEnd);
    if (out === ct) o.again(preEnd, postEnd);
    else {
      o.bytes(CT[out]!);
      o.again(preEnd + CT[ct]!.length, postEnd);
    }
    o.bytes(S.jClose!);
  }

  /** The interface members of a JSON packet, from its iifname's to its ctState's opening quote. */
  private interfaces(iif: string, oif: string): Buffer {
    if (this.lastPair && iif === this.lastIif && oif === this.lastOif) return this.lastPair;
    let byOif = this.pairs.get(iif);
    if (byOif === undefined) {
      if (this.pairs.size >= LIMIT) this.pairs.clear();
      this.pairs.set(iif, (byOif = new Map()));
    }
    let b = byOif.get(oif);
    if (b === undefined) {
      if (byOif.size >= LIMIT) byOif.clear();
      b = Buffer.concat([S.jIif!, this.name(this.jsonNames, iif, true), S.jOif!, this.name(this.jsonNames, oif, true), S.jCt!]);
      byOif.set(oif, b);
    }
    this.lastIif = iif;
    this.lastOif = oif;
    return (this.lastPair = b);
  }

  /** A JSON packet from its ct state's value to its end, when it is a usual one (no marks, a length below 2^16, a flags byte); else undefined. */
  private tail(i: number, ct: number): Buffer | undefined {
    const c = this.c;
    const flags = c[L.K_FLAGS]![i]!;
    const len = c[L.B_LEN]![i]!;
    if (c[L.K_MARK]![i] || c[L.K_CTMARK]![i] || flags > 255 || len > 0xffff || ct > 255) return undefined;
    const local = c[L.B_LOCAL]![i] ? 1 : 0;
    const key = ((ct * 256 + flags) * 65536 + len) * 2 + local;
    let b = this.tails.get(key);
    if (b === undefined) {
      if (this.tails.size >= LIMIT) this.tails.clear();
      const n = (v: number) => Buffer.from(String(v));
      b = Buffer.concat([CT[ct]!, S.jMark!, n(0), S.jCtMark!, n(0), S.jFlags!, n(flags), S.jLen!, n(len), local ? S.jTrue! : S.jFalse!]);
      this.tails.set(key, b);
    }
    return b;
  }

  /**
   * What stands between the packet and the packet after: the verdict, what decided it and the
   * path — one byte string per verdict, rule, chain and path, made the first time it is met.
   */
  private middle(i: number, json: boolean): Buffer {
    const c = this.c;
    const v = c[L.B_VERDICT]![i]!;
    const rule = c[L.B_RULE]![i]!;
    const chain = c[L.B_CHAIN]![i]!;
    const mask = c[L.B_OUT_PATH]![i]! & HOOK_MASK;
    const key = ((((rule + 1) % 2 ** 32) * (this.plan.chains.length + 1) + ((chain + 1) % 2 ** 32)) * 4 + v) * (HOOK_MASK + 1) + mask;
    const cache = json ? this.jsonMiddles : this.textMiddles;
    let m = cache.get(key);
    if (m === undefined) {
      if (cache.size >= LIMIT) cache.clear();
      cache.set(key, (m = B(json ? this.jsonMiddle(v, rule, chain, mask) : this.textMiddle(v, rule, chain, mask))));
    }
    return m;
  }

  private textMiddle(v: number, rule: number, chain: number, mask: number): string {
    const by = chain === L.NO_RULE ? 'none' : rule === L.NO_RULE ? 'policy' : 'rule';
    return `\n${resultHead(this.plan, { verdict: VERDICTS[v]!, by, rule, chain })}\n${pathLine(hooksOf(mask))}\n  packet after: `;
  }

  private jsonMiddle(v: number, rule: number, chain: number, mask: number): string {
    const by = chain === L.NO_RULE ? 'none' : rule === L.NO_RULE ? 'policy' : 'rule';
    let m = `,\n    "verdict": "${VERDICTS[v]}",\n    "by": "${by}",`;
    if (rule !== L.NO_RULE) m += `\n    "rule": ${nested(ruleJson(this.plan, rule))},`;
    if (chain !== L.NO_RULE) m += `\n    "chain": ${nested(chainJson(this.plan, chain))},`;
    return `${m}\n    "hooks": ${nested(hooksOf(mask))},\n    "after": `;
  }

  /** formatPacket up to the ct state (IPv4). */
  private echoPre(i: number, iif: string, oif: string, o: ByteOut): void {
    const c = this.c;
    const proto = c[L.K_L4PROTO]![i]!;
    const sport = c[L.K_SPORT]![i]!;
    const dport = c[L.K_DPORT]![i]!;
    o.bytes(PROTO[proto]!);
    o.ip4(c[L.K_SADDR]![i]!);
    if (proto === ICMP || proto === ICMPV6) {
      o.bytes(S.arrow!);
      o.ip4(c[L.K_DADDR]![i]!);
      o.bytes(S.type!);
      o.uint(sport >>> 8);
      o.bytes(S.code!);
      o.uint(sport & 255);
      o.bytes(S.csum!);
      o.hex(dport);
    } else {
      o.bytes(S.colon!);
      o.uint(sport);
      o.bytes(S.arrow!);
      o.ip4(c[L.K_DADDR]![i]!);
      o.bytes(S.colon!);
      o.uint(dport);
    }
    if (iif) {
      o.bytes(S.iif!);
      o.bytes(this.name(this.names, iif, false));
    }
    if (oif) {
      o.bytes(S.oif!);
      o.bytes(this.name(this.names, oif, false));
    }
    o.bytes(S.ct!);
  }

  /** formatPacket after the ct state. */
  private echoPost(i: number, o: ByteOut): void {
    const c = this.c;
    const mark = c[L.K_MARK]![i]!;
    const ctMark = c[L.K_CTMARK]![i]!;
    const flags = c[L.K_FLAGS]![i]!;
    if (mark) {
      o.bytes(S.mark!);
      o.hex(mark);
    }
    if (ctMark) {
      o.bytes(S.ctmark!);
      o.hex(ctMark);
    }
    if (flags || c[L.K_L4PROTO]![i] === TCP) o.bytes(FLAGS[flags]!);
    o.bytes(S.len!);
    o.uint(c[L.B_LEN]![i]!);
    if (c[L.B_LOCAL]![i]) o.bytes(S.local!);
  }

  /** The packet's JSON object up to the ct state's value (IPv4). */
  private packetPre(i: number, iif: string, oif: string, o: ByteOut): void {
    const c = this.c;
    o.bytes(S.jFamily!);
    o.ip4(c[L.K_SADDR]![i]!);
    o.bytes(S.jDaddr!);
    o.ip4(c[L.K_DADDR]![i]!);
    this.numbers(i, JSON_PRE, o);
    o.bytes(S.jIif!);
    o.bytes(this.name(this.jsonNames, iif, true));
    o.bytes(S.jOif!);
    o.bytes(this.name(this.jsonNames, oif, true));
    o.bytes(S.jCt!);
  }

  /** The packet's JSON object after the ct state's value. */
  private packetPost(i: number, o: ByteOut): void {
    this.numbers(i, JSON_POST, o);
    o.bytes(this.c[L.B_LOCAL]![i] ? S.jTrue! : S.jFalse!);
  }

  /** Each piece followed by the row's value in its column. */
  private numbers(i: number, fields: readonly (readonly [Buffer, number])[], o: ByteOut): void {
    for (const [piece, column] of fields) {
      o.bytes(piece);
      o.uint(this.c[column]![i]!);
    }
  }

  private name(cache: Map<string, Buffer>, n: string, json: boolean): Buffer {
    let b = cache.get(n);
    if (b === undefined) {
      if (cache.size >= LIMIT) cache.clear();
      cache.set(n, (b = B(json ? JSON.stringify(n) : n)));
    }
    return b;
  }
}

function hooksOf(mask: number) {
  return PATH_HOOKS.filter((h) => mask & (1 << HOOK_CODE[h]));
}
