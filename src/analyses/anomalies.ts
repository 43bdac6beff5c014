// Rule anomalies (Al-Shaer & Hamed, extended to nftables' control flow), per hook, exactly:
//
//   unreachable     no packet fires the rule and none it would match even reaches its chain
//                   (or its matches hold for no packet at all)                          — error
//   shadowed        no packet fires it: every packet it would match (that reaches its chain)
//                   is taken before by rules (or a policy), some with another action    — error
//   redundant       no packet fires it and the takers all have its action; or it fires, but
//                   removing it changes no verdict at the hook (checked exactly)        — warning
//   correlated      it fires, and an earlier rule with another action takes part of the
//                   packets it would match                                              — info
//   generalization  … and that earlier rule matches only packets it matches too         — info
//
// "Would match" is the rule's own matches (M) in its chain's context — in a chain jumped to as
// chain-tree.ts reads trees, with the matches of the jumps that lead to it; "takes" means ended
// the base chain for the packet (accept, drop, reject, NAT, or the policy), following jumps,
// gotos and returns — symbolic.ts's per-rule `ends` — by the rules before it on that tree's
// list. Only rules whose matches all come before their statements, reached with unrewritten
// headers, are classified beyond "unreachable" (a rule read through a rewrite has no single
// "would match" set); the others are counted in `skipped`.
// A hook whose one base chain is a chain of boxes (geometric/chain.ts) is classified by the
// geometric core (GeometricHook) instead of BDDs. Each path computes a rule's facts its own way;
// one function (anomaly-kinds.ts: classifyRule) decides the kinds and words for both.

import type { Expr, Rule } from '../model/ruleset.js';
import type { Origin } from '../model/origin.js';
import type { PathHook } from '../engine/plan.js';
import { PATH_HOOKS } from '../engine/plan.js';
import type { Space } from './headerspace/space.js';
import type { SymbolicAnalysis } from './symbolic/index.js';
import { boxesApart, ruleBoxes } from './symbolic/boxes.js';
import { ACTION_CODE, cellBoxes, cellFields, cellsSpace, geometricChain, type GeoChain } from './geometric/chain.js';
import { boxWitness } from './headerspace/witness.js';
import { describeBoxes } from './headerspace/describe.js';
import type { Packet } from '../engine/packet.js';
import { GeometricCore } from './geometric/core.js';
import type { SymbolicResult } from './symbolic/run.js';
import type { Context, SymState } from './symbolic/state.js';
import { SEVERITY_OF, policyRef, ruleRef, witnessAt, type Finding, type FindingKind, type Ref } from './findings.js';
import { checkOf, classifyRule, opaqueFacts, type Taker } from './anomaly-kinds.js';
import { treeRules } from './chain-tree.js';

/** A taker in the BDD analysis: its part of the packets in question (released by the caller), its rule. */
type BddTaker = Taker & { part: Space; id?: number };
/** A taker in the geometric analysis: its rule number in the chain. */
type GeoTaker = Taker & { i: number };

export interface AnomalyOptions {
  hooks?: readonly PathHook[];
  /** Called as rules are classified (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
  /** Lines of readable header space per finding (default 3; 0: none). */
  describeLines?: number;
  /** Analyse chains of boxes geometrically (default true); false: always by BDDs. */
  geometric?: boolean;
  /**
   * Only the origins asked about (the webhook: the object under review): a rule whose finding
   * cannot name one — it is not one, no rule or policy that could take its packets is one — is
   * not classified. Every finding that names an origin in focus is made exactly as without it.
   */
  focus?: (o: Origin) => boolean;
}

export interface AnomalyReport {
  findings: Finding[];
  /** Rules not classified beyond reachability (statements before matches, rewritten headers). */
  skipped: number[];
  rules: number;
  /** Bytes of the geometric core's memory (the largest chain analysed that way; 0: none). */
  geometricBytes: number;
}

