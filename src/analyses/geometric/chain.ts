// Which chains the geometric core can analyse, and their rules as boxes. A hook qualifies when
// one filter base chain runs there (for every family it sees) and its rules only match, then
// count, log or clamp, then accept/drop/reject or nothing — first match wins — and every match is
// a union of a few boxes over the dimensions of dims.ts: families, protocols, IPv4 and IPv6
// addresses, ports, interfaces, marks, ct state and ct mark. Such a rule is the intersection of
// its matches' unions; cells come back as field intervals or header spaces. For the anomalies,
// the chains the base chain jumps to are inlined where the jump is (chain-tree.ts), so that a
// chain of jumps to per-tenant chains is one chain of boxes too.

import type { Expr, Match, Rule } from '../../model/ruleset.js';
import type { Interval } from '../../model/values.js';
import type { PathHook } from '../../engine/plan.js';
import { intersect } from '../../engine/dims.js';
import type { BoxRange, FieldName } from '../headerspace/layout.js';
import { CT_STATES, CT_WITH_ENTRY, FAMILY_CODE } from '../headerspace/layout.js';
import type { HeaderSpace, Space } from '../headerspace/space.js';
import type { SymbolicAnalysis } from '../symbolic/index.js';
import { treeRules } from '../chain-tree.js';
import { fitsCore, type BoxChain, type Cell } from './core.js';
import { DIM, DIM_NAMES, DimCoder, FIELD_OF, meetParts, type DimContext, type Part } from './dims.js';
import type { MarkOrder } from './marks.js';

/** Beyond this many boxes for one rule the BDD path is the better tool. */
const MAX_PIECES = 64;

export const ACTION_CODE = { accept: 1, drop: 2, reject: 3 } as const;

/** A chain of boxes with the coder of its dimensions; `ids[i]`: the plan's id of the rule of box list i. */
export type GeoChain = BoxChain & { coder: DimCoder; ids: number[] };

/** A base chain at a hook. */
export interface ChainAt {
  a: SymbolicAnalysis;
  hook: PathHook;
  base: number;
}

/** The one base chain at a hook that the geometric core can analyse, with its boxes (the chains it jumps to inlined). */
export function geometricChain(a: SymbolicAnalysis, hook: PathHook, base: number): GeoChain | undefined {
  const r = geometricChains([{ a, hook, base }], true);
  return r && fitsCore(r[0]!) ? r[0] : undefined;
}

/**
 * Base chains as chains of boxes coded alike (one coder: the two sides of a diff share their
 * dimensions), or undefined when one is not a chain of boxes. All sides share one header space.
 * `inline`: the chains they jump to inlined, each rule under its jumps' matches (chain-tree.ts);
 * else a jump is not a chain of boxes.
 */
export function geometricChains(sides: readonly ChainAt[], inline = false): GeoChain[] | undefined {
  const infos = sides.map((s) => s.a.plan.chains[s.base]!);
  if (!sides.every((s, i) => qualifies(s, infos[i]!.table.family))) return undefined;
  const flats: { id: number; rule: Rule; guard: Match[] }[][] = [];
  for (const s of sides) {
    const { plan } = s.a;
    const base = plan.chains[s.base]!;
    const tree = inline ? treeRules(plan, s.base) : base.chain.rules.map((_, i) => ({ id: base.firstRule + i, via: [] }));
    if (!tree) return undefined;
    const own = (id: number) => plan.rules[id]!.rule.exprs.filter((e): e is Match => e.kind === 'match');
    flats.push(tree.map(({ id, via }) => ({ id, rule: plan.rules[id]!.rule, guard: via.flatMap(own) })));
  }
  const matches = flats.flatMap((flat) => flat.flatMap((f) => f.rule.exprs.flatMap((e) => (e.kind === 'match' ? [e] : []))));
  const coder = DimCoder.of(sides[0]!.a.hs, matches);
  if (!coder) return undefined;
  const out: GeoChain[] = [];
  for (const [i, s] of sides.entries()) {
    const info = infos[i]!;
    const fams = familiesOf(info.table.family);
    const any = coder.universe();
    const universe = [...any];
    const codes = fams.map((f) => BigInt(FAMILY_CODE[f]));
    universe[DIM.nfproto] = [{ lo: codes[0]!, hi: codes[codes.length - 1]! }]; // one interval: the codes are 0 and 1
    const b = info.chain.base!;
    const early = s.hook === 'prerouting' || s.hook === 'output';
    const ctx: DimContext = { tracked: !early || b.priority >= -200, noIif: s.hook === 'output', noOif: s.hook === 'prerouting' || s.hook === 'input' };
    const pieces: Uint32Array[][] = [];
    const act: number[] = [];
    for (const { rule, guard } of flats[i]!) {
      const v = rule.verdict?.kind ?? 'continue';
      if (v !== 'accept' && v !== 'drop' && v !== 'reject' && v !== 'continue' && !(v === 'jump' && inline)) return undefined;
      const parts = ruleParts(guard.length ? [...guard, ...rule.exprs] : rule.exprs, coder, ctx);
      if (!parts) return undefined;
      const boxes = partBoxes(parts, universe);
      if (!boxes) return undefined;
      // A rule for packets of a family the table never sees, or that its jumps never let in, is
      // unreachable, not empty: the BDD path says which.
      if (boxes.length === 0 && (fams.length === 1 || guard.length > 0) && ownBoxes(rule, coder, ctx, any)) return undefined;
      pieces.push(boxes);
      act.push(v === 'continue' || v === 'jump' ? 0 : ACTION_CODE[v]);
    }
    out.push({ dims: DIM_NAMES.length, pieces, act, coder, ids: flats[i]!.map((f) => f.id) });
  }
  return out;
}

