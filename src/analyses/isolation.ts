// Tenant isolation: for every ordered pair of tenants (A, B), the exact set of packets from A's
// sources (arriving on A's interfaces, when given) that the gateway forwards and accepts with a
// destination — after any DNAT — among B's destinations. Empty for every A ≠ B: isolated.
// Otherwise one breach per deciding rule (or policy), each with a witness packet and the rules
// that accepted it on its way (from the engine's trace of the witness).
//
// With `connections`, also the connection relation (connections.ts): whether A can open a
// connection to B — a first packet accepted and its reply accepted — with a witness flow.
//
// Tenants file (YAML or JSON):
//   tenants:
//     venice: { sources: [10.112.0.0/16], destinations: [10.42.1.15, 10.42.2.7], interfaces: [liqo-tunnel] }
//     naples: { sources: [10.113.0.0/16], destinations: [10.42.1.40-10.42.1.47, 10.42.3.21] }

import { parse } from 'yaml';
import { NftlensError } from '../model/diagnostics.js';
import type { Ruleset } from '../model/ruleset.js';
import type { Origin } from '../model/origin.js';
import { parseAddress, prefixMask, type Interval } from '../model/values.js';
import type { EngineOptions } from '../engine/environment.js';
import { ReferenceEngine } from '../engine/index.js';
import type { Packet } from '../engine/packet.js';
import type { Space } from './headerspace/space.js';
import { policyRef, ruleRef, type Ref } from './findings.js';
import { candidateFlows, openConnection, reversedCandidates, type Connection } from './connections.js';
import { CT_STATES } from './headerspace/layout.js';
import { symbolicAnalysis, type SymbolicAnalysis } from './symbolic/index.js';

export interface Tenant {
  name: string;
  /** Source addresses per IP version, as intervals. */
  sources: Record<4 | 6, Interval[]>;
  destinations: Record<4 | 6, Interval[]>;
  interfaces?: string[];
  /** The specs as written, for reports. */
  text: { sources: string[]; destinations: string[] };
}

export interface Breach {
  from: string;
  to: string;
  /** The rule or policy that decided the final accept. */
  decidedBy: Ref;
  /** Every rule (and policy) that accepted the witness on its path, in order. */
  acceptedBy: string[];
  witness: Packet;
  cubes: string[];
  count: number;
}

export interface IsolationResult {
  tenants: string[];
  /** matrix[i][j]: headers from tenant i accepted to tenant j (i = j: its own traffic, not a breach). */
  matrix: number[][];
  breaches: Breach[];
  /** Tenant i's own reachability witnesses (diagonal), for the picture. */
  isolated: boolean;
  /** With `connections`: for every ordered pair of distinct tenants, whether A can open a connection to B. */
  connections?: Connection[];
}

export function parseTenants(text: string, file: string): Tenant[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw NftlensError.of('INPUT_PARSE', `tenants file: ${(e as Error).message}`, { file });
  }
  const root = (doc && typeof doc === 'object' && 'tenants' in doc ? (doc as { tenants: unknown }).tenants : doc) as unknown;
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw NftlensError.of('INPUT_KIND', 'a tenants file maps tenant names to { sources, destinations, interfaces? }', { file });
  }
  return Object.entries(root as Record<string, unknown>).map(([name, v]) => {
    const at = (field: string) => ({ file, resource: `tenant ${name}`, field });
    const o = (v ?? {}) as Record<string, unknown>;
    const list = (key: string, required: boolean): string[] => {
      const x = o[key];
      if (x === undefined && !required) return [];
      if (!Array.isArray(x) || !x.every((s) => typeof s === 'string')) {
        throw NftlensError.of('INPUT_KIND', `${key} must be a list of strings`, at(`tenants.${name}.${key}`));
      }
      return x as string[];
    };
    const sources = list('sources', true);
    const destinations = list('destinations', true);
    const interfaces = list('interfaces', false);
    return {
      name,
      sources: addressSet(sources, at(`tenants.${name}.sources`)),
      destinations: addressSet(destinations, at(`tenants.${name}.destinations`)),
      ...(interfaces.length ? { interfaces } : {}),
      text: { sources, destinations },
    };
  });
}

