// IR → the flat program the WASM classifier runs (layout in src/engine/layout.ts). Per chain:
// each rule's leading matches (those before its first statement) become constraints in the
// chain's dimensions (dims.ts); the rest of the rule — statements, later matches, the verdict —
// becomes a short op stream run in order. Plus the hook pipelines of plan.ts, the host's local
// addresses and the masquerade addresses. Pure: the same Ruleset gives the same words.

import { plainVerdict } from '../model/expand-maps.js';
import { markOp } from '../model/mark-op.js';
import { NftlensError } from '../model/diagnostics.js';
import { drawsNumber, fibOifHolds, type ConcatMatch, type Match, type NatStmt, type Rule, type Table } from '../model/ruleset.js';
import { FIELDS, NFPROTO, parseAddress, prefixMask, valueItems, type FieldKind, type Interval } from '../model/values.js';
import { Columns, S_NONE, S_ONE } from './columns.js';
import { buildForest, forestOfPieces, type CutDim } from './cuts.js';
import { BLOCK_RULES, buildDim, complement, type BuiltDim } from './dims.js';
import { environmentNames, firstAddress, type Environment } from './environment.js';
import { IfClasses } from './ifnames.js';
import { MATCH_FIELDS } from './match-numbers.js';
import * as L from './layout.js';
import { matchIntervals, natFamily, natHookReached, PATH_HOOKS, type ChainInfo, type Plan } from './plan.js';
import { familyNats } from './ct-status.js';
import { fieldsRead, goesOn, numberIntervals, waysOf, type StatefulExpr } from './state.js';

export interface Program {
  /** Program size in words, and how to write it into memory of that size. */
  length: number;
  writeTo(out: Uint32Array): void;
  classes: IfClasses;
  /** Masquerade address index (1-based) for `${family}:${interface}`. */
  masqIndex: Map<string, number>;
  /** The search each chain got (by chain id): cut trees or bit vectors. */
  lookups: ('forest' | 'bits')[];
}

const MAX32 = 0xffffffffn;
const MAX128 = (1n << 128n) - 1n;

interface FieldSlot {
  slot: number;
  width: 1 | 4;
  directSize?: number;
}

/** The slot of every field but interface names (whose size depends on the ruleset): shared, read-only. */
const FIXED_SLOTS = new Map<Match['field'], FieldSlot>();
for (const f of Object.keys(FIELDS) as Match['field'][]) if (FIELDS[f].kind !== 'ifname') FIXED_SLOTS.set(f, slotOf(f, 0));

function fieldSlot(field: Match['field'], classes: IfClasses): FieldSlot {
  return FIXED_SLOTS.get(field) ?? slotOf(field, classes.count);
}

function slotOf(field: Match['field'], ifClasses: number): FieldSlot {
  switch (field) {
    case 'ip saddr': return { slot: L.K_SADDR, width: 1 };
    case 'ip daddr': return { slot: L.K_DADDR, width: 1 };
    case 'ip6 saddr': return { slot: L.K_SADDR, width: 4 };
    case 'ip6 daddr': return { slot: L.K_DADDR, width: 4 };
    case 'ip protocol':
    case 'meta l4proto': return { slot: L.K_L4PROTO, width: 1, directSize: 256 };
    case 'meta nfproto': return { slot: L.K_NFPROTO, width: 1, directSize: 256 };
    case 'th sport': return { slot: L.K_SPORT, width: 1, directSize: 65536 };
    case 'th dport': return { slot: L.K_DPORT, width: 1, directSize: 65536 };
    case 'meta iifname': return { slot: L.K_IIF, width: 1, directSize: ifClasses };
    case 'meta oifname': return { slot: L.K_OIF, width: 1, directSize: ifClasses };
    case 'ct state': return { slot: L.K_CTSTATE, width: 1, directSize: 256 };
    case 'ct mark': return { slot: L.K_CTMARK, width: 1 };
    case 'ct status': return { slot: L.K_CTSTATUS, width: 1 };
    case 'meta pkttype': return { slot: L.K_PKTTYPE, width: 1, directSize: 256 };
    case 'meta mark': return { slot: L.K_MARK, width: 1 };
    case 'tcp flags': return { slot: L.K_FLAGS, width: 1, directSize: 256 };
  }
}

