// Symbolic evaluation: the reference interpreter (src/engine/reference.ts) run on SETS of packets.
// A symbolic state (state.ts) goes through the same slots, chains, rules and expressions; where
// the concrete run would branch on the packet (a match, `meta mark set ct mark` without a
// conntrack entry, notrack, a NAT pool, the routing decision, NAT chains for first packets) the
// set is split and each part goes its way. The result is exact, over the original headers:
//
//   rules[id].reach    packets that reach rule id (entered its evaluation; with `reach: true`)
//   rules[id].hit      packets for which all its matches held (its statements and verdict ran)
//   rules[id].ends     packets whose base chain it ended (accept, drop, reject, NAT)
//   outcomes           the final verdict partition, per deciding rule or policy, as the engine's
//                      EvalResult reports it (verdict, by, rule, chain)

import { plainVerdict } from '../../model/expand-maps.js';
import { ALL_BITS, applyMarkOp, markOp, type MarkOp } from '../../model/mark-op.js';
import { fibOifHolds, type Expr, type FibMatch, type NatStmt, type Rule } from '../../model/ruleset.js';
import { prefixMask, valueIntervals } from '../../model/values.js';
import { addressOf } from '../../engine/addr.js';
import { firstAddress, type Environment } from '../../engine/environment.js';
import { fibLocalIntervals } from '../../engine/fib.js';
import { NAT_PORT_PROTOS } from '../../engine/reference.js';
import { natFamily, natHookReached, type PathHook, type Plan } from '../../engine/plan.js';
import { establishedStatus, familyNats, natStatus } from '../../engine/ct-status.js';
import type { FinalVerdict } from '../../engine/result.js';
import { unanalysed } from '../headerspace/encode.js';
import type { HeaderSpace, Space } from '../headerspace/space.js';
import { boxesApart, ruleBoxes } from './boxes.js';
import { RouteSpaces } from './fib.js';
import { fieldsRead, goesOn, waysOf } from '../../engine/state.js';
import { Predicates, contextKey, stateKey, type AddrSub, type MarkSub, type SymState } from './state.js';

export interface RuleSpaces {
  reach: Space;
  hit: Space;
  ends: Space;
}

export interface Outcome {
  verdict: FinalVerdict;
  /** 'route': a broadcast or multicast frame dropped at the routing decision (it would be forwarded). */
  by: 'rule' | 'policy' | 'none' | 'route';
  rule?: number;
  chain?: number;
  /** On the whole path: routed to this host (input) or forwarded. */
  local?: boolean;
  space: Space;
  /** With `keepStates`: the parts with what their fields read at the end (handles of their own). */
  states?: SymState[];
}

export interface SymbolicOptions {
  /** One hook alone (packets enter it as they are), as EvalOptions.hook; default the whole path. */
  hook?: PathHook;
  /** The original headers to evaluate (default: every header). */
  initial?: Space;
  /** Rules (ids) treated as absent: their matches never hold. */
  disabled?: ReadonlySet<number>;
  /** Record per-rule spaces (default true). */
  perRule?: boolean;
  /** Record the packets reaching each rule too (default false: costs a split per rule). */
  reach?: boolean;
  /** Keep the final states of each outcome (their substitutions: NAT, marks). */
  keepStates?: boolean;
}

export interface SymbolicResult {
  rules: (RuleSpaces | undefined)[];
  outcomes: Outcome[];
  /** Packets entering each base chain (by chain id). */
  entries: Map<number, Space>;
  /** Rules some packet reached with a rewritten field or after notrack (their matches read more than the header). */
  rewritten: Set<number>;
}

type RuleOutcome = 'next' | 'accept' | 'drop' | 'reject' | 'jump' | 'goto' | 'return';
interface ChainEnd {
  verdict: FinalVerdict;
  rule?: number;
  chain: number;
  st: SymState;
}

export class SymbolicEvaluator {
  readonly pred: Predicates;
  /** Built at the first `fib … oif`. */
  private routes?: RouteSpaces;
  private readonly ruleCache = new Map<string, Space>();
  private rec!: (RuleSpaces | undefined)[];
  private opts!: SymbolicOptions;
  private entries!: Map<number, Space>;
  private localCache: Space | undefined;
  private boxes: Float64Array | undefined;
  private rewritten!: Set<number>;

