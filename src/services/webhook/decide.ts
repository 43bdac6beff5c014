// What the admission webhook answers, as pure functions of the objects. Validating: every check
// of Liqo's webhook on the object (the front end's validation; nameless rules are denied, as the
// mutating webhook, which runs first in a cluster, should have named them), the checks across resources (cross.ts: unique and immutable table
// names) against the FirewallConfigurations the cluster holds, then the analyses over what a
// gateway would load with it — the resources of its firewall-category — (conflicts between
// tenants, shadowed and other anomalous rules, accepts undone by another table, isolation breaches
// against the declared tenants), each finding that involves the object a denial or a warning by
// the policy, with its witness packet. Mutating: names nameless rules deterministically, as a JSON patch.
import { findAnomalies } from '../../analyses/anomalies.js';
import { findConflicts } from '../../analyses/conflicts.js';
import type { Finding, FindingKind } from '../../analyses/findings.js';
import { checkIsolation, type IsolationResult } from '../../analyses/isolation.js';
import { symbolicAnalysis, type SymbolicAnalysis } from '../../analyses/symbolic/index.js';
import { formatPacket } from '../../engine/packet.js';
import { admitAcrossInputs, parseFirewallConfigurations, type LiqoResource } from '../../frontends/liqo/index.js';
import { ruleName } from '../../frontends/liqo/names.js';
import { MAX_DEPTH } from '../../frontends/liqo/parse.js';
import { WEBHOOK_SKIP_LABEL } from '../../frontends/liqo/types.js';
import { formatDiagnostic, NftlensError, type Diagnostic } from '../../model/diagnostics.js';
import { formatOrigin, type Origin } from '../../model/origin.js';
import type { WebhookPolicy } from './policy.js';

export type Obj = Record<string, any>;

export interface AdmissionInput {
  operation: string;
  object: Obj;
  oldObject?: Obj;
  /** The FirewallConfigurations the cluster holds (the object itself among them or not). */
  others: Obj[];
}

export interface Verdict {
  allowed: boolean;
  denials: string[];
  warnings: string[];
}

/** The object under review, as the origin file of its diagnostics. */
const UNDER_REVIEW = '<under review>';
const CATEGORY = 'networking.liqo.io/firewall-category';

/** The finding kinds of each analysis: one that the policy turns wholly off is not run. */
const CONFLICT_KINDS: readonly FindingKind[] = ['tenant-overlap', 'table-clash', 'priority-tie', 'accept-undone'];
const ANOMALY_KINDS: readonly FindingKind[] = ['unreachable', 'shadowed', 'redundant', 'correlated', 'generalization'];

const keyOf = (o: Obj) => `${o?.metadata?.namespace ?? ''}/${o?.metadata?.name ?? ''}`;

/** A diagnostic without the line of the JSON text it was read from (meaningless to the user). */
function located(d: Diagnostic): string {
  const { file: _f, line: _l, column: _c, ...rest } = d.origin;
  return formatDiagnostic({ ...d, origin: rest as Origin });
}

/** Whether a value nests deeper than `limit` (iteratively: a hostile object must not overflow the stack). */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > limit) return true;
    for (const x of Object.values(v)) stack.push([x, d + 1]);
  }
  return false;
}

function read(object: Obj, file: string): { resources: LiqoResource[]; tables: LiqoResource['table'][]; notes: Diagnostic[] } {
  if (deeperThan(object, MAX_DEPTH)) throw NftlensError.of('INPUT_PARSE', `the object nests deeper than ${MAX_DEPTH} levels`, { file, resource: keyOf(object) });
  const r = parseFirewallConfigurations(JSON.stringify(object), file, { deferAdmission: true });
  return { resources: r.resources, tables: r.ruleset.tables, notes: r.diagnostics };
}

const touches = (o: Origin | undefined): boolean => o?.file === UNDER_REVIEW;
const involves = (f: Finding) => touches(f.origin) || touches(f.subject?.origin) || f.related.some((r) => touches(r.origin));

function describe(f: Finding): string {
  const what = f.subject?.label ?? formatOrigin({ ...f.origin, file: undefined, line: undefined, column: undefined });
  return `${f.kind}: ${what}: ${f.message}${f.witness ? ` — witness: ${formatPacket(f.witness)}` : ''}`;
}