/** A match as (slot, width, mask, intervals of keys it accepts) plus what it requires. */
interface Constraint {
  fs: FieldSlot;
  mask: number;
  intervals: Interval[];
  req: number;
}

function constraintOf(m: Match, classes: IfClasses, withValue = true): Constraint {
  const info = FIELDS[m.field];
  const fs = fieldSlot(m.field, classes);
  const max = fs.width === 4 ? MAX128 : MAX32;
  let ivs: Interval[];
  if (!withValue) ivs = [];
  else if (info.kind === 'ifname') {
    const ids = new Set<number>();
    for (const p of valueItems(m.value)) for (const id of classes.matching(p as string)) ids.add(id);
    ivs = [...ids].sort((a, b) => a - b).map((id) => ({ lo: BigInt(id), hi: BigInt(id) }));
  } else {
    ivs = matchIntervals(m);
  }
  if (m.op === '!=') ivs = complement(ivs, max);
  return { fs, mask: m.mask ?? 0xffffffff, intervals: ivs, req: requirements(m.field) };
}

/** What a match on `field` requires besides its value (nft's dependencies): REQ_* bits. */
function requirements(field: Match['field']): number {
  const info = FIELDS[field];
  let req = 0;
  if (info.nfproto) req |= info.nfproto === 'ipv4' ? L.REQ_V4 : L.REQ_V6;
  if (info.l4proto === 6) req |= L.REQ_TCP;
  if (field === 'ct mark' || field === 'ct status') req |= L.REQ_CT;
  return req;
}

/**
 * The program under construction: small values go to `head` words, big typed arrays are kept as
 * chunks and copied once, when the program is written into WASM memory (writeTo).
 */
class Words {
  private buf = new Uint32Array(1 << 12);
  private used = 0;
  private readonly chunks: { at: number; data: Uint32Array }[] = [];
  /** Total words so far (head words and chunks interleave in one address space). */
  len = 0;
  private grow(n: number): number {
    // Head words live in runs; each run starts where the address space is now.
    if (this.used + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.used + n) size *= 2;
      const b = new Uint32Array(size);
      b.set(this.buf.subarray(0, this.used));
      this.buf = b;
    }
    const at = this.len;
    const last = this.runs[this.runs.length - 1];
    if (last && last.at + last.n === at && last.from + last.n === this.used) last.n += n;
    else this.runs.push({ at, from: this.used, n });
    this.used += n;
    this.len += n;
    return at;
  }
  private readonly runs: { at: number; from: number; n: number }[] = [];
  reserve(n: number): number {
    return this.grow(n);
  }
  push(...v: number[]): number {
    return this.pushAll(v);
  }
  pushAll(v: ArrayLike<number>): number {
    const at = this.grow(v.length);
    const from = this.used - v.length;
    for (let i = 0; i < v.length; i++) this.buf[from + i] = v[i]! >>> 0;
    return at;
  }
  append(a: Uint32Array): number {
    const at = this.len;
    this.chunks.push({ at, data: a });
    this.len += a.length;
    return at;
  }
  set(at: number, v: number): void {
    const run = this.runOf(at, 1);
    this.buf[run.from + at - run.at] = v >>> 0;
  }
  /** Head words at … at + v.length − 1 (taken by one reserve) set to v. */
  setAll(at: number, v: Uint32Array): void {
    if (v.length === 0) return;
    const run = this.runOf(at, v.length);
    this.buf.set(v, run.from + at - run.at);
  }
  /** The run of head words at … at + n − 1. Only head words are ever patched. */
  private runOf(at: number, n: number): { at: number; from: number; n: number } {
    // Runs are sorted by address.
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runs[mid]!.at <= at) lo = mid;
      else hi = mid - 1;
    }
    const run = this.runs[lo]!;
    if (at < run.at || at + n > run.at + run.n) throw new Error(`words ${at} … ${at + n - 1} are not head words`);
    return run;
  }
  /** Copies the program into `out` (length `len`). */
  writeTo(out: Uint32Array): void {
    for (const run of this.runs) out.set(this.buf.subarray(run.from, run.from + run.n), run.at);
    for (const c of this.chunks) out.set(c.data, c.at);
  }
}

