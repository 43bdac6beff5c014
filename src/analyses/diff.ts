// Policy diff: the exact set of packets whose verdict (or, by rule, whose deciding rule or
// policy) differs between two rulesets on the whole path, grouped by (before → after) and
// summarised as readable header-space cubes, each group with a witness packet.
//
//   tcp 10.0.0.0/24 -> 10.42.1.7 dport 80-88: accept → drop
//
// Both rulesets are evaluated symbolically in one header space (one interface alphabet); each
// verdict partition is exact, so the changed set is exact: empty ⇔ no packet changes. Two
// chains of boxes are compared geometrically instead (geometric/diff.ts), with the same result.

import { expandMaps } from '../model/expand-maps.js';
import type { Ruleset } from '../model/ruleset.js';
import { environmentNames, makeEnvironment, type EngineOptions } from '../engine/environment.js';
import { allRules, needsInterfaceNames } from '../engine/fib.js';
import type { Packet } from '../engine/packet.js';
import type { FinalVerdict } from '../engine/result.js';
import { headerSpaceFor } from './headerspace/encode.js';
import type { HeaderSpace, Space } from './headerspace/space.js';
import { policyRef, ruleRef } from './findings.js';
import { symbolicAnalysis, type Outcome, type SymbolicAnalysis } from './symbolic/index.js';
import { geometricDiff } from './geometric/diff.js';

export interface DiffOptions extends EngineOptions {
  /** Compare deciding rules (by their table, chain and rule name) as well as verdicts. */
  byRule?: boolean;
  /** Cubes per change (default 6). */
  describeLines?: number;
  maxNodes?: number;
  /** Compare two chains of boxes geometrically when they are (default true); false: always by BDDs. */
  geometric?: boolean;
}

export interface DiffSide {
  verdict: FinalVerdict;
  /** The deciding rule or policy (`by rule`), or undefined. */
  decidedBy?: string;
}

export interface Change {
  before: DiffSide;
  after: DiffSide;
  /** Readable cubes whose union is the changed set (a last line says when it is cut short). */
  cubes: string[];
  /** Number of distinct headers in the set. */
  count: number;
  witness: Packet;
}

export interface DiffResult {
  changes: Change[];
  /** Headers whose verdict (or deciding rule) changes, over all headers. */
  changed: number;
  total: number;
  /** BDD nodes live at the end, and the BDD core's bytes. */
  nodes: number;
  bytes: number;
  /** Bytes of the geometric core when the rulesets were compared that way (else 0). */
  geometricBytes: number;
}

export function diffRulesets(writtenBefore: Ruleset, writtenAfter: Ruleset, opts: DiffOptions = {}): DiffResult {
  // Lookups as rules: the header space then knows every interface name a map key holds.
  const before = expandMaps(writtenBefore);
  const after = expandMaps(writtenAfter);
  const envNames = needsInterfaceNames(allRules(before, after)) ? environmentNames(makeEnvironment(opts)) : [];
  const hs = headerSpaceFor([before, after], { maxNodes: opts.maxNodes, extraNames: [...Object.keys(opts.interfaceAddresses ?? {}), ...envNames] });
  const a = symbolicAnalysis(before, { ...opts, hs });
  const b = symbolicAnalysis(after, { ...opts, hs });
  const changes: Change[] = [];
  let changed = 0;
  const add = (before: DiffSide, after: DiffSide, x: Space) => {
    const count = hs.count(x);
    changed += count;
    changes.push({ before, after, cubes: hs.describe(x, { max: opts.describeLines ?? 6 }), count, witness: hs.witness(x)! });
    hs.release(x);
  };
  const fast = opts.geometric === false ? undefined : geometricDiff(a, b, opts.byRule ?? false);
  if (fast) for (const c of fast.changes) add(c.before, c.after, c.space);
  else {
    const A = group(a, a.evaluator.run({ perRule: false }).outcomes, opts.byRule);
    const B = group(b, b.evaluator.run({ perRule: false }).outcomes, opts.byRule);
    for (const [ka, ga] of A) {
      for (const [kb, gb] of B) {
        const x = ka === kb ? hs.none : hs.and(ga.space, gb.space);
        if (hs.isEmpty(x)) continue;
        add(ga.side, gb.side, x);
      }
    }
  }
  changes.sort((p, q) => q.count - p.count);
  const stats = hs.stats();
  return { changes, changed, total: hs.count(hs.all), nodes: stats.nodes, bytes: stats.bytes, geometricBytes: fast?.bytes ?? 0 };
}

/** Outcomes merged by what the diff compares: the verdict, and with byRule the decider's name. */
function group(a: SymbolicAnalysis, outcomes: Outcome[], byRule?: boolean): Map<string, { side: DiffSide; space: Space }> {
  const hs: HeaderSpace = a.hs;
  const out = new Map<string, { side: DiffSide; space: Space }>();
  for (const o of outcomes) {
    const side: DiffSide = { verdict: o.verdict };
    if (byRule) {
      side.decidedBy = o.by === 'rule' ? ruleRef(a.plan, o.rule!).label : o.by === 'policy' ? policyRef(a.plan, o.chain!).label : o.by === 'route' ? 'the routing decision' : 'no chain';
    }
    const key = `${side.verdict}|${side.decidedBy ?? ''}`;
    const prev = out.get(key);
    if (prev) {
      const u = hs.or(prev.space, o.space);
      hs.release(prev.space, o.space);
      prev.space = u;
    } else out.set(key, { side, space: o.space });
  }
  return out;
}

export function formatSide(s: DiffSide): string {
  return s.decidedBy ? `${s.verdict} (${s.decidedBy})` : s.verdict;
}
