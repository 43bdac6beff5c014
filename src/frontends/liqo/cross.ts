// Checks across FirewallConfigurations, and the one kernel table several of them can share. The
// documents are taken as `kubectl apply` takes them: in order, each one a CREATE, or an UPDATE of
// a resource (namespace/name) given before. Input: each document's resource (its own table, as
// convert.ts builds it). Output: the resources the cluster ends up with, one table per kernel
// table (family + name), errors where Liqo's webhook denies a document, and warnings.
//
// Admission mirrors Liqo's validating webhook, pkg/webhooks/firewallconfiguration/table.go:
//   checkImmutableTableName  an UPDATE must keep the table name ("table name is immutable");
//   checkUniqueTableName     no OTHER resource (Liqo skips the one with the same UID, i.e. the object
//                            being updated) may carry the same table name — in any family — and an
//                            identical label map (maps.Equal): "table name %s with labels %s already used".
// Objects labelled `liqo.io/webhook-skip: "true"` are not checked (the webhook's object selector).
//
// Installation mirrors the gateway's Reconcile (pkg/firewall/firewallconfiguration_controller.go):
// table.go cleanTable deletes every chain of the kernel table (family + name) that the resource has
// not, or has with another type, hook, priority or policy (isChainOutdated); chain.go cleanChain
// deletes every rule without a name, not named in the resource's chain, or not equal to it
// (isRuleOutdated); addChains then creates the missing chains and appends the rules not present by
// name (addRules). So two resources naming one table (their labels differ, so the webhook admits
// both) share one kernel table, which the one reconciled last shapes: nftlens models documents as
// reconciled in input order and warns (LIQO_SHARED_TABLE) with both resources named.

import { diag, type Diagnostic } from '../../model/diagnostics.js';
import { tableId, type Chain, type Expr, type Rule, type Ruleset, type Table, type Verdict } from '../../model/ruleset.js';
import { WEBHOOK_SKIP_LABEL } from './types.js';
import type { LiqoResource } from './index.js';

