// Evaluation for the what-if service: one packet (its result, with the trace on request), or many
// — text lines or JSON items — through the streamed eval's batch path (engine/stream/batch.ts): each line scanned
// straight into the classifier's batch columns, one call into WebAssembly per batch of the
// classifier's capacity. Results come back in full (each as `nftlens eval -o json` gives it, the
// array written as bytes by the batch formatter) or compact (columns: verdict, deciding rule and
// chain per packet, and the label and origin of each rule and chain that decided once). All of a
// request runs synchronously on the policy it started with.

import * as L from '../../engine/layout.js';
import { parsePacketLine, type Packet, type PathHook } from '../../engine/index.js';
import { chainLabel, ruleLabel } from '../../engine/result.js';
import type { Classifier } from '../../engine/classifier.js';
import { NftlensError } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import { ByteOut } from '../../engine/stream/byte-out.js';
import { LineBatch } from '../../engine/stream/batch.js';
import { resultJson } from '../../engine/stream/format.js';
import { ApiError } from './errors.js';

/** Where packet i of a request is: a line of a text body, an item of a JSON one. */
export type Where = (i: number) => Origin;

export type View = 'full' | 'compact';

export interface EvalRequest {
  hook?: PathHook;
  trace?: boolean;
  view?: View;
}

export interface Limits {
  /** Packets one request may hold. */
  maxBatch: number;
  /** Packets one request may ask a trace for. */
  maxTrace: number;
}

/** One packet's result, as `nftlens eval -o json` gives it. */
export function evaluateOne(c: Classifier, packet: Packet, req: EvalRequest) {
  return resultJson(c.plan, packet, c.evaluate(packet, { trace: req.trace, hook: req.hook }));
}

/**
 * Many packets (lines: the text form or JSON, one each; `where` names them in errors) into one
 * JSON document: `{ count, results }` (full) or `{ count, verdict, rule, chain, rules, chains }`
 * (compact). A bad packet throws its located diagnostic.
 */
export function evaluateMany(c: Classifier, lines: readonly string[], req: EvalRequest, limits: Limits, where: Where): Buffer {
  if (lines.length > limits.maxBatch) throw new ApiError('TOO_LARGE', `${lines.length} packets; the limit is ${limits.maxBatch} a request`);
  if (req.trace) {
    if (lines.length > limits.maxTrace) throw new ApiError('TOO_LARGE', `a trace for ${lines.length} packets; the limit is ${limits.maxTrace} a request`);
    const results = lines.map((l, i) => evaluateOne(c, parsePacketLine(l, where(i)), req));
    return Buffer.from(JSON.stringify({ count: lines.length, results }));
  }
  const compact = req.view === 'compact' ? new Compact(c) : undefined;
  const batch = new LineBatch(c, !compact, req.hook);
  const o = new ByteOut();
  o.text(compact ? '' : `{"count":${lines.length},"results":[\n`);
  // full: every line in one go; compact: a batch of the classifier's capacity at a time, not
  // formatted, whose columns are read after it ran.
  const step = compact ? c.capacity : lines.length;
  for (let start = 0; start < lines.length; start += step) {
    const slice = lines.slice(start, start + step);
    const r = batch.chunk(Buffer.from(slice.join('\n')), 'body', compact ? undefined : o);
    if (r.error) throw new NftlensError(r.error.map((d) => ({ ...d, origin: where(start + (d.origin.line ?? 1) - 1) })));
    if (compact) compact.take(slice.length);
  }
  if (compact) o.text(compact.json(lines.length));
  else o.text('\n]}');
  return o.take();
}

/** Compact results: per packet the verdict, and the deciding rule and chain ids (null: none). */
class Compact {
  private readonly verdicts: string[] = [];
  private readonly rules: (number | null)[] = [];
  private readonly chains: (number | null)[] = [];

  constructor(private readonly c: Classifier) {}

  take(n: number): void {
    const col = this.c.columns;
    for (let i = 0; i < n; i++) {
      const rule = col[L.B_RULE]![i]!;
      const chain = col[L.B_CHAIN]![i]!;
      this.verdicts.push(VERDICTS[col[L.B_VERDICT]![i]!]!);
      this.rules.push(rule === L.NO_RULE ? null : rule);
      this.chains.push(chain === L.NO_RULE ? null : chain);
    }
  }

  json(count: number): string {
    const plan = this.c.plan;
    const rules: Record<string, unknown> = {};
    const chains: Record<string, unknown> = {};
    for (const r of new Set(this.rules)) if (r !== null) rules[r] = { label: ruleLabel(plan, r), origin: plan.rules[r]!.rule.origin };
    for (const k of new Set(this.chains)) if (k !== null) chains[k] = { label: chainLabel(plan, k), origin: plan.chains[k]!.chain.origin };
    return JSON.stringify({ count, verdict: this.verdicts, rule: this.rules, chain: this.chains, rules, chains });
  }
}

const VERDICTS = ['drop', 'accept', 'reject'] as const;