export function findAnomalies(a: SymbolicAnalysis, opts: AnomalyOptions = {}): AnomalyReport {
  const report: AnomalyReport = { findings: [], skipped: [], rules: 0, geometricBytes: 0 };
  const hooks = (opts.hooks ?? PATH_HOOKS).filter((h) => bases(a, h).length > 0);
  const total = hooks.reduce((n, h) => n + rulesAt(a, h).length, 0);
  let done = 0;
  for (const hook of hooks) {
    // Counted whether or not anyone listens (`?.` would skip the ++ with no listener).
    const tick = () => {
      done++;
      opts.onProgress?.(done, total);
    };
    const only = bases(a, hook);
    const boxes = opts.geometric === false || only.length !== 1 ? undefined : geometricChain(a, hook, only[0]!);
    if (boxes) {
      new GeometricHook(a, hook, only[0]!, boxes, report, opts, tick).analyse();
      continue;
    }
    const res = a.evaluator.run({ hook });
    new HookAnalysis(a, hook, res, report, opts, tick).analyse();
    for (const o of res.outcomes) a.hs.release(o.space);
  }
  report.rules = done;
  return report;
}

/** Base chains that run at a hook (either family), in plan order. */
function bases(a: SymbolicAnalysis, hook: PathHook): number[] {
  const ids = new Set<number>();
  for (const f of [4, 6] as const) {
    for (const s of a.plan.pipelines[f][hook]) {
      if (s.kind === 'chain') ids.add(s.chain);
      else if (s.kind === 'nat') s.chains.forEach((c) => ids.add(c));
    }
  }
  return [...ids].sort((x, y) => x - y);
}

function tree(a: SymbolicAnalysis, base: number): Set<number> {
  const seen = new Set<number>();
  const visit = (c: number) => {
    if (seen.has(c)) return;
    seen.add(c);
    for (const t of a.plan.chains[c]!.targets) if (t !== undefined) visit(t);
  };
  visit(base);
  return seen;
}

function rulesAt(a: SymbolicAnalysis, hook: PathHook): number[] {
  const chains = new Set<number>();
  for (const b of bases(a, hook)) for (const c of tree(a, b)) chains.add(c);
  return a.plan.rules.filter((r) => chains.has(r.chain)).map((r) => r.id);
}

/** The rule's action: its verdict (with target), its NAT type, or `continue`. */
function actionOf(rule: Rule): string {
  const nat = rule.exprs.find((e) => e.kind === 'nat');
  if (nat && nat.kind === 'nat') return nat.type;
  const v = rule.verdict;
  if (!v) return 'continue';
  return v.kind === 'jump' || v.kind === 'goto' ? `${v.kind} ${v.target}` : v.kind;
}

const FIELD_CHANGE = (e: Expr) => e.kind !== 'match';
/** All matches come before every statement. */
function matchesFirst(rule: Rule): boolean {
  const first = rule.exprs.findIndex(FIELD_CHANGE);
  return first < 0 || rule.exprs.slice(first).every((e) => e.kind !== 'match' && e.kind !== 'fib' && e.kind !== 'concat' && e.kind !== 'state' && e.kind !== 'set-update');
}

class HookAnalysis {
  private readonly hs;
  private readonly bases: number[];
  private readonly trees = new Map<number, Set<number>>();
  /** Per base chain read as a list (chain-tree.ts): its rules in the order packets meet them. */
  private readonly lists = new Map<number, number[]>();
  /** For a rule on such a list: its place, and the jump rules that lead to it. */
  private readonly listed = new Map<number, { at: number; via: number[] }>();
  /** A rule's matches with those of its jumps (`would`), made once. */
  private readonly guarded = new Map<number, Space>();
  /** Every rule's box, 2·BOX_SIZE numbers each, built on first use. */
  private boxes: Float64Array | undefined;
  /** Per base chain (fast path): rule id → whether removing it changes no verdict. */
  private readonly fast = new Map<number, boolean>();
  /** Base chains whose rules' redundancy backward() has looked at. */
  private readonly backwardDone = new Set<number>();
  private origByVerdict: Map<string, Space> | undefined;