export interface DecideOptions {
  /**
   * Run every analysis over everything the gateway loads, then keep the findings that involve
   * the object — the reference the default (focused) path is tested against. By default the
   * analyses skip the work whose findings could not involve the object, with the same verdict.
   */
  full?: boolean;
  /** The cluster's resources as parsed for earlier admissions (the worker keeps one). */
  cache?: ResourceCache;
}

/**
 * The cluster's resources as parsed, across admissions, by uid and resourceVersion (the API
 * server gives a changed object a new resourceVersion): the others of a big gateway are parsed
 * once, not on every admission. Objects without both (files, tests) are not kept. Bounded: the
 * entries least recently used go first.
 */
export class ResourceCache {
  private readonly map = new Map<string, LiqoResource[] | undefined>();
  constructor(private readonly max = 4096) {}

  /** The resources of a cluster object (undefined: it does not validate), parsed on a miss. */
  resources(o: Obj, parse: () => LiqoResource[] | undefined): LiqoResource[] | undefined {
    const uid = o?.metadata?.uid;
    const version = o?.metadata?.resourceVersion;
    if (typeof uid !== 'string' || typeof version !== 'string') return parse();
    const key = `${keyOf(o)}|${uid}|${version}`;
    if (this.map.has(key)) {
      const hit = this.map.get(key);
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const parsed = parse();
    this.map.set(key, parsed);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    return parsed;
  }

  get size(): number {
    return this.map.size;
  }
}

/** The validating webhook's verdict (the analyses may throw NftlensError ANALYSIS_LIMIT; the caller decides). */
export function decide(input: AdmissionInput, policy: WebhookPolicy, opts: DecideOptions = {}): Verdict {
  const focused = !opts.full;
  const verdict: Verdict = { allowed: true, denials: [], warnings: [] };
  const object = input.object;
  if (input.operation !== 'CREATE' && input.operation !== 'UPDATE') return verdict;
  if (object?.metadata?.labels?.[WEBHOOK_SKIP_LABEL] === 'true') return verdict;
  let mine: ReturnType<typeof read>;
  try {
    mine = read(object, UNDER_REVIEW);
  } catch (e) {
    if (!(e instanceof NftlensError)) throw e;
    return { allowed: false, denials: e.diagnostics.map(located), warnings: [] };
  }
  verdict.warnings.push(...mine.notes.filter((d) => d.severity === 'warning').map(located));

  // The cluster's other resources, then (for an update) the object as it was, then the object.
  const docs: LiqoResource[] = [];
  const parseOther = (other: Obj) => () => {
    try {
      return read(other, `cluster ${keyOf(other)}`).resources;
    } catch {
      // A resource the cluster holds but that does not validate (webhook-skip, or admitted before): not a gateway input.
      return undefined;
    }
  };
  for (const other of input.others) {
    if (keyOf(other) === keyOf(object)) continue;
    const parsed = opts.cache ? opts.cache.resources(other, parseOther(other)) : parseOther(other)();
    if (parsed) docs.push(...parsed);
  }
  if (input.operation === 'UPDATE' && input.oldObject) {
    try {
      docs.push(...read(input.oldObject, 'the object before this update').resources);
    } catch {
      // The old object did not validate: the update is judged on its own.
    }
  }
  docs.push(...mine.resources);
  const admitted = admitAcrossInputs({ tables: docs.map((d) => d.table) }, docs);
  const denied = admitted.errors.filter((d) => touches(d.origin));
  if (denied.length) return { allowed: false, denials: denied.map(located), warnings: verdict.warnings };
  verdict.warnings.push(...admitted.warnings.filter((d) => touches(d.origin)).map(located));

  // What a gateway loads with the object: the resources of its firewall-category.
  const category = object.metadata?.labels?.[CATEGORY];
  const loaded = admitted.resources.filter((r) => r.labels[CATEGORY] === category);
  const ruleset = admitAcrossInputs({ tables: loaded.map((r) => r.table) }, loaded).ruleset;
  const on = (kinds: readonly FindingKind[]) => kinds.some((k) => policy.checks[k] !== 'off');
  const wantConflicts = on(CONFLICT_KINDS);
  const wantAnomalies = on(ANOMALY_KINDS);
  const wantIsolation = policy.tenants.length > 0 && policy.checks.isolation !== 'off';
  // Focused, the isolation check reuses the analysis when its header space would be the same
  // (no tenant names interfaces): each rule is encoded once.
  const share = focused && wantIsolation && policy.tenants.every((t) => !t.interfaces?.length);
  const a = wantConflicts || wantAnomalies || share ? symbolicAnalysis(ruleset) : undefined;
  // Only findings that involve the object count: focused, the analyses skip the work that could
  // make no other (and the words about header spaces, which the verdict does not show).
  const conflictOpts = focused ? { focus: touches, describeLines: 0 } : {};
  const anomalyOpts = focused ? { focus: touches } : {};
  const findings = a ? [...(wantConflicts ? findConflicts(a, loaded, conflictOpts) : []), ...(wantAnomalies ? findAnomalies(a, anomalyOpts).findings : [])] : [];
  for (const f of findings) {
    if (!involves(f)) continue;
    const decision = policy.checks[f.kind];
    if (decision === 'deny') verdict.denials.push(describe(f));
    else if (decision === 'warn') verdict.warnings.push(describe(f));
  }
  if (wantIsolation) {
    for (const b of breachesOf(ruleset, loaded, policy, focused, share ? a : undefined)) {
      const line = `isolation: tenant ${b.from} reaches tenant ${b.to}, accepted by ${b.decidedBy.label} — witness: ${formatPacket(b.witness)}`;
      (policy.checks.isolation === 'deny' ? verdict.denials : verdict.warnings).push(line);
    }
  }
  verdict.allowed = verdict.denials.length === 0;
  return verdict;
}

/**
 * Breaches the object is to blame for: decided by one of its rules, or there only with it loaded
 * (then all of them). Listed only as far as needed: the object's own first, the others only when
 * it has none and the cluster without it is isolated.
 */
function breachesOf(
  ruleset: { tables: LiqoResource['table'][] }, loaded: LiqoResource[], policy: WebhookPolicy, focused: boolean, analysis: SymbolicAnalysis | undefined,
): IsolationResult['breaches'] {
  const withIt = checkIsolation(ruleset, policy.tenants, focused ? { decidedBy: touches, ...(analysis ? { analysis } : {}) } : {});
  if (withIt.isolated) return [];
  const own = withIt.breaches.filter((b) => touches(b.decidedBy.origin));
  if (own.length) return own;
  const rest = loaded.filter((r) => r.origin.file !== UNDER_REVIEW);
  const without = checkIsolation(admitAcrossInputs({ tables: rest.map((r) => r.table) }, rest).ruleset, policy.tenants, focused ? { decidedBy: () => false } : {});
  if (!without.isolated) return [];
  return focused ? checkIsolation(ruleset, policy.tenants, analysis ? { analysis } : {}).breaches : withIt.breaches;
}

/** The mutating webhook's JSON patch: a deterministic name for every rule without one. */
export function nameNamelessRules(object: Obj): Obj[] {
  const ops: Obj[] = [];
  if (object?.metadata?.labels?.[WEBHOOK_SKIP_LABEL] === 'true') return ops;
  const chains = object?.spec?.table?.chains;
  if (!Array.isArray(chains)) return ops;
  chains.forEach((chain: Obj, i: number) => {
    for (const list of ['filterRules', 'natRules', 'routeRules']) {
      const rules = chain?.rules?.[list];
      if (!Array.isArray(rules)) continue;
      rules.forEach((rule: Obj, j: number) => {
        if (typeof rule !== 'object' || rule === null || (typeof rule.name === 'string' && rule.name !== '')) return;
        const value = ruleName(object.metadata?.namespace, object.metadata?.name ?? '', String(chain.name ?? ''), list, j);
        ops.push({ op: rule.name === undefined ? 'add' : 'replace', path: `/spec/table/chains/${i}/rules/${list}/${j}/name`, value });
      });
    }
  });
  return ops;
}