/** `10.0.0.0/16`, `10.0.0.1`, `10.0.0.1-10.0.0.9`, IPv6 alike: intervals per IP version. */
function addressSet(specs: string[], origin: { file: string; resource: string; field: string }): Record<4 | 6, Interval[]> {
  const out: Record<4 | 6, Interval[]> = { 4: [], 6: [] };
  for (const spec of specs) {
    const bad = () => NftlensError.of('INPUT_PARSE', `"${spec}" is not an address, prefix or range`, origin);
    if (spec.includes('/')) {
      const [addr, len] = spec.split('/');
      const a = parseAddress(addr!);
      const n = Number(len);
      const bits = a?.version === 4 ? 32 : 128;
      if (!a || !Number.isInteger(n) || n < 0 || n > bits) throw bad();
      const mask = prefixMask(n, bits);
      out[a.version].push({ lo: a.value & mask, hi: (a.value & mask) | (~mask & ((1n << BigInt(bits)) - 1n)) });
    } else if (spec.includes('-')) {
      const [l, h] = spec.split('-').map((s) => parseAddress(s.trim()));
      if (!l || !h || l.version !== h.version || l.value > h.value) throw bad();
      out[l.version].push({ lo: l.value, hi: h.value });
    } else {
      const a = parseAddress(spec);
      if (!a) throw bad();
      out[a.version].push({ lo: a.value, hi: a.value });
    }
  }
  return out;
}

export interface IsolationOptions extends EngineOptions {
  /** Also the connection relation (first packet and reply accepted). */
  connections?: boolean;
  maxNodes?: number;
  describeLines?: number;
  /**
   * List only the breaches decided by a rule or policy it holds for (the webhook: the object
   * under review's), exactly as without it; `isolated` still tells whether any pair breaches,
   * and the matrix counts only those outcomes. (() => false: whether isolated, and nothing else.)
   */
  decidedBy?: (o: Origin) => boolean;
  /**
   * The symbolic analysis of this very ruleset, to reuse (its rules' encodings are the costly
   * part of a first run): its header space must have been made for the tenants' interfaces.
   */
  analysis?: SymbolicAnalysis;
}

