// The shape of a Ruleset as the kernel runs it, computed once and shared by the WASM compiler and
// the reference interpreter: chains and rules numbered (ids that results carry), jump targets
// resolved, the ruleset checked as the kernel checks it when loading (unknown or base-chain
// targets, loops, nesting deeper than the jump stack, NAT statements outside nat chains of the
// right hooks), and, for each IP family and hook, the ordered slots that run there.
//
// Ordering, from linux/net/netfilter: base chains run in ascending priority; of equal priorities
// the chain registered LAST runs first (nf_hook_entries_grow inserts a new hook before the
// entries of equal priority; checked on the kernel, test/engine/semantics.test.ts). Chains are
// registered in creation order, which is the order a ruleset lists them. Ties are reported as
// ENGINE_ORDER: the kernel's order then depends on how the ruleset was loaded.
// Conntrack runs at -200 in prerouting and output (NF_IP_PRI_CONNTRACK). Chains of type nat are
// not hooks of their own: nf_nat registers one hook per NAT hook — at -100 (NF_IP_PRI_NAT_DST) in
// prerouting/output, at 100 (NF_IP_PRI_NAT_SRC) in input/postrouting — and runs the nat chains
// from there, in their own priority order (nf_nat_register_fn, nf_nat_inet_fn).

import { expandMaps, hasLookup, type WrittenRule } from '../model/expand-maps.js';
import { NftlensError, diag, type Diagnostic } from '../model/diagnostics.js';
import type { Origin } from '../model/origin.js';
import { drawsNumber, type Atom, type BaseChain, type Chain, type ConcatMatch, type FibMatch, type Hook, type Match, type MatchField, type NatStmt, type Rule, type Ruleset, type StateMatch, type Table } from '../model/ruleset.js';
import { FIELDS, checkMatchValue, parseAddress, valueIntervals, valueItems, type Interval } from '../model/values.js';
import { needsNames } from './fib.js';
import { MatchNumbersBuilder, type MatchNumbers } from './match-numbers.js';
import { HOOK_FORWARD, HOOK_INPUT, HOOK_OUTPUT, HOOK_POSTROUTING, HOOK_PREROUTING, JUMP_STACK } from './layout.js';

export type PathHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
export const PATH_HOOKS: readonly PathHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
export const HOOK_CODE: Record<PathHook, number> = {
  prerouting: HOOK_PREROUTING, input: HOOK_INPUT, forward: HOOK_FORWARD, output: HOOK_OUTPUT, postrouting: HOOK_POSTROUTING,
};

export interface ChainInfo {
  id: number;
  table: Table;
  tableIndex: number;
  chain: Chain;
  chainIndex: number;
  /** Global id of the chain's first rule; its rules are firstRule … firstRule + n − 1. */
  firstRule: number;
  /** Resolved jump/goto target chain id per rule index (undefined when the rule has none). */
  targets: (number | undefined)[];
}

export interface RuleInfo {
  id: number;
  chain: number;
  /** Position of the rule as written in its chain (the rules a map lookup expands into share it). */
  index: number;
  /** The rule as written (the rules a lookup expands into share it and its expression objects). */
  written: Rule;
  rule: Rule;
}

export interface CounterInfo {
  id: number;
  rule: number;
  expr: number;
}

export type Slot = { kind: 'chain'; chain: number } | { kind: 'conntrack' } | { kind: 'nat'; chains: number[] };

export interface Plan {
  ruleset: Ruleset;
  chains: ChainInfo[];
  rules: RuleInfo[];
  counters: CounterInfo[];
  /** Counter id of each (rule id, expression index) that is a counter. */
  counterAt: Map<string, number>;
  /** Slots per family and hook, in the order they run. */
  pipelines: Record<4 | 6, Record<PathHook, Slot[]>>;
  diagnostics: Diagnostic[];
  /** The interface names and wildcards rules match on, in rule order (engine/ifnames.ts makes the classes). */
  ifPatterns: string[];
  /** Some rule looks a route or an interface's addresses up: the host's interfaces need names of their own (fib.ts needsInterfaceNames). */
  namesInterfaces: boolean;
  /** The matches whose values are one interval of a field of at most 32 bits, as numbers (match-numbers.ts). */
  numbers: MatchNumbers;
  /** Per IP version, the id of the first nat chain that sees it: from it on nf_nat runs in the family (none: undefined). */
  firstNat: Record<4 | 6, number | undefined>;
}