function addrWords(v: bigint, width: 1 | 4): number[] {
  if (width === 1) return [Number(v & MAX32), 0, 0, 0];
  return [Number((v >> 96n) & MAX32), Number((v >> 64n) & MAX32), Number((v >> 32n) & MAX32), Number(v & MAX32)];
}

export function compileProgram(plan: Plan, env: Environment): Program {
  // Route lookups compare interface classes: the interfaces routes leave by, and lo, get their own.
  const classes = new IfClasses(plan.ifPatterns, plan.namesInterfaces ? environmentNames(env) : []);
  const w = new Words();
  w.reserve(L.H_WORDS);
  const chainsAt = w.reserve(plan.chains.length * L.CHAIN_WORDS);
  const lookups = plan.chains.map((c) => compileChain(w, chainsAt + c.id * L.CHAIN_WORDS, c, plan, classes));

  const pipes = w.reserve(2 * L.N_HOOKS);
  ([4, 6] as const).forEach((fam, f) => {
    PATH_HOOKS.forEach((hook, h) => {
      const slots = plan.pipelines[fam][hook];
      const at = w.push(slots.length);
      const pairs = w.reserve(2 * slots.length);
      slots.forEach((s, i) => {
        const kind = s.kind === 'chain' ? L.S_CHAIN | (natHookReached(plan, fam, hook, s) ? L.S_AFTER_NAT : 0) : s.kind === 'conntrack' ? L.S_CONNTRACK : L.S_NAT;
        w.set(pairs + 2 * i, kind);
        w.set(pairs + 2 * i + 1, s.kind === 'chain' ? s.chain : s.kind === 'nat' ? w.push(s.chains.length, ...s.chains) : 0);
      });
      w.set(pipes + f * L.N_HOOKS + h, at);
    });
  });

  const local4 = w.pushAll([...env.local[4]].map((a) => Number(a)));
  const local6 = w.pushAll([...env.local[6]].flatMap((a) => addrWords(a, 4)));
  const masqIndex = new Map<string, number>();
  const masqWords: number[] = [];
  for (const name of env.interfaces.keys()) {
    for (const fam of [4, 6] as const) {
      const a = firstAddress(env, name, fam);
      if (a === undefined) continue;
      masqWords.push(...addrWords(a, fam === 4 ? 1 : 4));
      masqIndex.set(`${fam}:${name}`, masqWords.length / 4);
    }
  }
  const masq = w.pushAll(masqWords);
  const routes = env.routes ?? [];
  const route4 = routes.filter((r) => r.version === 4);
  const route6 = routes.filter((r) => r.version === 6);
  const routes4 = w.pushAll(route4.flatMap((r) => [Number(r.net), Number(prefixMask(r.len, 32)), classes.classOf(r.dev)]));
  const routes6 = w.pushAll(route6.flatMap((r) => [...addrWords(r.net, 4), ...addrWords(prefixMask(r.len, 128), 4), classes.classOf(r.dev)]));
  const onIf = [...env.interfaces].map(([name, sets]) => ({ cls: classes.classOf(name), sets }));
  const ifAddr4 = onIf.flatMap((x) => [...x.sets[4]].map((a) => [x.cls, Number(a)]));
  const ifAddr6 = onIf.flatMap((x) => [...x.sets[6]].map((a) => [x.cls, ...addrWords(a, 4)]));

  const header = [
    [L.H_MAGIC, L.MAGIC], [L.H_LAYOUT, L.LAYOUT_VERSION], [L.H_NCHAINS, plan.chains.length], [L.H_CHAINS, chainsAt],
    [L.H_PIPES, pipes], [L.H_NLOCAL4, env.local[4].size], [L.H_LOCAL4, local4], [L.H_NLOCAL6, env.local[6].size],
    [L.H_LOCAL6, local6], [L.H_MASQ, masq], [L.H_EMPTY_IF, classes.classOf('')], [L.H_NRULES, plan.rules.length],
    [L.H_NCOUNTERS, plan.counters.length], [L.H_ROUTED, env.routes ? 1 : 0], [L.H_NROUTE4, route4.length], [L.H_ROUTE4, routes4],
    [L.H_NROUTE6, route6.length], [L.H_ROUTE6, routes6], [L.H_LO_IF, classes.classOf('lo')],
    [L.H_NATS, (familyNats(plan, 4) ? 1 : 0) | (familyNats(plan, 6) ? 2 : 0)],
    [L.H_NIFADDR4, ifAddr4.length], [L.H_IFADDR4, w.pushAll(ifAddr4.flat())], [L.H_NIFADDR6, ifAddr6.length], [L.H_IFADDR6, w.pushAll(ifAddr6.flat())],
  ];
  for (const [k, v] of header) w.set(k!, v!);
  return { length: w.len, writeTo: (out) => w.writeTo(out), classes, masqIndex, lookups };
}

