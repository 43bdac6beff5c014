// A replay's answer as data (the CLI's -o json, the API's last line) and as text: totals, flows
// and packets per deciding rule and verdict (of the proposal, and of the baseline when given),
// and the changes — old verdict → new, grouped by the proposal's rule responsible — largest
// first, the top N each with a witness packet (`nftlens eval -p WITNESS` reproduces it).

import { formatPacket } from '../../engine/packet.js';
import { chainLabel, ruleLabel } from '../../engine/result.js';
import type { Plan } from '../../engine/plan.js';
import { formatOrigin, type Origin } from '../../model/origin.js';
import { VERDICTS, type Replay, type Tally, type Verdict } from './replay.js';

export interface Decider {
  by: 'rule' | 'policy' | 'none';
  /** `family table chain rule NAME`, `family table chain` (policy), or '' (no base chain saw the flow). */
  label: string;
  origin?: Origin;
}

export interface DeciderRow extends Decider {
  verdict: Verdict;
  flows: number;
  packets: number;
  bytes: number;
}

export interface ChangeRow {
  from: Verdict;
  to: Verdict;
  /** The proposal's rule (or policy) that gives the new verdict. */
  by: Decider;
  /** What decided the witness in the baseline. */
  was: Decider;
  flows: number;
  packets: number;
  bytes: number;
  witness: string;
  /** Where the witness flow was read (file:line, or the capture record). */
  witnessAt: string;
}

export interface Totals {
  flows: number;
  packets: number;
  bytes: number;
  accepted: number;
  dropped: number;
  rejected: number;
  /** Flows whose first packet met stateful expressions (numgen, limit, …): counted by the first way of each. */
  dependOnState?: { flows: number; packets: number };
}

export interface ReplayReport {
  format: string;
  totals: Totals;
  deciders: DeciderRow[];
  baseline?: { deciders: DeciderRow[] };
  changes?: { flows: number; packets: number; groups: number; top: ChangeRow[] };
  /** Capture frames that were no flow's packet, by reason. */
  skipped?: Record<string, number>;
}

export function describeDecider(plan: Plan, d: number): Decider {
  const rules = plan.rules.length;
  if (d < rules) {
    const o = plan.rules[d]!.rule.origin;
    return { by: 'rule', label: ruleLabel(plan, d), ...(o.file !== undefined || o.resource !== undefined ? { origin: o } : {}) };
  }
  if (d < rules + plan.chains.length) return { by: 'policy', label: chainLabel(plan, d - rules) };
  return { by: 'none', label: '' };
}

function rows(plan: Plan, t: Tally): DeciderRow[] {
  const out: DeciderRow[] = [];
  for (let k = 0; k < t.stateful; k++) {
    if (!t.flows[k]) continue;
    out.push({ ...describeDecider(plan, Math.floor(k / 3)), verdict: VERDICTS[k % 3]!, flows: t.flows[k]!, packets: t.packets[k]!, bytes: t.bytes[k]! });
  }
  return out.sort((a, b) => b.flows - a.flows || b.packets - a.packets);
}

export function replayReport(r: Replay, plans: { proposal: Plan; baseline?: Plan }, opts: { top: number; format: string; skipped?: Record<string, number> }): ReplayReport {
  const deciders = rows(plans.proposal, r.tally);
  const sum = (v: Verdict) => deciders.filter((d) => d.verdict === v).reduce((s, d) => s + d.flows, 0);
  const report: ReplayReport = {
    format: opts.format,
    totals: { flows: r.flows, packets: r.packets, bytes: r.bytes, accepted: sum('accept'), dropped: sum('drop'), rejected: sum('reject') },
    deciders,
  };
  const st = r.tally.stateful;
  if (r.tally.flows[st]) report.totals.dependOnState = { flows: r.tally.flows[st]!, packets: r.tally.packets[st]! };
  if (plans.baseline && r.baselineTally) {
    report.baseline = { deciders: rows(plans.baseline, r.baselineTally) };
    const all = [...r.changes.values()].sort((a, b) => b.flows - a.flows || b.packets - a.packets);
    report.changes = {
      flows: all.reduce((s, c) => s + c.flows, 0),
      packets: all.reduce((s, c) => s + c.packets, 0),
      groups: all.length,
      top: all.slice(0, opts.top).map((c) => ({
        from: c.from, to: c.to, by: describeDecider(plans.proposal, c.decider), was: describeDecider(plans.baseline!, c.baselineDecider),
        flows: c.flows, packets: c.packets, bytes: c.bytes, witness: formatPacket(c.witness), witnessAt: formatOrigin(c.witnessAt),
      })),
    };
  }
  if (opts.skipped && Object.values(opts.skipped).some((n) => n > 0)) report.skipped = opts.skipped;
  return report;
}

const who = (d: Decider) => (d.by === 'rule' ? d.label : d.by === 'policy' ? `policy of ${d.label}` : 'no base chain');
const where = (d: Decider) => (d.origin ? ` (${formatOrigin(d.origin)})` : '');

export function formatReplay(rep: ReplayReport): string {
  const t = rep.totals;
  const lines = [
    `replay: ${t.flows} flow(s), ${t.packets} packet(s) from ${rep.format}: ${t.accepted} accepted, ${t.dropped} dropped, ${t.rejected} rejected`,
  ];
  if (t.dependOnState) lines.push(`  ${t.dependOnState.flows} flow(s), ${t.dependOnState.packets} packet(s) met stateful expressions (numgen, limit, quota, ct count, a dynamic set): the verdict depends on state; counted below by the first way of each (\`nftlens eval\` lists every outcome)`);
  if (rep.skipped) lines.push(`  frames that were no flow's packet: ${Object.entries(rep.skipped).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ')}`);
  const table = (title: string, list: DeciderRow[]) => {
    lines.push('', title);
    for (const d of list) lines.push(`  ${d.verdict.toUpperCase().padEnd(6)} ${String(d.flows).padStart(10)} flow(s) ${String(d.packets).padStart(12)} packet(s)  by ${who(d)}${where(d)}`);
  };
  table('proposal: flows per deciding rule', rep.deciders);
  if (rep.baseline) table('baseline: flows per deciding rule', rep.baseline.deciders);
  if (rep.changes) {
    const c = rep.changes;
    lines.push('', c.flows ? `changed: ${c.flows} flow(s), ${c.packets} packet(s) change fate, in ${c.groups} group(s)${c.groups > c.top.length ? ` (top ${c.top.length} shown)` : ''}` : 'changed: no flow changes fate');
    for (const g of c.top) {
      lines.push(`  ${g.from.toUpperCase()} → ${g.to.toUpperCase()}  ${g.flows} flow(s), ${g.packets} packet(s)  by ${who(g.by)}${where(g.by)}`);
      lines.push(`    was: ${who(g.was)}`);
      lines.push(`    witness (${g.witnessAt}): ${g.witness}`);
    }
  }
  return lines.join('\n') + '\n';
}
