// A compiled ruleset, ready to evaluate packets in WebAssembly. The program, the counters, a
// struct-of-arrays packet batch and a trace buffer live in the instance's memory, laid out once;
// the typed-array views over them are made once. A batch is one call into WASM, however many
// packets it holds. Counters accumulate over every evaluation. A classifier's program never
// changes after it is built: to follow a ruleset change, compile a new one off to the side and
// swap the reference (the WASM module itself is compiled only once per process).

import type { Diagnostic } from '../model/diagnostics.js';
import { CT_STATE, type CtState } from '../model/values.js';
import { addressOf, addressText } from './addr.js';
import { compileProgram, type Program } from './compile.js';
import type { Environment } from './environment.js';
import * as L from './layout.js';
import type { Packet } from './packet.js';
import { PATH_HOOKS, HOOK_CODE, type PathHook, type Plan } from './plan.js';
import { referenceEvaluate, type EvalOptions } from './reference.js';
import type { EvalResult, FinalVerdict, TraceEvent } from './result.js';
import { allOutcomes, type Outcome } from './outcomes.js';
import { waysOf, type Draw, type StatefulExpr } from './state.js';
import { instantiate, type EngineExports } from './wasm.js';

export interface CounterValue {
  /** Counter id (plan.counters). */
  id: number;
  rule: number;
  expr: number;
  packets: number;
  bytes: number;
}

const VERDICTS: FinalVerdict[] = ['drop', 'accept', 'reject'];
const V_NAMES = ['', 'accept', 'drop', 'reject', 'continue', 'return', 'jump', 'goto'] as const;
const CT_BY_BIT = new Map<number, CtState>(Object.entries(CT_STATE).map(([k, v]) => [v, k as CtState]));
const TRACE_EVENTS = 1 << 16;
const PKT_BITS = { broadcast: L.PKT_BROADCAST, multicast: L.PKT_MULTICAST } as const;

export class Classifier {
  readonly plan: Plan;
  /** The host the classifier was compiled for (with the plan, all a copy of it in another thread needs). */
  readonly env: Environment;
  readonly diagnostics: Diagnostic[];
  /** Packets one `runBatch` call takes. */
  readonly capacity: number;
  /** Batch columns (L.B_*), each a view of `capacity` words in WASM memory. */
  readonly columns: Uint32Array[];
  /** Words of the compiled program (its size is a measure of the classifier's memory). */
  readonly programWords: number;
  private readonly wasm: EngineExports;
  /** What the program says about names (its words live in WASM memory; the builder's buffers are let go). */
  private readonly program: Pick<Program, 'classes' | 'masqIndex'>;
  private readonly at: { program: number; counters: number; batch: number; trace: number };
  private readonly counterView: Float64Array;
  private readonly traceView: Uint32Array;
  /** Words between batch columns. */
  private readonly stride: number;

  /** `module`: the compiled engine, when it is not this thread's to compile (a pool worker's). */
  constructor(plan: Plan, env: Environment, capacity = 4096, module?: WebAssembly.Module) {
    this.plan = plan;
    this.env = env;
    this.diagnostics = plan.diagnostics;
    this.capacity = capacity;
    const prog = compileProgram(plan, env);
    this.program = { classes: prog.classes, masqIndex: prog.masqIndex };
    this.programWords = prog.length;
    const sizes = {
      program: prog.length * 4,
      counters: Math.max(1, plan.counters.length) * 16,
      batch: L.B_COLUMNS * (capacity + L.COLUMN_PAD) * 4,
      trace: TRACE_EVENTS * L.T_WORDS * 4,
    };
    const total = sizes.program + sizes.counters + sizes.batch + sizes.trace + 64;
    const { exports, base } = instantiate(total, module);
    this.wasm = exports;
    const align = (n: number) => (n + 15) & ~15;
    const program = base;
    const counters = align(program + sizes.program);
    const batch = align(counters + sizes.counters);
    const trace = align(batch + sizes.batch);
    this.at = { program, counters, batch, trace };
    const buf = exports.memory.buffer;
    prog.writeTo(new Uint32Array(buf, program, prog.length));
    this.counterView = new Float64Array(buf, counters, Math.max(1, plan.counters.length) * 2);
    this.stride = capacity + L.COLUMN_PAD;
    this.columns = Array.from({ length: L.B_COLUMNS }, (_, c) => new Uint32Array(buf, batch + c * this.stride * 4, capacity));
    this.traceView = new Uint32Array(buf, trace, TRACE_EVENTS * L.T_WORDS);
  }