/** Whether a table's family already guarantees the IP version a field implies. */
function familyGuarantees(t: Table, req: number): boolean {
  return (t.family === 'ip' && req === L.REQ_V4) || (t.family === 'ip6' && req === L.REQ_V6);
}

/** A leading match's field in a chain's columns: its dim, and the dims (−1: none) and value of what it requires. */
interface LeadField {
  d: number;
  kind: FieldKind;
  bits: number;
  nfDim: number;
  nfproto: number;
  tcpDim: number;
  ctDim: number;
}

/** Rule r narrowed to what a match on f's field requires (nft's dependencies). */
function addRequired(cols: Columns, f: LeadField, r: number): void {
  if (f.nfDim >= 0) cols.addRange(f.nfDim, r, f.nfproto, f.nfproto);
  if (f.tcpDim >= 0) cols.addRange(f.tcpDim, r, 6, 6);
  if (f.ctDim >= 0) cols.addRange(f.ctDim, r, 1, 1);
}

/** The dims a leading match on `field` (with `mask`) adds to (made when new, in the order the compiler has always made them). */
function leadField(cols: Columns, field: Match['field'], mask: number | undefined, classes: IfClasses, table: Table): LeadField {
  const info = FIELDS[field];
  const fs = fieldSlot(field, classes);
  const d = cols.dim(fs.slot, fs.width, mask ?? 0xffffffff, fs.directSize);
  const req = requirements(field);
  const nf = req & (L.REQ_V4 | L.REQ_V6);
  const nfDim = nf && !familyGuarantees(table, nf) ? cols.dim(L.K_NFPROTO, 1, 0xffffffff, 256) : -1;
  const tcpDim = req & L.REQ_TCP ? cols.dim(L.K_L4PROTO, 1, 0xffffffff, 256) : -1;
  const ctDim = req & L.REQ_CT ? cols.dim(L.K_HASCT, 1, 0xffffffff, 256) : -1;
  return { d, kind: info.kind, bits: info.bits, nfDim, nfproto: nf === L.REQ_V4 ? NFPROTO.ipv4 : NFPROTO.ipv6, tcpDim, ctDim };
}

