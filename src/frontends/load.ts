// Input loading for every command: `-f` takes files, folders (their *.yaml, *.yml and *.json,
// recursively, in name order) and `-` (standard input). Each document is sniffed — nft JSON
// (`{"nftables": …}`) or Liqo FirewallConfiguration (YAML/JSON, several per file, `kind: List`) —
// and lowered by its front end; all tables are merged into one Ruleset. With no paths, the
// embedded examples (examples/*.yaml, the seed's provider-protection policies) are loaded.

import { readFile, readdir, stat } from 'node:fs/promises';
import { join, dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { parseAllDocuments } from 'yaml';
import { NftlensError, type Diagnostic } from '../model/diagnostics.js';
import type { Ruleset } from '../model/ruleset.js';
import { importNftJson } from './nft-json/index.js';
import { isFirewallConfigurationDocument, parseFirewallConfigurations, type LiqoResource } from './liqo/index.js';

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

const DOCUMENT_EXT = /\.(ya?ml|json)$/i;

export async function loadRuleset(paths: readonly string[], opts: LoadOptions = {}): Promise<Loaded> {
  const sources = paths.length ? paths : [EXAMPLES_DIR];
  const out: Loaded = { ruleset: { tables: [] }, diagnostics: [], resources: [], files: [] };
  const errors: Diagnostic[] = [];
  for (const { file, text } of await readSources(sources, opts.stdin)) {
    out.files.push(file);
    try {
      const kind = sniff(text, file);
      if (kind === 'nft') {
        const r = importNftJson(text, file);
        out.ruleset.tables.push(...r.ruleset.tables);
        out.diagnostics.push(...r.diagnostics);
      } else {
        const r = parseFirewallConfigurations(text, file, { nameRules: opts.nameRules });
        out.ruleset.tables.push(...r.ruleset.tables);
        out.resources.push(...r.resources);
        out.diagnostics.push(...r.diagnostics);
      }
    } catch (e) {
      if (!(e instanceof NftlensError)) throw e;
      errors.push(...e.diagnostics);
    }
  }
  if (errors.length) throw new NftlensError(errors);
  return out;
}

/** nft JSON or Liqo; anything else is INPUT_KIND (malformed text is left to the front ends). */
function sniff(text: string, file: string): 'nft' | 'liqo' {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      const doc: unknown = JSON.parse(trimmed);
      if (doc && typeof doc === 'object' && 'nftables' in doc) return 'nft';
      if (isFirewallConfigurationDocument(doc)) return 'liqo';
    } catch {
      /* not JSON: maybe YAML flow style */
    }
  }
  let docs;
  try {
    docs = parseAllDocuments(text);
  } catch {
    return 'liqo'; // the Liqo front end reports the parse error with its location
  }
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.some((d) => d.errors.length > 0)) return 'liqo';
  const values = list.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  if (values.some((v) => v && typeof v === 'object' && 'nftables' in v)) return 'nft';
  if (values.length === 0 || values.some(isFirewallConfigurationDocument)) return 'liqo';
  throw NftlensError.of(
    'INPUT_KIND',
    'not a FirewallConfiguration (networking.liqo.io/v1beta1), a List of them, nor nft JSON (`nft -j list ruleset`)',
    { file },
  );
}

async function readSources(paths: readonly string[], stdin?: Readable): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const p of paths) {
    if (p === '-') {
      if (!stdin) throw NftlensError.of('INPUT_READ', 'standard input is not available here', { file: '-' });
      out.push({ file: '-', text: await readStream(stdin) });
      continue;
    }
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      throw NftlensError.of('INPUT_READ', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: p });
    }
    if (st.isDirectory()) {
      const files = await listDocuments(p);
      if (files.length === 0) throw NftlensError.of('INPUT_READ', 'folder holds no .yaml, .yml or .json file', { file: p });
      for (const f of files) out.push({ file: displayName(f), text: await readFile(f, 'utf8') });
    } else {
      out.push({ file: displayName(p), text: await readFile(p, 'utf8') });
    }
  }
  return out;
}

/** Embedded examples are named `examples/NAME`, wherever the package is installed. */
function displayName(path: string): string {
  return path.startsWith(EXAMPLES_DIR + sep) ? 'examples/' + relative(EXAMPLES_DIR, path) : path;
}

async function listDocuments(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listDocuments(p)));
    else if (DOCUMENT_EXT.test(e.name)) out.push(p);
  }
  return out;
}

async function readStream(s: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
