// Map lookups and concatenated set lookups expanded into plain rules, the form the engine, the
// reference interpreter and the analyses read (planRuleset and symbolicAnalysis call it; the model
// itself keeps the maps, so renderers print them back as written).
//
//   ip daddr . th dport vmap { 10.0.0.1 . 22 : accept, 10.0.0.2 . 80 : jump web }
//     ⇒  ip daddr 10.0.0.1  th dport 22  accept
//        ip daddr 10.0.0.2  th dport 80  jump web
//
// Exact because keys of distinct elements never overlap (the kernel refuses overlapping elements),
// so at most one expanded rule gets past its key, and a packet no key holds goes on with the next
// rule, as the kernel's lookup ends the rule (NFT_BREAK). What comes before the lookup is run again
// by every expanded rule: matches are pure, and counters, logs and MSS clamps stay in the first
// expanded rule only, so a packet counts once; a statement that changes the packet there would be
// run again, so a map there is refused (a concatenated set there stays one lookup). A lookup with
// no elements becomes a rule whose key match holds for nothing.

import { NftlensError } from './diagnostics.js';
import type { Origin } from './origin.js';
import type { Expr, Item, MapElement, MapLookup, Match, Rule, Ruleset, Table, Verdict, VmapVerdict } from './ruleset.js';

/** More expanded rules than this from one rule is refused: a product of lookups, not a policy. */
export const MAX_EXPANSION = 1_000_000;

/**
 * The ruleset with every lookup expanded; the same object when it has none. With `written`, each
 * rule of a chain that changed is mapped to the rule it came from and that rule's position in the
 * chain (results, counters and labels name the rule as written). Expanded rules share the written
 * rule's expression objects, except the statements a map value replaced.
 */
export function expandMaps(rs: Ruleset, written?: Map<Rule, WrittenRule>): Ruleset {
  if (!rs.tables.some((t) => t.chains.some((c) => c.rules.some(hasLookup)))) return rs;
  return { ...rs, tables: rs.tables.map((t) => expandTable(t, written)) };
}

/** The rule as written, and its position in its chain. */
export interface WrittenRule {
  rule: Rule;
  index: number;
}

function expandTable(t: Table, written: Map<Rule, WrittenRule> | undefined): Table {
  if (!t.chains.some((c) => c.rules.some(hasLookup))) return t;
  return { ...t, chains: t.chains.map((c) => (c.rules.some(hasLookup) ? { ...c, rules: expandChain(c.rules, written) } : c)) };
}

function expandChain(rules: readonly Rule[], written: Map<Rule, WrittenRule> | undefined): Rule[] {
  const out: Rule[] = [];
  rules.forEach((r, index) => {
    for (const x of expandRule(r)) {
      written?.set(x, { rule: r, index });
      out.push(x);
    }
  });
  return out;
}

function hasLookup(r: Rule): boolean {
  return r.verdict?.kind === 'vmap' || r.exprs.some((e) => lookupOf(e) !== undefined);
}

/** The lookup an expression branches on: a concatenation looked up with `==`, or a statement's map. */
function lookupOf(e: Expr): MapLookup<unknown> | undefined {
  if (e.kind === 'concat') return e.op === '==' ? { key: e.fields, elements: e.elements.map((key) => ({ key, value: undefined, origin: e.origin })) } : undefined;
  if (e.kind === 'set-mark' && typeof e.value === 'object') return e.value;
  if (e.kind === 'nat' && e.map) return e.map;
  return undefined;
}

/** Statements that change nothing a later match reads, kept in the first expanded rule only. */
const quietKind = (e: Expr): boolean => e.kind === 'counter' || e.kind === 'log' || e.kind === 'mss-clamp';
/** Statements that change the packet or its connection: what follows them must not run twice. */
const changes = (e: Expr): boolean => e.kind !== 'match' && e.kind !== 'concat' && e.kind !== 'fib' && !quietKind(e);

