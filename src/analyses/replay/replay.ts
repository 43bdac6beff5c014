// Flow replay: recorded flows classified against a proposed policy, and optionally a baseline
// (the policy in force), a batch at a time. Each flow's first packet goes through the engine's
// batch path (columns.ts: one WebAssembly call per batch, no Packet object per flow); what is kept
// is a tally per deciding rule (or policy) and verdict — flows, packets, bytes — and, with a
// baseline, per change (old verdict → new verdict, by the proposal's deciding rule) its counts and
// the first flow that made it, as a witness packet in the text `nftlens eval -p` reads. Memory is
// bounded by the rulesets' sizes, not by the number of flows. A flow's fate is its verdict:
// accept, drop or reject; a flow changes when the two policies give it different verdicts.
//
// Tallies merge (`merge`), so flows read and classified apart (in workers) add up to the same.

import type { Classifier } from '../../engine/classifier.js';
import * as L from '../../engine/layout.js';
import type { Packet } from '../../engine/packet.js';
import type { FlowBatch } from '../../frontends/flows/batch.js';
import type { Origin } from '../../model/origin.js';
import { ColumnWriter, type FlowDefaults } from './columns.js';

export const VERDICTS = ['drop', 'accept', 'reject'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Counts per (decider, verdict): decider = rule id, or rules + chain id for a policy, or rules + chains for none. */
export class Tally {
  readonly flows: Float64Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  constructor(readonly rules: number, readonly chains: number) {
    // The last entry: the flows whose first packet met a stateful expression (counted also by the
    // first way of each, above it: the verdict depends on state).
    const n = (rules + chains + 1) * 3 + 1;
    this.flows = new Float64Array(n);
    this.packets = new Float64Array(n);
    this.bytes = new Float64Array(n);
  }

  /** Index of the flows whose verdict depends on state. */
  get stateful(): number {
    return this.flows.length - 1;
  }

  merge([flows, packets, bytes]: readonly Float64Array[]): void {
    for (let i = 0; i < this.flows.length; i++) {
      this.flows[i]! += flows![i]!;
      this.packets[i]! += packets![i]!;
      this.bytes[i]! += bytes![i]!;
    }
  }
}

/** Flows whose verdict changed, by (proposal's decider, old verdict, new verdict). */
export interface Change {
  decider: number;
  from: Verdict;
  to: Verdict;
  /** The baseline's decider of the witness flow. */
  baselineDecider: number;
  flows: number;
  packets: number;
  bytes: number;
  witness: Packet;
  witnessAt: Origin;
}

/** A replay's counts as data: what a worker sends back, and what `merge` adds. */
export interface ReplaySnapshot {
  flows: number;
  packets: number;
  bytes: number;
  tally: [Float64Array, Float64Array, Float64Array];
  baselineTally?: [Float64Array, Float64Array, Float64Array];
  changes: [number, Change][];
}

export class Replay {
  readonly tally: Tally;
  readonly baselineTally?: Tally;
  readonly changes = new Map<number, Change>();
  flows = 0;
  packets = 0;
  bytes = 0;
  private readonly proposal: ColumnWriter;
  private readonly baseline?: ColumnWriter;

  constructor(
    proposal: Classifier,
    baseline: Classifier | undefined,
    private readonly defaults: FlowDefaults,
  ) {
    this.proposal = new ColumnWriter(proposal, defaults);
    this.tally = new Tally(proposal.plan.rules.length, proposal.plan.chains.length);
    if (baseline) {
      this.baseline = new ColumnWriter(baseline, defaults);
      this.baselineTally = new Tally(baseline.plan.rules.length, baseline.plan.chains.length);
    }
  }

  snapshot(): ReplaySnapshot {
    const arrays = (t: Tally): [Float64Array, Float64Array, Float64Array] => [t.flows, t.packets, t.bytes];
    return {
      flows: this.flows, packets: this.packets, bytes: this.bytes, tally: arrays(this.tally),
      ...(this.baselineTally ? { baselineTally: arrays(this.baselineTally) } : {}), changes: [...this.changes],
    };
  }

  /** Adds another replay's counts (of flows that came after this one's: its witnesses give way to ours). */
  merge(s: ReplaySnapshot): void {
    this.flows += s.flows;
    this.packets += s.packets;
    this.bytes += s.bytes;
    this.tally.merge(s.tally);
    if (s.baselineTally) this.baselineTally!.merge(s.baselineTally);
    for (const [key, c] of s.changes) {
      const mine = this.changes.get(key);
      if (!mine) this.changes.set(key, c);
      else {
        mine.flows += c.flows;
        mine.packets += c.packets;
        mine.bytes += c.bytes;
      }
    }
  }

  /** Classifies and counts a batch of flows. */
  add(b: FlowBatch): void {
    const cap = Math.min(this.proposal.classifier.capacity, this.baseline?.classifier.capacity ?? Infinity);
    for (let start = 0; start < b.n; start += cap) {
      const n = Math.min(cap, b.n - start);
      this.proposal.write(b, start, n);
      this.proposal.classifier.runBatch(n);
      count(this.proposal.classifier, this.tally, b, start, n);
      if (this.baseline) {
        this.baseline.write(b, start, n);
        this.baseline.classifier.runBatch(n);
        count(this.baseline.classifier, this.baselineTally!, b, start, n);
        this.compare(b, start, n);
      }
    }
    this.flows += b.n;
    for (let i = 0; i < b.n; i++) {
      this.packets += b.packets[i]!;
      this.bytes += b.bytes[i]!;
    }
  }

  private compare(b: FlowBatch, start: number, n: number): void {
    const p = this.proposal.classifier;
    const o = this.baseline!.classifier;
    const pv = p.columns[L.B_VERDICT]!;
    const ov = o.columns[L.B_VERDICT]!;
    for (let i = 0; i < n; i++) {
      if (pv[i] === ov[i]) continue;
      const d = decider(p, i);
      const key = (d * 3 + ov[i]!) * 3 + pv[i]!;
      const f = start + i;
      let c = this.changes.get(key);
      if (!c) {
        const local = this.proposal.isLocal(b, f);
        c = {
          decider: d, from: VERDICTS[ov[i]!]!, to: VERDICTS[pv[i]!]!, baselineDecider: decider(o, i), flows: 0, packets: 0, bytes: 0,
          witness: b.packet(f, local, this.defaults.iif, this.defaults.oif), witnessAt: b.where(f),
        };
        this.changes.set(key, c);
      }
      c.flows++;
      c.packets += b.packets[f]!;
      c.bytes += b.bytes[f]!;
    }
  }
}

/** Row i's decider: its rule, its chain's policy, or none. */
export function decider(c: Classifier, i: number): number {
  const rule = c.columns[L.B_RULE]![i]!;
  const chain = c.columns[L.B_CHAIN]![i]!;
  // Flows carry no link-layer packet type, so the routing decision drops none (ROUTE_DROP); were
  // one to, it would count with the packets no chain decided.
  if (chain === L.NO_RULE || chain === L.ROUTE_DROP) return c.plan.rules.length + c.plan.chains.length;
  return rule === L.NO_RULE ? c.plan.rules.length + chain : rule;
}

function count(c: Classifier, t: Tally, b: FlowBatch, start: number, n: number): void {
  const v = c.columns[L.B_VERDICT]!;
  const path = c.columns[L.B_OUT_PATH]!;
  for (let i = 0; i < n; i++) {
    const k = decider(c, i) * 3 + v[i]!;
    t.flows[k]!++;
    t.packets[k]! += b.packets[start + i]!;
    t.bytes[k]! += b.bytes[start + i]!;
    if (path[i]! & L.PATH_STATEFUL) {
      t.flows[t.stateful]!++;
      t.packets[t.stateful]! += b.packets[start + i]!;
      t.bytes[t.stateful]! += b.bytes[start + i]!;
    }
  }
}
