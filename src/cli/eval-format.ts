// The streaming eval's results for rows given in batch columns (IPv4 packets no statement
// rewrote), as text and as JSON, byte for byte what formatPacket/formatResult and
// JSON.stringify(resultJson(…), null, 2) give for them, from strings made once: per rule and
// chain (the heading line, the JSON fragments), per path, per protocol, flags byte and
// interface name. Only numbers and addresses are turned into text per packet.

import { ip4Text } from '../engine/addr.js';
import * as L from '../engine/layout.js';
import { formatFlags, protoText, ICMP, ICMPV6, TCP, type Packet } from '../engine/packet.js';
import { PATH_HOOKS, HOOK_CODE, type Plan } from '../engine/plan.js';
import { chainLabel, pathLine, resultHead, ruleLabel, type EvalResult, type FinalVerdict } from '../engine/result.js';
import { CT_STATE } from '../model/values.js';

const VERDICTS: FinalVerdict[] = ['drop', 'accept', 'reject'];
const PROTO = Array.from({ length: 256 }, (_, n) => protoText(n));
const FLAGS = Array.from({ length: 256 }, (_, n) => formatFlags(n));
const CT_BY_BIT = new Map(Object.entries(CT_STATE).map(([k, v]) => [v, k]));
const HOOK_MASK = (1 << L.N_HOOKS) - 1;
const LIMIT = 1 << 16;

/** Indents JSON.stringify(v, null, 2) to stand as a property of an element of the top-level array. */
const nested = (v: unknown) => JSON.stringify(v, null, 2).replace(/\n/g, '\n    ');

/** One result as `-o json` gives it: the packet, the verdict, the deciding rule and chain with their origins. */
export function resultJson(plan: Plan, packet: Packet, r: EvalResult) {
  const rule = r.rule === undefined ? undefined : ruleJson(plan, r.rule);
  const chain = r.chain === undefined ? undefined : chainJson(plan, r.chain);
  return { packet, verdict: r.verdict, by: r.by, rule, chain, hooks: r.hooks, after: r.packet, trace: r.trace };
}

const ruleJson = (plan: Plan, id: number) => ({ id, label: ruleLabel(plan, id), origin: plan.rules[id]!.rule.origin });
const chainJson = (plan: Plan, id: number) => ({ id, label: chainLabel(plan, id), origin: plan.chains[id]!.chain.origin });

/** Text and JSON of batch rows, from the columns. */
export class RowFormatter {
  private readonly heads = new Map<number, string>();
  private readonly paths = new Map<number, string>();
  private readonly hooks = new Map<number, string>();
  private readonly rules: string[] = [];
  private readonly chains: string[] = [];
  private readonly names = new Map<string, string>();

  constructor(
    private readonly plan: Plan,
    private readonly c: readonly Uint32Array[],
  ) {}

  /** `packet: …` and formatResult's lines for row i. */
  text(i: number, iif: string, oif: string): string {
    const c = this.c;
    const pre = this.echoPre(i, iif, oif);
    const post = this.echoPost(i);
    const path = c[L.B_OUT_PATH]![i]! & HOOK_MASK;
    return `packet: ${pre}${CT_BY_BIT.get(c[L.K_CTSTATE]![i]!)}${post}\n${this.head(i)}\n${this.path(path)}\n  packet after: ${pre}${CT_BY_BIT.get(c[L.B_OUT_CTSTATE]![i]!)}${post}\n`;
  }

  /** Row i as an element of the -o json array (indented by 2, no separator). */
  json(i: number, iif: string, oif: string): string {
    const c = this.c;
    const rule = c[L.B_RULE]![i]!;
    const chain = c[L.B_CHAIN]![i]!;
    const pre = this.packetPre(i, iif, oif);
    const post = this.packetPost(i);
    const by = chain === L.NO_RULE ? 'none' : rule === L.NO_RULE ? 'policy' : 'rule';
    let s = `  {\n    "packet": ${pre}${CT_BY_BIT.get(c[L.K_CTSTATE]![i]!)}${post},\n    "verdict": "${VERDICTS[c[L.B_VERDICT]![i]!]}",\n    "by": "${by}",`;
    if (rule !== L.NO_RULE) s += (this.rules[rule] ??= `\n    "rule": ${nested(ruleJson(this.plan, rule))},`);
    if (chain !== L.NO_RULE) s += (this.chains[chain] ??= `\n    "chain": ${nested(chainJson(this.plan, chain))},`);
    return `${s}\n    "hooks": ${this.hooksJson(c[L.B_OUT_PATH]![i]! & HOOK_MASK)},\n    "after": ${pre}${CT_BY_BIT.get(c[L.B_OUT_CTSTATE]![i]!)}${post}\n  }`;
  }