  constructor(readonly hs: HeaderSpace, readonly plan: Plan, readonly env: Environment) {
    this.pred = new Predicates(hs, { 4: establishedStatus(familyNats(plan, 4)), 6: establishedStatus(familyNats(plan, 6)) });
  }

  run(opts: SymbolicOptions = {}): SymbolicResult {
    const hs = this.hs;
    this.opts = opts;
    this.rec = [];
    this.entries = new Map();
    this.rewritten = new Set();
    const hook = opts.hook;
    const start: SymState = {
      // Past the routing decision (or sent by the host) every frame is unicast to the host: the kernel forwards no other.
      space: hook === 'forward' || hook === 'output' || hook === 'postrouting' ? hs.and(opts.initial ?? hs.all, hs.unicast) : hs.keep(opts.initial ?? hs.all),
      sub: {},
      ctx: { tracked: hook !== undefined && hook !== 'prerouting' && hook !== 'output', notracked: false, noIif: false, noOif: false },
      natDone: { src: false, dst: false },
    };
    const finals = new Map<string, Outcome>();
    /** Adds a part to the partition; takes over the part's handle. */
    const finish = (o: Omit<Outcome, 'space'>, space: Space, st?: SymState) => {
      if (hs.isEmpty(space)) return;
      const key = `${o.verdict}|${o.by}|${o.rule}|${o.chain}|${o.local}`;
      const prev = finals.get(key);
      const kept = opts.keepStates && st ? [{ ...st, space: hs.keep(space) }] : undefined;
      if (prev) {
        if (kept) prev.states!.push(...kept);
        const u = hs.or(prev.space, space);
        hs.release(prev.space, space);
        prev.space = u;
      } else finals.set(key, { ...o, space, ...(kept ? { states: kept } : {}) });
    };
    type Last = Omit<Outcome, 'space'>;
    const walk = (st: SymState, path: PathHook[], last: Last): void => {
      const [h, ...rest] = path;
      if (h === undefined) {
        finish(last, st.space, st);
        return;
      }
      const here: SymState = { ...st, ctx: { ...st.ctx, hook: h, noIif: h === 'output', noOif: h === 'prerouting' || h === 'input' } };
      this.runHook(here, h, last, (s, l) => {
        if (hook !== undefined) return walk(s, rest, l);
        if (h === 'prerouting') {
          const [local, fwd] = this.route(s);
          if (local) walk(local, ['input'], { ...l, local: true });
          if (!fwd) return;
          // ip_forward and ip6_forward take PACKET_HOST frames only: the others end here.
          const [host, other] = this.split(fwd, hs.unicast);
          hs.release(fwd.space);
          if (other) finish({ verdict: 'drop', by: 'route', local: false }, other.space, other);
          if (host) walk(host, ['forward', 'postrouting'], { ...l, local: false });
          return;
        }
        walk(s, rest, l);
      }, (s, l) => finish(l, s.space, s));
      hs.release(st.space);
    };
    walk(start, hook ? [hook] : ['prerouting'], { verdict: 'accept', by: 'none' });
    return { rules: this.rec, outcomes: [...finals.values()], entries: this.entries, rewritten: this.rewritten };
  }

