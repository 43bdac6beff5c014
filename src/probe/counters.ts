// Per-rule kernel counters, read back from `nft -j list ruleset` in the gateway and keyed the way
// the IR names rules: table (family and name), chain, position of the rule in its chain, position
// of the counter among the rule's counters. The probe loads rules in IR order, one kernel rule per
// IR rule, so a rule's position in the listing is its index in the IR chain.

import type { Netns } from '../backends/netns/netns.js';

export interface Count {
  packets: number;
  bytes: number;
}

/** `family table\0chain\0rule index\0counter ordinal` → count. */
export type CounterTable = Map<string, Count>;

export function counterKey(family: string, table: string, chain: string, rule: number, ordinal: number): string {
  return [family, table, chain, rule, ordinal].join('\u0000');
}

export function parseCounterKey(key: string): { family: string; table: string; chain: string; rule: number; ordinal: number } {
  const [family, table, chain, rule, ordinal] = key.split('\u0000');
  return { family: family!, table: table!, chain: chain!, rule: Number(rule), ordinal: Number(ordinal) };
}

/** Counters of every rule in the listing, except those of the tables named in `skip`. */
export function countersOf(listing: unknown, skip: ReadonlySet<string> = new Set()): CounterTable {
  const out: CounterTable = new Map();
  const position = new Map<string, number>();
  const items = (listing as { nftables?: unknown[] })?.nftables;
  if (!Array.isArray(items)) throw new Error('nft listing has no "nftables" array');
  for (const item of items) {
    const rule = (item as { rule?: { family: string; table: string; chain: string; expr?: unknown[] } }).rule;
    if (!rule || skip.has(`${rule.family} ${rule.table}`)) continue;
    const chainKey = `${rule.family}\u0000${rule.table}\u0000${rule.chain}`;
    const index = position.get(chainKey) ?? 0;
    position.set(chainKey, index + 1);
    let ordinal = 0;
    for (const e of rule.expr ?? []) {
      const c = (e as { counter?: { packets?: number; bytes?: number } } | null)?.counter;
      if (c && typeof c === 'object') {
        out.set(counterKey(rule.family, rule.table, rule.chain, index, ordinal++), { packets: c.packets ?? 0, bytes: c.bytes ?? 0 });
      }
    }
  }
  return out;
}

export async function readCounters(ns: Netns, skip: ReadonlySet<string> = new Set()): Promise<CounterTable> {
  return countersOf(JSON.parse(await ns.nft(['-j', 'list', 'ruleset'])), skip);
}

/** Adds `more` into `into`. */
export function addCounters(into: CounterTable, more: CounterTable): void {
  for (const [k, v] of more) {
    const had = into.get(k) ?? { packets: 0, bytes: 0 };
    into.set(k, { packets: had.packets + v.packets, bytes: had.bytes + v.bytes });
  }
}