const CONNTRACK_PRIORITY = -200;
const NAT_PRIORITY: Record<PathHook, number> = { prerouting: -100, output: -100, input: 100, postrouting: 100, forward: 0 };

export function sees(family: Table['family'], ipv: 4 | 6): boolean {
  return family === 'inet' || family === (ipv === 4 ? 'ip' : 'ip6');
}

export function planRuleset(written: Ruleset): Plan {
  // Most rulesets have no lookup to expand: planned as they are, in one pass over the rules, the
  // pass giving up at the first rule that has one. An error in that pass is one the pass over
  // the expanded rules would meet first too (the rules before any lookup are the same), unless
  // expanding the maps fails: as expanding them came first, its error does.
  let plan: Plan | undefined;
  try {
    plan = planOf(written, written, undefined);
  } catch (e) {
    expandMaps(written);
    throw e;
  }
  if (plan) return plan;
  const from = new Map<Rule, WrittenRule>();
  const ruleset = expandMaps(written, from); // maps and concatenated lookups as one rule per element
  return planOf(ruleset, written, from)!;
}

/**
 * The plan of `ruleset`, the written ruleset with its lookups expanded (`from`: each expanded
 * rule's written rule). With no `from` (the ruleset as written), undefined at the first rule that
 * has a lookup.
 */
function planOf(ruleset: Ruleset, written: Ruleset, from: Map<Rule, WrittenRule> | undefined): Plan | undefined {
  const chains: ChainInfo[] = [];
  const rules: RuleInfo[] = [];
  const counters: CounterInfo[] = [];
  const counterAt = new Map<string, number>();
  const diagnostics: Diagnostic[] = [];
  const ifPatterns: string[] = [];
  let hasNat = false;
  let hasFib = false;
  let namesInterfaces = false;
  const targets = new Targets(ruleset);
  const numbers = new MatchNumbersBuilder();
  // Indexed loops: this runs once per rule and match, mostly before V8 has optimized it.
  for (let tableIndex = 0; tableIndex < ruleset.tables.length; tableIndex++) {
    const table = ruleset.tables[tableIndex]!;
    for (let chainIndex = 0; chainIndex < table.chains.length; chainIndex++) {
      const chain = table.chains[chainIndex]!;
      const info: ChainInfo = { id: chains.length, table, tableIndex, chain, chainIndex, firstRule: rules.length, targets: [] };
      chains.push(info);
      for (let index = 0; index < chain.rules.length; index++) {
        const rule = chain.rules[index]!;
        if (!from && hasLookup(rule)) return undefined;
        const id = rules.length;
        const w = from && ruleset !== written ? from.get(rule) : undefined;
        rules.push({ id, chain: info.id, index: w?.index ?? index, rule, written: w?.rule ?? rule });
        info.targets.push(targets.of(info, rule));
        numbers.rule();
        for (let expr = 0; expr < rule.exprs.length; expr++) {
          const e = rule.exprs[expr]!;
          // A match's value of the common forms is read and checked here, any other below.
          const checked = numbers.expr(e.kind === 'match' ? e : undefined);
          if (e.kind === 'counter') {
            counterAt.set(`${id}:${expr}`, counters.length);
            counters.push({ id: counters.length, rule: id, expr });
          } else if (e.kind === 'match') {
            if (!checked) checkMatch(e); // throws for a value that does not fit its field
            if (e.field === 'meta iifname' || e.field === 'meta oifname') for (const item of valueItems(e.value)) if (typeof item === 'string') ifPatterns.push(item);
          } else if (e.kind === 'concat') {
            checkConcat(e);
            concatPatterns(e, ifPatterns);
          } else if (e.kind === 'nat') {
            hasNat = true;
            namesInterfaces ||= needsNames(e);
          } else if (e.kind === 'state') checkState(e);
          else if (e.kind === 'fib') {
            hasFib = true;
            namesInterfaces ||= needsNames(e);
          }
        }
        numbers.ruleDone(rule);
      }
    }
  }
  if (targets.failure) throw targets.failure;
  checkGraph(chains);
  if (hasFib) checkFibHooks(chains);
  if (hasNat) checkNat(chains);
  const pipelines = { 4: buildPipelines(chains, 4, diagnostics), 6: buildPipelines(chains, 6, diagnostics) };
  const firstNat = (ipv: 4 | 6) => chains.find((c) => c.chain.base?.type === 'nat' && sees(c.table.family, ipv))?.id;
  return { ruleset, chains, rules, counters, counterAt, pipelines, diagnostics, ifPatterns, namesInterfaces, numbers: numbers.done(), firstNat: { 4: firstNat(4), 6: firstNat(6) } };
}

