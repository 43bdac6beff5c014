// Which chains the geometric core can analyse, and their rules as boxes. A hook qualifies when
// one filter base chain runs there (for every family it sees) and its rules only match, then
// count, log or clamp, then accept/drop/reject or nothing — first match wins — and every match is
// an interval set on a field of ≤ 32 bits: nfproto, l4proto, IPv4 addresses, ports, meta mark.
// Such a rule is the union of the boxes of its fields' intervals; cells come back as header
// spaces (an IPv6 packet's address dimensions read its low 32 bits, which no box constrains).

import type { Match, Rule } from '../../model/ruleset.js';
import { FIELDS, valueIntervals, type Interval } from '../../model/values.js';
import type { PathHook } from '../../engine/plan.js';
import { complement, intersect } from '../../engine/dims.js';
import type { FieldName } from '../headerspace/layout.js';
import { FAMILY_CODE } from '../headerspace/layout.js';
import type { HeaderSpace, Space } from '../headerspace/space.js';
import type { SymbolicAnalysis } from '../symbolic/index.js';
import type { BoxChain, Cell } from './core.js';

/**
 * The dimensions, in box order (the most telling first: the core tests them in this order and
 * prefers the first of equally good cuts), with their domains' widths and the header field each reads.
 */
const DIMS = [
  { field: 'saddr', bits: 32 },
  { field: 'daddr', bits: 32 },
  { field: 'sport', bits: 16 },
  { field: 'dport', bits: 16 },
  { field: 'l4proto', bits: 8 },
  { field: 'mark', bits: 32 },
  { field: 'nfproto', bits: 1 },
] as const satisfies readonly { field: FieldName; bits: number }[];
const dim = (field: FieldName) => DIMS.findIndex((d) => d.field === field);
const NFPROTO = dim('nfproto');

/** The dimension a match field constrains, and the family it implies (nft's dependency). */
const DIM_OF: Partial<Record<Match['field'], { dim: number; v4?: true }>> = {
  'meta nfproto': { dim: NFPROTO },
  'meta l4proto': { dim: dim('l4proto') },
  'ip protocol': { dim: dim('l4proto'), v4: true },
  'ip saddr': { dim: dim('saddr'), v4: true },
  'ip daddr': { dim: dim('daddr'), v4: true },
  'th sport': { dim: dim('sport') },
  'th dport': { dim: dim('dport') },
  'meta mark': { dim: dim('mark') },
};

const ANY_FAMILY: Interval[][] = DIMS.map((d) => [{ lo: 0n, hi: (1n << BigInt(d.bits)) - 1n }]);

/** Beyond this many boxes for one rule the BDD path is the better tool. */
const MAX_PIECES = 64;

export const ACTION_CODE = { accept: 1, drop: 2, reject: 3 } as const;

/** The one base chain at a hook that the geometric core can analyse, with its boxes. */
export function geometricChain(a: SymbolicAnalysis, hook: PathHook, base: number): BoxChain | undefined {
  const info = a.plan.chains[base]!;
  const b = info.chain.base!;
  if (b.type !== 'filter') return undefined;
  const fams = info.table.family === 'ip' ? [4] as const : info.table.family === 'ip6' ? [6] as const : [4, 6] as const;
  for (const f of fams) {
    const slots = a.plan.pipelines[f][hook].filter((s) => s.kind !== 'conntrack');
    if (slots.length !== 1 || slots[0]!.kind !== 'chain' || slots[0]!.chain !== base) return undefined;
  }
  const universe = [...ANY_FAMILY];
  const codes = fams.map((f) => BigInt(FAMILY_CODE[f]));
  universe[NFPROTO] = [{ lo: codes[0]!, hi: codes[codes.length - 1]! }]; // one interval: the codes are 0 and 1
  const pieces: Uint32Array[][] = [];
  const act: number[] = [];
  for (const rule of info.chain.rules) {
    const v = rule.verdict?.kind ?? 'continue';
    if (v !== 'accept' && v !== 'drop' && v !== 'reject' && v !== 'continue') return undefined;
    const boxes = ruleBoxes(rule, universe);
    if (!boxes) return undefined;
    // A rule for packets of a family the table never sees is unreachable, not empty: the BDD path says which.
    if (boxes.length === 0 && fams.length === 1 && ruleBoxes(rule, ANY_FAMILY)?.length) return undefined;
    pieces.push(boxes);
    act.push(v === 'continue' ? 0 : ACTION_CODE[v]);
  }
  return { dims: DIMS.length, pieces, act };
}

