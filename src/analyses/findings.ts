// What the analyses report: findings as data — a kind, a severity, a message, the rule (origin)
// it is about, the rules involved, and a witness packet in the engine's packet model with what
// the engine must say about it (`check`), so every finding can be verified by evaluation.

import type { Origin } from '../model/origin.js';
import type { Severity } from '../model/diagnostics.js';
import type { Packet } from '../engine/packet.js';
import type { PathHook, Plan } from '../engine/plan.js';
import type { FinalVerdict } from '../engine/result.js';
import { ruleLabel, chainLabel } from '../engine/result.js';

export type FindingKind =
  // rule anomalies (per chain)
  | 'unreachable' | 'shadowed' | 'redundant' | 'correlated' | 'generalization'
  // cross-resource conflicts
  | 'tenant-overlap' | 'table-clash' | 'priority-tie' | 'accept-undone';

export const SEVERITY_OF: Record<FindingKind, Severity> = {
  unreachable: 'error',
  shadowed: 'error',
  redundant: 'warning',
  correlated: 'info',
  generalization: 'info',
  'tenant-overlap': 'warning',
  'table-clash': 'error',
  'priority-tie': 'warning',
  'accept-undone': 'warning',
};

/** A rule or a base chain's policy, named for people and by id for the engine. */
export interface Ref {
  label: string;
  origin: Origin;
  /** Rule id (plan.rules) — or, for a policy, the chain id (plan.chains). */
  rule?: number;
  policyOf?: number;
}

/**
 * What evaluating the witness (at `hook`, or the whole path) must show: the `by` rule (or the
 * policy of `policyOf`) gave a verdict in the trace, `not` gave none, and the final verdict.
 */
export interface WitnessCheck {
  hook?: PathHook;
  verdict?: FinalVerdict;
  by?: Ref;
  not?: number;
}

export interface Finding {
  kind: FindingKind;
  severity: Severity;
  message: string;
  /** Where to look: the rule (or resource, chain) the finding is about. */
  origin: Origin;
  subject?: Ref;
  related: Ref[];
  witness?: Packet;
  check?: WitnessCheck;
  /** The packets concerned, as readable cubes. */
  space?: string[];
}

/**
 * A witness found at one hook, made to take that hook on the whole path too, so that it
 * reproduces as printed (`nftlens eval -p`): at input it is addressed to the host (`dst-local`,
 * no output interface), at output it is locally generated (`local`, no input interface).
 */
export function witnessAt(w: Packet, hook: PathHook | undefined): Packet {
  if (hook === 'input') return { ...w, oifname: '', dstLocal: true };
  if (hook === 'output') return { ...w, iifname: '', local: true };
  return w;
}

export function ruleRef(plan: Plan, id: number): Ref {
  return { label: ruleLabel(plan, id), origin: plan.rules[id]!.rule.origin, rule: id };
}

export function policyRef(plan: Plan, chain: number): Ref {
  const c = plan.chains[chain]!;
  return { label: `${chainLabel(plan, chain)} policy ${c.chain.base!.policy}`, origin: c.chain.origin, policyOf: chain };
}

const ORDER: Severity[] = ['error', 'warning', 'info'];
export function bySeverity(a: Finding, b: Finding): number {
  return ORDER.indexOf(a.severity) - ORDER.indexOf(b.severity);
}
