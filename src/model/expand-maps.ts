// Map lookups and concatenated set lookups expanded into plain rules (and `ct helper` matches
// lowered to what they are for every packet), the form the engine, the reference interpreter and
// the analyses read (planRuleset and symbolicAnalysis call it; the model itself keeps the maps,
// so renderers print them back as written).
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
import type { Expr, Item, MapElement, MapLookup, Match, Rule, Ruleset, StateMatch, Table, Verdict, VmapVerdict } from './ruleset.js';

/** More expanded rules than this from one rule is refused: a product of lookups, not a policy. */
export const MAX_EXPANSION = 1_000_000;

/**
 * The ruleset with every lookup expanded; the same object when it has none. With `written`, each
 * rule of a chain that changed is mapped to the rule it came from and that rule's position in the
 * chain (results, counters and labels name the rule as written). Expanded rules share the written
 * rule's expression objects, except the statements a map value replaced.
 */
export function expandMaps(rs: Ruleset, written?: Map<Rule, WrittenRule>): Ruleset {
  let changed = false;
  const tables = rs.tables.map((t): Table => {
    let own = false;
    const chains = t.chains.map((c) => {
      if (!c.rules.some(hasLookup)) return c;
      own = true;
      return { ...c, rules: expandChain(c.rules, written) };
    });
    changed ||= own;
    return own ? { ...t, chains } : t;
  });
  return changed ? { ...rs, tables } : rs;
}

/** The rule as written, and its position in its chain. */
export interface WrittenRule {
  rule: Rule;
  index: number;
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

/** Whether a rule has a lookup that expandMaps expands (a chain with none is left as it is). */
export function hasLookup(r: Rule): boolean {
  if (r.verdict?.kind === 'vmap') return true;
  for (let i = 0; i < r.exprs.length; i++) {
    const e = r.exprs[i]!;
    if (e.kind === 'concat' ? e.op === '==' : (e.kind === 'set-mark' && typeof e.value === 'object') || (e.kind === 'nat' && e.map !== undefined) || e.kind === 'ct helper') return true;
  }
  return false;
}

/**
 * `ct helper "x"` as what it is for every packet (model/ruleset.ts CtHelperMatch: no connection
 * has a helper, and the kernel then ends the rule whatever the op): a match no packet passes.
 */
function withoutHelpers(rule: Rule): Rule {
  if (!rule.exprs.some((e) => e.kind === 'ct helper')) return rule;
  const exprs = rule.exprs.map((e): Expr => (e.kind === 'ct helper' ? { kind: 'match', field: 'meta mark', op: '==', value: { set: [] }, origin: e.origin } : e));
  return { ...rule, exprs };
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
/**
 * Statements that change the packet or its connection, and stateful expressions (each run draws
 * anew): what follows them must not run twice.
 */
const changes = (e: Expr): boolean => e.kind !== 'match' && e.kind !== 'concat' && e.kind !== 'fib' && !quietKind(e);

function expandRule(written: Rule, budget = { left: MAX_EXPANSION }): Rule[] {
  const rule = withoutHelpers(written);
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
    const what = changer.kind === 'state' ? `${changer.source.what} expression` : `${changer.kind} statement`;
    throw NftlensError.of('NFT_UNSUPPORTED', `unsupported: a map lookup after a ${what} in the same rule — nftlens expands map lookups into rules, which would run it again`, lookupOrigin);
  }
  const quiet = prefix.filter((e) => !quietKind(e));
  const rest = rule.exprs.slice(at + 1);
  const out: Rule[] = [];
  const emit = (i: number, where: Origin, key: Expr[], replaced: Expr[], verdict: Verdict | undefined): void => {
    if (--budget.left < 0) throw NftlensError.of('NFT_UNSUPPORTED', `unsupported: this rule's lookups expand into more than ${MAX_EXPANSION} rules`, lookupOrigin);
    // Located at the element: a result or finding names the rule and the element that decided.
    const origin = where.field === undefined ? rule.origin : { ...rule.origin, field: where.field };
    const r: Rule = { ...rule, exprs: [...(i === 0 ? prefix : quiet), ...key, ...replaced, ...rest], origin };
    if (verdict) r.verdict = verdict;
    else delete r.verdict;
    out.push(...expandRule(r, budget));
  };
  if (j < 0) {
    const v = rule.verdict as VmapVerdict;
    const { key, elements } = v.lookup;
    if (elements.length === 0) emit(0, v.origin, [nothing(v.lookup, v.origin)], [], undefined);
    ordered(elements).forEach((el, i) => emit(i, el.origin, keyMatches(v.lookup, el, elements, i), [], el.value));
    return out;
  }
  const e = rule.exprs[j]!;
  const lookup = lookupOf(e)!;
  if (lookup.elements.length === 0) emit(0, e.origin, [nothing(lookup, e.origin)], [], rule.verdict as Verdict | undefined);
  ordered(lookup.elements).forEach((el, i) => emit(i, el.origin, keyMatches(lookup, el, lookup.elements, i), replaced(e, el), rule.verdict as Verdict | undefined));
  return out;
}

/** Elements in the order their rules go: the catch-all (empty key) after every other one. */
function ordered<V>(elements: readonly MapElement<V>[]): MapElement<V>[] {
  return [...elements.filter((e) => e.key.length > 0), ...elements.filter((e) => e.key.length === 0)];
}

/**
 * The element's key as one match per field: a concatenation's element is a box. The catch-all's
 * is "none of the other keys": a rule a jump returned from goes on with the rule after the lookup,
 * never with the catch-all. A stateful key (`numgen`) is one StateMatch: the `i`-th element's
 * after the first reads the number the first drew (one lookup, one draw).
 */
function keyMatches(l: Pick<MapLookup<unknown>, 'key' | 'ifindex' | 'state'>, el: MapElement<unknown>, all: readonly MapElement<unknown>[], i: number): Expr[] {
  const index = l.ifindex ? { ifindex: true as const } : {};
  if (l.state) {
    const again = i > 0 ? { again: true as const } : {};
    if (el.key.length > 0) return [{ kind: 'state', source: l.state, op: '==', value: el.key[0]!, ...again, origin: el.origin }];
    const others = all.filter((x) => x.key.length > 0).map((x) => x.key[0]!);
    return [{ kind: 'state', source: l.state, op: '!=', value: { set: others }, ...again, origin: el.origin }];
  }
  if (el.key.length === 0) {
    const others = all.filter((x) => x.key.length > 0).map((x) => x.key);
    if (others.length === 0) return [];
    if (l.key.length === 1) return [{ kind: 'match', field: l.key[0]!, op: '!=', value: { set: others.map((k) => k[0]!) }, ...index, origin: el.origin }];
    return [{ kind: 'concat', fields: [...l.key], op: '!=', elements: others, origin: el.origin }];
  }
  return l.key.map((field, i) => ({ kind: 'match', field, op: '==', value: el.key[i]!, ...index, origin: el.origin }));
}

/** A match no packet passes: the key looked up among no elements (a stateful key still draws). */
function nothing(l: Pick<MapLookup<unknown>, 'key' | 'state'>, origin: Origin): Match | StateMatch {
  if (l.state) return { kind: 'state', source: l.state, op: '==', value: { set: [] }, origin };
  return { kind: 'match', field: l.key[0]!, op: '==', value: { set: [] }, origin };
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