  constructor(
    private readonly a: SymbolicAnalysis, private readonly hook: PathHook, private readonly res: SymbolicResult,
    private readonly report: AnomalyReport, private readonly opts: AnomalyOptions, private readonly tick: () => void,
  ) {
    this.hs = a.hs;
    this.bases = bases(a, hook);
    for (const b of this.bases) {
      this.trees.set(b, tree(a, b));
      const list = treeRules(a.plan, b);
      if (!list) continue;
      this.lists.set(b, list.map((x) => x.id));
      list.forEach((x, at) => this.listed.set(x.id, { at, via: x.via }));
    }
  }

  analyse(): void {
    for (const id of rulesAt(this.a, this.hook)) {
      if (this.asked(id)) this.rule(id);
      this.tick();
    }
    for (const w of this.guarded.values()) this.hs.release(w);
  }

  /**
   * Whether a finding about the rule could name an origin in focus: the rule's own, or a rule or
   * policy of its base chains' trees (the takers of its packets) — or, when none of the packets
   * it would match reach its chain, those of any chain that ended them earlier.
   */
  private asked(id: number): boolean {
    const { focus } = this.opts;
    const { a, hs } = this;
    if (!focus) return true;
    const info = a.plan.rules[id]!;
    if (focus(info.rule.origin)) return true;
    const bs = this.basesOf(id);
    for (const b of bs) {
      for (const c of this.trees.get(b)!) {
        const chain = a.plan.chains[c]!;
        if (focus(chain.chain.origin) || chain.chain.rules.some((r) => focus(r.origin))) return true;
      }
    }
    // Not classifiable: its findings name no other rule.
    const ctxKeys = new Set(bs.map((b) => JSON.stringify(this.context(b))));
    if (!matchesFirst(info.rule) || this.res.rewritten.has(id) || ctxKeys.size !== 1) return false;
    const entry = this.entry(bs);
    const C = hs.and(this.would(id, bs), entry);
    const reached = !hs.isEmpty(C);
    hs.release(entry, C);
    return !reached;
  }

  private basesOf(id: number): number[] {
    const chain = this.a.plan.rules[id]!.chain;
    return this.bases.filter((b) => this.trees.get(b)!.has(chain));
  }

  /** The context a base chain's rules run in (conntrack done? which interfaces shown). */
  private context(base: number): Context {
    const b = this.a.plan.chains[base]!.chain.base!;
    const h = this.hook;
    const early = h === 'prerouting' || h === 'output';
    return { tracked: !early || b.type === 'nat' || b.priority >= -200, notracked: false, noIif: h === 'output', noOif: h === 'prerouting' || h === 'input' };
  }

  /** M: the packets the rule's matches accept in its chain's context (a cached handle). */
  private match(id: number, base: number): Space {
    const st: SymState = { space: this.hs.all, sub: {}, ctx: this.context(base), natDone: { src: false, dst: false } };
    return this.a.evaluator.leadingMatch(st, id);
  }

  /**
   * What the rule would match: M, and in a chain jumped to on a tree read as a list (one base
   * chain), the matches of the jumps that lead to it too (a cached handle).
   */
  private would(id: number, bs: number[]): Space {
    const via = bs.length === 1 && this.lists.has(bs[0]!) ? this.listed.get(id)?.via : undefined;
    if (!via?.length) return this.match(id, bs[0]!);
    let w = this.guarded.get(id);
    if (!w) {
      const parts = [id, ...via].map((j) => this.match(j, bs[0]!));
      this.guarded.set(id, (w = this.hs.intersect(parts)));
    }
    return w;
  }

  private entry(ids: number[]): Space {
    return this.hs.union(ids.map((b) => this.res.entries.get(b) ?? this.hs.none));
  }

