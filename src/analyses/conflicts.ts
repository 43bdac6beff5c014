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
import { PATH_HOOKS, type PathHook } from '../engine/plan.js';
import type { Space } from './headerspace/space.js';
import type { SymbolicAnalysis } from './symbolic/index.js';
import type { SymState } from './symbolic/state.js';
import { SEVERITY_OF, policyRef, ruleRef, witnessAt, type Finding, type FindingKind, type Ref } from './findings.js';

const TENANT_LABEL = 'networking.liqo.io/firewall-unique';

/** The tenant (remote cluster) a resource belongs to, by Liqo's `firewall-unique` label; none for shared ones. */
export function tenantOf(r: LiqoResource): string | undefined {
  return r.labels[TENANT_LABEL];
}

const resourceName = (r: LiqoResource) => `${r.namespace ? r.namespace + '/' : ''}${r.name}`;

export function findConflicts(a: SymbolicAnalysis, resources: readonly LiqoResource[]): Finding[] {
  return [...tableClashes(resources), ...priorityTies(a), ...tenantOverlaps(a, resources), ...acceptsUndone(a)];
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

function tenantOverlaps(a: SymbolicAnalysis, resources: readonly LiqoResource[]): Finding[] {
  const { hs, plan } = a;
  const out: Finding[] = [];
  // A rule belongs to the resource it came from (one kernel table can hold rules of two resources;
  // after admission each resource name is given once).
  const rulesOf = (r: LiqoResource) => plan.rules.filter((x) => x.rule.origin.resource === r.origin.resource && mentionsAddresses(x.rule)).map((x) => x.id);
  resources.forEach((x, i) => {
    for (const y of resources.slice(i + 1)) {
      if (tenantOf(x) === undefined || tenantOf(y) === undefined || tenantOf(x) === tenantOf(y)) continue;
      for (const rx of rulesOf(x)) {
        for (const ry of rulesOf(y)) {
          if (!sameHook(a, rx, ry)) continue;
          const both = hs.and(plainMatch(a, rx), plainMatch(a, ry));
          if (!hs.isEmpty(both)) {
            const f = finding('tenant-overlap',
              `tenants ${tenantOf(x)} and ${tenantOf(y)}: ${ruleRef(plan, rx).label} and ${ruleRef(plan, ry).label} match common packets`,
              plan.rules[ry]!.rule.origin, [ruleRef(plan, rx)], ruleRef(plan, ry));
            f.witness = hs.witness(both);
            f.space = hs.describe(both, { max: 3 });
            out.push(f);
          }
          hs.release(both);
        }
      }
    }
  });
  return out;
}

/** Two rules run at a common hook (their chains are reached from base chains of one hook). */
function sameHook(a: SymbolicAnalysis, x: number, y: number): boolean {
  const hooks = (id: number) => new Set(a.plan.chains.filter((c) => c.chain.base && reaches(a, c.id, a.plan.rules[id]!.chain)).map((c) => c.chain.base!.hook));
  const hx = hooks(x);
  return [...hooks(y)].some((h) => hx.has(h));
}

/** Accepts by a rule that a later base chain at the same hook drops or rejects. */
function acceptsUndone(a: SymbolicAnalysis): Finding[] {
  const { hs, plan } = a;
  const out: Finding[] = [];
  for (const hook of PATH_HOOKS) {
    const order = baseOrder(a, hook);
    if (order.size < 2) continue;
    const res = a.evaluator.run({ hook });
    const baseOf = (chain: number) => [...order.entries()].find(([b]) => reaches(a, b, chain))?.[0];
    for (const r of plan.rules) {
      const spaces = res.rules[r.id];
      if (!spaces || r.rule.verdict?.kind !== 'accept' || hs.isEmpty(spaces.ends)) continue;
      const from = baseOf(r.chain);
      if (from === undefined) continue;
      for (const o of res.outcomes) {
        if (o.verdict === 'accept' || o.chain === undefined) continue;
        const to = baseOf(o.chain);
        if (to === undefined || order.get(to)! <= order.get(from)!) continue;
        const x = hs.and(spaces.ends, o.space);
        if (!hs.isEmpty(x)) {
          const by = o.by === 'rule' ? ruleRef(plan, o.rule!) : policyRef(plan, o.chain);
          const f = finding('accept-undone',
            `${hook}: packets ${ruleRef(plan, r.id).label} accepts are then ${o.verdict === 'drop' ? 'dropped' : 'rejected'} by ${by.label} (accept ends only its own base chain)`,
            r.rule.origin, [by], ruleRef(plan, r.id));
          f.witness = witnessAt(hs.witness(x)!, hook);
          f.check = { hook, verdict: o.verdict, by };
          f.space = hs.describe(x, { max: 3 });
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
