// A flow evaluation (flow.ts) for people and for programs: per step, the packet as it reaches the
// gateway, the verdict and what decided it (rule with its origin, or a chain's policy), the path,
// conntrack's NAT, and the packet as it leaves; the trace on demand.

import type { Origin } from '../model/origin.js';
import type { FlowResult, FlowStep } from './flow.js';
import type { EvalResult } from './result.js';
import { formatPacket } from './packet.js';
import type { Plan } from './plan.js';
import type { Outcome } from './outcomes.js';
import { chainLabel, describeDraw, formatEvent, pathLine, resultHead, ruleLabel } from './result.js';

const STEP_TEXT = { first: 'first packet', reply: 'reply', next: 'next packet' } as const;

export function formatFlow(plan: Plan, r: FlowResult): string {
  const verdict = r.works ? 'WORKS in both directions' : `DOES NOT WORK: the ${STEP_TEXT[r.failed!]} is ${r.steps.at(-1)!.result.verdict === 'reject' ? 'rejected' : 'dropped'}`;
  const lines = [`flow ${formatPacket(r.flow)}: ${verdict}`];
  for (const s of r.steps) {
    lines.push(`  ${STEP_TEXT[s.step]}: ${resultHead(plan, s.result)}`);
    lines.push(`    in:  ${formatPacket(s.packet)}`);
    if (s.conntrackNat?.dst) lines.push(`    conntrack nat: destination → ${target(s.packet.family, s.conntrackNat.dst)}`);
    if (s.conntrackNat?.src) lines.push(`    conntrack nat: source → ${target(s.packet.family, s.conntrackNat.src)}`);
    lines.push('  ' + pathLine(s.result.hooks));
    if (s.result.verdict === 'accept') lines.push(`    out: ${formatPacket(s.result.packet)}`);
    if (s.result.trace) {
      lines.push('    trace:');
      for (const e of s.result.trace) lines.push('      ' + formatEvent(plan, e));
    }
  }
  return lines.join('\n') + '\n';
}

/** A flow whose steps met stateful expressions: every outcome, each with the ways its draws took. */
export function formatFlowOutcomes(plan: Plan, all: readonly Outcome<FlowResult>[], more: boolean): string {
  if (all.length === 1 && !more) return formatFlow(plan, all[0]!.result);
  const working = all.filter((o) => o.result.works).length;
  const lines = [`flow ${formatPacket(all[0]!.result.flow)}: DEPENDS ON STATE: ${all.length}${more ? '+' : ''} outcomes, ${working} of them work in both directions`];
  all.forEach((o, i) => {
    lines.push(`  outcome ${i + 1}: ${o.draws.map((d) => describeDraw(plan, d)).join('; ')}`);
    lines.push(...formatFlow(plan, o.result).trimEnd().split('\n').map((l) => '    ' + l));
  });
  if (more) lines.push('  (more outcomes not listed)');
  return lines.join('\n') + '\n';
}

/** The JSON of a flow's outcomes: one flow's JSON, or (stateful) `works`/`opens` of every outcome and each outcome's. */
export function flowOutcomesJson(plan: Plan, all: readonly Outcome<FlowResult>[], more: boolean) {
  if (all.length === 1 && !more) return flowJson(plan, all[0]!.result);
  return {
    flow: formatPacket(all[0]!.result.flow),
    works: all.every((o) => o.result.works),
    opens: all.every((o) => o.result.opens),
    outcomes: all.map((o) => ({ state: o.draws.map((d) => describeDraw(plan, d)), ...flowJson(plan, o.result) })),
    ...(more ? { moreOutcomes: true } : {}),
  };
}

function target(family: 4 | 6, t: { addr: string; port: number }): string {
  return family === 6 ? `[${t.addr}]:${t.port}` : `${t.addr}:${t.port}`;
}

export interface FlowJson {
  flow: string;
  works: boolean;
  opens: boolean;
  failed?: string;
  steps: StepJson[];
}

interface StepJson {
  step: FlowStep['step'];
  packet: string;
  verdict: string;
  by: EvalResult['by'];
  rule?: { label: string; origin: Origin };
  chain?: string;
  hooks: string[];
  conntrackNat?: FlowStep['conntrackNat'];
  after: string;
  trace?: string[];
}

export function flowJson(plan: Plan, r: FlowResult): FlowJson {
  return {
    flow: formatPacket(r.flow),
    works: r.works,
    opens: r.opens,
    ...(r.failed ? { failed: r.failed } : {}),
    steps: r.steps.map((s) => {
      const x = s.result;
      const j: StepJson = { step: s.step, packet: formatPacket(s.packet), verdict: x.verdict, by: x.by, hooks: x.hooks, after: formatPacket(x.packet) };
      if (x.rule !== undefined) j.rule = { label: ruleLabel(plan, x.rule), origin: plan.rules[x.rule]!.rule.origin };
      if (x.chain !== undefined) j.chain = chainLabel(plan, x.chain);
      if (s.conntrackNat) j.conntrackNat = s.conntrackNat;
      if (x.trace) j.trace = x.trace.map((e) => formatEvent(plan, e).trim());
      return j;
    }),
  };
}
