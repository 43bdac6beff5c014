// The policy diff of two chains of boxes, geometrically. When each ruleset is one base chain of
// boxes at the same hook (geometric/chain.ts) with the same policy, a packet that matches none
// of the rules the edit removed or added meets the same first rule on both sides (the common
// rules keep their order), so only the boxes of those rules are walked: each cell under the old
// chain, then under the new one (assembly/geometric/diff.ts: diffRule). The differing cells, grouped by
// (before → after), become header spaces limited to the packets that reach the hook.

import type { Ruleset } from '../../model/ruleset.js';
import { canonicalRule } from '../../model/canonical.js';
import { PATH_HOOKS, type PathHook } from '../../engine/plan.js';
import type { HeaderSpace, Space } from '../headerspace/space.js';
import type { DiffSide } from '../diff.js';
import { policyRef, ruleRef } from '../findings.js';
import type { SymbolicAnalysis } from '../symbolic/index.js';
import { cellsSpace, geometricChains, type GeoChain } from './chain.js';
import { GeometricCore, fitsCore, type BoxChain } from './core.js';

/** Differing cells beyond which the BDD diff is the better tool. */
const MAX_DIFF_CELLS = 1 << 16;
/** Edits (removed + added rules) beyond which the BDD diff is the better tool. */
const MAX_EDITS = 1000;

export interface SpaceChange {
  before: DiffSide;
  after: DiffSide;
  /** The changed headers of this group (a handle the caller releases). */
  space: Space;
}

interface Side {
  a: SymbolicAnalysis;
  hook: PathHook;
  base: number;
  boxes: GeoChain;
}

/** The changes between two rulesets, or undefined when they are not two comparable chains of boxes. */
export function geometricDiff(before: SymbolicAnalysis, after: SymbolicAnalysis, byRule: boolean): { changes: SpaceChange[]; bytes: number } | undefined {
  const sides = bothSides(before, after);
  if (!sides) return undefined;
  const [A, B] = sides;
  const ca = before.plan.chains[A.base]!;
  const cb = after.plan.chains[B.base]!;
  if (ca.table.family !== cb.table.family || ca.chain.base!.policy !== cb.chain.base!.policy) return undefined;
  const label = (s: Side, i: number) => ruleRef(s.a.plan, s.a.plan.chains[s.base]!.firstRule + i).label;
  const identity = (s: Side) => s.a.plan.chains[s.base]!.chain.rules.map((r, i) =>
    JSON.stringify(canonicalRule(r, ca.table.family)) + (byRule ? `|${label(s, i)}` : ''));
  const edits = editedRules(identity(A), identity(B));
  if (!edits) return undefined;
  const nA = A.boxes.pieces.length;
  const regions = [...edits.removed, ...edits.added.map((j) => nA + j)];
  if (regions.length === 0) return { changes: [], bytes: 0 };

  // Decisions are compared by key: the verdict, and with byRule the decider's name.
  const keyOf = new Map<string, number>();
  const key = (d: DiffSide) => {
    const k = `${d.verdict}|${d.decidedBy ?? ''}`;
    if (!keyOf.has(k)) keyOf.set(k, keyOf.size + 1); // 0: a rule that decides nothing
    return keyOf.get(k)!;
  };
  const decision = (s: Side, i: number): DiffSide => {
    const v = s.a.plan.chains[s.base]!.chain.rules[i]!.verdict!.kind as DiffSide['verdict'];
    return byRule ? { verdict: v, decidedBy: label(s, i) } : { verdict: v };
  };
  const policy = (s: Side): DiffSide => {
    const v = s.a.plan.chains[s.base]!.chain.base!.policy;
    return byRule ? { verdict: v, decidedBy: policyRef(s.a.plan, s.base).label } : { verdict: v };
  };
  const keys = [A, B].flatMap((s) => s.boxes.act.map((act, i) => (act === 0 ? 0 : key(decision(s, i)))));
  const both: BoxChain = { dims: A.boxes.dims, pieces: [...A.boxes.pieces, ...B.boxes.pieces], act: [...A.boxes.act, ...B.boxes.act], keys };
  if (!fitsCore(both)) return undefined;
  const core = new GeometricCore(both, ca.chain.origin, { maxDiff: MAX_DIFF_CELLS });
  const cells = core.diff(regions, nA, key(policy(A)), key(policy(B)));
  if (!cells) return undefined;

  const hs = before.hs;
  const groups = new Map<string, { before: DiffSide; after: DiffSide; cells: Uint32Array[] }>();
  for (const c of cells) {
    const b = c.before < 0 ? policy(A) : decision(A, c.before);
    const a = c.after < 0 ? policy(B) : decision(B, c.after - nA);
    const k = `${key(b)}>${key(a)}`;
    const g = groups.get(k) ?? { before: b, after: a, cells: [] };
    g.cells.push(c.cell);
    groups.set(k, g);
  }
  const reach = reaching(before, A.hook);
  // After a prerouting chain, a broadcast or multicast frame that would be forwarded is dropped
  // at the routing decision: what the chain accepted, the route drops (then two sides may agree).
  const routed = A.hook === 'prerouting' ? forwardedFrames(before) : hs.keep(hs.none);
  const routeDrop: DiffSide = byRule ? { verdict: 'drop', decidedBy: 'the routing decision' } : { verdict: 'drop' };
  const final = (d: DiffSide) => (d.verdict === 'accept' ? routeDrop : d);
  const out = new Map<string, SpaceChange>();
  const add = (b: DiffSide, a: DiffSide, space: Space) => {
    const k = `${key(b)}>${key(a)}`;
    const prev = out.get(k);
    if (hs.isEmpty(space) || key(b) === key(a)) hs.release(space);
    else if (prev) {
      const u = hs.or(prev.space, space);
      hs.release(prev.space, space);
      prev.space = u;
    } else out.set(k, { before: b, after: a, space });
  };
  for (const g of groups.values()) {
    const u = cellsSpace(A.boxes.coder, g.cells);
    const space = hs.and(u, reach);
    hs.release(u);
    add(final(g.before), final(g.after), hs.and(space, routed));
    add(g.before, g.after, hs.diff(space, routed));
    hs.release(space);
  }
  hs.release(reach, routed);
  return { changes: [...out.values()], bytes: core.bytes() };
}

