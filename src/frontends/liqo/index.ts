// The Liqo FirewallConfiguration front end: text → objects (parse.ts) → source model with the
// CRD's schema and defaults (schema.ts) → optional rule naming (names.ts) → Liqo's webhook checks
// and installability (validate.ts) → IR tables (convert.ts) + warnings where Liqo's gateway would
// install something else (quirks.ts); then the documents together, as Liqo's webhook admits and its
// gateway installs them in order (cross.ts: unique and immutable table names, one kernel table per
// family + name). All errors of a file are thrown together as one NftlensError.

import { NftlensError, type Diagnostic } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import type { Ruleset, Table } from '../../model/ruleset.js';
import { convertFirewallConfiguration } from './convert.js';
import { admitAcrossInputs } from './cross.js';
import { nameRules } from './names.js';
import { readObjects } from './parse.js';
import { quirkWarnings } from './quirks.js';
import { decodeFirewallConfiguration } from './schema.js';
import { validateFirewallConfiguration } from './validate.js';
import { originOf } from './where.js';

export { admitAcrossInputs } from './cross.js';

export interface LiqoResource {
  apiVersion: string;
  kind: 'FirewallConfiguration';
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  /** The resource's own table, as it says; the Ruleset holds the table as the gateway installs it (cross.ts). */
  /** metadata.generation, when present. */
  generation?: number;
  table: Table;
  origin: Origin;
  /** Where `spec.table.name` is (cross-resource errors point there). */
  tableNameOrigin: Origin;
}

export interface LiqoLoadResult {
  resources: LiqoResource[];
  ruleset: Ruleset;
  /** Warnings and infos; errors are thrown. */
  diagnostics: Diagnostic[];
}

export interface LiqoOptions {
  /** Name nameless rules deterministically, as Liqo's mutating webhook names them randomly. */
  nameRules?: boolean;
  /**
   * Leave the checks across documents to the caller, who reads several inputs and then calls
   * admitAcrossInputs on all their resources (in order) and tables together.
   */
  deferAdmission?: boolean;
}

/**
 * Reads every FirewallConfiguration of a YAML/JSON text (documents, Lists). Throws an NftlensError
 * carrying every error of the file; returns the resources the documents leave (an update replaces
 * a resource given before), one table per kernel table as Liqo's gateway installs them, and the
 * warnings and infos. With `deferAdmission`, every valid document and its own table, unchecked
 * against the others.
 */
export function parseFirewallConfigurations(text: string, file: string, opts: LiqoOptions = {}): LiqoLoadResult {
  const { objects, diagnostics, documents } = readObjects(text, file);
  if (documents === 0) {
    throw NftlensError.of('INPUT_EMPTY', 'nothing to read: no document (the input is empty, or holds only comments or `---`)', { file });
  }
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const notes: Diagnostic[] = [];
  const resources: LiqoResource[] = [];
  for (const raw of objects) {
    const decoded = decodeFirewallConfiguration(raw, file);
    errors.push(...decoded.diagnostics);
    const fc = decoded.resource;
    if (!fc) continue;
    if (opts.nameRules) notes.push(...nameRules(fc));
    const problems = validateFirewallConfiguration(fc);
    if (problems.length > 0) {
      errors.push(...problems);
      continue;
    }
    notes.push(...quirkWarnings(fc));
    resources.push({
      apiVersion: fc.apiVersion,
      kind: 'FirewallConfiguration',
      name: fc.name,
      ...(fc.namespace !== undefined ? { namespace: fc.namespace } : {}),
      labels: { ...fc.labels },
      ...(fc.generation !== undefined ? { generation: fc.generation } : {}),
      table: convertFirewallConfiguration(fc),
      origin: { file, resource: fc.resource, ...(fc.loc.line !== undefined ? { line: fc.loc.line, column: fc.loc.column } : {}) },
      tableNameOrigin: originOf(fc, fc.table.name.loc),
    });
  }
  const own: Ruleset = { tables: resources.map((r) => r.table) };
  if (opts.deferAdmission) {
    if (errors.length > 0) throw new NftlensError(errors);
    return { resources, ruleset: own, diagnostics: notes };
  }
  const admitted = admitAcrossInputs(own, resources);
  errors.push(...admitted.errors);
  if (errors.length > 0) throw new NftlensError(errors);
  return { resources: admitted.resources, ruleset: admitted.ruleset, diagnostics: [...notes, ...admitted.warnings] };
}