export interface Admitted {
  /** The resources the cluster holds at the end, in the order they were last applied (reconciled). */
  resources: LiqoResource[];
  /** One table per kernel table, as the gateway leaves it, in order of creation. */
  tables: Table[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

const keyOf = (r: LiqoResource) => `${r.namespace ?? ''}/${r.name}`;
const nameOf = (r: LiqoResource) => (r.namespace ? `${r.namespace}/${r.name}` : r.name);
/** The resource and its file; the line is left to the diagnostic's own origin. */
const where = (r: LiqoResource) => (r.origin.file !== undefined ? `${nameOf(r)} (${r.origin.file})` : nameOf(r));

/** Admits the documents in order as Liqo's webhook would, then installs them as its gateway would. */
export function admitResources(documents: readonly LiqoResource[]): Admitted {
  const cluster = new Map<string, LiqoResource>();
  const kernel = new Map<string, { table: Table; by: LiqoResource[] }>();
  const out: Admitted = { resources: [], tables: [], errors: [], warnings: [] };
  for (const doc of documents) {
    const old = cluster.get(keyOf(doc));
    const denial = doc.labels[WEBHOOK_SKIP_LABEL] === 'true' ? undefined : deny(doc, old, cluster);
    if (denial) {
      out.errors.push(diag('LIQO_TABLE_NAME', 'error', denial, doc.tableNameOrigin));
      continue;
    }
    cluster.delete(keyOf(doc)); // an update goes last: resources are listed in the order they were last applied
    cluster.set(keyOf(doc), doc);
    if (old) {
      out.warnings.push(diag('LIQO_SHARED_TABLE', 'warning',
        `resource ${nameOf(doc)} is given twice: this document updates the one given before in ${old.origin.file ?? 'the input'}, as kubectl apply would` +
        (tableId(old.table) === tableId(doc.table) ? '' : `; table ${tableId(old.table)}, which the earlier one named, stays in the kernel (Liqo deletes a table only when its resource is deleted)`),
        doc.origin));
    }
    const id = tableId(doc.table);
    const installed = kernel.get(id);
    if (!installed) {
      kernel.set(id, { table: doc.table, by: [doc] });
      continue;
    }
    const others = installed.by.filter((r) => keyOf(r) !== keyOf(doc));
    for (const other of others) {
      out.warnings.push(diag('LIQO_SHARED_TABLE', 'warning',
        `table ${id} is also named by resource ${where(other)}; their labels differ, so Liqo's webhook admits both, and a gateway ` +
        `that applies both keeps ONE kernel table: reconciling ${nameOf(doc)} deletes the chains and rules of ${nameOf(other)} it does not ` +
        `have itself (cleanTable) and adds its own (addChains). nftlens models the table as ${nameOf(doc)}, applied last, leaves it; ` +
        `in a cluster the one reconciled last wins, and which one that is is not fixed (a gateway restart, or Liqo's nftables ` +
        `monitor after a deletion, reconciles both again, in no set order): give each resource its own table`,
        doc.tableNameOrigin));
    }
    installed.table = reconcile(installed.table, doc.table);
    installed.by = [...installed.by.filter((r) => keyOf(r) !== keyOf(doc)), doc];
  }
  out.resources = [...cluster.values()];
  out.tables = [...kernel.values()].map((k) => k.table);
  return out;
}

/**
 * Admits the documents of several inputs together (admitResources) and puts each kernel table in
 * `ruleset` where the first table of its resources was; tables of other front ends stay as they are.
 * `documents` are the resources read with `deferAdmission`, in input order; their tables are in `ruleset`.
 */
export function admitAcrossInputs(ruleset: Ruleset, documents: readonly LiqoResource[]): Admitted & { ruleset: Ruleset } {
  const admitted = admitResources(documents);
  const own = new Set(documents.map((d) => d.table));
  const byId = new Map(admitted.tables.map((t) => [tableId(t), t]));
  const placed = new Set<string>();
  const tables: Table[] = [];
  for (const t of ruleset.tables) {
    const id = tableId(t);
    if (!own.has(t)) tables.push(t);
    else if (byId.has(id) && !placed.has(id)) {
      placed.add(id);
      tables.push(byId.get(id)!);
    }
  }
  return { ...admitted, ruleset: { tables } };
}

/** Why Liqo's webhook denies the document, or undefined when it admits it. */
function deny(doc: LiqoResource, old: LiqoResource | undefined, cluster: Map<string, LiqoResource>): string | undefined {
  // checkImmutableTableName (UPDATE only)
  if (old && old.table.name !== doc.table.name) {
    return `table name is immutable: resource ${nameOf(doc)} was given before with table name ${old.table.name} in ${old.origin.file ?? 'the input'}; ` +
      `this document, an update of it, names ${doc.table.name}`;
  }
  // checkUniqueTableName: every other resource, whatever its namespace; the table family is not compared
  for (const other of cluster.values()) {
    if (keyOf(other) === keyOf(doc) || other.table.name !== doc.table.name || !sameLabels(other.labels, doc.labels)) continue;
    return `table name ${doc.table.name} with labels ${goMap(doc.labels)} already used (by resource ${where(other)}, ` +
      `table ${tableId(other.table)}); Liqo's webhook denies a second resource with the same table name and the same labels`;
  }
  return undefined;
}

/** maps.Equal on two label maps. */
function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** A label map as Go's fmt prints a map[string]string: `map[k1:v1 k2:v2]`, keys sorted. */
export function goMap(labels: Record<string, string>): string {
  return `map[${Object.keys(labels).sort().map((k) => `${k}:${labels[k]}`).join(' ')}]`;
}

/**
 * The table the gateway leaves when it reconciles `want` over the kernel table `have` (Reconcile:
 * cleanTable, then addTable + addChains). Kept chains stay where they are (with the later
 * resource's origin: it says the same chain); kept rules stay first, with the origin of the
 * resource that installed them (Liqo's Equal may call two different rules equal); new chains and
 * rules come after them.
 */
export function reconcile(have: Table, want: Table): Table {
  const wanted = new Map(want.chains.map((c) => [c.name, c]));
  const chains: Chain[] = [];
  for (const c of have.chains) {
    const w = wanted.get(c.name);
    if (!w || chainModified(c, w)) continue; // isChainOutdated → DelChain
    const byName = new Map(w.rules.map((r) => [r.comment, r]));
    const rules = c.rules.filter((r) => {
      const x = r.comment === undefined ? undefined : byName.get(r.comment);
      return x !== undefined && ruleEqual(r, x); // isRuleOutdated → DelRule
    });
    chains.push({ ...w, rules }); // the same chain as the kernel's (not modified): the later resource's origin
  }
  const kept = new Map(chains.map((c) => [c.name, c]));
  for (const w of want.chains) {
    const k = kept.get(w.name);
    if (!k) {
      chains.push(w); // addChain
      continue;
    }
    const present = new Set(k.rules.map((r) => r.comment));
    k.rules.push(...w.rules.filter((r) => !present.has(r.comment))); // addRules: existRule by name
  }
  return { ...want, chains };
}

/** chain.go isChainModified: type, hook, priority or policy differ. */
function chainModified(c: Chain, w: Chain): boolean {
  const a = c.base;
  const b = w.base;
  if (!a || !b) return a !== b;
  return a.type !== b.type || a.hook !== b.hook || a.priority !== b.priority || a.policy !== b.policy;
}

/**
 * utils/filterule.go FilterRuleWrapper.Equal, on the IR Liqo's translation gives: a ctmark rule is
 * always equal (Liqo's own exception); otherwise as many expressions, each of the installed rule
 * found among the new one's (order aside).
 */
function ruleEqual(installed: Rule, next: Rule): boolean {
  if (next.exprs.some((e) => e.kind === 'set-mark' && e.key === 'ct mark' && typeof e.value === 'number')) return true;
  const a = exprKeys(installed);
  const b = exprKeys(next);
  return a.length === b.length && a.every((k) => b.includes(k));
}

function exprKeys(r: Rule): string[] {
  const parts: (Expr | NonNullable<Rule['verdict']>)[] = r.verdict ? [...r.exprs, r.verdict] : [...r.exprs];
  return parts.map((p) => JSON.stringify(p, (k, v: unknown) => (k === 'origin' || k === 'packets' || k === 'bytes' ? undefined : v)));
}

