// Intent against kernel, table by table. First structurally: the canonical forms
// (src/model/canonical.ts, which absorbs the kernel's own rewrites — a /32 listed as an address,
// `meta l4proto tcp th dport` listed as `tcp dport`, set elements sorted) must have the same
// chains, and the same rules in the same order. Equal structure implies equal semantics, so the
// exact policy diff (src/analyses/diff.ts) runs only when the structure differs — then always,
// to give each difference of behaviour a witness packet.

import { diffRulesets as policyDiff } from '../../analyses/diff.js';
import { canonicalRuleset, diffRulesets as structuralDiff, type CanonicalTable } from '../../model/canonical.js';
import { formatDiagnostic, NftlensError } from '../../model/diagnostics.js';
import { tableId, type Table } from '../../model/ruleset.js';
import type { KernelState, KernelTable, TableCheck, VerifyResult } from './types.js';

const EMPTY_NOTE = 'the exact policy diff could not run';

/** A table's canonical form (and its JSON text), computed once per table within one apply or verify. */
export interface Canon {
  (t: Table): CanonicalTable;
  text(t: Table): string;
}

export function canonMemo(): Canon {
  const seen = new WeakMap<Table, { c: CanonicalTable; text?: string }>();
  const entry = (t: Table) => {
    let e = seen.get(t);
    if (!e) {
      e = { c: canonicalRuleset({ tables: [t] }).tables[0]! };
      seen.set(t, e);
    }
    return e;
  };
  const canon = (t: Table) => entry(t).c;
  canon.text = (t: Table) => {
    const e = entry(t);
    return (e.text ??= JSON.stringify(e.c));
  };
  return canon;
}

export function sameStructure(a: Table, b: Table, canon: Canon): boolean {
  return canon.text(a) === canon.text(b);
}

/** Renames the kernel's side so that structural messages read `intent ≠ kernel`. */
function differences(intent: Table, kernel: Table): string[] {
  return structuralDiff({ tables: [intent] }, { tables: [kernel] }).map((s) =>
    s.replace('only in the first ruleset', 'only in the intent').replace('only in the second ruleset', 'only in the kernel'),
  );
}

export function compareTables(intent: Table, kernel: KernelTable | undefined, canon: Canon = canonMemo()): TableCheck {
  const id = tableId(intent);
  if (!kernel) return { id, inSync: false, missing: true, structural: [`table ${id}: not in the kernel`], semantic: [] };
  if (kernel.holdsIntent) return { id, inSync: true, missing: false, structural: [], semantic: [] };
  if (!kernel.table) {
    const why = (kernel.unsupported ?? []).map(formatDiagnostic);
    return { id, inSync: false, missing: false, structural: [`table ${id}: the kernel's table cannot be read back`, ...why], semantic: [] };
  }
  if (sameStructure(intent, kernel.table, canon)) return { id, inSync: true, missing: false, structural: [], semantic: [] };
  const structural = differences(intent, kernel.table);
  try {
    const d = policyDiff({ tables: [intent] }, { tables: [kernel.table] });
    return { id, inSync: false, missing: false, structural, semantic: d.changes };
  } catch (e) {
    if (!(e instanceof NftlensError)) throw e;
    return { id, inSync: false, missing: false, structural: [...structural, `${EMPTY_NOTE}: ${e.message}`], semantic: [] };
  }
}

export function compareState(tables: readonly Table[], state: KernelState, canon: Canon = canonMemo()): VerifyResult {
  const checks = tables.map((t) => compareTables(t, state.owned.get(tableId(t)), canon));
  return { inSync: checks.every((c) => c.inSync), tables: checks };
}
