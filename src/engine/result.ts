// What an evaluation returns — the same type from the WASM classifier and the reference
// interpreter — and its text form. Ids are those of src/engine/plan.ts (chains and rules numbered
// in ruleset order); formatResult resolves them to tables, chains, rules and their origins.

import { formatOrigin } from '../model/origin.js';
import type { CtState } from '../model/values.js';
import type { Policy } from '../model/ruleset.js';
import { formatPacket, type Packet } from './packet.js';
import type { PathHook, Plan } from './plan.js';
import { describeWay, type Draw, type StatefulExpr } from './state.js';

export type FinalVerdict = 'accept' | 'drop' | 'reject';

export type TraceEvent =
  | { kind: 'hook'; hook: PathHook }
  /** Conntrack ran (prerouting/output, priority -200); `state` is what rules see from now on. */
  | { kind: 'conntrack'; state: CtState }
  /** Conntrack's NAT rewrote a packet of an existing connection (its destination or source). */
  | { kind: 'conntrack-nat'; manip: 'src' | 'dst'; to: string }
  /** The routing decision: to this host (input) or forwarded; `dropped`: not forwarded (a broadcast or multicast frame). */
  | { kind: 'route'; local: boolean; dropped?: true }
  | { kind: 'chain'; chain: number; via: 'hook' | 'jump' | 'goto' }
  /** A nat chain not run: only a connection's first packet (ct state new) goes through NAT chains. */
  | { kind: 'nat-skip'; chain: number }
  /** The rule's leading matches (those before its first statement) held. */
  | { kind: 'rule'; rule: number }
  | { kind: 'stmt'; rule: number; expr: number }
  /** A match after a statement failed (or `meta mark set ct mark` found no conntrack entry). */
  | { kind: 'fail'; rule: number; expr: number }
  | { kind: 'verdict'; rule: number; verdict: 'accept' | 'drop' | 'reject' | 'continue' | 'return' | 'jump' | 'goto' }
  /** The chain ended (fell off or `return`) and control went back to the caller. */
  | { kind: 'return'; chain: number }
  | { kind: 'policy'; chain: number; verdict: Policy }
  /** A stateful expression took way `choice` of its `of` (src/engine/state.ts). */
  | { kind: 'draw'; rule: number; expr: number; choice: number; of: number }
  /** The WASM trace buffer (65536 events) filled up; later events were not recorded. */
  | { kind: 'truncated' };

export interface EvalResult {
  verdict: FinalVerdict;
  /**
   * How the last base chain the packet went through ended: by a rule, by its policy, or no chain
   * ran; `route`: the routing decision dropped it (a broadcast or multicast frame that would be
   * forwarded: the kernel forwards frames addressed to this host only).
   */
  by: 'rule' | 'policy' | 'none' | 'route';
  /** The deciding rule (by = rule). For a dropped/rejected packet it is the rule that dropped it. */
  rule?: number;
  /** The chain of the deciding rule or policy. */
  chain?: number;
  /** Hooks the packet went through, in order. */
  hooks: PathHook[];
  /** The packet as NAT and mark statements left it (ct state as the last chain saw it). */
  packet: Packet;
  /**
   * The packet met stateful expressions that could have gone another way: the verdict depends on
   * state (src/engine/outcomes.ts lists every outcome). The choices, in order, when the evaluation
   * recorded them (a batch does not).
   */
  draws?: Draw[];
  /** With draws, when asked for (outcomes.ts withOutcomes): every outcome the state allows, the first being this one. */
  outcomes?: { draws: Draw[]; result: EvalResult }[];
  /** There are more outcomes than were run (outcomes.ts MAX_OUTCOMES). */
  moreOutcomes?: true;
  trace?: TraceEvent[];
}

export function ruleLabel(plan: Plan, id: number): string {
  const r = plan.rules[id]!;
  const c = plan.chains[r.chain]!;
  const name = r.rule.origin.rule ?? r.rule.comment ?? (r.rule.handle !== undefined ? `handle ${r.rule.handle}` : `#${r.index + 1}`);
  return `${c.table.family} ${c.table.name} ${c.chain.name} rule ${name}`;
}

export function chainLabel(plan: Plan, id: number): string {
  const c = plan.chains[id]!;
  return `${c.table.family} ${c.table.name} ${c.chain.name}`;
}