  private head(i: number): string {
    const c = this.c;
    const v = c[L.B_VERDICT]![i]!;
    const rule = c[L.B_RULE]![i]!;
    const chain = c[L.B_CHAIN]![i]!;
    const by = chain === L.NO_RULE ? 'none' : rule === L.NO_RULE ? 'policy' : 'rule';
    const key = by === 'none' ? -1 - v : by === 'rule' ? rule * 8 + v : chain * 8 + 4 + v;
    let h = this.heads.get(key);
    if (h === undefined) this.heads.set(key, (h = resultHead(this.plan, { verdict: VERDICTS[v]!, by, rule, chain })));
    return h;
  }

  private path(mask: number): string {
    let p = this.paths.get(mask);
    if (p === undefined) this.paths.set(mask, (p = pathLine(hooksOf(mask))));
    return p;
  }

  private hooksJson(mask: number): string {
    let p = this.hooks.get(mask);
    if (p === undefined) this.hooks.set(mask, (p = nested(hooksOf(mask))));
    return p;
  }

  /** formatPacket up to `ct ` (IPv4). */
  private echoPre(i: number, iif: string, oif: string): string {
    const c = this.c;
    const proto = c[L.K_L4PROTO]![i]!;
    const sport = c[L.K_SPORT]![i]!;
    const dport = c[L.K_DPORT]![i]!;
    let t = proto === ICMP || proto === ICMPV6
      ? `${PROTO[proto]} ${ip4Text(c[L.K_SADDR]![i]!)} -> ${ip4Text(c[L.K_DADDR]![i]!)} type ${sport >>> 8} code ${sport & 255} csum 0x${dport.toString(16)}`
      : `${PROTO[proto]} ${ip4Text(c[L.K_SADDR]![i]!)}:${sport} -> ${ip4Text(c[L.K_DADDR]![i]!)}:${dport}`;
    if (iif) t += ' iif ' + iif;
    if (oif) t += ' oif ' + oif;
    return t + ' ct ';
  }

  /** formatPacket after the ct state. */
  private echoPost(i: number): string {
    const c = this.c;
    const mark = c[L.K_MARK]![i]!;
    const ctMark = c[L.K_CTMARK]![i]!;
    const flags = c[L.K_FLAGS]![i]!;
    let t = '';
    if (mark) t += ' mark 0x' + mark.toString(16);
    if (ctMark) t += ' ctmark 0x' + ctMark.toString(16);
    if (flags || c[L.K_L4PROTO]![i] === TCP) t += ' flags ' + FLAGS[flags];
    t += ' len ' + c[L.B_LEN]![i];
    return c[L.B_LOCAL]![i] ? t + ' local' : t;
  }

  /** The packet's JSON object up to the ct state's value (IPv4). */
  private packetPre(i: number, iif: string, oif: string): string {
    const c = this.c;
    return `{\n      "family": 4,\n      "saddr": "${ip4Text(c[L.K_SADDR]![i]!)}",\n      "daddr": "${ip4Text(c[L.K_DADDR]![i]!)}",\n      "l4proto": ${c[L.K_L4PROTO]![i]},\n      "sport": ${c[L.K_SPORT]![i]},\n      "dport": ${c[L.K_DPORT]![i]},\n      "iifname": ${this.name(iif)},\n      "oifname": ${this.name(oif)},\n      "ctState": "`;
  }

  private packetPost(i: number): string {
    const c = this.c;
    return `",\n      "mark": ${c[L.K_MARK]![i]},\n      "ctMark": ${c[L.K_CTMARK]![i]},\n      "tcpFlags": ${c[L.K_FLAGS]![i]},\n      "length": ${c[L.B_LEN]![i]},\n      "local": ${c[L.B_LOCAL]![i] ? 'true' : 'false'}\n    }`;
  }

  private name(n: string): string {
    let j = this.names.get(n);
    if (j === undefined) {
      if (this.names.size >= LIMIT) this.names.clear();
      this.names.set(n, (j = JSON.stringify(n)));
    }
    return j;
  }
}

function hooksOf(mask: number) {
  return PATH_HOOKS.filter((h) => mask & (1 << HOOK_CODE[h]));
}