function compileChain(w: Words, rec: number, c: ChainInfo, plan: Plan, classes: IfClasses): 'forest' | 'bits' {
  const rules = c.chain.rules;
  const nRules = rules.length;
  const nBlocks = Math.max(1, Math.ceil(nRules / BLOCK_RULES));
  const cols = new Columns(nRules);
  // The plan's account of the rules (match-numbers.ts): leading matches, the values it read as
  // numbers, the rules that only decide; a rule is read again only for the other matches.
  const { at: numbersAt, lead: leadOf, decides, simple, lo: simpleLo, hi: simpleHi } = plan.numbers;
  const lead = leadOf.subarray(c.firstRule, c.firstRule + nRules);
  // Rule-table words known here (a rule that only decides), 0 for a rule that needs an op stream.
  const ruleWords = new Uint32Array(nRules);
  // What a match on a field (with no mask) adds: looked up once a field per chain, not per match.
  const byField = new Map<Match['field'], LeadField>();
  const byCode: (LeadField | undefined)[] = []; // the same, by the plan's field number
  for (let r = 0; r < nRules; r++) {
    const id = c.firstRule + r;
    const slots = numbersAt[id]!;
    const n = lead[r]!;
    for (let k = 0; k < n; k++) {
      const slot = slots + k;
      const code = simple[slot]!;
      if (code) {
        // No mask: the field's own dims.
        let f = byCode[code];
        if (!f) {
          const field = MATCH_FIELDS[code - 1]!;
          f = byField.get(field) ?? leadField(cols, field, undefined, classes, c.table);
          byField.set(field, f);
          byCode[code] = f;
        }
        cols.addRange(f.d, r, simpleLo[slot]!, simpleHi[slot]!);
        addRequired(cols, f, r);
        continue;
      }
      const m = rules[r]!.exprs[k] as Match;
      let f = m.mask === undefined ? byField.get(m.field) : undefined;
      if (!f) {
        f = leadField(cols, m.field, m.mask, classes, c.table);
        if (m.mask === undefined) {
          byField.set(m.field, f);
          byCode[MATCH_FIELDS.indexOf(m.field) + 1] = f;
        }
      }
      if (!cols.addSimple(f.d, r, m, f.kind, f.bits)) cols.addList(f.d, r, constraintOf(m, classes).intervals);
      addRequired(cols, f, r);
    }
    if (decides[id]) ruleWords[r] = L.RULE_VERDICT | decides[id]!;
  }
  const forest = forestFor(cols);
  if (forest) {
    const at = w.append(forest);
    const table = w.reserve(nRules);
    w.setAll(table, ruleTable(w, rules, lead, ruleWords, c, plan, classes));
    const fields: [number, number][] = [
      [L.C_NRULES, nRules], [L.C_NDIMS, 0], [L.C_NBLOCKS, 1], [L.C_DIMS, 0], [L.C_RULES, table], [L.C_FIRST_RULE, c.firstRule],
      [L.C_POLICY, c.chain.base?.policy === 'drop' ? L.VERDICT_DROP : L.VERDICT_ACCEPT], [L.C_NSUP, 1], [L.C_FOREST, at],
    ];
    for (const [k, v] of fields) w.set(rec + k, v);
    return 'forest';
  }
  const specs = cols.specs;
  if (specs.length > L.MAX_DIMS) {
    throw NftlensError.of('NFT_UNSUPPORTED', `chain matches on ${specs.length} distinct (field, mask) pairs; the engine takes at most ${L.MAX_DIMS}`, c.chain.origin);
  }
  // Sparsest dimension first: the AND of step 3 (lookup.ts) stops at the first empty word.
  const built: BuiltDim[] = specs
    .map((spec, d) => buildDim(spec, cols.column(d)))
    .map((d) => ({ d, density: density(d) }))
    .sort((a, b) => a.density - b.density)
    .map((x) => x.d);

  const dimsAt = w.reserve(built.length * L.DIM_WORDS);
  built.forEach((d, i) => {
    const at = dimsAt + i * L.DIM_WORDS;
    const bounds = w.append(d.bounds);
    w.set(at + L.D_SLOT, d.spec.slot);
    w.set(at + L.D_WIDTH, d.spec.width);
    w.set(at + L.D_MASK, d.spec.mask);
    w.set(at + L.D_NB, d.n);
    w.set(at + L.D_BOUNDS, bounds);
    w.set(at + L.D_INDEX, d.index ? w.append(d.index) : 0);
    w.set(at + L.D_IKIND, d.ikind);
    w.set(at + L.D_ISIZE, d.index?.length ?? 0);
    const blocks = w.reserve(3 * d.blocks.length);
    d.blocks.forEach((b, k) => {
      // One block: its cuts are the global cuts, the map is the identity (offset 0 says so).
      w.set(blocks + 3 * k, d.blocks.length === 1 ? 0 : w.append(b.map));
      w.set(blocks + 3 * k + 1, w.append(b.rows));
      w.set(blocks + 3 * k + 2, w.append(b.summ));
    });
    w.set(at + L.D_BLOCKS, blocks);
    w.set(at + L.D_SUP, w.append(d.sup));
  });
  const table = w.reserve(nRules);
  w.setAll(table, ruleTable(w, rules, lead, ruleWords, c, plan, classes));

  const fields: [number, number][] = [
    [L.C_NRULES, nRules], [L.C_NDIMS, built.length], [L.C_NBLOCKS, nBlocks], [L.C_DIMS, dimsAt],
    [L.C_RULES, table], [L.C_FIRST_RULE, c.firstRule],
    [L.C_POLICY, c.chain.base?.policy === 'drop' ? L.VERDICT_DROP : L.VERDICT_ACCEPT],
    [L.C_NSUP, Math.ceil(nBlocks / 32)], [L.C_FOREST, 0],
  ];
  for (const [k, v] of fields) w.set(rec + k, v);
  return 'bits';
}