  /** Runs one hook's slots; accepted parts go on with `next`, dropped/rejected ones to `done`. */
  private runHook(
    st: SymState, hook: PathHook, last: Omit<Outcome, 'space'>,
    next: (s: SymState, l: Omit<Outcome, 'space'>) => void, done: (s: SymState, l: Omit<Outcome, 'space'>) => void,
  ): void {
    const slots = this.plan.pipelines;
    const hs = this.hs;
    // Families run different pipelines: split by family first.
    for (const family of [4, 6] as const) {
      const fam = hs.ofFamily(family);
      const part = hs.and(st.space, fam);
      hs.release(fam);
      if (hs.isEmpty(part)) continue;
      const pipeline = slots[family][hook];
      const bound = natStatus(hook === 'prerouting' || hook === 'output' ? 'dst' : 'src');
      const go = (s: SymState, i: number, l: Omit<Outcome, 'space'>): void => {
        if (i === pipeline.length) return next(s, l);
        const slot = pipeline[i]!;
        if (slot.kind === 'conntrack') return go({ ...s, ctx: { ...s.ctx, tracked: true } }, i + 1, l);
        // nf_nat has bound a first packet's mapping (a null one when no rule NATs) before any chain after its hook.
        if (slot.kind === 'chain' && natHookReached(this.plan, family, hook, slot)) s = { ...s, status: (s.status ?? 0) | bound };
        if (slot.kind === 'chain') {
          // When a base chain comes next, it ends every packet its own way (a rule or its policy)
          // and which rule of this one accepted is forgotten there: the accepted parts go on as
          // one state per substitution and flags, instead of one walk each through every later
          // chain (with many tables at a hook, as many walks as paths through them).
          const merge = pipeline[i + 1]?.kind === 'chain';
          const onward: SymState[] = [];
          for (const end of this.runBase(s, slot.chain)) {
            const l2 = this.lastOf(end, l);
            if (end.verdict !== 'accept') done(end.st, l2);
            else if (merge) onward.push(end.st);
            else go(end.st, i + 1, l2);
          }
          for (const m of this.mergeStates(onward)) go(m, i + 1, l);
          return;
        }
        // NAT chains: only a connection's first packet (ct new with an entry) goes through them.
        const firstSet = this.firstPacket(s);
        const manip = hook === 'prerouting' || hook === 'output' ? 'dst' : 'src';
        const [first, other] = this.split(s, firstSet);
        hs.release(firstSet, s.space);
        if (other) go(other, i + 1, l);
        if (!first) return;
        const natChains = (s2: SymState, j: number, l2: Omit<Outcome, 'space'>): void => {
          if (j === slot.chains.length || s2.natDone[manip]) return go({ ...s2, status: (s2.status ?? 0) | bound }, i + 1, l2);
          for (const end of this.runBase(s2, slot.chains[j]!)) {
            const l3 = this.lastOf(end, l2);
            if (end.verdict === 'accept') natChains(end.st, j + 1, l3);
            else done(end.st, l3);
          }
        };
        natChains(first, 0, l);
      };
      go({ ...st, space: part }, 0, last);
    }
  }

  private lastOf(end: ChainEnd, prev: Omit<Outcome, 'space'>): Omit<Outcome, 'space'> {
    const local = prev.local === undefined ? {} : { local: prev.local };
    return end.rule === undefined
      ? { verdict: end.verdict, by: 'policy', chain: end.chain, ...local }
      : { verdict: end.verdict, by: 'rule', rule: end.rule, chain: end.chain, ...local };
  }

  private firstPacket(s: SymState): Space {
    const hs = this.hs;
    const ct = this.pred.hasCt(s.ctx);
    const isNew = hs.equal('ctstate', 0n); // CT_STATES[0] = new
    const out = hs.and(ct, isNew);
    hs.release(isNew);
    return out;
  }

  /** The routing decision after prerouting: the destination (now) one of the host's addresses. */
  private route(s: SymState): [SymState | undefined, SymState | undefined] {
    const hs = this.hs;
    let local: Space;
    if (!s.sub.daddr && this.localCache !== undefined) local = hs.keep(this.localCache);
    else {
      const parts = ([4, 6] as const).map((f) =>
        this.pred.addrNow(s, 'daddr', f, [...this.env.local[f]].map((a) => ({ lo: a, hi: a }))));
      local = hs.union(parts);
      hs.release(...parts);
      if (!s.sub.daddr) this.localCache = hs.keep(local);
    }
    const r = this.split(s, local);
    hs.release(local, s.space);
    return r;
  }

  /** s ∩ set and s ∖ set as states (undefined when empty); s's handle is not released. */
  private split(s: SymState, set: Space): [SymState | undefined, SymState | undefined] {
    const hs = this.hs;
    const a = hs.and(s.space, set);
    const b = hs.diff(s.space, set);
    return [hs.isEmpty(a) ? undefined : { ...s, space: a }, hs.isEmpty(b) ? undefined : { ...s, space: b }];
  }

