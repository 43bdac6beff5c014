// The Liqo FirewallConfiguration front end: text → objects (parse.ts) → source model with the
// CRD's schema and defaults (schema.ts) → optional rule naming (names.ts) → Liqo's webhook checks
// and installability (validate.ts) → IR tables (convert.ts) + warnings where Liqo's gateway would
// install something else (quirks.ts). All errors of a file are thrown together as one NftlensError.

import { NftlensError, type Diagnostic } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import type { Ruleset, Table } from '../../model/ruleset.js';
import { convertFirewallConfiguration } from './convert.js';
import { nameRules } from './names.js';
import { readObjects } from './parse.js';
import { quirkWarnings } from './quirks.js';
import { decodeFirewallConfiguration } from './schema.js';
import { validateFirewallConfiguration } from './validate.js';

export { isFirewallConfigurationDocument } from './parse.js';

export interface LiqoResource {
  apiVersion: string;
  kind: 'FirewallConfiguration';
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  /** metadata.generation, when present. */
  generation?: number;
  table: Table;
  origin: Origin;
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
}

/**
 * Reads every FirewallConfiguration of a YAML/JSON text (documents, Lists). Throws an NftlensError
 * carrying every error of the file; returns the resources, their tables as one Ruleset, and the
 * warnings and infos.
 */
export function parseFirewallConfigurations(text: string, file: string, opts: LiqoOptions = {}): LiqoLoadResult {
  const { objects, diagnostics } = readObjects(text, file);
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
    });
  }
  if (errors.length > 0) throw new NftlensError(errors);
  return { resources, ruleset: { tables: resources.map((r) => r.table) }, diagnostics: notes };
}
