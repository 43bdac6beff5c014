// The intent: the loaded input as the applier sees it — its tables, which resource each comes
// from (a FirewallConfiguration, or the nft JSON file), and the way back from a kernel rule
// (table, chain, position, comment) to the origin of the rule nftlens rendered there.

import type { Loaded } from '../../frontends/load.js';
import type { Origin } from '../../model/origin.js';
import { tableId, type Rule } from '../../model/ruleset.js';
import type { Intent, ResourceRef } from './types.js';

export function intentFrom(loaded: Loaded): Intent {
  const resources: ResourceRef[] = [];
  const tableResource = new Map<string, ResourceRef>();
  const liqoTables = new Set(loaded.resources.map((r) => r.table));
  for (const r of loaded.resources) {
    const ref: ResourceRef = {
      name: r.namespace ? `${r.namespace}/${r.name}` : r.name,
      kind: 'FirewallConfiguration',
      tables: [tableId(r.table)],
      origin: r.origin,
    };
    if (r.generation !== undefined) ref.generation = r.generation;
    resources.push(ref);
  }
  const byFile = new Map<string, ResourceRef>();
  for (const t of loaded.ruleset.tables) {
    if (liqoTables.has(t)) continue;
    const file = t.origin.file ?? '-';
    let ref = byFile.get(file);
    if (!ref) {
      ref = { name: file, kind: 'nft-json', tables: [], origin: { file } };
      byFile.set(file, ref);
      resources.push(ref);
    }
    ref.tables.push(tableId(t));
  }
  for (const r of resources) for (const id of r.tables) tableResource.set(id, r);
  return { ruleset: loaded.ruleset, resources, tableResource };
}

/**
 * The origin of the intent rule at `index` of `chain` in table `id` — the rule nftlens rendered
 * there, since rules are written in intent order. When the kernel rule's comment names another
 * rule of the chain (someone inserted or moved rules by hand), that rule is returned instead.
 */
export function locateRule(intent: Intent, id: string, chain: string, index: number, comment?: string): Origin | undefined {
  const t = intent.ruleset.tables.find((x) => tableId(x) === id);
  const c = t?.chains.find((x) => x.name === chain);
  if (!c) return undefined;
  const at: Rule | undefined = c.rules[index];
  if (comment === undefined || at?.comment === comment) return at?.origin;
  return c.rules.find((r) => r.comment === comment)?.origin ?? at?.origin;
}
