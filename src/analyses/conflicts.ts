// Conflicts between resources and chains that one gateway applies together:
//
//   tenant-overlap   rules of different tenants' resources (tenant: the `firewall-unique` label,
//                    else namespace/name) that match common packets — which, with a witness
//   table-clash      two resources name one kernel table (family + name); their labels differ
//                    (identical ones Liqo's webhook denies, and so does the front end), so both
//                    are admitted and one gateway keeps one table, shaped by the later: the model's
//                    table is that one (src/frontends/liqo/cross.ts), the finding says so
//   priority-tie     base chains at the same hook and priority, across tables too: the one created
//                    last runs first, so their order depends on how the ruleset is loaded
//   accept-undone    packets a rule accepts that a later base chain at the same hook drops or
//                    rejects (accept ends only its own base chain) — the exact set, with a witness

import type { Rule } from '../model/ruleset.js';
import { tableId } from '../model/ruleset.js';
import type { LiqoResource } from '../frontends/liqo/index.js';
import type { Origin } from '../model/origin.js';
import { PATH_HOOKS, type PathHook } from '../engine/plan.js';
import type { Space } from './headerspace/space.js';
import type { SymbolicAnalysis } from './symbolic/index.js';
import type { SymState } from './symbolic/state.js';
import { boxesApart, ruleBoxes } from './symbolic/boxes.js';
import { SEVERITY_OF, policyRef, ruleRef, witnessAt, type Finding, type FindingKind, type Ref } from './findings.js';

const TENANT_LABEL = 'networking.liqo.io/firewall-unique';

/** The tenant (remote cluster) a resource belongs to, by Liqo's `firewall-unique` label; none for shared ones. */
export function tenantOf(r: LiqoResource): string | undefined {
  return r.labels[TENANT_LABEL];
}

const resourceName = (r: LiqoResource) => `${r.namespace ? r.namespace + '/' : ''}${r.name}`;

/**
 * Which origins the caller asks about (the webhook: the object under review). With it, the
 * pairwise checks skip the pairs where neither side is in focus: every finding that names an
 * origin in focus is still made, exactly as without it; the others may be left out.
 */
export type Focus = (o: Origin) => boolean;

export interface ConflictOptions {
  focus?: Focus;
  /** Lines of readable header space per finding (default 3; 0: none, the witness only). */
  describeLines?: number;
}

export function findConflicts(a: SymbolicAnalysis, resources: readonly LiqoResource[], opts: ConflictOptions = {}): Finding[] {
  return [...tableClashes(resources), ...priorityTies(a), ...tenantOverlaps(a, resources, opts), ...acceptsUndone(a, opts)];
}

function described(a: SymbolicAnalysis, f: Finding, space: Space, opts: ConflictOptions): void {
  const max = opts.describeLines ?? 3;
  if (max > 0) f.space = a.hs.describe(space, { max });
}

function finding(kind: FindingKind, message: string, origin: Finding['origin'], related: Ref[] = [], subject?: Ref): Finding {
  return { kind, severity: SEVERITY_OF[kind], message, origin, related, ...(subject ? { subject } : {}) };
}

function tableClashes(resources: readonly LiqoResource[]): Finding[] {
  const out: Finding[] = [];
  resources.forEach((x, i) => {
    for (const y of resources.slice(i + 1)) {
      if (tableId(x.table) !== tableId(y.table)) continue;
      out.push(finding('table-clash',
        `resources ${resourceName(x)} and ${resourceName(y)} both name table ${tableId(x.table)}: a gateway that applies both keeps one kernel table, ` +
        `and reconciling ${resourceName(y)} deletes the chains and rules of ${resourceName(x)} it does not have itself; the table analysed is the one ${resourceName(y)}, applied last, leaves`,
        y.tableNameOrigin, [{ label: `resource ${resourceName(x)}`, origin: x.tableNameOrigin }]));
    }
  });
  return out;
}

function priorityTies(a: SymbolicAnalysis): Finding[] {
  return a.plan.diagnostics.filter((d) => d.code === 'ENGINE_ORDER').map((d) => finding('priority-tie', d.message, d.origin));
}

const ADDRESS_FIELDS = new Set(['ip saddr', 'ip daddr', 'ip6 saddr', 'ip6 daddr']);
const mentionsAddresses = (r: Rule) => r.exprs.some((e) => e.kind === 'match' && ADDRESS_FIELDS.has(e.field) && e.op === '==');

/** The rule's leading matches, read as the header arrives (conntrack done, both interfaces shown). */
function plainMatch(a: SymbolicAnalysis, id: number): Space {
  const st: SymState = { space: a.hs.all, sub: {}, ctx: { tracked: true, notracked: false, noIif: false, noOif: false }, natDone: { src: false, dst: false } };
  return a.evaluator.leadingMatch(st, id);
}