  /** Evaluates one packet (in batch row 0); with `trace`, also what it went through. */
  evaluate(pkt: Packet, opts: EvalOptions = {}): EvalResult {
    // Choices that do not fit a state word (outcomes.ts): the reference interpreter reads them.
    if (typeof opts.state === 'object') return referenceEvaluate(this.plan, this.env, pkt, opts, this.counterView);
    this.writePacket(0, pkt, opts.hook);
    if (opts.state) this.wasm.setStateWord(opts.state);
    let events: number;
    try {
      events = this.wasm.evaluate(this.at.program, this.at.batch, this.stride, 1, this.at.counters, this.at.trace, opts.trace ? TRACE_EVENTS : 0);
    } finally {
      if (opts.state) this.wasm.setStateWord(0);
    }
    // A path with more draws than the executor records: the reference interpreter (the same
    // answers; the counters were added by the run above) gives them all.
    if (this.wasm.drawCount() > L.MAX_DRAWS) return referenceEvaluate(this.plan, this.env, pkt, opts);
    const r = this.readResult(0, pkt);
    if (r.draws) r.draws = this.readDraws();
    if (opts.trace) r.trace = this.decodeTrace(events);
    return r;
  }

  /**
   * Every outcome the state allows for a packet (src/engine/outcomes.ts), with its draws; the
   * counters are left as they were (a packet is counted once, by the run that gave its result).
   */
  outcomes(pkt: Packet, opts: Pick<EvalOptions, 'hook' | 'trace'> = {}): { outcomes: Outcome[]; more: boolean } {
    const saved = this.counterView.slice();
    try {
      return allOutcomes((state) => this.evaluate(pkt, { ...opts, state }));
    } finally {
      this.counterView.set(saved);
    }
  }

  /** The last packet's draws (src/engine/state.ts), with the number of ways each had. */
  private readDraws(): Draw[] {
    const n = this.wasm.drawCount();
    const v = new Uint32Array(this.wasm.memory.buffer, this.wasm.drawsAt(), n * 3);
    return Array.from({ length: n }, (_, i) => {
      const [rule, expr, choice] = [v[3 * i]!, v[3 * i + 1]!, v[3 * i + 2]!];
      return { rule, expr, choice, of: waysOf(this.plan.rules[rule]!.rule.exprs[expr] as StatefulExpr) };
    });
  }

  /** Evaluates many packets, `capacity` per call into WASM. */
  evaluateBatch(pkts: readonly Packet[], opts: Pick<EvalOptions, 'hook'> = {}): EvalResult[] {
    const out: EvalResult[] = [];
    for (let start = 0; start < pkts.length; start += this.capacity) {
      const n = Math.min(this.capacity, pkts.length - start);
      for (let i = 0; i < n; i++) this.writePacket(i, pkts[start + i]!, opts.hook);
      this.runBatch(n);
      for (let i = 0; i < n; i++) out.push(this.readResult(i, pkts[start + i]!));
    }
    return out;
  }

  /**
   * Evaluates rows 0 … n−1 of `columns` as they are: for callers that fill the input columns
   * themselves (K_* slots, B_LEN, B_LOCAL, B_HOOK, B_MASQ) and read B_VERDICT, B_RULE… back.
   */
  runBatch(n: number): void {
    if (n > this.capacity) throw new RangeError(`batch of ${n} exceeds capacity ${this.capacity}`);
    this.wasm.evaluate(this.at.program, this.at.batch, this.stride, n, this.at.counters, this.at.trace, 0);
  }