  // ─── chains ────────────────────────────────────────────────────────────────────────────────

  /** One base chain with the chains it jumps to: how each part of the state ended. */
  private runBase(st: SymState, base: number): ChainEnd[] {
    const hs = this.hs;
    const prev = this.entries.get(base);
    if (prev === undefined) this.entries.set(base, hs.keep(st.space));
    else {
      this.entries.set(base, hs.or(prev, st.space));
      hs.release(prev);
    }
    const ends: ChainEnd[] = [];
    const policy = this.plan.chains[base]!.chain.base!.policy;
    type Frame = { chain: number; next: number };
    const walk = (s: SymState, chain: number, i: number, stack: readonly Frame[]): void => {
      let cur: SymState[] = [s];
      // Lazy form for runs of plain rules: the state is cur[0] minus what earlier rules of the run
      // ended (`taken`, their hits; `takers`, their ids). Rule i fires for cur[0] ∩ M_i minus the
      // matches of the earlier takers whose boxes meet its own: every set stays inside M_i, and
      // the union of the run is built once (balanced) only when the state is needed whole.
      let taken: Space[] | undefined;
      let takers: number[] = [];
      const materialize = () => {
        if (taken === undefined) return;
        const u = hs.union(taken);
        const rest = hs.diff(cur[0]!.space, u);
        hs.release(cur[0]!.space, u, ...taken);
        taken = undefined;
        takers = [];
        cur = hs.isEmpty(rest) ? [] : [{ ...cur[0]!, space: rest }];
      };
      for (;;) {
        const info = this.plan.chains[chain]!;
        const rules = info.chain.rules;
        if (i >= rules.length) break;
        const id = info.firstRule + i;
        const rule = rules[i]!;
        if (cur.length === 1 && !this.opts.reach && !this.opts.disabled?.has(id) && plainRule(rule)) {
          const c = cur[0]!;
          if (c.ctx.notracked || Object.keys(c.sub).length) this.rewritten.add(id);
          taken ??= [];
          const hit = this.firstMatch(c, id, rule, takers);
          if (!hs.isEmpty(hit)) {
            this.record(id, 'hit', hit);
            const v = rule.verdict?.kind;
            if (v === 'accept' || v === 'drop' || v === 'reject') {
              this.record(id, 'ends', hit);
              taken.push(hs.keep(hit));
              takers.push(id);
              ends.push({ verdict: v, rule: id, chain, st: { ...c, space: hit } });
            } else hs.release(hit);
          } else hs.release(hit);
          i++;
          continue;
        }
        materialize();
        if (cur.length === 0) return;
        const nexts: SymState[] = [];
        for (const c of cur) {
          const parts = this.runRule(c, id, rules[i]!);
          hs.release(c.space);
          for (const [out, part] of parts) {
            switch (out) {
              case 'next':
                nexts.push(part);
                break;
              case 'accept':
              case 'drop':
              case 'reject':
                ends.push({ verdict: out, rule: id, chain, st: part });
                break;
              case 'jump':
              case 'goto':
                walk(part, info.targets[i]!, 0, out === 'jump' ? [...stack, { chain, next: i + 1 }] : stack);
                break;
              case 'return':
                this.returnTo(part, stack, base, policy, ends, walk);
                break;
            }
          }
        }
        cur = this.mergeStates(nexts);
        if (cur.length === 0) return;
        i++;
      }
      materialize();
      for (const c of cur) this.returnTo(c, stack, base, policy, ends, walk);
    };
    walk(st, base, 0, []);
    return ends;
  }