export function checkIsolation(ruleset: Ruleset, tenants: Tenant[], opts: IsolationOptions = {}): IsolationResult {
  const a = opts.analysis ?? symbolicAnalysis(ruleset, { ...opts, extraNames: tenants.flatMap((t) => t.interfaces ?? []) });
  const { hs } = a;
  const run = a.evaluator.run({ perRule: false, keepStates: true });
  const accepted = run.outcomes.filter((o) => o.verdict === 'accept' && o.local === false);
  let ref: ReferenceEngine | undefined;
  const matrix = tenants.map(() => tenants.map(() => 0));
  const breaches: Breach[] = [];
  const fromSpaces = tenants.map((t) => sourceSpace(a, t));
  const connections: Connection[] = [];
  const hasNat = a.plan.chains.some((c) => c.chain.base?.type === 'nat');
  const deciderOf = (o: (typeof accepted)[number]) => (o.by === 'rule' ? a.plan.rules[o.rule!]!.rule.origin : o.by === 'policy' ? a.plan.chains[o.chain!]!.chain.origin : undefined);
  const listed = accepted.map((o) => { const d = deciderOf(o); return !opts.decidedBy || (d !== undefined && opts.decidedBy(d)); });
  let breached = false;
  tenants.forEach((A, i) => {
    tenants.forEach((B, j) => {
      const cell: Space[] = [];
      for (const [k, o] of accepted.entries()) {
        // An outcome not listed only matters as a breach, and only while none is known.
        if (!listed[k] && (i === j || breached)) continue;
        const parts: Space[] = [];
        for (const st of o.states ?? []) {
          const src = hs.and(st.space, fromSpaces[i]!);
          const dsts = ([4, 6] as const).map((f) => (B.destinations[f].length ? a.evaluator.pred.addrNow(st, 'daddr', f, B.destinations[f]) : hs.none));
          const dst = hs.union(dsts);
          parts.push(hs.and(src, dst));
          hs.release(src, dst, ...dsts);
        }
        const x = hs.union(parts);
        hs.release(...parts);
        if (hs.isEmpty(x)) continue;
        if (!listed[k]) {
          breached = true;
          hs.release(x);
          continue;
        }
        const count = hs.count(x);
        matrix[i]![j]! += count;
        if (i !== j) {
          breached = true;
          const witness = hs.witness(x)!;
          const trace = (ref ??= new ReferenceEngine(ruleset, opts)).evaluate(witness, { trace: true }).trace ?? [];
          const acceptedBy = trace.flatMap((e) =>
            e.kind === 'verdict' && e.verdict === 'accept' ? [ruleRef(a.plan, e.rule).label]
              : e.kind === 'policy' && e.verdict === 'accept' ? [policyRef(a.plan, e.chain).label] : []);
          breaches.push({
            from: A.name, to: B.name, witness, count, acceptedBy,
            decidedBy: o.by === 'rule' ? ruleRef(a.plan, o.rule!) : o.by === 'policy' ? policyRef(a.plan, o.chain!) : { label: 'no chain (nothing filters the path)', origin: {} },
            cubes: hs.describe(x, { max: opts.describeLines ?? 4 }),
          });
        }
        if (opts.connections && i !== j) cell.push(x);
        else hs.release(x);
      }
      if (opts.connections && i !== j) {
        const replies = replySpace(a, accepted, B, A, true);
        // The proof takes replies in any ct state: one of an untracked connection is not established.
        const any = hasNat || !cell.length ? undefined : replySpace(a, accepted, B, A, false);
        const noReply = any !== undefined && hs.isEmpty(any);
        if (any !== undefined) hs.release(any);
        const candidates = cell.length ? [...candidateFlows(hs, cell), ...reversedCandidates(hs, replies)] : [];
        ref ??= new ReferenceEngine(ruleset, opts);
        connections.push(openConnection(ref.plan, ref.env, A.name, B.name, candidates, noReply));
        hs.release(replies, ...cell);
      }
    });
  });
  const r: IsolationResult = { tenants: tenants.map((t) => t.name), matrix, breaches, isolated: !breached };
  if (opts.connections) r.connections = connections;
  return r;
}

/**
 * Replies from B to A that get through: accepted forwarded packets (in ct state established, if
 * `established`) from B's destinations to A's sources (addresses as the rules see them after any
 * NAT), on any port and interface.
 */
function replySpace(a: ReturnType<typeof symbolicAnalysis>, accepted: ReturnType<ReturnType<typeof symbolicAnalysis>['evaluator']['run']>['outcomes'], B: Tenant, A: Tenant, established: boolean): Space {
  const { hs } = a;
  const est = established ? hs.equal('ctstate', BigInt(CT_STATES.indexOf('established'))) : hs.keep(hs.all);
  const parts: Space[] = [];
  for (const o of accepted) {
    for (const st of o.states ?? []) {
      for (const f of [4, 6] as const) {
        if (!B.destinations[f].length || !A.sources[f].length) continue;
        const s = a.evaluator.pred.addrNow(st, 'saddr', f, B.destinations[f]);
        const d = a.evaluator.pred.addrNow(st, 'daddr', f, A.sources[f]);
        parts.push(hs.intersect([st.space, est, s, d]));
        hs.release(s, d);
      }
    }
  }
  const r = hs.union(parts);
  hs.release(est, ...parts);
  return r;
}

/** Packets from a tenant: original source in its sources, arriving on its interfaces if given. */
function sourceSpace(a: ReturnType<typeof symbolicAnalysis>, t: Tenant): Space {
  const { hs } = a;
  const plain = { space: hs.all, sub: {}, ctx: { tracked: true, notracked: false, noIif: false, noOif: false }, natDone: { src: false, dst: false } };
  const fams = ([4, 6] as const).map((f) => (t.sources[f].length ? a.evaluator.pred.addrNow(plain, 'saddr', f, t.sources[f]) : hs.none));
  let s = hs.union(fams);
  hs.release(...fams);
  if (t.interfaces) {
    const ids = [...new Set(t.interfaces.flatMap((n) => hs.ifnames.matching(n)))];
    const on = hs.codes('iifname', ids);
    const next = hs.and(s, on);
    hs.release(s, on);
    s = next;
  }
  return s;
}
