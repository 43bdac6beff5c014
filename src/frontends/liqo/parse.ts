// Reads YAML or JSON text into located trees, one per Kubernetes object: several documents per
// file (`---`), `kind: List` / `FirewallConfigurationList` with `items`, comments such as Helm's
// `# Source:` lines. Every map key, sequence item and scalar keeps its 1-based line and column.
// YAML is read as YAML 1.1, as kubectl's reader (go-yaml v2) does: `yes`/`on`/`n` are booleans,
// `0x10`/`010` are numbers, `<<` merges maps; strict JSON takes a faster reader (json-tree.ts),
// and so does plain block YAML as Kubernetes tools write it (yaml-block.ts); the rest goes to the
// yaml library, once nesting is known to be bounded (yaml-depth.ts). Malformed text, unknown tags
// and alias bombs give INPUT_PARSE, objects of other kinds INPUT_KIND diagnostics.
// Schema decoding of the trees is schema.ts's job.

import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node, type Tags } from 'yaml';
import { diag, type Diagnostic } from '../../model/diagnostics.js';
import { JsonTreeError, readJsonTree } from './json-tree.js';
import { readBlockYaml } from './yaml-block.js';
import { yamlTooDeep } from './yaml-depth.js';
import { API_GROUP, KIND } from './types.js';

export interface Pos {
  line?: number;
  column?: number;
}

export type Scalar = string | number | boolean | null;

export type YNode =
  | { kind: 'map'; entries: Map<string, YEntry>; pos: Pos }
  | { kind: 'seq'; items: YNode[]; pos: Pos }
  | { kind: 'scalar'; value: Scalar; pos: Pos };

export interface YEntry {
  key: string;
  keyPos: Pos;
  value: YNode;
}

/** One FirewallConfiguration object found in the text: a document, or an item of a List. */
export interface RawObject {
  node: YNode & { kind: 'map' };
}

/** Nodes that alias expansion may add per document: more is an alias bomb, not a config. */
const MAX_ALIAS_NODES = 100_000;
/** How deep a document may nest (deeper is an INPUT_PARSE error, not a stack overflow). */
export const MAX_DEPTH = 200;
const MAX_PARSE_ERRORS = 3;

/** Splits the text into FirewallConfiguration objects; everything else becomes a diagnostic. */
export function readObjects(text: string, file: string): { objects: RawObject[]; diagnostics: Diagnostic[]; documents: number } {
  const objects: RawObject[] = [];
  const diagnostics: Diagnostic[] = [];
  if (/^[ \t\r\n]*[{[]/.test(text)) {
    // Strict JSON takes a fast path; anything else that opens like it is YAML flow style.
    try {
      const root = readJsonTree(text, MAX_DEPTH);
      if (root) {
        collect(root, '', file, objects, diagnostics);
        return { objects, diagnostics, documents: 1 };
      }
    } catch (e) {
      if (!(e instanceof JsonTreeError)) throw e;
      diagnostics.push(diag('INPUT_PARSE', 'error', e.message, { file, ...e.pos }));
      return { objects, diagnostics, documents: 1 };
    }
  }
  const roots = readBlockYaml(text, MAX_DEPTH, resolvePlain) ?? readYamlTrees(text, file, diagnostics);
  for (const root of roots) collect(root, '', file, objects, diagnostics);
  return { objects, diagnostics, documents: roots.length + (diagnostics.length > 0 && roots.length === 0 ? 1 : 0) };
}

/**
 * The yaml library's reading of the text: the located tree of every document that is neither
 * empty nor broken; what is broken goes to `diagnostics` (INPUT_PARSE, located).
 */
export function readYamlTrees(text: string, file: string, diagnostics: Diagnostic[]): YNode[] {
  const roots: YNode[] = [];
  const deep = yamlTooDeep(text, MAX_DEPTH);
  if (deep) {
    diagnostics.push(diag('INPUT_PARSE', 'error', `YAML nested deeper than ${MAX_DEPTH} levels`, { file, ...deep }));
    return roots;
  }
  const lc = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter: lc, version: '1.1', uniqueKeys: true, customTags: goYamlTags }) as Document.Parsed[];
  } catch (e) {
    diagnostics.push(diag('INPUT_PARSE', 'error', `not well-formed YAML or JSON: ${(e as Error).message}`, { file }));
    return roots;
  }
  for (const doc of docs) {
    // An unknown tag (`!foo`) is only a warning to the yaml library; kubectl refuses it.
    const problems = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
    if (problems.length > 0) {
      // The first few: later ones mostly follow from the first.
      for (const err of problems.slice(0, MAX_PARSE_ERRORS)) {
        const p = err.linePos?.[0];
        diagnostics.push(
          diag('INPUT_PARSE', 'error', `not well-formed YAML or JSON: ${err.message.split('\n')[0]}`, {
            file,
            ...(p ? { line: p.line, column: p.col } : {}),
          }),
        );
      }
      continue;
    }
    // An empty document (only comments, or `---` alone) has no contents or a null scalar.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    const built = new TreeBuilder(doc, lc);
    let root: YNode;
    try {
      root = built.build(doc.contents);
    } catch (e) {
      if (!(e instanceof TreeError)) throw e;
      diagnostics.push(diag('INPUT_PARSE', 'error', e.message, { file, ...e.pos }));
      continue;
    }
    roots.push(root);
  }
  return roots;
}

