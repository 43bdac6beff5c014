// Origins for the Liqo front end: turns a place in the source model (resource, chain, rule, field
// location) into the IR's Origin, so every diagnostic and IR node names file, resource
// (`namespace/name`), table (`family name`), chain, rule and YAML path with line and column.

import type { Family } from '../../model/ruleset.js';
import type { Origin } from '../../model/origin.js';
import type { AnyRule, Chain, FirewallConfiguration, Loc, TableFamily } from './types.js';

/** The nftables family of each CRD table family. */
export const IR_FAMILY: Record<TableFamily, Family> = {
  INET: 'inet', IPV4: 'ip', IPV6: 'ip6', ARP: 'arp', NETDEV: 'netdev', BRIDGE: 'bridge',
};

/** `ip provider-protection`, as the IR's tableId prints it; just the name if the family is unknown. */
export function tableLabel(family: TableFamily | undefined, name: string): string {
  return family ? `${IR_FAMILY[family]} ${name}` : name;
}

export interface Scope {
  chain?: Chain;
  rule?: AnyRule;
}

export function originOf(fc: FirewallConfiguration, loc: Loc, scope: Scope = {}): Origin {
  // A 10k-rule input makes ~100k of these: the usual one (a rule's field, located) as one literal,
  // its properties in the object itself; others field by field (no spreads of temporary objects).
  const table = tableLabel(fc.table.family.value, fc.table.name.value);
  if (scope.chain && scope.rule && loc.path && loc.line !== undefined) {
    return {
      file: fc.file, resource: fc.resource, table, chain: scope.chain.name.value, rule: scope.rule.label,
      field: loc.path, line: loc.line, column: loc.column,
    };
  }
  const o: Origin = { file: fc.file, resource: fc.resource, table };
  if (scope.chain) o.chain = scope.chain.name.value;
  if (scope.rule) o.rule = scope.rule.label;
  if (loc.path) o.field = loc.path;
  if (loc.line !== undefined) {
    o.line = loc.line;
    o.column = loc.column;
  }
  return o;
}