/** A few lines for people: the verdict, what decided it, the packet after NAT, and the trace. */
export function formatResult(plan: Plan, r: EvalResult): string {
  if (r.outcomes) return formatOutcomes(plan, r);
  const lines: string[] = [];
  lines.push(resultHead(plan, r));
  lines.push(pathLine(r.hooks));
  lines.push(`  packet after: ${formatPacket(r.packet)}`);
  if (r.trace) {
    lines.push('  trace:');
    for (const e of r.trace) lines.push('    ' + formatEvent(plan, e));
  }
  return lines.join('\n') + '\n';
}

/** A result that depends on state: every outcome, each with the ways its draws took. */
function formatOutcomes(plan: Plan, r: EvalResult): string {
  const all = r.outcomes!;
  const verdicts = [...new Set(all.map((o) => o.result.verdict))];
  const lines = [`DEPENDS ON STATE: ${all.length}${r.moreOutcomes ? '+' : ''} outcomes, ${verdicts.length === 1 ? `all ${verdicts[0]!.toUpperCase()}` : verdicts.map((v) => v.toUpperCase()).join(' or ')}`];
  all.forEach((o, i) => {
    lines.push(`  outcome ${i + 1}: ${o.draws.map((d) => describeDraw(plan, d)).join('; ')}`);
    lines.push(...formatResult(plan, o.result).trimEnd().split('\n').map((l) => '    ' + l));
  });
  if (r.moreOutcomes) lines.push('  (more outcomes not listed)');
  return lines.join('\n') + '\n';
}

/** `numgen random mod 2 = 1 (ip kube-proxy svc rule handle 81)`. */
export function describeDraw(plan: Plan, d: Draw): string {
  return `${describeWay(plan.rules[d.rule]!.rule.exprs[d.expr] as StatefulExpr, d.choice)} (${ruleLabel(plan, d.rule)})`;
}

/** formatResult's first line: the verdict and what decided it. */
export function resultHead(plan: Plan, r: Pick<EvalResult, 'verdict' | 'by' | 'rule' | 'chain'>): string {
  const head = r.verdict.toUpperCase();
  if (r.by === 'rule') {
    const o = plan.rules[r.rule!]!.rule.origin;
    const where = o.file !== undefined || o.resource !== undefined ? ` (${formatOrigin(o)})` : '';
    return `${head} by ${ruleLabel(plan, r.rule!)}${where}`;
  }
  if (r.by === 'policy') return `${head} by policy of ${chainLabel(plan, r.chain!)}`;
  if (r.by === 'route') return `${head} at the routing decision (a broadcast or multicast frame is forwarded nowhere)`;
  return `${head} (no base chain saw the packet)`;
}

/** formatResult's second line: the hooks the packet went through. */
export function pathLine(hooks: readonly PathHook[]): string {
  return `  path: ${hooks.join(' → ') || '-'}`;
}

export function formatEvent(plan: Plan, e: TraceEvent): string {
  switch (e.kind) {
    case 'hook': return `hook ${e.hook}`;
    case 'conntrack': return `  conntrack: ct state ${e.state}`;
    case 'conntrack-nat': return `  conntrack nat: ${e.manip === 'dst' ? 'destination' : 'source'} → ${e.to}`;
    case 'route': return `route: ${e.local ? 'local (input)' : e.dropped ? 'dropped: a broadcast or multicast frame is not forwarded' : 'forward'}`;
    case 'chain': return `  ${e.via === 'hook' ? 'chain' : e.via} ${chainLabel(plan, e.chain)}`;
    case 'nat-skip': return `  skip nat chain ${chainLabel(plan, e.chain)} (not a new connection)`;
    case 'rule': return `    match ${ruleLabel(plan, e.rule)}`;
    case 'stmt': return `      ${plan.rules[e.rule]!.rule.exprs[e.expr]!.kind} (expression ${e.expr + 1})`;
    case 'fail': return `      no match at expression ${e.expr + 1}`;
    case 'verdict': return `      ${e.verdict}`;
    case 'return': return `    return from ${chainLabel(plan, e.chain)}`;
    case 'policy': return `    policy ${e.verdict} of ${chainLabel(plan, e.chain)}`;
    case 'draw': return `      state: ${describeWay(plan.rules[e.rule]!.rule.exprs[e.expr] as StatefulExpr, e.choice)} (way ${e.choice + 1} of ${e.of})`;
    case 'truncated': return '(trace truncated)';
  }
}