/** A rule's boxes (none: it matches nothing), or undefined when it is not a union of a few boxes. */
function ruleBoxes(rule: Rule, universe: Interval[][]): Uint32Array[] | undefined {
  const dims = universe.slice(); // interval lists are never changed in place: intersect makes new ones
  let statements = false;
  for (const e of rule.exprs) {
    if (e.kind !== 'match') {
      if (e.kind !== 'counter' && e.kind !== 'log' && e.kind !== 'mss-clamp') return undefined;
      statements = true;
      continue;
    }
    const at = DIM_OF[e.field];
    if (!at || statements || e.mask !== undefined) return undefined;
    let ivs = matchIntervals(e);
    if (!ivs) return undefined;
    if (e.op === '!=') ivs = complement(ivs, at.dim === NFPROTO ? 1n : (1n << BigInt(FIELDS[e.field].bits)) - 1n);
    dims[at.dim] = intersect(dims[at.dim]!, ivs);
    if (at.v4) dims[NFPROTO] = intersect(dims[NFPROTO]!, [{ lo: 0n, hi: 0n }]);
  }
  const count = dims.reduce((n, ivs) => n * ivs.length, 1);
  if (count > MAX_PIECES) return undefined;
  // Every combination of one interval per dimension, the last dimension varying fastest.
  const boxes = Array.from({ length: count }, () => new Uint32Array(2 * dims.length));
  for (let k = dims.length - 1, stride = 1; k >= 0; stride *= dims[k]!.length, k--) {
    const ivs = dims[k]!;
    for (let b = 0; b < count; b++) {
      const iv = ivs[Math.floor(b / stride) % ivs.length]!;
      boxes[b]![2 * k] = Number(iv.lo);
      boxes[b]![2 * k + 1] = Number(iv.hi);
    }
  }
  return boxes;
}

/** The match's value as intervals of its dimension (nfproto: family codes); undefined if invalid. */
function matchIntervals(m: Match): Interval[] | undefined {
  const ivs = valueIntervals(m.field, m.value);
  if (typeof ivs === 'string') return undefined;
  if (m.field !== 'meta nfproto') return ivs;
  const has = (x: bigint) => ivs.some((iv) => iv.lo <= x && x <= iv.hi);
  return ([[2n, 0n], [10n, 1n]] as const).filter(([v]) => has(v)).map(([, c]) => ({ lo: c, hi: c }));
}

/** A cell as field intervals (IPv4 address dimensions: the address fields' low 32 bits). */
export function cellFields(cell: Cell): Map<FieldName, Interval> {
  return new Map(DIMS.map((d, k) => [d.field, { lo: BigInt(cell[2 * k]!), hi: BigInt(cell[2 * k + 1]!) }]));
}

/**
 * The cells as field intervals for `describeBoxes`, or undefined when one holds IPv6 packets and
 * constrains the address dimensions (their low 32 bits: words only the BDD's reading can give).
 */
export function cellBoxes(cells: readonly Cell[]): Map<FieldName, Interval>[] | undefined {
  const boxes: Map<FieldName, Interval>[] = [];
  for (const c of cells) {
    const box = cellFields(c);
    if (c[2 * NFPROTO] !== FAMILY_CODE[4] || c[2 * NFPROTO + 1] !== FAMILY_CODE[4]) {
      for (const f of ['saddr', 'daddr'] as const) {
        const k = dim(f);
        if (c[2 * k] !== 0 || c[2 * k + 1] !== 0xffffffff) return undefined;
        box.delete(f); // any address, whatever the family
      }
    }
    boxes.push(box);
  }
  return boxes;
}

/** The union of cells as a header space (a new handle). */
export function cellsSpace(hs: HeaderSpace, cells: readonly Cell[]): Space {
  const parts = cells.map((c) => {
    // The box's narrow dimensions first (small diagrams), then once with `all`.
    let s = hs.keep(hs.all);
    let box: Space | undefined;
    DIMS.forEach((d, k) => {
      const lo = BigInt(c[2 * k]!);
      const hi = BigInt(c[2 * k + 1]!);
      if (lo === 0n && hi === (1n << BigInt(d.bits)) - 1n) return;
      const vars = d.field === 'saddr' || d.field === 'daddr' ? hs.layout.v4(d.field) : hs.layout.field(d.field);
      const r = hs.range(vars, lo, hi);
      const next = box === undefined ? r : hs.and(box, r);
      if (box !== undefined) hs.release(box, r);
      box = next;
    });
    if (box !== undefined) {
      const next = hs.and(s, box);
      hs.release(s, box);
      s = next;
    }
    return s;
  });
  const u = hs.union(parts);
  hs.release(...parts);
  return u;
}
