// The engine's public API: compile a Ruleset into a classifier that evaluates packets exactly as
// the Linux kernel's nftables would (in WebAssembly), or evaluate with the reference interpreter.
//
//   const c = compileRuleset(ruleset, { localAddresses: ['10.0.0.1'], interfaceAddresses: { eth1: ['192.0.2.1'] } });
//   const r = c.evaluate(parsePacket('tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif eth1'), { trace: true });
//   r.verdict            // 'accept' | 'drop' | 'reject'
//   r.by, r.rule, r.chain  // what ended the last base chain: ids into c.plan.rules / c.plan.chains
//   r.packet             // after NAT and mark statements; r.hooks: the path; r.trace: events
//   formatResult(c.plan, r)
//   c.evaluateBatch(packets) / c.columns + c.runBatch(n)   // many packets, one WASM call per batch
//   c.counters()         // per counter statement: packets, bytes
//   evaluateFlow(c.plan, c.env, parseFlow('tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif eth1'))
//                        // a whole connection: first packet, reply, next packet (flow.ts)
//
// compileRuleset throws NftlensError for rulesets the kernel would refuse (ENGINE_LOOP,
// NFT_REFERENCE, MODEL_INVALID); warnings (ENGINE_ORDER) are in c.diagnostics.

import type { Ruleset } from '../model/ruleset.js';
import { Classifier } from './classifier.js';
import { makeEnvironment, type EngineOptions, type Environment } from './environment.js';
import type { Packet } from './packet.js';
import { planRuleset, type Plan } from './plan.js';
import { referenceEvaluate, type EvalOptions } from './reference.js';
import type { EvalResult } from './result.js';
import { allOutcomes, type Outcome } from './outcomes.js';

export interface CompileOptions extends EngineOptions {
  /** Packets per WASM call in evaluateBatch/runBatch (default 4096). */
  batchCapacity?: number;
}

export function compileRuleset(rs: Ruleset, opts: CompileOptions = {}): Classifier {
  return new Classifier(planRuleset(rs), makeEnvironment(opts), opts.batchCapacity);
}

/** The reference interpreter behind the same interface (slow, for checking and explaining). */
export class ReferenceEngine {
  readonly plan: Plan;
  readonly env: Environment;
  /** [packets, bytes] per counter id. */
  readonly counterValues: Float64Array;
  constructor(rs: Ruleset, opts: EngineOptions = {}) {
    this.plan = planRuleset(rs);
    this.env = makeEnvironment(opts);
    this.counterValues = new Float64Array(this.plan.counters.length * 2);
  }
  evaluate(pkt: Packet, opts: EvalOptions = {}): EvalResult {
    return referenceEvaluate(this.plan, this.env, pkt, opts, this.counterValues);
  }
  /** Every outcome the state allows (src/engine/outcomes.ts); the counters are not touched. */
  outcomes(pkt: Packet, opts: Pick<EvalOptions, 'hook' | 'trace'> = {}): { outcomes: Outcome[]; more: boolean } {
    return allOutcomes((state) => referenceEvaluate(this.plan, this.env, pkt, { ...opts, state }));
  }
}

export { Classifier, type CounterValue } from './classifier.js';
export type { EngineOptions } from './environment.js';
export { formatPacket, makePacket, packetFromJson, parsePacket, parsePacketLine, type Packet } from './packet.js';
export type { EvalOptions } from './reference.js';
export { formatResult, formatEvent, ruleLabel, chainLabel, type EvalResult, type FinalVerdict, type TraceEvent } from './result.js';
export type { Plan, PathHook } from './plan.js';
export { allOutcomes, type Outcome } from './outcomes.js';
export { evaluateFlow, parseFlow, type FlowResult, type FlowStep, type FlowStepName } from './flow.js';