/** The interface names a concatenation's elements hold, in its interface fields. */
function concatPatterns(e: ConcatMatch, out: string[]): void {
  e.fields.forEach((f, i) => {
    if (f !== 'meta iifname' && f !== 'meta oifname') return;
    for (const el of e.elements) if (typeof el[i] === 'string') out.push(el[i] as string);
  });
}

/**
 * Jump and goto targets, resolved by chain name in the rule's table as the plan's pass meets the
 * rules. The first that fails is kept, and thrown once the pass is over: the errors of the pass
 * itself come first, and of the targets the first in chain and rule order.
 */
class Targets {
  /** Chain id by table index and name (of two chains with one name, the later). */
  private readonly byName = new Map<string, number>();
  /** Chains by id. */
  private readonly chains: Chain[] = [];
  failure: NftlensError | undefined;
  constructor(ruleset: Ruleset) {
    ruleset.tables.forEach((t, tableIndex) => {
      for (const c of t.chains) {
        this.byName.set(`${tableIndex}\u0000${c.name}`, this.chains.length);
        this.chains.push(c);
      }
    });
  }
  /** The chain id a rule of chain c jumps or goes to (undefined: none, or a failure). */
  of(c: ChainInfo, r: Rule): number | undefined {
    const v = r.verdict;
    if (!v || (v.kind !== 'jump' && v.kind !== 'goto') || this.failure) return undefined;
    const t = this.byName.get(`${c.tableIndex}\u0000${v.target}`);
    if (t === undefined) this.failure = NftlensError.of('NFT_REFERENCE', `${v.kind} to chain "${v.target}", which table ${c.table.name} does not have`, v.origin);
    else if (this.chains[t]!.base) this.failure = NftlensError.of('MODEL_INVALID', `${v.kind} to base chain "${v.target}" (the kernel refuses it)`, v.origin);
    else return t;
    return undefined;
  }
}

/** Loops anywhere (ELOOP), and nesting from a base chain deeper than the jump stack (EMLINK). */
/**
 * The hooks the kernel lets each `fib` form run at (nft_fib_validate, checked on the kernel): a
 * route lookup's `oif` at prerouting, input and forward (through `. oif`: nowhere); `type` through
 * `iif` there too, through `oif` at output, postrouting and forward; a plain `type` anywhere. A base chain that reaches another form (by
 * itself or through jumps) is refused, as the kernel refuses the ruleset.
 */
const FIB_HOOKS = {
  oif: ['prerouting', 'input', 'forward'],
  iif: ['prerouting', 'input', 'forward'],
  typeOif: ['output', 'postrouting', 'forward'],
} as const satisfies Record<string, readonly Hook[]>;

function fibHooks(e: FibMatch): readonly Hook[] | undefined {
  if (e.result === 'oif') return e.through === 'oif' ? [] : FIB_HOOKS.oif;
  return e.through === 'iif' ? FIB_HOOKS.iif : e.through === 'oif' ? FIB_HOOKS.typeOif : undefined;
}

function checkFibHooks(chains: ChainInfo[]): void {
  for (const base of chains) {
    const hook = base.chain.base?.hook;
    if (!hook) continue;
    for (const c of reachable(chains, base.id)) {
      for (const r of c.chain.rules) {
        for (const e of r.exprs) {
          const hooks = e.kind === 'fib' ? fibHooks(e) : undefined;
          if (!hooks || hooks.includes(hook)) continue;
          const f = e as FibMatch;
          const form = f.result === 'oif' ? `a route lookup (fib …${f.through ? ` . ${f.through}` : ''} oif)` : `fib … . ${f.through} type`;
          const where = hooks.length ? `runs at ${hooks.join(', ')} only; chain "${base.chain.name}" is at ${hook}` : 'runs at no hook';
          throw NftlensError.of('MODEL_INVALID', `${form} ${where} (the kernel refuses it)`, e.origin);
        }
      }
    }
  }
}