  /**
   * c ∩ M_id minus the matches of earlier rules `takers` (read in c's state) that can meet it:
   * each restricted to c ∩ M_id first, then one balanced union, so no set leaves c ∩ M_id.
   */
  private firstMatch(c: SymState, id: number, rule: Rule, takers: readonly number[]): Space {
    const hs = this.hs;
    const inside = hs.and(c.space, this.leading(c, id, rule, leadingCount(rule)));
    if (hs.isEmpty(inside)) return inside;
    const boxes = (this.boxes ??= ruleBoxes(this.plan));
    const parts: Space[] = [];
    for (const j of takers) {
      if (boxesApart(boxes, id, j)) continue;
      const rj = this.plan.rules[j]!.rule;
      const p = hs.and(inside, this.leading(c, j, rj, leadingCount(rj)));
      if (hs.isEmpty(p)) continue;
      if (hs.equals(p, inside)) {
        // One earlier rule takes all of it (a shadowed or redundant rule): nothing is left.
        hs.release(p, inside, ...parts);
        return hs.keep(hs.none);
      }
      parts.push(p);
    }
    if (parts.length === 0) return inside;
    const u = hs.union(parts);
    const hit = hs.diff(inside, u);
    hs.release(inside, u, ...parts);
    return hit;
  }

  private returnTo(
    s: SymState, stack: readonly { chain: number; next: number }[], base: number, policy: 'accept' | 'drop', ends: ChainEnd[],
    walk: (s: SymState, chain: number, i: number, stack: readonly { chain: number; next: number }[]) => void,
  ): void {
    const frame = stack[stack.length - 1];
    if (!frame) ends.push({ verdict: policy, chain: base, st: s });
    else walk(s, frame.chain, frame.next, stack.slice(0, -1));
  }

  /** States with the same substitution and flags are one state. */
  private mergeStates(list: SymState[]): SymState[] {
    if (list.length < 2) return list;
    const hs = this.hs;
    const by = new Map<string, SymState>();
    for (const s of list) {
      const k = stateKey(s);
      const prev = by.get(k);
      if (!prev) by.set(k, s);
      else {
        const u = hs.or(prev.space, s.space);
        hs.release(prev.space, s.space);
        by.set(k, { ...prev, space: u });
      }
    }
    return [...by.values()];
  }

  private record(id: number, what: keyof RuleSpaces, space: Space): void {
    if (this.opts.perRule === false || this.hs.isEmpty(space)) return;
    const hs = this.hs;
    let r = this.rec[id];
    if (!r) this.rec[id] = r = { reach: hs.none, hit: hs.none, ends: hs.none };
    const u = hs.or(r[what], space);
    hs.release(r[what]);
    r[what] = u;
  }

  // ─── rules ─────────────────────────────────────────────────────────────────────────────────

  /** One rule on a state: the parts (each with its own handle) and how the rule ended for each. */
  /** Headers a fib match holds for (a new handle). */
  private fibSpace(c: SymState, x: FibMatch): Space {
    const hs = this.hs;
    // type local: the current address (after NAT) is the host's or loopback; oif: RouteSpaces.
    let yes: Space;
    if (x.result === 'type' && !x.through) {
      const parts = ([4, 6] as const).map((f) => this.pred.addrNow(c, x.addr, f, fibLocalIntervals(this.env, f)));
      yes = hs.union(parts);
      hs.release(...parts);
    } else {
      this.routes ??= new RouteSpaces(hs, this.pred, this.env);
      yes = x.result === 'type' ? this.routes.localOn(c, x) : this.routes.found(c, x);
    }
    if (x.result === 'type' ? x.op === '==' : fibOifHolds(x, true)) return yes;
    const no = hs.diff(hs.all, yes);
    hs.release(yes);
    return no;
  }