/** Tags that settle plain scalars, in the yaml library's order (as it resolves them). */
const PLAIN_TAGS = new Document(null, { version: '1.1', customTags: goYamlTags }).schema.tags.filter((t) => t.default === true && t.test);

/** A plain scalar as the yaml library reads it (readYamlTrees), for the block fast path. */
export function resolvePlain(source: string): Scalar | undefined {
  const tag = PLAIN_TAGS.find((t) => t.test!.test(source)) as { resolve?: (s: string, onError: () => void, o: object) => unknown } | undefined;
  if (!tag?.resolve) return source;
  let failed = false;
  const resolved = tag.resolve(source, () => (failed = true), { intAsBigInt: false });
  const value = isScalar(resolved) ? resolved.value : resolved; // YAML 1.1 booleans come as Scalars
  return failed || (value !== null && typeof value === 'object') ? undefined : scalarValue(value, source);
}

/**
 * go-yaml v2 reads no base-60 numbers (`1:20`, which would make `2001:0:0:0:0:0:0:1` a number) and
 * leaves timestamps as strings when decoding into untyped objects, as kubectl does for resources.
 */
function goYamlTags(tags: Tags): Tags {
  return tags.filter((t) => {
    const { tag, format } = t as { tag?: string; format?: string };
    return format !== 'TIME' && tag !== 'tag:yaml.org,2002:timestamp';
  });
}

function collect(node: YNode, where: string, file: string, out: RawObject[], diags: Diagnostic[]): void {
  const kind = node.kind === 'map' ? scalarAt(node, 'kind') : undefined;
  const apiVersion = node.kind === 'map' ? scalarAt(node, 'apiVersion') : undefined;
  if (node.kind === 'map' && (kind === 'List' || kind === `${KIND}List`)) {
    const items = node.entries.get('items')?.value;
    if (!items || items.kind !== 'seq') {
      diags.push(diag('INPUT_KIND', 'error', `a ${kind} needs an \`items\` list`, { file, ...node.pos, field: 'items' }));
      return;
    }
    items.items.forEach((item, i) => collect(item, `${where ? `${where}.` : ''}items[${i}]`, file, out, diags));
    return;
  }
  if (node.kind === 'map' && kind === KIND && typeof apiVersion === 'string' && apiVersion.startsWith(`${API_GROUP}/`)) {
    out.push({ node });
    return;
  }
  if (node.kind === 'map' && node.entries.has('nftables')) {
    const message = 'nft JSON (`nft -j list ruleset`) is read only as a JSON file of its own, not as YAML nor beside other documents';
    diags.push(diag('INPUT_KIND', 'error', message, { file, ...node.pos, ...(where ? { field: where } : {}) }));
    return;
  }
  const what =
    node.kind !== 'map'
      ? `a ${node.kind === 'seq' ? 'list' : 'scalar'}`
      : `kind ${JSON.stringify(kind ?? null)}, apiVersion ${JSON.stringify(apiVersion ?? null)}`;
  diags.push(
    diag(
      'INPUT_KIND',
      'error',
      `expected a FirewallConfiguration (apiVersion ${API_GROUP}/…) or a List of them, found ${what}`,
      { file, ...node.pos, ...(where ? { field: where } : {}) },
    ),
  );
}

