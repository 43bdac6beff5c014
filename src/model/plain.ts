// A Ruleset as plain data for printing (`-o json|yaml`): the same tree, with source origins left
// out unless asked for, and undefined fields dropped.

import type { Ruleset } from './ruleset.js';

export function plainRuleset(rs: Ruleset, opts: { origins?: boolean } = {}): unknown {
  return JSON.parse(JSON.stringify(rs, (key, value: unknown) => (key === 'origin' && !opts.origins ? undefined : value)));
}

export interface RulesetSummary {
  tables: number;
  chains: number;
  baseChains: number;
  rules: number;
}

export function summarize(rs: Ruleset): RulesetSummary {
  let chains = 0;
  let baseChains = 0;
  let rules = 0;
  for (const t of rs.tables) {
    chains += t.chains.length;
    for (const c of t.chains) {
      if (c.base) baseChains++;
      rules += c.rules.length;
    }
  }
  return { tables: rs.tables.length, chains, baseChains, rules };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatSummary(s: RulesetSummary): string {
  return `${plural(s.tables, 'table')}, ${plural(s.chains, 'chain')} (${s.baseChains} base), ${plural(s.rules, 'rule')}`;
}