function familiesOf(family: string): readonly (4 | 6)[] {
  return family === 'ip' ? [4] : family === 'ip6' ? [6] : [4, 6];
}

/** A filter base chain that runs alone at its hook (for every family it sees). */
function qualifies(s: ChainAt, family: string): boolean {
  if (s.a.plan.chains[s.base]!.chain.base!.type !== 'filter') return false;
  return familiesOf(family).every((f) => {
    const slots = s.a.plan.pipelines[f][s.hook].filter((x) => x.kind !== 'conntrack');
    return slots.length === 1 && slots[0]!.kind === 'chain' && slots[0]!.chain === s.base;
  });
}

/** Whether a rule's own matches (no jump's) may hold for some packet of any family (too many boxes to tell: yes). */
function ownBoxes(rule: Rule, coder: DimCoder, ctx: DimContext, any: readonly Interval[][]): boolean {
  const parts = ruleParts(rule.exprs, coder, ctx);
  return parts !== undefined && (partBoxes(parts, any)?.length ?? 1) > 0;
}

/** A rule's packets (its expressions) as disjoint parts, or undefined when they are not a few boxes. */
function ruleParts(exprs: readonly Expr[], coder: DimCoder, ctx: DimContext): Part[] | undefined {
  let parts: Part[] = [new Map()];
  let statements = false;
  for (const e of exprs) {
    if (e.kind !== 'match') {
      if (e.kind !== 'counter' && e.kind !== 'log' && e.kind !== 'mss-clamp') return undefined;
      statements = true;
      continue;
    }
    if (statements) return undefined;
    const mp = coder.matchParts(e, ctx);
    if (!mp) return undefined;
    parts = meetParts(parts, mp);
    if (parts.length > MAX_PIECES) return undefined;
  }
  return parts;
}

/** The boxes of parts inside a universe (one interval a dimension): every combination of one interval per dimension. */
function partBoxes(parts: readonly Part[], universe: readonly Interval[][]): Uint32Array[] | undefined {
  const base = new Uint32Array(2 * universe.length);
  universe.forEach(([u], k) => {
    base[2 * k] = Number(u!.lo);
    base[2 * k + 1] = Number(u!.hi);
  });
  const out: Uint32Array[] = [];
  for (const part of parts) {
    const dims: [number, Interval[]][] = [];
    let count = 1;
    for (const [k, ivs] of part) {
      const x = intersect(universe[k]!, ivs);
      dims.push([k, x]);
      count *= x.length;
    }
    if (out.length + count > MAX_PIECES) return undefined;
    for (let b = 0; b < count; b++) {
      const box = base.slice();
      for (let d = 0, rest = b; d < dims.length; d++) {
        const [k, ivs] = dims[d]!;
        const iv = ivs[rest % ivs.length]!;
        rest = Math.floor(rest / ivs.length);
        box[2 * k] = Number(iv.lo);
        box[2 * k + 1] = Number(iv.hi);
      }
      out.push(box);
    }
  }
  return out;
}

const FULL = (cell: Cell, k: number, top: number) => cell[2 * k] === 0 && cell[2 * k + 1] === top;
const iv = (cell: Cell, k: number): Interval => ({ lo: BigInt(cell[2 * k]!), hi: BigInt(cell[2 * k + 1]!) });

/**
 * A cell as field intervals or masked marks (for `boxWitness` and `describeBoxes`), or undefined
 * when it does not read as one box of header fields: both families with address dimensions
 * constrained, a mark whose coded interval is more than one masked value, a ct mark over states
 * without an entry. Then the BDD reads it (cellsSpace).
 */
export function cellFields(coder: DimCoder, cell: Cell): Map<FieldName, BoxRange> | undefined {
  const box = new Map<FieldName, BoxRange>();
  const v4Only = cell[2 * DIM.nfproto + 1] === FAMILY_CODE[4];
  const v6Only = cell[2 * DIM.nfproto] === FAMILY_CODE[6];
  for (const [k4, k6, r] of [[DIM.saddr4, DIM.saddr6, coder.ranks.saddr6], [DIM.daddr4, DIM.daddr6, coder.ranks.daddr6]] as const) {
    const field = FIELD_OF[DIM_NAMES[k4]!];
    if (v4Only) box.set(field, iv(cell, k4));
    else if (v6Only) {
      if (!FULL(cell, k6, r.top)) box.set(field, r.span(cell[2 * k6]!, cell[2 * k6 + 1]!));
    }
    else if (!FULL(cell, k4, 0xffffffff) || !FULL(cell, k6, r.top)) return undefined;
  }
  for (const d of ['mark', 'ctmark'] as const) {
    if (FULL(cell, DIM[d], 0xffffffff)) continue;
    if (d === 'ctmark' && cell[2 * DIM.ctstate + 1]! > 2) return undefined;
    const m = markRange(coder.marks[d], cell, DIM[d]);
    if (!m) return undefined;
    box.set(d, m);
  }
  for (const d of ['iifname', 'oifname', 'sport', 'dport', 'l4proto', 'ctstate', 'nfproto'] as const) box.set(d, iv(cell, DIM[d]));
  return box;
}