/** Which search a chain gets: cut trees when its rules suit them (`auto`), or as tests force it. */
export const lookupChoice: { forest: 'auto' | 'always' | 'never' } = { forest: 'auto' };
/** Below this many rules, one block of bit vectors is as fast and smaller. */
export const FOREST_MIN_RULES = 64;

/**
 * The chain's cut trees (cuts.ts) when every dim is a field of at most 32 bits and the trees stay
 * small, else null (bit vectors). Dims are checked in the leaves most specific first.
 */
function forestFor(cols: Columns): Uint32Array | null {
  const { specs, nRules } = cols;
  if (lookupChoice.forest === 'never' || (lookupChoice.forest === 'auto' && nRules < FOREST_MIN_RULES)) return null;
  if (specs.length > L.MAX_FOREST_DIMS || specs.some((s) => s.width !== 1)) return null;
  const bits = specs.map((s) => (s.directSize === undefined ? 32 : Math.ceil(Math.log2(Math.max(2, s.directSize)))));
  const score = specs.map((_, d) => specificity(cols, d, bits[d]!));
  const order = specs.map((_, d) => d).sort((a, b) => score[b]! - score[a]!);
  const pieces = cols.pieces(order);
  if (!pieces) return null;
  return forestOfPieces(order.map((d) => ({ slot: specs[d]!.slot, mask: specs[d]!.mask, bits: bits[d]! })), pieces);
}

/** How much of dim d's key space (2^bits keys) the rules leave out, summed over them (log scale). */
function specificity(cols: Columns, d: number, bits: number): number {
  const state = cols.state[d]!;
  const lo = cols.lo[d]!;
  const hi = cols.hi[d]!;
  const lists = cols.lists[d]!;
  const full = 2 ** bits;
  let sum = 0;
  for (let r = 0; r < cols.nRules; r++) {
    let size: number;
    if (state[r] === S_NONE) continue;
    if (state[r] === S_ONE) size = hi[r]! - lo[r]! + 1;
    else {
      size = 0;
      const ivs = lists.get(r)!;
      for (let k = 0; k < ivs.length; k++) size += Number(ivs[k]!.hi) - Number(ivs[k]!.lo) + 1;
    }
    sum += bits - log2(Math.max(1, Math.min(size, full)));
  }
  return sum;
}

/** Math.log2(x) for x ≥ 1, with no call for a power of two below 2^32 (most sizes: prefixes, single values), where it is exact. */
function log2(x: number): number {
  return x === x >>> 0 && (x & (x - 1)) === 0 ? 31 - Math.clz32(x) : Math.log2(x);
}