function tenantOverlaps(a: SymbolicAnalysis, resources: readonly LiqoResource[], opts: ConflictOptions): Finding[] {
  const { hs, plan } = a;
  const { focus } = opts;
  const out: Finding[] = [];
  // A rule belongs to the resource it came from (one kernel table can hold rules of two resources;
  // after admission each resource name is given once).
  const rules = new Map<string | undefined, number[]>();
  for (const x of plan.rules) {
    if (!mentionsAddresses(x.rule)) continue;
    const k = x.rule.origin.resource;
    rules.set(k, [...(rules.get(k) ?? []), x.id]);
  }
  const rulesOf = (r: LiqoResource) => rules.get(r.origin.resource) ?? [];
  const hooks = hooksOfRules(a);
  const inFocus = (id: number) => focus === undefined || focus(plan.rules[id]!.rule.origin);
  const boxes = ruleBoxes(plan);
  resources.forEach((x, i) => {
    for (const y of resources.slice(i + 1)) {
      if (tenantOf(x) === undefined || tenantOf(y) === undefined || tenantOf(x) === tenantOf(y)) continue;
      for (const rx of rulesOf(x)) {
        for (const ry of rulesOf(y)) {
          // A finding names both rules: with neither in focus, it is not asked for.
          if (!inFocus(rx) && !inFocus(ry)) continue;
          // Disjoint boxes: disjoint matches, no BDD needed.
          if (boxesApart(boxes, rx, ry) || !sharesHook(hooks, a, rx, ry)) continue;
          const both = hs.and(plainMatch(a, rx), plainMatch(a, ry));
          if (!hs.isEmpty(both)) {
            const f = finding('tenant-overlap',
              `tenants ${tenantOf(x)} and ${tenantOf(y)}: ${ruleRef(plan, rx).label} and ${ruleRef(plan, ry).label} match common packets`,
              plan.rules[ry]!.rule.origin, [ruleRef(plan, rx)], ruleRef(plan, ry));
            f.witness = hs.witness(both);
            described(a, f, both, opts);
            out.push(f);
          }
          hs.release(both);
        }
      }
    }
  });
  return out;
}

/** Per chain, the hooks it runs at (the hooks of the base chains it is reached from). */
function hooksOfRules(a: SymbolicAnalysis): (chain: number) => Set<string> {
  const memo = new Map<number, Set<string>>();
  return (chain) => {
    let h = memo.get(chain);
    if (!h) memo.set(chain, (h = new Set(a.plan.chains.filter((c) => c.chain.base && reaches(a, c.id, chain)).map((c) => c.chain.base!.hook))));
    return h;
  };
}

/** Two rules run at a common hook (their chains are reached from base chains of one hook). */
function sharesHook(hooks: (chain: number) => Set<string>, a: SymbolicAnalysis, x: number, y: number): boolean {
  const hx = hooks(a.plan.rules[x]!.chain);
  return [...hooks(a.plan.rules[y]!.chain)].some((h) => hx.has(h));
}

/** Accepts by a rule that a later base chain at the same hook drops or rejects. */
function acceptsUndone(a: SymbolicAnalysis, opts: ConflictOptions): Finding[] {
  const { hs, plan } = a;
  const { focus } = opts;
  const out: Finding[] = [];
  const inFocus = (o: Origin) => focus === undefined || focus(o);
  for (const hook of PATH_HOOKS) {
    const order = baseOrder(a, hook);
    if (order.size < 2) continue;
    const baseOf = (chain: number) => [...order.entries()].find(([b]) => reaches(a, b, chain))?.[0];
    // A finding names an accepting rule and a rule or policy of a base chain at this hook: with
    // none of them in focus, the hook is not run.
    if (focus) {
      const here = plan.chains.filter((c) => [...order.keys()].some((b) => reaches(a, b, c.id))).map((c) => c.id);
      const named = here.some((c) => focus(plan.chains[c]!.chain.origin)) || plan.rules.some((r) => here.includes(r.chain) && focus(r.rule.origin));
      if (!named) continue;
    }
    const res = a.evaluator.run({ hook });
    for (const r of plan.rules) {
      const spaces = res.rules[r.id];
      if (!spaces || r.rule.verdict?.kind !== 'accept' || hs.isEmpty(spaces.ends)) continue;
      const from = baseOf(r.chain);
      if (from === undefined) continue;
      for (const o of res.outcomes) {
        if (o.verdict === 'accept' || o.chain === undefined) continue;
        const to = baseOf(o.chain);
        if (to === undefined || order.get(to)! <= order.get(from)!) continue;
        if (!inFocus(r.rule.origin) && !inFocus(o.by === 'rule' ? plan.rules[o.rule!]!.rule.origin : plan.chains[o.chain]!.chain.origin)) continue;
        const x = hs.and(spaces.ends, o.space);
        if (!hs.isEmpty(x)) {
          const by = o.by === 'rule' ? ruleRef(plan, o.rule!) : policyRef(plan, o.chain);
          const f = finding('accept-undone',
            `${hook}: packets ${ruleRef(plan, r.id).label} accepts are then ${o.verdict === 'drop' ? 'dropped' : 'rejected'} by ${by.label} (accept ends only its own base chain)`,
            r.rule.origin, [by], ruleRef(plan, r.id));
          f.witness = witnessAt(hs.witness(x)!, hook);
          f.check = { hook, verdict: o.verdict, by };
          described(a, f, x, opts);
          out.push(f);
        }
        hs.release(x);
      }
    }
    for (const o of res.outcomes) hs.release(o.space);
  }
  return out;
}

/** Base chains at a hook → their position in the pipeline (the first family that runs them). */
function baseOrder(a: SymbolicAnalysis, hook: PathHook): Map<number, number> {
  const pos = new Map<number, number>();
  for (const f of [4, 6] as const) {
    a.plan.pipelines[f][hook].forEach((s, i) => {
      const ids = s.kind === 'chain' ? [s.chain] : s.kind === 'nat' ? s.chains : [];
      ids.forEach((c, k) => {
        if (!pos.has(c)) pos.set(c, i + k / 100);
      });
    });
  }
  return pos;
}

function reaches(a: SymbolicAnalysis, from: number, to: number): boolean {
  const seen = new Set<number>();
  const visit = (c: number): boolean => {
    if (c === to) return true;
    if (seen.has(c)) return false;
    seen.add(c);
    return a.plan.chains[c]!.targets.some((t) => t !== undefined && visit(t));
  };
  return visit(from);
}
