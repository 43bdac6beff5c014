// The kernel's per-rule counters of the owned tables, named as the intent names them: resource,
// table, chain and rule (Liqo rule name, or the nft rule's comment), with the origin to point at.
// Input: the listing objects of each owned table (`nft -j list table`), rules in chain order; a
// rule's position in its kernel chain is its index in the intent chain (the applier renders in
// intent order), and `locate` — the applier's mapping — turns that position (and the rule's
// comment, which settles a reordered chain) into the intent rule's origin. The marker chain is
// not a rule of the intent and is left out.

import { formatOrigin, type Origin } from '../../model/origin.js';

export interface RuleCounter {
  /** `family name`. */
  table: string;
  chain: string;
  /** Position in the kernel chain, from 0. */
  index: number;
  handle?: number;
  /** The rule's name: its comment in the kernel (the renderer writes the rule name there). */
  rule?: string;
  /** The intent rule it maps to; absent when the kernel holds a rule the intent lacks. */
  origin?: Origin;
  /** The resource of the table: `namespace/name` of a FirewallConfiguration, or the nft JSON file. */
  resource?: string;
  /** Undefined when the rule has no counter statement. */
  packets?: number;
  bytes?: number;
}

export type Locate = (tableId: string, chain: string, index: number, comment?: string) => Origin | undefined;

interface ListedRule {
  family: string;
  table: string;
  chain: string;
  handle?: number;
  comment?: string;
  expr?: unknown[];
}

/** Counters of the rules in `listing` (an `nft -j` document or its array of objects). */
export function ruleCounters(listing: unknown, locate: Locate, skipChains: ReadonlySet<string> = new Set()): RuleCounter[] {
  const items = Array.isArray(listing) ? listing : (listing as { nftables?: unknown[] })?.nftables;
  if (!Array.isArray(items)) throw new Error('nft listing has no "nftables" array');
  const position = new Map<string, number>();
  const out: RuleCounter[] = [];
  for (const item of items) {
    const rule = (item as { rule?: ListedRule } | null)?.rule;
    if (!rule || skipChains.has(rule.chain)) continue;
    const table = `${rule.family} ${rule.table}`;
    const key = `${table}\u0000${rule.chain}`;
    const index = position.get(key) ?? 0;
    position.set(key, index + 1);
    const rc: RuleCounter = { table, chain: rule.chain, index, handle: rule.handle, rule: rule.comment };
    const origin = locate(table, rule.chain, index, rule.comment);
    if (origin) rc.origin = origin;
    // The first counter of the rule: the one the renderer places (Liqo rules carry one).
    for (const e of rule.expr ?? []) {
      const c = (e as { counter?: { packets?: number; bytes?: number } } | null)?.counter;
      if (c && typeof c === 'object') {
        rc.packets = c.packets ?? 0;
        rc.bytes = c.bytes ?? 0;
        break;
      }
    }
    out.push(rc);
  }
  return out;
}

export function formatCounters(list: readonly RuleCounter[]): string {
  const rows = list.map((c) => [
    c.packets === undefined ? '-' : String(c.packets),
    c.bytes === undefined ? '-' : String(c.bytes),
    `${c.table} ${c.chain} ${c.rule !== undefined ? `rule ${c.rule}` : `#${c.index}`}`,
    c.origin ? formatOrigin({ file: c.origin.file, line: c.origin.line, column: c.origin.column, resource: c.origin.resource }) : 'not in the intent',
  ]);
  const head = ['PACKETS', 'BYTES', 'RULE', 'FROM'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((s, i) => (i < 2 ? s.padStart(width[i]!) : i === r.length - 1 ? s : s.padEnd(width[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

export function countersJson(list: readonly RuleCounter[]): unknown {
  return list.map((c) => ({
    table: c.table, chain: c.chain, rule: c.rule ?? null, index: c.index, handle: c.handle ?? null,
    resource: c.resource ?? c.origin?.resource ?? null, origin: c.origin ? formatOrigin(c.origin) : null,
    counter: c.packets === undefined ? null : { packets: c.packets, bytes: c.bytes },
  }));
}