/** Average share of set bits in a dimension's rows: how little it narrows the search. */
function density(d: BuiltDim): number {
  let set = 0;
  let all = 0;
  for (const b of d.blocks) {
    for (const w of b.rows) set += popcount(w);
    all += b.rows.length * 32;
  }
  return all ? set / all : 1;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

const V_KINDS = { accept: L.V_ACCEPT, drop: L.V_DROP, reject: L.V_REJECT, continue: L.V_CONTINUE, return: L.V_RETURN, jump: L.V_JUMP, goto: L.V_GOTO } as const;

/** The chain's rule-table words: those already known, and the op streams of the other rules compiled, in rule order. */
function ruleTable(w: Words, rules: readonly Rule[], lead: Int32Array, known: Uint32Array, c: ChainInfo, plan: Plan, classes: IfClasses): Uint32Array {
  for (let i = 0; i < rules.length; i++) if (known[i] === 0) known[i] = compileOps(w, rules[i]!, lead[i]!, c, i, plan, classes);
  return known;
}

/** A rule's rule-table word: its op stream's offset, or RULE_VERDICT | V_* for a rule that only decides. */
function compileOps(w: Words, rule: Rule, from: number, c: ChainInfo, index: number, plan: Plan, classes: IfClasses): number {
  const v = plainVerdict(rule);
  if (from === rule.exprs.length && (v?.kind === 'accept' || v?.kind === 'drop' || v?.kind === 'reject')) return L.RULE_VERDICT | V_KINDS[v.kind];
  // Cut trees of big concatenations first: an op stream is contiguous.
  const forests = new Map<number, number>();
  for (let e = from; e < rule.exprs.length; e++) {
    const x = rule.exprs[e]!;
    if (x.kind !== 'concat') continue;
    const f = concatForest(x, classes);
    if (f) forests.set(e, w.append(f));
  }
  const at = w.len;
  const id = c.firstRule + index;
  for (let e = from; e < rule.exprs.length; e++) {
    const x = rule.exprs[e]!;
    const hdr = (op: number) => op | (e << 8);
    switch (x.kind) {
      case 'match': {
        const con = constraintOf(x, classes);
        w.push(hdr(L.OP_MATCH), con.fs.slot, con.fs.width, con.mask, 0, con.req, con.intervals.length);
        for (const iv of con.intervals) w.push(...addrWords(iv.lo, con.fs.width).slice(0, con.fs.width), ...addrWords(iv.hi, con.fs.width).slice(0, con.fs.width));
        break;
      }
      case 'concat':
        w.pushAll(concatOp(x, e, classes, forests.get(e) ?? 0));
        break;
      case 'counter':
        w.push(hdr(L.OP_COUNTER), plan.counterAt.get(`${id}:${e}`)!);
        break;
      case 'set-mark': {
        const op = markOp(x);
        const src = op.source === 'meta mark' ? 1 : op.source === 'ct mark' ? 2 : 0;
        w.push(hdr(L.OP_SETMARK), x.key === 'ct mark' ? 1 : 0, src, op.and, op.xor);
        break;
      }
      case 'notrack':
        w.push(hdr(L.OP_NOTRACK));
        break;
      case 'mss-clamp':
      case 'log':
        w.push(hdr(L.OP_NOP));
        break;
      case 'nat':
        w.push(hdr(L.OP_NAT), ...natOperands(x));
        break;
      case 'state':
      case 'set-update':
        w.pushAll(stateOp(x, e, classes));
        break;
      case 'fib': {
        const addr = x.addr === 'saddr' ? 0 : 1;
        const through = x.through === 'iif' ? 1 : x.through === 'oif' ? 2 : 0;
        if (x.result === 'type') w.push(hdr(L.OP_FIB), addr, x.op === '!=' ? 1 : 0, through);
        else w.push(hdr(L.OP_FIB_OIF), addr, through, fibOifHolds(x, true) ? 1 : 0);
        break;
      }
    }
  }
  if (!v) {
    w.push(L.OP_END | (rule.exprs.length << 8));
    return at;
  }
  w.push(L.OP_VERDICT | (rule.exprs.length << 8), V_KINDS[v.kind], c.targets[index] ?? 0);
  return at;
}

/** OP_STATE's words (layout.ts): the ways, and the values on which the rule goes on (src/engine/state.ts goesOn). */
function stateOp(x: StatefulExpr, e: number, classes: IfClasses): number[] {
  const req = fieldsRead(x).reduce((r, field) => r | constraintOf({ kind: 'match', field, op: '==', value: 0, origin: x.origin }, classes, false).req, 0);
  const num = x.kind === 'state' && drawsNumber(x.source) ? x : undefined;
  const offset = num && drawsNumber(num.source) ? num.source.offset : 0;
  const ivs = num ? numberIntervals(num.value!) : Array.from({ length: waysOf(x) }, (_, w) => [w, w] as [number, number]).filter(([w]) => goesOn(x, w));
  const flags = (x.kind === 'state' && x.again ? 1 : 0) | (x.kind === 'set-update' ? 2 : 0);
  const neg = num?.op === '!=' ? 1 : 0;
  return [L.OP_STATE | (e << 8), waysOf(x), offset, flags, neg, req, ivs.length, ...ivs.flat()];
}

/** OP_CONCAT's words (layout.ts): per element, per field the intervals its item covers. */
function concatOp(x: ConcatMatch, e: number, classes: IfClasses, forest: number): number[] {
  const parts = x.fields.map((field) => ({ field, con: constraintOf({ kind: 'match', field, op: '==', value: 0, origin: x.origin }, classes, false) }));
  const req = parts.reduce((r, p) => r | p.con.req, 0);
  const out = [L.OP_CONCAT | (e << 8), 0, x.op === '!=' ? 1 : 0, req, parts.length];
  for (const p of parts) out.push(p.con.fs.slot, p.con.fs.width, p.con.mask);
  out.push(x.elements.length, forest);
  for (const el of x.elements) {
    parts.forEach((p, i) => {
      const ivs = constraintOf({ kind: 'match', field: p.field, op: '==', value: el[i]!, origin: x.origin }, classes).intervals;
      const width = p.con.fs.width;
      out.push(ivs.length);
      for (const iv of ivs) out.push(...addrWords(iv.lo, width).slice(0, width), ...addrWords(iv.hi, width).slice(0, width));
    });
  }
  out[1] = out.length;
  return out;
}

/** Below this many elements a concatenation is scanned (a few words a packet). */
const CONCAT_FOREST_MIN = 64;

/**
 * Cut trees over a concatenation's elements (cuts.ts, the element index as the rule) when it is
 * big and every field is of at most 32 bits; null otherwise (or when the trees would not suit it).
 */
function concatForest(x: ConcatMatch, classes: IfClasses): Uint32Array | null {
  if (lookupChoice.forest === 'never' || (lookupChoice.forest === 'auto' && x.elements.length < CONCAT_FOREST_MIN)) return null;
  const parts = x.fields.map((field) => constraintOf({ kind: 'match', field, op: '==', value: 0, origin: x.origin }, classes, false));
  if (parts.some((p) => p.fs.width !== 1) || parts.length > L.MAX_FOREST_DIMS) return null;
  const dims: CutDim[] = parts.map((p) => ({
    slot: p.fs.slot, mask: p.mask, bits: p.fs.directSize === undefined ? 32 : Math.ceil(Math.log2(Math.max(2, p.fs.directSize))),
  }));
  const perElement = x.elements.map((el) => x.fields.map((field, i) => constraintOf({ kind: 'match', field, op: '==', value: el[i]!, origin: x.origin }, classes).intervals));
  return buildForest(dims, perElement);
}

function natOperands(n: NatStmt): number[] {
  const type = n.type === 'snat' ? L.NAT_SNAT : n.type === 'dnat' ? L.NAT_DNAT : n.type === 'redirect' ? L.NAT_REDIRECT : L.NAT_MASQ;
  const fam = natFamily(n.to) ?? 0;
  const width = fam === 6 ? 4 : 1;
  let kind = L.NAT_ADDR_NONE;
  let a = [0, 0, 0, 0];
  let b = [0, 0, 0, 0];
  const to = n.to;
  if (to !== undefined && n.type !== 'masquerade' && n.type !== 'redirect') {
    if (typeof to === 'object' && 'prefix' in to) {
      const mask = prefixMask(to.len, fam === 6 ? 128 : 32);
      kind = L.NAT_ADDR_PREFIX;
      a = addrWords(parseAddress(to.prefix)!.value & mask, width);
      b = addrWords(mask, width);
    } else {
      const [lo, hi] = typeof to === 'object' && 'range' in to ? to.range : [to, to];
      kind = L.NAT_ADDR_RANGE;
      a = addrWords(parseAddress(String(lo))!.value, width);
      b = addrWords(parseAddress(String(hi))!.value, width);
    }
  }
  const port = n.port === undefined ? undefined : typeof n.port === 'number' ? [n.port, n.port] : n.port.range;
  return [type, fam, kind, ...a, ...b, port ? 1 : 0, port?.[0] ?? 0, port?.[1] ?? 0];
}
