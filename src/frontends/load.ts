// Input loading for every command: `-f` takes files, folders and `-` (standard input), read by
// sources.ts. Each text is sniffed — nft JSON (`{"nftables": …}`) or else Liqo FirewallConfiguration
// (YAML/JSON, several per file, `kind: List`), parsed once — and lowered by its front end;
// all tables are merged into one Ruleset. With no paths, the embedded examples (examples/*.yaml, the seed's provider-protection policies) are loaded.

import { join, dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { NftlensError, diag, type Diagnostic } from '../model/diagnostics.js';
import { tableId, type Ruleset, type Table } from '../model/ruleset.js';
import { importNftJson } from './nft-json/index.js';
import { admitAcrossInputs, parseFirewallConfigurations, type LiqoResource } from './liqo/index.js';
import { readSources, type Source } from './sources.js';

export interface LoadOptions {
  /** Name nameless Liqo rules deterministically, as Liqo's mutating webhook would (with UUIDs). */
  nameRules?: boolean;
  stdin?: Readable;
}

export interface Loaded {
  ruleset: Ruleset;
  /** Warnings and notes from the front ends (errors are thrown). */
  diagnostics: Diagnostic[];
  /** The Liqo resources among the inputs, each with its own table. */
  resources: LiqoResource[];
  /** The files read, in order. */
  files: string[];
}

/** Where the embedded examples live: <package>/examples, two levels above this module in src/ and dist/. */
export const EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

export async function loadRuleset(paths: readonly string[], opts: LoadOptions = {}): Promise<Loaded> {
  return loadSources(await readInputs(paths, opts.stdin), opts);
}

/** The texts of the inputs `-f` names (none: the embedded examples), as loadRuleset reads them. */
export function readInputs(paths: readonly string[], stdin?: Readable): Promise<Source[]> {
  return readSources(paths.length ? paths : [EXAMPLES_DIR], stdin, displayName);
}

/** The same, from texts already read (the HTTP service's policy bodies): one meaning, one set of diagnostics. */
export function loadSources(sources: readonly Source[], opts: Pick<LoadOptions, 'nameRules'> = {}): Loaded {
  const out: Loaded = { ruleset: { tables: [] }, diagnostics: [], resources: [], files: [] };
  const errors: Diagnostic[] = [];
  const liqo: LiqoResource[] = [];
  const nftTables: Table[] = [];
  for (const { file, text } of sources) {
    out.files.push(file);
    try {
      const nft = nftJson(text);
      if (nft !== undefined) {
        const r = importNftJson(nft, file);
        for (const t of r.ruleset.tables) nftTables.push(t);
        for (const d of r.diagnostics) out.diagnostics.push(d);
      } else {
        // Admission across resources waits for every input: Liqo's webhook and gateway see them together.
        const r = parseFirewallConfigurations(text, file, { nameRules: opts.nameRules, deferAdmission: true });
        for (const t of r.ruleset.tables) out.ruleset.tables.push(t);
        for (const x of r.resources) liqo.push(x);
        for (const d of r.diagnostics) out.diagnostics.push(d);
      }
    } catch (e) {
      if (!(e instanceof NftlensError)) throw e;
      for (const d of e.diagnostics) errors.push(d);
    }
  }
  const admitted = admitAcrossInputs(out.ruleset, liqo);
  for (const d of admitted.errors) errors.push(d);
  const ruleset: Ruleset = { tables: admitted.ruleset.tables.slice() };
  for (const t of nftTables) addNftTable(ruleset, t, errors);
  if (errors.length) throw new NftlensError(errors);
  for (const d of admitted.warnings) out.diagnostics.push(d);
  return { ...out, ruleset, resources: admitted.resources };
}

/**
 * A table of an nft JSON input joins the ruleset unless another input already holds one of the same
 * family and name: `nft -f` would merge the two, a replace would keep only one, so nftlens asks the
 * user to say which (one meaning everywhere, as for Liqo's shared tables).
 */
function addNftTable(ruleset: Ruleset, t: Table, errors: Diagnostic[]): void {
  const id = tableId(t);
  const other = ruleset.tables.find((x) => tableId(x) === id);
  if (!other) {
    ruleset.tables.push(t);
    return;
  }
  const where = other.origin.file ?? 'another input';
  errors.push(diag('INPUT_TABLE_TWICE', 'error', `table ${id} is also defined by ${where}; give each table once`, t.origin));
}

/**
 * nft JSON — one JSON object with an `"nftables"` key — parsed, or as text when it is malformed
 * (the nft front end locates the syntax error); undefined for everything else (YAML, Liqo JSON,
 * other malformed text), which goes to the Liqo front end: it parses it once and locates every
 * problem, an `nftables` document inside YAML included.
 */
function nftJson(text: string): unknown {
  if (!/^[ \t\r\n]*\{/.test(text) || !/"nftables"[ \t\r\n]*:/.test(text)) return undefined;
  try {
    const doc: unknown = JSON.parse(text);
    return doc && typeof doc === 'object' && 'nftables' in doc ? doc : undefined;
  } catch {
    return text;
  }
}

/** Embedded examples are named `examples/NAME`, wherever the package is installed. */
function displayName(path: string): string {
  return path.startsWith(EXAMPLES_DIR + sep) ? 'examples/' + relative(EXAMPLES_DIR, path) : path;
}
