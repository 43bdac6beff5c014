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

/**
 * The plan's actions now, and its per-rule lines when describe() is called: apply calls it while
 * nft writes, as the lines of a 10k-rule table take the intent's canonical form.
 */
export function draftPlan(intent: Intent, state: KernelState, opts: { prune?: boolean; owner: string }, canon: Canon = canonMemo()): { plan: Plan; describe: () => void } {
  const tables: TablePlan[] = [];
  const fills: (() => void)[] = [];
  const add = (id: string, action: TablePlan['action'], lines: () => string[]) => {
    const p: TablePlan = { id, action, lines: [] };
    tables.push(p);
    fills.push(() => {
      p.lines = lines();
    });
  };
  const wanted = new Set<string>();
  for (const t of intent.ruleset.tables) {
    const id = tableId(t);
    wanted.add(id);
    const k = state.owned.get(id);
    if (!k) add(id, 'create', () => tableChanges(undefined, canon(t)));
    else if (k.holdsIntent) add(id, 'unchanged', () => []);
    else if (!k.table) add(id, 'replace', () => ["~ the kernel's table uses constructs nftlens does not model: replaced", ...tableChanges(undefined, canon(t))]);
    else {
      const kernel = k.table;
      const same = sameStructure(t, kernel, canon);
      const ours = k.mark?.owner === opts.owner;
      add(id, same && ours ? 'unchanged' : 'replace', () => (same ? (ours ? [] : ['~ ownership marker (adopted)']) : tableChanges(canon(kernel), canon(t))));
    }
  }
  if (opts.prune) {
    for (const [id, k] of state.owned) {
      if (!wanted.has(id)) add(id, 'delete', () => (k.table ? tableChanges(canon(k.table), undefined) : []));
    }
  }
  return { plan: { tables, changed: tables.some((t) => t.action !== 'unchanged') }, describe: () => fills.forEach((f) => f()) };
}

export function planApply(intent: Intent, state: KernelState, opts: { prune?: boolean; owner: string }, canon: Canon = canonMemo()): Plan {
  const { plan, describe } = draftPlan(intent, state, opts, canon);
  describe();
  return plan;
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