  private runRule(st: SymState, id: number, rule: Rule): [RuleOutcome, SymState][] {
    const hs = this.hs;
    if (this.opts.reach) this.record(id, 'reach', st.space);
    if (st.ctx.notracked || Object.keys(st.sub).length) this.rewritten.add(id);
    if (this.opts.disabled?.has(id)) return [['next', { ...st, space: hs.keep(st.space) }]];
    const out: [RuleOutcome, SymState][] = [];
    let cur: SymState[] = [{ ...st, space: hs.keep(st.space) }];
    // Leading matches (before any statement): one cached conjunction per context.
    let e = 0;
    while (e < rule.exprs.length && rule.exprs[e]!.kind === 'match') e++;
    if (e > 0) {
      const m = this.leading(st, id, rule, e);
      hs.release(cur[0]!.space);
      const [pass, fail] = this.split(st, m);
      if (fail) out.push(['next', fail]);
      cur = pass ? [pass] : [];
    }
    for (; e < rule.exprs.length && cur.length; e++) {
      const x: Expr = rule.exprs[e]!;
      const nextCur: SymState[] = [];
      for (const c of cur) {
        switch (x.kind) {
          case 'match': {
            const m = this.pred.match(c, x);
            const [pass, fail] = this.split(c, m);
            hs.release(m, c.space);
            if (fail) out.push(['next', fail]);
            if (pass) nextCur.push(pass);
            break;
          }
          case 'counter':
          case 'log':
          case 'mss-clamp':
            nextCur.push(c);
            break;
          case 'state':
          case 'set-update': {
            // State the headers do not decide (src/engine/state.ts): every header may go either
            // way, so the walk takes both (never a false "unreachable"); one with a single way
            // (a delete, `ct count 0`) goes that way. A set's key fields must be there first
            // (their dependencies), as for any lookup.
            let pass: SymState | undefined = c;
            for (const field of fieldsRead(x)) {
              if (!pass) break;
              const m = this.pred.match(pass, { kind: 'match', field, op: '!=', value: { set: [] }, origin: x.origin });
              const [yes, no] = this.split(pass, m);
              hs.release(m, pass.space);
              if (no) out.push(['next', no]);
              pass = yes;
            }
            if (!pass) break;
            if (waysOf(x) > 1) {
              out.push(['next', { ...pass, space: hs.keep(pass.space) }]);
              nextCur.push(pass);
            } else if (goesOn(x, 0)) nextCur.push(pass);
            else out.push(['next', pass]);
            break;
          }
          case 'concat': // refused before any walk (symbolicAnalysis): never a silent pass
            throw unanalysed(x);
          case 'fib': {
            const m = this.fibSpace(c, x);
            const [pass, fail] = this.split(c, m);
            hs.release(m, c.space);
            if (fail) out.push(['next', fail]);
            if (pass) nextCur.push(pass);
            break;
          }
          case 'set-mark': {
            const ct = this.pred.hasCt(c.ctx);
            const [withCt, without] = this.split(c, ct);
            hs.release(c.space);
            const value = (s: SymState): MarkSub => (typeof x.value === 'number'
              ? { const: BigInt(x.value) }
              : composeMark((x.value === 'ct mark' ? s.sub.ctmark : s.sub.mark) ?? { field: x.value === 'ct mark' ? 'ctmark' : 'mark' }, markOp(x)));
            const set = (s: SymState): SymState => ({ ...s, sub: { ...s.sub, [x.key === 'meta mark' ? 'mark' : 'ctmark']: value(s) } });
            if (without) {
              // Reading ct mark without an entry ends the rule; writing it without one does nothing.
              if (x.value === 'ct mark') out.push(['next', without]);
              else nextCur.push(x.key === 'meta mark' ? set(without) : without);
            }
            if (withCt) nextCur.push(set(withCt));
            break;
          }
          case 'notrack': {
            const [withCt, without] = this.split(c, this.pred.hasCt(c.ctx));
            hs.release(c.space);
            if (withCt) nextCur.push(withCt);
            if (without) nextCur.push({ ...without, ctx: { ...without.ctx, notracked: true } });
            break;
          }
          case 'nat':
            for (const [r, s] of this.nat(c, x, () => hs.release(c.space))) {
              if (r === 'noop') nextCur.push(s);
              else {
                this.record(id, 'hit', s.space);
                this.record(id, 'ends', s.space);
                out.push([r, s]);
              }
            }
            break;
        }
      }
      cur = nextCur;
    }
    const v = plainVerdict(rule);
    for (const c of cur) {
      this.record(id, 'hit', c.space);
      const kind: RuleOutcome = !v || v.kind === 'continue' ? 'next' : v.kind;
      if (kind === 'accept' || kind === 'drop' || kind === 'reject') this.record(id, 'ends', c.space);
      out.push([kind, c]);
    }
    return out;
  }