  private rule(id: number): void {
    const { hs, a } = this;
    const info = a.plan.rules[id]!;
    const rule = info.rule;
    const bs = this.basesOf(id);
    const spaces = this.res.rules[id];
    const hit = spaces?.hit ?? hs.none;
    const fires = !hs.isEmpty(hit);
    const ctxKeys = new Set(bs.map((b) => JSON.stringify(this.context(b))));
    const classifiable = matchesFirst(rule) && !this.res.rewritten.has(id) && ctxKeys.size === 1;
    const action = actionOf(rule);
    if (!classifiable) {
      if (fires) this.report.skipped.push(id);
      for (const f of classifyRule<BddTaker>(this.hook, opaqueFacts(action, fires))) this.add(f.kind, id, f.message, []);
      return;
    }
    const M = this.match(id, bs[0]!);
    const W = this.would(id, bs);
    const entry = this.entry(bs);
    const C = hs.and(W, entry);
    let taken: BddTaker[] = [];
    try {
      const found = classifyRule<BddTaker>(this.hook, {
        action, empty: hs.isEmpty(M), fires,
        takers: () => (taken = hs.isEmpty(C) ? this.earlierChains(W) : this.takers(id, C, bs)),
        unchanged: () => this.unchangedWithout(id, hit),
        overlaps: () => {
          const o = this.overlaps(id, C, hit, W, entry, bs);
          taken = [...o.inside, ...o.overlapping];
          return o;
        },
      });
      for (const f of found) {
        const s = f.shown;
        const where = s === undefined ? undefined : s === 'decides' ? hit : s === 'would-match' ? M : s.taker.part;
        this.add(f.kind, id, f.message, f.related.map((x) => x.ref), where, checkOf(s, id));
      }
    } finally {
      for (const x of taken) hs.release(x.part);
      hs.release(entry, C);
    }
  }

  /** Who ended the base chain for the packets of X (rules in the chains' trees, then the policy). */
  private takers(id: number, X: Space, bs: number[], otherThan?: string): BddTaker[] {
    const { hs, a } = this;
    const out: BddTaker[] = [];
    let rest = hs.keep(X);
    const chains = new Set(bs.flatMap((b) => [...this.trees.get(b)!]));
    // On a tree read as a list only the rules before it can end the packets it would match.
    const order = bs.length === 1 ? this.lists.get(bs[0]!) : undefined;
    const scanned = order ? this.listed.get(id)!.at : a.plan.rules.length;
    for (let k = 0; k < scanned; k++) {
      if (hs.isEmpty(rest)) break;
      const r = a.plan.rules[order ? order[k]! : k]!;
      if (r.id === id || !chains.has(r.chain)) continue;
      const ends = this.res.rules[r.id]?.ends;
      if (!ends || hs.isEmpty(ends) || this.apart(id, r.id)) continue;
      // Scanning a list in order with what is left, a terminal plain rule takes exactly (what it
      // would match ∩ rest): cheaper than its `ends`, which carries the chain's history.
      const part = order && this.terminalPlain(r.id) ? hs.and(rest, this.would(r.id, bs)) : hs.and(ends, rest);
      if (hs.isEmpty(part)) continue;
      // With `otherThan`, rules of that action are passed over (their part still leaves `rest`).
      if (otherThan === undefined || actionOf(r.rule) !== otherThan) {
        out.push({ ref: ruleRef(a.plan, r.id), action: actionOf(r.rule), part: hs.keep(part), id: r.id });
      }
      const next = hs.diff(rest, part);
      hs.release(rest, part);
      rest = next;
    }
    if (!hs.isEmpty(rest) && otherThan === undefined) {
      for (const b of bs) {
        const part = hs.and(rest, this.res.entries.get(b) ?? hs.none);
        if (hs.isEmpty(part)) continue;
        out.push({ ref: policyRef(a.plan, b), action: a.plan.chains[b]!.chain.base!.policy, part });
        break;
      }
    }
    hs.release(rest);
    return out;
  }