  /** Interface class of a name, for callers filling K_IIF/K_OIF themselves. */
  interfaceClass(name: string): number {
    return this.program.classes.classOf(name);
  }

  /** B_MASQ's value for a packet of this family leaving by `oifname`, for callers filling columns themselves. */
  masqueradeIndex(family: 4 | 6, oifname: string): number {
    return this.program.masqIndex.get(`${family}:${oifname}`) ?? 0;
  }

  /** Writes a packet into batch row i. */
  writePacket(i: number, p: Packet, hook?: PathHook): void {
    const c = this.columns;
    c[L.K_NFPROTO]![i] = p.family === 4 ? 2 : 10;
    const s = addrWords(p.saddr);
    const d = addrWords(p.daddr);
    for (let w = 0; w < 4; w++) {
      c[L.K_SADDR + w]![i] = s[w]!;
      c[L.K_DADDR + w]![i] = d[w]!;
    }
    c[L.K_L4PROTO]![i] = p.l4proto;
    c[L.K_SPORT]![i] = p.sport;
    c[L.K_DPORT]![i] = p.dport;
    c[L.K_IIF]![i] = this.program.classes.classOf(p.iifname);
    c[L.K_OIF]![i] = this.program.classes.classOf(p.oifname);
    c[L.K_CTSTATE]![i] = CT_STATE[p.ctState]!;
    c[L.K_MARK]![i] = p.mark;
    c[L.K_CTMARK]![i] = p.ctMark;
    c[L.K_FLAGS]![i] = p.tcpFlags;
    c[L.B_LEN]![i] = p.length;
    c[L.B_LOCAL]![i] = (p.local ? L.LOCAL_GENERATED : 0) | (p.dstLocal ? L.LOCAL_DESTINATION : 0) | (p.pktType ? PKT_BITS[p.pktType] : 0);
    c[L.B_HOOK]![i] = hook ? HOOK_CODE[hook] + 1 : 0;
    c[L.B_MASQ]![i] = this.masqueradeIndex(p.family, p.oifname);
  }

  /** The result in batch row i; `pkt` is the packet that was written there. */
  readResult(i: number, pkt: Packet): EvalResult {
    const c = this.columns;
    const rule = c[L.B_RULE]![i]!;
    const chain = c[L.B_CHAIN]![i]!;
    const path = c[L.B_OUT_PATH]![i]!;
    // Output columns only when a statement rewrote the packet; else the input columns (layout.ts).
    const out = (path & L.PATH_REWRITTEN) !== 0;
    const col = (outCol: number, inCol: number) => c[out ? outCol : inCol]!;
    const words = (at: number, inAt: number) => [0, 1, 2, 3].map((w) => col(at + w, inAt + w)[i]!);
    const hooks = PATH_HOOKS.filter((h) => path & (1 << HOOK_CODE[h]));
    const ctState = CT_BY_BIT.get(c[L.B_OUT_CTSTATE]![i]!)!;
    const r: EvalResult = {
      verdict: VERDICTS[c[L.B_VERDICT]![i]!]!,
      by: chain === L.ROUTE_DROP ? 'route' : chain === L.NO_RULE ? 'none' : rule === L.NO_RULE ? 'policy' : 'rule',
      hooks,
      // Not rewritten: the input columns hold `pkt` as written (its addresses are canonical text).
      packet: !out ? { ...pkt, ctState } : {
        ...pkt,
        saddr: wordsToAddress(words(L.B_OUT_SADDR, L.K_SADDR), pkt.family),
        daddr: wordsToAddress(words(L.B_OUT_DADDR, L.K_DADDR), pkt.family),
        sport: col(L.B_OUT_SPORT, L.K_SPORT)[i]!,
        dport: col(L.B_OUT_DPORT, L.K_DPORT)[i]!,
        mark: col(L.B_OUT_MARK, L.K_MARK)[i]!,
        ctMark: col(L.B_OUT_CTMARK, L.K_CTMARK)[i]!,
        ctState,
      },
    };
    if (chain !== L.NO_RULE && chain !== L.ROUTE_DROP) r.chain = chain;
    if (rule !== L.NO_RULE) r.rule = rule;
    // A batch records no draws, only that there were some.
    if (path & L.PATH_STATEFUL) r.draws = [];
    return r;
  }