function scalarAt(node: YNode & { kind: 'map' }, key: string): Scalar | undefined {
  const v = node.entries.get(key)?.value;
  return v?.kind === 'scalar' ? v.value : undefined;
}

class TreeError extends Error {
  constructor(message: string, readonly pos: Pos) {
    super(message);
  }
}

/** Turns the yaml library's AST into YNodes, resolving aliases within a node budget. */
class TreeBuilder {
  private aliasNodes = 0;
  private inAlias = 0;
  private readonly ancestors = new Set<unknown>();
  /** `Alias.resolve` searches the whole document: resolve each alias once. */
  private readonly targets = new Map<unknown, unknown>();

  constructor(private readonly doc: Document.Parsed, private readonly lc: LineCounter) {}

  build(node: unknown, depth = 0): YNode {
    const pos = this.pos(node);
    if (this.inAlias > 0 && ++this.aliasNodes > MAX_ALIAS_NODES) {
      throw new TreeError(`aliases expand to more than ${MAX_ALIAS_NODES} YAML nodes`, pos);
    }
    if (depth > MAX_DEPTH) throw new TreeError(`YAML nested deeper than ${MAX_DEPTH} levels`, pos);
    if (isAlias(node)) {
      if (!this.targets.has(node)) this.targets.set(node, node.resolve(this.doc));
      const target = this.targets.get(node);
      if (!target) throw new TreeError(`unresolved alias *${node.source}`, pos);
      if (this.ancestors.has(target)) throw new TreeError(`alias *${node.source} refers to a node that contains it`, pos);
      this.inAlias++;
      try {
        return { ...this.build(target, depth + 1), pos };
      } finally {
        this.inAlias--;
      }
    }
    if (isScalar(node)) return { kind: 'scalar', value: scalarValue(node.value, node.source), pos };
    this.ancestors.add(node);
    try {
      if (isMap(node)) {
        const entries = new Map<string, YEntry>();
        const merged: YNode[] = [];
        for (const pair of node.items) {
          if (!isPair(pair)) continue;
          const keyNode = pair.key as Node | null;
          const keyPos = keyNode ? this.pos(keyNode) : pos;
          if (keyNode !== null && !isScalar(keyNode)) throw new TreeError('map keys must be plain strings', keyPos);
          if (isScalar(keyNode) && keyNode.source === '<<' && keyNode.type === 'PLAIN') {
            // YAML 1.1 merge key (go-yaml supports it): explicit keys win, earlier merges win.
            const src = this.build(pair.value, depth + 1);
            const maps = src.kind === 'seq' ? src.items : [src];
            for (const m of maps) {
              if (m.kind !== 'map') throw new TreeError('a merge key (<<) takes a map or a list of maps', keyPos);
              merged.push(m);
            }
            continue;
          }
          const key = keyNode === null ? '' : String(scalarValue(keyNode.value, keyNode.source));
          if (entries.has(key)) throw new TreeError(`map key ${JSON.stringify(key)} is repeated`, keyPos);
          const value: YNode =
            pair.value === null || pair.value === undefined
              ? { kind: 'scalar', value: null, pos: keyPos }
              : this.build(pair.value, depth + 1);
          entries.set(key, { key, keyPos, value });
        }
        for (const m of merged) {
          if (m.kind !== 'map') continue;
          for (const [k, e] of m.entries) if (!entries.has(k)) entries.set(k, e);
        }
        return { kind: 'map', entries, pos };
      }
      if (isSeq(node)) return { kind: 'seq', items: node.items.map((i) => this.build(i, depth + 1)), pos };
    } finally {
      this.ancestors.delete(node);
    }
    if (node === null || node === undefined) return { kind: 'scalar', value: null, pos };
    throw new TreeError('unsupported YAML node', pos);
  }

  private pos(node: unknown): Pos {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (!range) return {};
    const p = this.lc.linePos(range[0]);
    return { line: p.line, column: p.col };
  }
}

/** Scalars other than strings, numbers, booleans and null (timestamps, binary) are kept as text. */
function scalarValue(value: unknown, source: string | undefined): Scalar {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  return source ?? String(value);
}