/** The chains a chain reaches (itself first, then through jumps and gotos), each once. */
function reachable(chains: readonly ChainInfo[], from: number): ChainInfo[] {
  const order = [from];
  const seen = new Set(order);
  for (let i = 0; i < order.length; i++) {
    for (const t of chains[order[i]!]!.targets) {
      if (t === undefined || seen.has(t)) continue;
      seen.add(t);
      order.push(t);
    }
  }
  return order.map((id) => chains[id]!);
}

function checkGraph(chains: ChainInfo[]): void {
  const state = new Uint8Array(chains.length); // 0 new, 1 on the DFS stack, 2 done
  const visit = (id: number): void => {
    state[id] = 1;
    chains[id]!.targets.forEach((t, i) => {
      if (t === undefined) return;
      if (state[t] === 1) {
        const v = chains[id]!.chain.rules[i]!.verdict!;
        throw NftlensError.of('ENGINE_LOOP', `this ${v.kind} closes a loop through chain "${chains[t]!.chain.name}"`, v.origin);
      }
      if (state[t] === 0) visit(t);
    });
    state[id] = 2;
  };
  for (const c of chains) if (state[c.id] === 0) visit(c.id);
  // Depth: the longest path from each base chain (acyclic now), counted in chains below the base.
  const memo = new Map<number, number>();
  const depth = (id: number): number => {
    let d = memo.get(id);
    if (d !== undefined) return d;
    d = 0;
    const targets = chains[id]!.targets;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      if (t !== undefined) d = Math.max(d, 1 + depth(t));
    }
    memo.set(id, d);
    return d;
  };
  for (const c of chains) {
    if (c.chain.base && depth(c.id) >= JUMP_STACK) {
      throw NftlensError.of('ENGINE_LOOP', `jumps from base chain "${c.chain.name}" nest ${depth(c.id)} chains deep; the kernel allows ${JUMP_STACK - 1}`, c.chain.origin);
    }
  }
}

/** The kernel's nft_nat_validate / nft_masq_validate: where each NAT statement may run. */
function checkNat(chains: ChainInfo[]): void {
  const allowed: Record<NatStmt['type'], Hook[]> = {
    dnat: ['prerouting', 'output'], snat: ['postrouting', 'input'], masquerade: ['postrouting'], redirect: ['prerouting', 'output'],
  };
  for (const base of chains) {
    const b = base.chain.base;
    if (!b) continue;
    for (const c of reachable(chains, base.id)) {
      for (const r of c.chain.rules) {
        for (const e of r.exprs) {
          if (e.kind !== 'nat') continue;
          if (b.type !== 'nat') throw NftlensError.of('MODEL_INVALID', `${e.type} runs from base chain "${base.chain.name}", which is not of type nat`, e.origin);
          if (!allowed[e.type].includes(b.hook)) throw NftlensError.of('MODEL_INVALID', `${e.type} cannot run at hook ${b.hook}`, e.origin);
          const fam = natFamily(e.to, e.origin);
          if (fam && ((c.table.family === 'ip' && fam !== 4) || (c.table.family === 'ip6' && fam !== 6))) {
            throw NftlensError.of('MODEL_INVALID', `${e.type} to an IPv${fam} address in table ${c.table.family} ${c.table.name}`, e.origin);
          }
        }
      }
    }
  }
}

/**
 * Intervals already computed (shared, read-only): of a value that is one atom or prefix, by field
 * and value (by field, length and address for a prefix) — rulesets repeat the same few, and a
 * match's own key would cost a WeakMap entry per match —; of any other match, by the match.
 * Emptied when it grows big.
 */
const byAtom = new Map<MatchField, Map<Atom, Interval[]>>();
const byPrefix = new Map<MatchField, Map<number, Map<string, Interval[]>>>();
const byMatch = new WeakMap<Match, Interval[]>();
const CACHE_LIMIT = 1 << 16;
let cached = 0;

/**
 * The intervals a match's value covers (before `op` and `mask`), checked once and remembered;
 * [] for interface names (matched by name). A value that does not fit its field is MODEL_INVALID.
 */