  /** Packets and bytes each counter statement has counted so far. */
  counters(): CounterValue[] {
    return this.plan.counters.map((k) => ({ ...k, packets: this.counterView[2 * k.id]!, bytes: this.counterView[2 * k.id + 1]! }));
  }

  /** The raw counters: [packets, bytes] per counter id. */
  counterArray(): Float64Array {
    return this.counterView.slice(0, this.plan.counters.length * 2);
  }

  resetCounters(): void {
    this.counterView.fill(0);
  }

  private decodeTrace(n: number): TraceEvent[] {
    const t = this.traceView;
    const out: TraceEvent[] = [];
    for (let e = 0; e < n; e++) {
      const [kind, a, b] = [t[e * 4]!, t[e * 4 + 1]!, t[e * 4 + 2]!];
      switch (kind) {
        case L.T_HOOK: out.push({ kind: 'hook', hook: PATH_HOOKS[a]! }); break;
        case L.T_CONNTRACK: out.push({ kind: 'conntrack', state: CT_BY_BIT.get(a)! }); break;
        case L.T_ROUTE: out.push(b === 1 ? { kind: 'route', local: false, dropped: true } : { kind: 'route', local: a === 1 }); break;
        case L.T_CHAIN: out.push({ kind: 'chain', chain: a, via: (['hook', 'jump', 'goto'] as const)[b]! }); break;
        case L.T_NAT_SKIP: out.push({ kind: 'nat-skip', chain: a }); break;
        case L.T_RULE: out.push({ kind: 'rule', rule: a }); break;
        case L.T_STMT: out.push({ kind: 'stmt', rule: a, expr: b }); break;
        case L.T_FAIL: out.push({ kind: 'fail', rule: a, expr: b }); break;
        case L.T_VERDICT: out.push({ kind: 'verdict', rule: a, verdict: V_NAMES[b] as Exclude<(typeof V_NAMES)[number], ''> }); break;
        case L.T_RETURN: out.push({ kind: 'return', chain: a }); break;
        case L.T_DRAW: {
          const x = this.plan.rules[a]!.rule.exprs[b] as StatefulExpr;
          out.push({ kind: 'draw', rule: a, expr: b, choice: t[e * 4 + 3]!, of: waysOf(x) });
          break;
        }
        case L.T_POLICY: out.push({ kind: 'policy', chain: a, verdict: b === L.VERDICT_DROP ? 'drop' : 'accept' }); break;
        default: throw new Error(`unknown trace event ${kind}`);
      }
    }
    if (n >= TRACE_EVENTS) out.push({ kind: 'truncated' });
    return out;
  }
}

// IPv4 addresses, the batch path's common case, are converted without bigints or caches.
const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function addrWords(text: string): number[] {
  const q = DOTTED_QUAD.exec(text);
  if (q) return [((Number(q[1]) << 24) | (Number(q[2]) << 16) | (Number(q[3]) << 8) | Number(q[4])) >>> 0, 0, 0, 0];
  const a = addressOf(text)!;
  if (a.version === 4) return [Number(a.value), 0, 0, 0];
  const v = a.value;
  return [Number((v >> 96n) & 0xffffffffn), Number((v >> 64n) & 0xffffffffn), Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)];
}

function wordsToAddress(w: number[], family: 4 | 6): string {
  if (family === 4) return `${w[0]! >>> 24}.${(w[0]! >>> 16) & 255}.${(w[0]! >>> 8) & 255}.${w[0]! & 255}`;
  return addressText((BigInt(w[0]!) << 96n) | (BigInt(w[1]!) << 64n) | (BigInt(w[2]!) << 32n) | BigInt(w[3]!), 6);
}