  /** For packets that never reach the rule's base chain: the rules or policies that ended them earlier. */
  private earlierChains(M: Space): BddTaker[] {
    const { hs, a } = this;
    const out: BddTaker[] = [];
    for (const o of this.res.outcomes) {
      if (o.verdict === 'accept' || o.chain === undefined || out.length >= 8) continue;
      const part = hs.and(o.space, M);
      if (hs.isEmpty(part)) continue;
      out.push(o.by === 'rule'
        ? { ref: ruleRef(a.plan, o.rule!), action: actionOf(a.plan.rules[o.rule!]!.rule), part, id: o.rule! }
        : { ref: policyRef(a.plan, o.chain), action: o.verdict, part });
    }
    return out;
  }

  /**
   * Earlier rules with another action taking some of r's packets (their parts kept for the caller
   * to release): those matching only packets r matches too, and the others.
   */
  private overlaps(id: number, C: Space, hit: Space, M: Space, entry: Space, bs: number[]): { inside: BddTaker[]; overlapping: BddTaker[] } {
    const { hs } = this;
    const inside: BddTaker[] = [];
    const overlapping: BddTaker[] = [];
    const X = hs.diff(C, hit);
    if (hs.isEmpty(X)) return { inside, overlapping };
    const t = this.takers(id, X, bs, actionOf(this.a.plan.rules[id]!.rule)).filter((x) => {
      const keep = x.id !== undefined && matchesFirst(this.a.plan.rules[x.id]!.rule);
      if (!keep) hs.release(x.part);
      return keep;
    });
    hs.release(X);
    for (const x of t) {
      const MT = hs.and(this.would(x.id!, bs), entry);
      (hs.subsetOf(MT, M) ? inside : overlapping).push(x);
      hs.release(MT);
    }
    return { inside, overlapping };
  }

  // ─── redundancy of a rule that fires ────────────────────────────────────────────────────────

  private unchangedWithout(id: number, hit: Space): boolean {
    // The redundancy of a simple chain's rules is found for all of them at once, on first ask.
    const chain = this.a.plan.rules[id]!.chain;
    if (!this.backwardDone.has(chain)) {
      this.backwardDone.add(chain);
      if (this.bases.includes(chain) && this.simple(chain)) this.backward(chain);
    }
    const fast = this.fast.get(id);
    if (fast !== undefined) return fast;
    const { hs } = this;
    const alt = this.a.evaluator.run({ hook: this.hook, initial: hit, disabled: new Set([id]), perRule: false });
    const orig = this.origVerdicts();
    let same = true;
    for (const v of ['accept', 'drop', 'reject'] as const) {
      const want = hs.and(orig.get(v)!, hit);
      const got = hs.union(alt.outcomes.filter((o) => o.verdict === v).map((o) => o.space));
      same &&= hs.equals(want, got);
      hs.release(want, got);
    }
    for (const o of alt.outcomes) hs.release(o.space);
    for (const s of alt.entries.values()) hs.release(s);
    return same;
  }

  private origVerdicts(): Map<string, Space> {
    if (!this.origByVerdict) {
      this.origByVerdict = new Map((['accept', 'drop', 'reject'] as const).map((v) =>
        [v, this.hs.union(this.res.outcomes.filter((o) => o.verdict === v).map((o) => o.space))]));
    }
    return this.origByVerdict;
  }

  /**
   * A base chain whose verdict is the hook's: no jumps, only matches then counter/log and a
   * terminal verdict (or none), headers unrewritten, and no chain after it at the hook.
   */
  private simple(b: number): boolean {
    const { a } = this;
    const info = a.plan.chains[b]!;
    if (info.chain.base!.type === 'nat' || this.trees.get(b)!.size !== 1) return false;
    const ok = info.chain.rules.every((r, i) => {
      const id = info.firstRule + i;
      const v = r.verdict?.kind;
      return matchesFirst(r) && !this.res.rewritten.has(id) &&
        r.exprs.every((e) => e.kind === 'match' || e.kind === 'counter' || e.kind === 'log' || e.kind === 'mss-clamp') &&
        (v === undefined || v === 'continue' || v === 'accept' || v === 'drop' || v === 'reject');
    });
    if (!ok) return false;
    for (const f of [4, 6] as const) {
      const slots = a.plan.pipelines[f][this.hook];
      const at = slots.findIndex((s) => s.kind === 'chain' && s.chain === b);
      if (at >= 0 && at !== slots.length - 1) return false;
    }
    return true;
  }

