// One packet's answer as JSON text, for the single-packet evaluate: the bytes JSON.stringify gives
// for resultJson (engine/stream/format.ts, what `nftlens eval -o json` writes), with the part of
// each deciding rule and chain — its label and origin, most of an answer — written once for the
// policy's life and reused, so that a request serialises only its packets, verdict and hooks. One
// AnswerText belongs to one policy (the store makes it with the classifier).

import type { Classifier } from '../../engine/classifier.js';
import type { Packet } from '../../engine/index.js';
import type { EvalResult } from '../../engine/result.js';
import { resultJson } from '../../engine/stream/format.js';

export class AnswerText {
  /** `{"id":…,"label":…,"origin":…}` by rule id, and by chain id, as they are first needed. */
  private readonly rules: string[] = [];
  private readonly chains: string[] = [];

  constructor(private readonly c: Classifier) {}

  /** JSON.stringify(resultJson(plan, packet, r)), byte for byte. */
  write(packet: Packet, r: EvalResult): string {
    if (r.outcomes) return JSON.stringify(resultJson(this.c.plan, packet, r));
    let out = '{"packet":' + JSON.stringify(packet) + ',"verdict":' + JSON.stringify(r.verdict) + ',"by":' + JSON.stringify(r.by);
    if (r.rule !== undefined) out += ',"rule":' + (this.rules[r.rule] ??= this.part(packet, r, 'rule'));
    if (r.chain !== undefined) out += ',"chain":' + (this.chains[r.chain] ??= this.part(packet, r, 'chain'));
    if (r.hooks !== undefined) out += ',"hooks":' + JSON.stringify(r.hooks);
    if (r.packet !== undefined) out += ',"after":' + JSON.stringify(r.packet);
    if (r.trace !== undefined) out += ',"trace":' + JSON.stringify(r.trace);
    return out + '}';
  }

  /** The deciding rule's or chain's member as resultJson makes it, as JSON. */
  private part(packet: Packet, r: EvalResult, which: 'rule' | 'chain'): string {
    const { outcomes: _, ...one } = r;
    return JSON.stringify((resultJson(this.c.plan, packet, one) as { rule?: unknown; chain?: unknown })[which]);
  }
}