  /** The conjunction of a rule's first `n` expressions (all matches), cached per context. */
  private leading(st: SymState, id: number, rule: Rule, n: number): Space {
    const key = `${id}|${contextKey(st)}`;
    let m = this.ruleCache.get(key);
    if (m === undefined) {
      const hs = this.hs;
      m = hs.keep(hs.all);
      for (let e = 0; e < n && !hs.isEmpty(m); e++) {
        const p = this.pred.match(st, rule.exprs[e] as Extract<Expr, { kind: 'match' }>);
        const next = hs.and(m, p);
        hs.release(m, p);
        m = next;
      }
      this.ruleCache.set(key, m);
    }
    return m;
  }

  /** The rule's whole match (leading matches) in a plain context: for the anomaly analyses. */
  leadingMatch(st: SymState, id: number): Space {
    const rule = this.plan.rules[id]!.rule;
    let e = 0;
    while (e < rule.exprs.length && rule.exprs[e]!.kind === 'match') e++;
    return this.leading(st, id, rule, e);
  }

  // ─── NAT (applyNat of reference.ts, on sets) ───────────────────────────────────────────────

  /** NAT on a state; `consumed` is called once the state's own handle is no longer needed. */
  private nat(s: SymState, n: NatStmt, consumed: () => void): ['accept' | 'drop' | 'noop', SymState][] {
    const hs = this.hs;
    const out: ['accept' | 'drop' | 'noop', SymState][] = [];
    const tf = natFamily(n.to);
    const dst = n.type === 'dnat' || n.type === 'redirect';
    const field = dst ? 'daddr' : 'saddr';
    for (const fam of [4, 6] as const) {
      const famSet = hs.ofFamily(fam);
      const [part, other] = this.split(s, famSet);
      hs.release(famSet);
      if (other) hs.release(other.space);
      if (!part) continue;
      if (tf !== undefined && tf !== fam) {
        out.push(['noop', part]);
        continue;
      }
      const bits = fam === 4 ? 32 : 128;
      // Each part with whether NAT changed its address: the status says so (SRC_NAT, DST_NAT).
      const rewritten: [SymState, boolean][] = [];
      /** The part with the address `sub` (within `was`: unchanged), split where it changes. */
      const rewrite = (p: SymState, sub: AddrSub, was: { lo: bigint; hi: bigint }) => {
        const same = this.pred.addrNow(p, field, fam, [was]);
        const [kept, moved] = this.split(p, same);
        hs.release(same, p.space);
        if (kept) rewritten.push([withAddr(kept, field, sub), false]);
        if (moved) rewritten.push([withAddr(moved, field, sub), true]);
      };
      const to = (a: bigint): [AddrSub, { lo: bigint; hi: bigint }] => [{ base: a, len: bits, family: fam }, { lo: a, hi: a }];
      if (n.type === 'redirect' && s.ctx.hook === 'output') {
        rewrite(part, ...to(fam === 4 ? 0x7f000001n : 1n));
      } else if (n.type === 'masquerade' || n.type === 'redirect') {
        // The output interface's first address (masquerade), the input interface's (redirect); none: drop.
        let rest: SymState | undefined = part;
        for (const name of this.env.interfaces.keys()) {
          const a = firstAddress(this.env, name, fam);
          if (a === undefined || !rest) continue;
          const ids = this.hs.ifnames.matching(name);
          const on = hs.codes(n.type === 'masquerade' ? 'oifname' : 'iifname', ids);
          const [hit, miss] = this.split(rest, on);
          hs.release(on, rest.space);
          if (hit) rewrite(hit, ...to(a));
          rest = miss;
        }
        if (rest) out.push(['drop', rest]);
      } else if (n.to !== undefined) {
        const target = n.to;
        const old = part.sub[field];
        if (typeof target === 'object' && 'prefix' in target) {
          const mask = prefixMask(target.len, bits);
          const p = addressOf(target.prefix)!.value & mask;
          const len = Math.max(target.len, old?.len ?? 0);
          const keep = old ? old.base & prefixMask(old.len, bits) & ~mask : 0n;
          // The address changes unless it is already inside the prefix.
          rewrite(part, { base: p | keep, len, family: fam }, { lo: p, hi: p | (~mask & ((1n << BigInt(bits)) - 1n)) });
        } else {
          const [lo, hi] = typeof target === 'object' && 'range' in target ? target.range : [target, target];
          const l = addressOf(String(lo))!.value;
          const h = addressOf(String(hi))!.value;
          if (dst) rewrite(part, ...to(l));
          else {
            const inPool = this.pred.addrNow(part, field, fam, [{ lo: l, hi: h }]);
            const [kept, moved] = this.split(part, inPool);
            hs.release(inPool, part.space);
            if (kept) rewritten.push([kept, false]);
            if (moved) rewritten.push([withAddr(moved, field, { base: l, len: bits, family: fam }), true]);
          }
        }
      } else rewritten.push([part, false]);
      for (const [r, addrChanged] of rewritten) {
        for (const [p, portChanged] of this.natPort(r, n, dst)) {
          const status = (p.status ?? 0) | natStatus(dst ? 'dst' : 'src', addrChanged || portChanged);
          out.push(['accept', { ...p, natDone: { ...p.natDone, [dst ? 'dst' : 'src']: true }, status }]);
        }
      }
    }
    consumed();
    return out;
  }