  /**
   * Redundancy in a simple chain: follow the packets the rule decides through the rules after it
   * (each takes its match ∩ what is left); redundant iff every part meets a rule with the same
   * verdict, and what is left at the end meets the policy with it.
   */
  private backward(b: number): void {
    const { hs, a } = this;
    const info = a.plan.chains[b]!;
    const n = info.chain.rules.length;
    const policy = info.chain.base!.policy;
    const kinds = info.chain.rules.map((r) => r.verdict?.kind);
    for (let i = 0; i < n; i++) {
      const id = info.firstRule + i;
      const v = info.chain.rules[i]!.verdict?.kind;
      const hit = this.res.rules[id]?.hit;
      if ((v !== 'accept' && v !== 'drop' && v !== 'reject') || !hit || hs.isEmpty(hit)) continue;
      let rest = hs.keep(hit);
      let same = true;
      for (let j = i + 1; j < n && same && !hs.isEmpty(rest); j++) {
        const jid = info.firstRule + j;
        const w = kinds[j];
        if ((w !== 'accept' && w !== 'drop' && w !== 'reject') || this.apart(id, jid)) continue;
        const part = hs.and(rest, this.match(jid, b));
        if (!hs.isEmpty(part)) {
          if (w !== v) same = false;
          const next = hs.diff(rest, part);
          hs.release(rest);
          rest = next;
        }
        hs.release(part);
      }
      if (same && !hs.isEmpty(rest) && policy !== v) same = false;
      hs.release(rest);
      this.fast.set(id, same);
    }
  }

  /** Matches then no-op statements then accept/drop/reject, reached with unrewritten headers. */
  private terminalPlain(id: number): boolean {
    const r = this.a.plan.rules[id]!.rule;
    const v = r.verdict?.kind;
    return (v === 'accept' || v === 'drop' || v === 'reject') && !this.res.rewritten.has(id) && matchesFirst(r) &&
      r.exprs.every((e) => e.kind === 'match' || e.kind === 'counter' || e.kind === 'log' || e.kind === 'mss-clamp');
  }

  /** Whether the boxes of two rules are disjoint (then so are their matches). */
  private apart(x: number, y: number): boolean {
    return boxesApart((this.boxes ??= ruleBoxes(this.a.plan)), x, y);
  }

  private add(kind: FindingKind, id: number, message: string, related: Ref[], where?: Space, check?: Finding['check']): void {
    addFinding(this.a, this.report, this.opts, this.hook, { kind, id, message, related, where, check });
  }
}

/**
 * A hook with one base chain of boxes (geometric/chain.ts), analysed by the geometric core: the
 * same classification as HookAnalysis's flat-chain case, with every set a union of boxes. Box
 * list i is the rule `boxes.ids[i]` (the chains jumped to are inlined after their jumps).
 */
class GeometricHook {
  private readonly core: GeometricCore;
  /** The chain policy's action code. */
  private readonly policy: number;
  private readonly takerCache: GeoTaker[] = [];

  constructor(
    private readonly a: SymbolicAnalysis, private readonly hook: PathHook, base: number, private readonly boxes: GeoChain,
    private readonly report: AnomalyReport, private readonly opts: AnomalyOptions, private readonly tick: () => void,
  ) {
    const info = a.plan.chains[base]!;
    this.policy = ACTION_CODE[info.chain.base!.policy];
    this.core = new GeometricCore(boxes, info.chain.origin, { maxCells: (opts.describeLines ?? 3) > 0 ? 16 : 1 });
  }

  analyse(): void {
    for (let i = 0; i < this.boxes.pieces.length; i++) {
      this.rule(i);
      this.tick();
    }
    this.report.geometricBytes = Math.max(this.report.geometricBytes, this.core.bytes());
  }