/** Every item of a concatenation fits its field, and every element has one item per field. */
function checkConcat(x: ConcatMatch): void {
  for (const el of x.elements) {
    if (el.length !== x.fields.length) throw NftlensError.of('MODEL_INVALID', `a concatenation of ${x.fields.length} fields has an element of ${el.length} values`, x.origin);
    x.fields.forEach((field, i) => {
      const problem = checkMatchValue({ field, value: el[i]! });
      if (problem) throw NftlensError.of('MODEL_INVALID', problem, x.origin);
    });
  }
}

const isU32 = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 2 ** 32;

/**
 * A numgen's or hash's modulus, offset and seed are 32-bit numbers (mod at least 1), jhash hashes
 * some field, and the value is numbers and ranges of them.
 */
function checkState(x: StateMatch): void {
  const src = x.source;
  if (!drawsNumber(src)) return;
  const { mod, offset } = src;
  if (!isU32(mod) || mod < 1 || !isU32(offset)) throw NftlensError.of('MODEL_INVALID', `${src.what} mod ${mod} offset ${offset}: the modulus must be 1 … 2^32−1 and the offset below 2^32`, x.origin);
  if (src.what === 'jhash' && (src.key.length === 0 || (src.seed !== undefined && !isU32(src.seed)))) throw NftlensError.of('MODEL_INVALID', 'jhash hashes one field or more, with a 32-bit seed', x.origin);
  const bad = valueItems(x.value ?? { set: [] }).find((it) => !(isU32(it) || (typeof it === 'object' && 'range' in it && isU32(it.range[0]) && isU32(it.range[1]) && it.range[0] <= it.range[1])));
  if (bad !== undefined) throw NftlensError.of('MODEL_INVALID', `${src.what} is compared with ${JSON.stringify(bad)}: it gives 32-bit numbers`, x.origin);
}

/**
 * Throws for a match whose value does not fit its field, as matchIntervals does. The values rules
 * hold most — one number or range of an integer field, one IPv4 address or prefix, no mask — are
 * checked before, as their numbers are taken (match-numbers.ts), without computing (or keeping)
 * their intervals: a 100k-rule chain holds ~100k distinct ones.
 */
function checkMatch(m: Match): void {
  matchIntervals(m);
}

export function matchIntervals(m: Match): Interval[] {
  const v = m.value;
  // An interface name is checked by field and value alone, as an address or a number is: by atom.
  if (m.mask !== undefined || (typeof v === 'object' && !('prefix' in v))) {
    let ivs = byMatch.get(m);
    if (!ivs) byMatch.set(m, (ivs = computeIntervals(m)));
    return ivs;
  }
  if (cached >= CACHE_LIMIT) {
    byAtom.clear();
    byPrefix.clear();
    cached = 0;
  }
  let values: Map<Atom, Interval[]> | undefined;
  let key: Atom;
  if (typeof v !== 'object') {
    values = byAtom.get(m.field);
    if (!values) byAtom.set(m.field, (values = new Map()));
    key = v;
  } else {
    let byLen = byPrefix.get(m.field);
    if (!byLen) byPrefix.set(m.field, (byLen = new Map()));
    values = byLen.get(v.len);
    if (!values) byLen.set(v.len, (values = new Map()));
    key = v.prefix;
  }
  let ivs = values.get(key);
  if (!ivs) {
    values.set(key, (ivs = computeIntervals(m)));
    cached++;
  }
  return ivs;
}

function computeIntervals(m: Match): Interval[] {
  const err = m.mask !== undefined || FIELDS[m.field].kind === 'ifname' ? checkMatchValue(m) : undefined;
  const r = err ?? (FIELDS[m.field].kind === 'ifname' ? [] : valueIntervals(m.field, m.value));
  if (typeof r === 'string') throw NftlensError.of('MODEL_INVALID', r.startsWith(m.field) ? r : `${m.field}: ${r}`, m.origin);
  return r;
}