/** The one base chain of each ruleset, at the same hook, when both are chains of boxes (coded alike). */
function bothSides(before: SymbolicAnalysis, after: SymbolicAnalysis): [Side, Side] | undefined {
  const at = [before, after].map((a) => {
    const bases = a.plan.chains.filter((c) => c.chain.base);
    if (bases.length !== 1) return undefined;
    const hook = bases[0]!.chain.base!.hook as PathHook;
    return PATH_HOOKS.includes(hook) ? { a, hook, base: bases[0]!.id } : undefined;
  });
  const [x, y] = at;
  if (!x || !y || x.hook !== y.hook) return undefined;
  const boxes = geometricChains([x, y]);
  return boxes && [{ ...x, boxes: boxes[0]! }, { ...y, boxes: boxes[1]! }];
}

/** The packets to one of the host's addresses. */
function toHost(a: SymbolicAnalysis): Space {
  const hs: HeaderSpace = a.hs;
  const st = { space: hs.all, sub: {}, ctx: { tracked: true, notracked: false, noIif: false, noOif: false }, natDone: { src: false, dst: false } };
  const parts = ([4, 6] as const).map((f) => a.evaluator.pred.addrNow(st, 'daddr', f, [...a.env.local[f]].map((x) => ({ lo: x, hi: x }))));
  const local = hs.union(parts);
  hs.release(...parts);
  return local;
}

/** Broadcast and multicast frames to no address of the host: the routing decision drops them. */
function forwardedFrames(a: SymbolicAnalysis): Space {
  const hs: HeaderSpace = a.hs;
  const local = toHost(a);
  const either = hs.or(local, hs.unicast);
  const out = hs.not(either);
  hs.release(local, either);
  return out;
}

/** The packets of the whole path (from prerouting) that reach a hook: routed locally or not. */
function reaching(a: SymbolicAnalysis, hook: PathHook): Space {
  const hs: HeaderSpace = a.hs;
  if (hook === 'prerouting') return hs.keep(hs.all);
  if (hook === 'output') return hs.keep(hs.none);
  const local = toHost(a);
  if (hook === 'input') return local;
  // Forwarded: to no address of the host, and unicast (the kernel forwards no broadcast or multicast frame).
  const out = hs.diff(hs.unicast, local);
  hs.release(local);
  return out;
}

/**
 * Rules outside a longest common subsequence of two lists of rule identities (Myers, "An O(ND)
 * difference algorithm", 1986): indexes removed from the first and added in the second; undefined
 * beyond MAX_EDITS.
 */
export function editedRules(a: readonly string[], b: readonly string[]): { removed: number[]; added: number[] } | undefined {
  const n = a.length;
  const m = b.length;
  const offset = MAX_EDITS + 1;
  const v = new Int32Array(2 * offset + 1);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= MAX_EDITS; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, d, n, m, offset);
    }
  }
  return undefined;
}

/** Walks the trace back from (n, m): the non-diagonal moves are the edits. */
function backtrack(trace: readonly Int32Array[], d: number, n: number, m: number, offset: number): { removed: number[]; added: number[] } {
  const removed: number[] = [];
  const added: number[] = [];
  let x = n;
  let y = m;
  for (let e = d; e > 0; e--) {
    const v = trace[e]!; // V as round e found it
    const k = x - y;
    const down = k === -e || (k !== e && v[offset + k - 1]! < v[offset + k + 1]!);
    const px = v[offset + (down ? k + 1 : k - 1)]!;
    const py = px - (down ? k + 1 : k - 1);
    while (x > px && y > py) {
      x--;
      y--;
    }
    if (down) added.push(py);
    else removed.push(px);
    x = px;
    y = py;
  }
  return { removed: removed.reverse(), added: added.reverse() };
}
