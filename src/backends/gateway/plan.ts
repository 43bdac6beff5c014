// What apply would change, table by table, readable per rule: a table in the kernel that already
// holds the intent (structurally) is left alone — counters and handles kept; a missing one is
// created; a differing one replaced (its rule changes listed as a diff of the two chains in
// nft-like words); with prune, owned tables gone from the input are deleted.

import { diffArrays } from 'diff';
import { formatRule, type CanonicalChain, type CanonicalTable } from '../../model/canonical.js';
import { tableId } from '../../model/ruleset.js';
import { canonMemo, sameStructure, type Canon } from './compare.js';
import type { Intent, KernelState, Plan, TablePlan } from './types.js';

function baseText(c: CanonicalChain): string {
  const b = c.base;
  return b ? `type ${b.type} hook ${b.hook}${b.device ? ` device ${b.device}` : ''} priority ${b.priority} policy ${b.policy}` : 'regular';
}

/** `+`/`-` lines for the chains and rules that differ between kernel (before) and intent (after). */
export function tableChanges(before: CanonicalTable | undefined, after: CanonicalTable | undefined): string[] {
  const lines: string[] = [];
  const a = new Map((before?.chains ?? []).map((c) => [c.name, c]));
  const b = new Map((after?.chains ?? []).map((c) => [c.name, c]));
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const name of names) {
    const ca = a.get(name);
    const cb = b.get(name);
    const label = `chain ${JSON.stringify(name)}`;
    if (!ca) lines.push(`+ ${label} (${baseText(cb!)})`);
    else if (!cb) lines.push(`- ${label} (${baseText(ca)})`);
    else if (baseText(ca) !== baseText(cb)) lines.push(`~ ${label}: ${baseText(ca)} → ${baseText(cb)}`);
    const ra = (ca?.rules ?? []).map(formatRule);
    const rb = (cb?.rules ?? []).map(formatRule);
    let ia = 0;
    let ib = 0;
    for (const part of diffArrays(ra, rb)) {
      for (const r of part.value) {
        if (part.added) lines.push(`+ ${label} rule #${++ib}: ${r}`);
        else if (part.removed) lines.push(`- ${label} rule #${++ia}: ${r}`);
        else {
          ia++;
          ib++;
        }
      }
    }
  }
  return lines;
}

export function planApply(intent: Intent, state: KernelState, opts: { prune?: boolean; owner: string }, canon: Canon = canonMemo()): Plan {
  const tables: TablePlan[] = [];
  const wanted = new Set<string>();
  for (const t of intent.ruleset.tables) {
    const id = tableId(t);
    wanted.add(id);
    const k = state.owned.get(id);
    if (!k) tables.push({ id, action: 'create', lines: tableChanges(undefined, canon(t)) });
    else if (k.holdsIntent) tables.push({ id, action: 'unchanged', lines: [] });
    else if (!k.table) {
      tables.push({ id, action: 'replace', lines: ["~ the kernel's table uses constructs nftlens does not model: replaced", ...tableChanges(undefined, canon(t))] });
    } else {
      const same = sameStructure(t, k.table, canon);
      const ours = k.mark?.owner === opts.owner;
      const lines = same ? (ours ? [] : ['~ ownership marker (adopted)']) : tableChanges(canon(k.table), canon(t));
      tables.push({ id, action: same && ours ? 'unchanged' : 'replace', lines });
    }
  }
  if (opts.prune) {
    for (const [id, k] of state.owned) {
      if (!wanted.has(id)) tables.push({ id, action: 'delete', lines: k.table ? tableChanges(canon(k.table), undefined) : [] });
    }
  }
  return { tables, changed: tables.some((t) => t.action !== 'unchanged') };
}

export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  for (const t of plan.tables) {
    out.push(`${t.action.padEnd(9)} table ${t.id}`);
    for (const l of t.lines) out.push(`    ${l}`);
  }
  out.push(plan.changed ? `${plan.tables.filter((t) => t.action !== 'unchanged').length} table(s) to change` : 'no change: the kernel holds the intent');
  return out.join('\n') + '\n';
}