/** The IP version a NAT target names, or undefined (masquerade, or no address). */
export function natFamily(to: unknown, origin: Origin = {}): 4 | 6 | undefined {
  let text: unknown = to;
  if (to && typeof to === 'object') text = 'prefix' in to ? (to as { prefix: unknown }).prefix : 'range' in to ? (to as { range: unknown[] }).range[0] : undefined;
  if (typeof text !== 'string') return undefined;
  const a = parseAddress(text);
  if (!a) throw NftlensError.of('MODEL_INVALID', `NAT target "${text}" is not an address`, origin);
  return a.version;
}

/**
 * Whether nf_nat's hook runs before this slot: the nat slot itself, or a chain of higher priority
 * (of equal priority, one created after the family's first nat chain runs first, as plan.ts orders
 * ties). Only at the four NAT hooks, and only once the family has a nat chain: without one nf_nat
 * does not run.
 */
export function natHookReached(plan: Plan, family: 4 | 6, hook: PathHook, slot: Slot): boolean {
  if (slot.kind === 'nat') return true;
  const firstNat = plan.firstNat[family];
  if (slot.kind !== 'chain' || hook === 'forward' || firstNat === undefined) return false;
  const prio = plan.chains[slot.chain]!.chain.base!.priority;
  const natPrio = NAT_PRIORITY[hook];
  if (prio !== natPrio) return prio > natPrio;
  return slot.chain < firstNat;
}

interface Entry {
  priority: number;
  seq: number;
  slot: Slot;
  chain?: ChainInfo;
}

function buildPipelines(chains: ChainInfo[], ipv: 4 | 6, diagnostics: Diagnostic[]): Record<PathHook, Slot[]> {
  const out = {} as Record<PathHook, Slot[]>;
  for (const hook of PATH_HOOKS) {
    const entries: Entry[] = [];
    const nat: ChainInfo[] = [];
    let natSeq = Infinity;
    for (const c of chains) {
      const b: BaseChain | undefined = c.chain.base;
      if (!b || b.hook !== hook || !sees(c.table.family, ipv)) continue;
      if (b.type === 'nat') {
        nat.push(c);
        natSeq = Math.min(natSeq, c.id);
      } else entries.push({ priority: b.priority, seq: -c.id, slot: { kind: 'chain', chain: c.id }, chain: c });
    }
    reportTies(entries.map((e) => e.chain!), hook, ipv, diagnostics);
    reportTies(nat, hook, ipv, diagnostics);
    // Conntrack runs first among equal priorities: its hooks are registered on demand, when a
    // rule that needs them is added, so after the chain that holds the rule.
    if (hook === 'prerouting' || hook === 'output') entries.push({ priority: CONNTRACK_PRIORITY, seq: -Infinity, slot: { kind: 'conntrack' } });
    if (nat.length) {
      // nf_nat keeps its chains in a hook list of its own, with the same insertion rule.
      const ordered = [...nat].sort((a, b) => a.chain.base!.priority - b.chain.base!.priority || b.id - a.id);
      entries.push({ priority: NAT_PRIORITY[hook], seq: -natSeq, slot: { kind: 'nat', chains: ordered.map((c) => c.id) } });
    }
    entries.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    out[hook] = entries.map((e) => e.slot);
  }
  return out;
}

/** One ENGINE_ORDER warning per group of base chains sharing a hook and priority, naming them in run order. */
function reportTies(list: ChainInfo[], hook: PathHook, ipv: 4 | 6, diagnostics: Diagnostic[]): void {
  const groups = new Map<number, ChainInfo[]>();
  for (const c of list) {
    const p = c.chain.base!.priority;
    const g = groups.get(p);
    if (g) g.push(c);
    else groups.set(p, [c]);
  }
  for (const [priority, group] of groups) {
    if (group.length < 2) continue;
    // An inet chain is seen by both families: a tie of inet chains only is reported once, for IPv4.
    if (ipv === 6 && group.every((c) => c.table.family === 'inet')) continue;
    const runOrder = [...group].sort((a, b) => b.id - a.id); // created last runs first
    const names = runOrder.map((c) => `"${c.table.family} ${c.table.name} ${c.chain.name}"`).join(', ');
    const msg = `${group.length} base chains run at ${hook} priority ${priority}, in this order: ${names}; their order depends on how they were loaded: the kernel runs the one created last first, and so does the model`;
    if (!diagnostics.some((d) => d.message === msg)) diagnostics.push(diag('ENGINE_ORDER', 'warning', msg, runOrder[0]!.chain.origin));
  }
}