function expandRule(rule: Rule, budget = { left: MAX_EXPANSION }): Rule[] {
  // A concatenation after a statement that changes the packet stays a concatenation (the engine
  // looks it up as one); a map there is refused below.
  const changedAt = rule.exprs.findIndex(changes);
  const j = rule.exprs.findIndex((e, i) => lookupOf(e) !== undefined && !(e.kind === 'concat' && changedAt >= 0 && changedAt < i));
  if (j < 0 && rule.verdict?.kind !== 'vmap') return [rule];
  const at = j < 0 ? rule.exprs.length : j;
  const prefix = rule.exprs.slice(0, at);
  const lookupOrigin = j < 0 ? rule.verdict!.origin : rule.exprs[j]!.origin;
  const changer = prefix.find(changes);
  if (changer) {
    throw NftlensError.of('NFT_UNSUPPORTED', `unsupported: a map lookup after a ${changer.kind} statement in the same rule — nftlens expands map lookups into rules, which would run the statement again`, lookupOrigin);
  }
  const quiet = prefix.filter((e) => !quietKind(e));
  const rest = rule.exprs.slice(at + 1);
  const out: Rule[] = [];
  const emit = (i: number, key: Match[], replaced: Expr[], verdict: Verdict | undefined): void => {
    if (--budget.left < 0) throw NftlensError.of('NFT_UNSUPPORTED', `unsupported: this rule's lookups expand into more than ${MAX_EXPANSION} rules`, lookupOrigin);
    // Located at the element: a result or finding names the rule and the element that decided.
    const origin = key[0]?.origin.field === undefined ? rule.origin : { ...rule.origin, field: key[0].origin.field };
    const r: Rule = { ...rule, exprs: [...(i === 0 ? prefix : quiet), ...key, ...replaced, ...rest], origin };
    if (verdict) r.verdict = verdict;
    else delete r.verdict;
    out.push(...expandRule(r, budget));
  };
  if (j < 0) {
    const v = rule.verdict as VmapVerdict;
    const { key, elements } = v.lookup;
    if (elements.length === 0) emit(0, [nothing(key, v.origin)], [], undefined);
    elements.forEach((el, i) => emit(i, keyMatches(key, el), [], el.value));
    return out;
  }
  const e = rule.exprs[j]!;
  const lookup = lookupOf(e)!;
  if (lookup.elements.length === 0) emit(0, [nothing(lookup.key, e.origin)], [], rule.verdict as Verdict | undefined);
  lookup.elements.forEach((el, i) => emit(i, keyMatches(lookup.key, el), replaced(e, el), rule.verdict as Verdict | undefined));
  return out;
}

/** The element's key as one match per field: a concatenation's element is a box. */
function keyMatches(key: readonly Match['field'][], el: MapElement<unknown>): Match[] {
  return key.map((field, i) => ({ kind: 'match', field, op: '==', value: el.key[i]!, origin: el.origin }));
}

/** A match no packet passes: the key looked up among no elements. */
function nothing(key: readonly Match['field'][], origin: Origin): Match {
  return { kind: 'match', field: key[0]!, op: '==', value: { set: [] }, origin };
}

/** The expression with the element's value in place of its lookup (nothing for a concatenation). */
function replaced(e: Expr, el: MapElement<unknown>): Expr[] {
  if (e.kind === 'set-mark') return [{ ...e, value: el.value as number }];
  if (e.kind === 'nat') {
    const { map: _map, ...stmt } = e;
    return [{ ...stmt, to: el.value as Item }];
  }
  return [];
}

/** A rule's verdict once lookups are expanded (the plan's rules); a verdict map there is a caller's bug. */
export function plainVerdict(r: Rule): Verdict | undefined {
  const v = r.verdict;
  if (v?.kind === 'vmap') throw NftlensError.of('MODEL_INVALID', 'a verdict map reached the engine unexpanded (expandMaps runs first)', v.origin);
  return v;
}