  /** The part with the NAT's port (when it has one), split where the port changes: [state, changed]. */
  private natPort(s: SymState, n: NatStmt, dst: boolean): [SymState, boolean][] {
    if (n.port === undefined) return [[s, false]];
    const hs = this.hs;
    const protos = valueIntervals('meta l4proto', { set: [...NAT_PORT_PROTOS] }) as { lo: bigint; hi: bigint }[];
    const ranges = protos.map((iv) => hs.range(hs.layout.field('l4proto'), iv.lo, iv.hi));
    const raw = hs.union(ranges);
    const withPorts = hs.and(raw, hs.all);
    hs.release(raw, ...ranges);
    const [ported, other] = this.split(s, withPorts);
    hs.release(withPorts, s.space);
    const out: [SymState, boolean][] = other ? [[other, false]] : [];
    if (!ported) return out;
    const [lo, hi] = typeof n.port === 'number' ? [n.port, n.port] : n.port.range;
    const f = dst ? 'dport' : 'sport';
    const inRange = this.pred.portIn(ported, f, lo, hi);
    const [kept, moved] = this.split(ported, inRange);
    hs.release(inRange, ported.space);
    if (kept) out.push([kept, false]);
    if (moved) out.push([{ ...moved, sub: { ...moved.sub, [f]: lo } }, true]);
    return out;
  }
}

/** Matches, then only statements that change nothing, then accept/drop/reject or no verdict. */
function plainRule(rule: Rule): boolean {
  const n = leadingCount(rule);
  for (let e = n; e < rule.exprs.length; e++) {
    const k = rule.exprs[e]!.kind;
    if (k !== 'counter' && k !== 'log' && k !== 'mss-clamp') return false;
  }
  const v = rule.verdict?.kind;
  return v === undefined || v === 'continue' || v === 'accept' || v === 'drop' || v === 'reject';
}

function leadingCount(rule: Rule): number {
  let e = 0;
  while (e < rule.exprs.length && rule.exprs[e]!.kind === 'match') e++;
  return e;
}

function withAddr(s: SymState, field: 'saddr' | 'daddr', sub: AddrSub): SymState {
  return { ...s, sub: { ...s.sub, [field]: sub } };
}

/** The mark a `set` writes from a source read as `sub`: `(sub & and) ^ xor`, folded into one substitution. */
function composeMark(sub: MarkSub, op: MarkOp): MarkSub {
  if ('const' in sub) return { const: BigInt(applyMarkOp(op, Number(sub.const))) };
  const and = ((sub.and ?? ALL_BITS) & op.and) >>> 0;
  const xor = (((sub.xor ?? 0) & op.and) ^ op.xor) >>> 0;
  const out: MarkSub = { field: sub.field };
  if (and !== ALL_BITS) out.and = and;
  if (xor !== 0) out.xor = xor;
  return out;
}