/** A mark dimension of a cell as marks: an interval, one masked value, or undefined (more than one). */
function markRange(order: MarkOrder, cell: Cell, k: number): BoxRange | undefined {
  if (order.identity) return iv(cell, k);
  const blocks = order.blocks(cell[2 * k]!, cell[2 * k + 1]!);
  return blocks.length === 1 ? { value: BigInt(blocks[0]!.value), mask: BigInt(blocks[0]!.mask) } : undefined;
}

/** The cells as field intervals for `describeBoxes`, or undefined when one does not read as a box (cellFields). */
export function cellBoxes(coder: DimCoder, cells: readonly Cell[]): Map<FieldName, BoxRange>[] | undefined {
  const boxes: Map<FieldName, BoxRange>[] = [];
  for (const c of cells) {
    const box = cellFields(coder, c);
    if (!box) return undefined;
    boxes.push(box);
  }
  return boxes;
}

/**
 * The union of cells as a header space (a new handle): the headers whose point lies in a cell —
 * an IPv4 header's IPv6 address dimensions, an IPv6 header's IPv4 ones, and the ct mark of a
 * header without a conntrack entry being any.
 */
export function cellsSpace(coder: DimCoder, cells: readonly Cell[]): Space {
  const hs = coder.hs;
  const parts = cells.map((c) => cellSpace(coder, c));
  const u = hs.union(parts);
  hs.release(...parts);
  return u;
}

function cellSpace(coder: DimCoder, c: Cell): Space {
  const hs = coder.hs;
  const L = hs.layout;
  const range = (k: number, vars = L.field(FIELD_OF[DIM_NAMES[k]!])) => hs.range(vars, BigInt(c[2 * k]!), BigInt(c[2 * k + 1]!));
  const all = (list: Space[]) => {
    const x = hs.intersect(list);
    hs.release(...list);
    return x;
  };
  const any = (list: Space[]) => {
    const x = hs.union(list);
    hs.release(...list);
    return x;
  };
  const masked = (k: number, field: 'mark' | 'ctmark') =>
    any(coder.marks[field].blocks(c[2 * k]!, c[2 * k + 1]!).map((b) => hs.range(L.field(field), BigInt(b.value), BigInt(b.value), BigInt(b.mask))));
  // The narrow dimensions first (small diagrams).
  const common: Space[] = [];
  for (const d of ['sport', 'dport', 'l4proto', 'iifname', 'oifname', 'ctstate', 'nfproto'] as const) {
    if (!FULL(c, DIM[d], 2 ** L.field(d).width - 1)) common.push(range(DIM[d]));
  }
  if (!FULL(c, DIM.mark, 0xffffffff)) common.push(masked(DIM.mark, 'mark'));
  const families: Space[] = [];
  if (c[2 * DIM.nfproto] === FAMILY_CODE[4]) {
    families.push(all([hs.equal('nfproto', BigInt(FAMILY_CODE[4])), range(DIM.saddr4, L.v4('saddr')), range(DIM.daddr4, L.v4('daddr'))]));
  }
  if (c[2 * DIM.nfproto + 1] === FAMILY_CODE[6]) {
    const addr = (k: number, field: 'saddr' | 'daddr') => {
      const s = coder.ranks[field === 'saddr' ? 'saddr6' : 'daddr6'].span(c[2 * k]!, c[2 * k + 1]!);
      return hs.range(L.field(field), s.lo, s.hi);
    };
    families.push(all([hs.equal('nfproto', BigInt(FAMILY_CODE[6])), addr(DIM.saddr6, 'saddr'), addr(DIM.daddr6, 'daddr')]));
  }
  common.push(any(families));
  if (!FULL(c, DIM.ctmark, 0xffffffff)) {
    const withEntry = CT_STATES.flatMap((s, i) => (CT_WITH_ENTRY.includes(s) ? [i] : []));
    const entry = all([hs.codes('ctstate', withEntry), masked(DIM.ctmark, 'ctmark')]);
    common.push(any([entry, hs.codes('ctstate', CT_STATES.flatMap((s, i) => (CT_WITH_ENTRY.includes(s) ? [] : [i])))]));
  }
  // No `all`: every coded dimension (interfaces, ct state) is either full or a range of valid codes.
  return common.length === 0 ? hs.keep(hs.all) : all(common);
}
