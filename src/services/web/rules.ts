// A policy's own rules as the web page shows them: tables → chains → rules, each with the id that
// evaluation results and traces carry (src/engine/plan.ts numbers chains and rules in ruleset
// order), its names (resource, table, chain, rule), its origin and its nft text — so the page can
// highlight a packet's path on the rules the user wrote. Input: a Plan; output: plain JSON.

import { ruleText } from '../../backends/nft/render-text.js';
import { NftlensError } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import type { BaseChain, Rule, Table } from '../../model/ruleset.js';
import type { Plan } from '../../engine/plan.js';
import { chainLabel, ruleLabel } from '../../engine/result.js';

export interface RuleEntry {
  id: number;
  /** The rule's name (Liqo), `handle N` (nft) or `#N` (its position). */
  name: string;
  label: string;
  /** The rule as nft text, without its comment (the name stands for it); null when nft text cannot carry it. */
  text: string | null;
  origin: Origin;
}

export interface ChainEntry {
  id: number;
  name: string;
  label: string;
  base?: BaseChain;
  origin: Origin;
  rules: RuleEntry[];
}

export interface TableEntry {
  family: Table['family'];
  name: string;
  resource?: string;
  origin: Origin;
  chains: ChainEntry[];
}

export interface RuleListing {
  tables: TableEntry[];
}

export function listRules(plan: Plan): RuleListing {
  const tables: TableEntry[] = [];
  let current: TableEntry | undefined;
  let currentIndex = -1;
  for (const c of plan.chains) {
    if (current === undefined || currentIndex !== c.tableIndex) {
      currentIndex = c.tableIndex;
      const t = c.table;
      current = { family: t.family, name: t.name, ...(t.origin.resource !== undefined ? { resource: t.origin.resource } : {}), origin: t.origin, chains: [] };
      tables.push(current);
    }
    const rules: RuleEntry[] = [];
    for (let i = 0; i < c.chain.rules.length; i++) {
      const id = c.firstRule + i;
      const rule = c.chain.rules[i]!;
      rules.push({ id, name: ruleName(rule, i), label: ruleLabel(plan, id), text: textOf(c.table, rule), origin: rule.origin });
    }
    current.chains.push({ id: c.id, name: c.chain.name, label: chainLabel(plan, c.id), ...(c.chain.base ? { base: c.chain.base } : {}), origin: c.chain.origin, rules });
  }
  return { tables };
}

function ruleName(r: Rule, index: number): string {
  return r.origin.rule ?? r.comment ?? (r.handle !== undefined ? `handle ${r.handle}` : `#${index + 1}`);
}

function textOf(t: Table, r: Rule): string | null {
  try {
    return ruleText(t, { ...r, comment: undefined });
  } catch (e) {
    if (e instanceof NftlensError) return null;
    throw e;
  }
}