  /** Rule i as a taker, made once (a catch-all may list every rule before it). */
  private taker(i: number): GeoTaker {
    let t = this.takerCache[i];
    if (!t) this.takerCache[i] = t = { i, ref: ruleRef(this.a.plan, this.boxes.ids[i]!), action: actionOf(this.a.plan.rules[this.boxes.ids[i]!]!.rule) };
    return t;
  }

  private rule(i: number): void {
    const { core } = this;
    const id = this.boxes.ids[i]!;
    const empty = this.boxes.pieces[i]!.length === 0;
    const r = empty ? undefined : core.takers(i);
    const found = classifyRule<GeoTaker>(this.hook, {
      action: actionOf(this.a.plan.rules[id]!.rule), empty, fires: r?.hit !== undefined,
      takers: () => r!.takers.map((j) => this.taker(j)),
      unchanged: () => core.unchanged(i, this.policy),
      overlaps: () => ({ inside: r!.inside.map((j) => this.taker(j)), overlapping: r!.overlapping.map((j) => this.taker(j)) }),
    });
    for (const f of found) {
      const s = f.shown;
      // 'would-match' cannot happen here: a rule of boxes that no packet fires has takers.
      const at = s === undefined || s === 'would-match' ? undefined : s === 'decides' ? -1 : s.taker.i;
      this.add(f.kind, i, f.message, f.related.map((x) => x.ref), at, checkOf(s, id));
    }
  }

  /** A finding about rule i; `taker` j ≥ 0: shown where j takes i's packets, -1: where i decides. */
  private add(kind: FindingKind, i: number, message: string, related: Ref[], taker?: number, check?: Finding['check']): void {
    const id = this.boxes.ids[i]!;
    if (taker === undefined) return addFinding(this.a, this.report, this.opts, this.hook, { kind, id, message, related });
    const { hs } = this.a;
    const { coder } = this.boxes;
    const { cells, truncated } = this.core.cells(i, taker);
    const first = cellFields(coder, cells[0]!);
    const max = this.opts.describeLines ?? 3;
    const boxes = max > 0 ? cellBoxes(coder, cells) : undefined;
    // Without words from boxes (or a box for the witness), the BDD reads the cells.
    const where = (max > 0 && !boxes) || !first ? cellsSpace(coder, max > 0 ? cells : cells.slice(0, 1)) : undefined;
    const witness = first && boxWitness(hs, first);
    const space = boxes && describeBoxes(hs, boxes, { max });
    addFinding(this.a, this.report, this.opts, this.hook, { kind, id, message, related, where, space, witness, partial: truncated, check });
    if (where !== undefined) hs.release(where);
  }
}

interface FindingSpec {
  kind: FindingKind;
  id: number;
  message: string;
  related: Ref[];
  /** Where the finding shows: its witness is drawn from here (not released). */
  where?: Space;
  /** The witness, when known without `where`. */
  witness?: Packet;
  /** Where the finding shows, in words, when known without `where`. */
  space?: string[];
  /** `where` is only part of the packets the finding is about. */
  partial?: boolean;
  check?: Finding['check'];
}

function addFinding(a: SymbolicAnalysis, report: AnomalyReport, opts: AnomalyOptions, hook: PathHook, spec: FindingSpec): void {
  const { hs } = a;
  const subject = ruleRef(a.plan, spec.id);
  const f: Finding = {
    kind: spec.kind, severity: SEVERITY_OF[spec.kind], message: `${hook}: ${spec.message}`, origin: subject.origin, subject, related: spec.related,
  };
  const where = spec.where;
  const witness = spec.witness ?? (where !== undefined && !hs.isEmpty(where) ? hs.witness(where) : undefined);
  if (witness) {
    f.witness = witnessAt(witness, hook);
    f.check = { hook, ...spec.check };
    const lines = opts.describeLines ?? 3;
    const space = lines <= 0 ? undefined : spec.space ?? (where === undefined ? undefined : hs.describe(where, { max: lines }));
    if (space) {
      if (spec.partial && !space[space.length - 1]!.startsWith('…')) space.push('… and more');
      f.space = space;
    }
  }
  report.findings.push(f);
}
