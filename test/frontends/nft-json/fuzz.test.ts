// Property: whatever nft JSON the front end is fed — fixtures with fields deleted, duplicated,
// retyped or replaced by random values anywhere, or truncated text — nothing escapes but an
// NftlensError, every diagnostic (thrown or returned) names its file, and what imports is valid IR.

import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import { NftlensError, type Diagnostic } from '../../../src/model/diagnostics.js';
import type { Ruleset } from '../../../src/model/ruleset.js';
import { checkMatchValue } from '../../../src/model/values.js';
import { sharedCorpus } from '../../support/corpus.js';

const FIXTURES = sharedCorpus('fixtures/nftables/');
const TEXTS = (FIXTURES ? ['basic', 'advanced'] : []).flatMap((dir) =>
  readdirSync(FIXTURES + dir).filter((f) => f.endsWith('.json')).map((f) => readFileSync(`${FIXTURES}${dir}/${f}`, 'utf8')),
);
const DOCS: unknown[] = TEXTS.map((t) => JSON.parse(t));

type Op = 'delete' | 'duplicate' | 'replace' | 'wrap';
interface Mutation {
  op: Op;
  /** Child indices, taken modulo each container's size, to walk down to the target. */
  path: number[];
  value: unknown;
}

/** Values nft JSON never holds where they land: wrong types, edge numbers, strange strings. */
const weird = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 53, 1e308, '', '@set', 'eth*', '10.0.0.1/33', '::g', 'ipv4', 'tcp', [], {},
    { prefix: { addr: '10.0.0.1', len: 99 } }, { range: [5, 'x'] }, { set: [{ concat: [1] }] }, { '&': [1] }, { payload: {} },
    { meta: { key: 'mark' } }, { jump: { target: 7 } }, 'jump { accept }', { match: { op: 'in' } }),
);
const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom<Op>('delete', 'duplicate', 'replace', 'wrap'),
  path: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
  value: weird,
});

function mutate(doc: unknown, m: Mutation): unknown {
  const root = { doc };
  let parent: Record<string, unknown> | unknown[] = root;
  let key: string | number = 'doc';
  for (const n of m.path) {
    const cur: unknown = (parent as Record<string | number, unknown>)[key];
    if (typeof cur !== 'object' || cur === null) break;
    const keys: (string | number)[] = Array.isArray(cur) ? cur.map((_, i) => i) : Object.keys(cur);
    if (keys.length === 0) break;
    parent = cur as Record<string, unknown> | unknown[];
    key = keys[n % keys.length]!;
  }
  const box = parent as Record<string | number, unknown>;
  switch (m.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete box[key];
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(parent[key as number]));
      else box[`${key}`.toUpperCase() === `${key}` ? `${key}_` : `${key}`.toUpperCase()] = structuredClone(box[key]);
      break;
    case 'replace':
      box[key] = structuredClone(m.value);
      break;
    case 'wrap':
      box[key] = [box[key]];
      break;
  }
  return root.doc;
}

function checkDiagnostics(ds: Diagnostic[]): void {
  for (const d of ds) {
    if (!d.origin.file) throw new Error(`diagnostic without a file: ${JSON.stringify(d)}`);
  }
}

/** What an import returns is valid IR: every match value fits its field, every origin names the file. */
function checkRuleset(rs: Ruleset): void {
  for (const t of rs.tables) {
    for (const c of t.chains) {
      for (const r of c.rules) {
        for (const node of [t, c, r, ...r.exprs, ...(r.verdict ? [r.verdict] : [])]) {
          if (node.origin.file !== 'fuzz.json') throw new Error(`origin without the file: ${JSON.stringify(node.origin)}`);
        }
        for (const e of r.exprs) {
          const problem = e.kind === 'match' ? checkMatchValue(e) : undefined;
          if (problem) throw new Error(`invalid IR from the front end: ${problem}`);
        }
      }
    }
  }
}

function importChecked(input: unknown): void {
  try {
    const { ruleset, diagnostics } = importNftJson(input, 'fuzz.json');
    checkDiagnostics(diagnostics);
    checkRuleset(ruleset);
  } catch (e) {
    if (!(e instanceof NftlensError)) throw e;
    expect(e.diagnostics.length).toBeGreaterThan(0);
    checkDiagnostics(e.diagnostics);
  }
}

describe.skipIf(!FIXTURES)('nft-json front end under mutation', () => {
  it('lets only NftlensError escape, every diagnostic with a file (10,000 mutated documents)', () => {
    fc.assert(
      fc.property(fc.nat(DOCS.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
        let doc = structuredClone(DOCS[i]);
        for (const m of ms) doc = mutate(doc, m);
        importChecked(doc);
        importChecked(JSON.stringify(doc));
      }),
      { numRuns: 10_000 },
    );
  });

  it('reports truncated text as a located parse error', () => {
    fc.assert(
      fc.property(fc.nat(TEXTS.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), (i, at) => {
        const text = TEXTS[i]!.trimEnd();
        const cut = text.slice(0, Math.floor(at * (text.length - 1)));
        try {
          importNftJson(cut, 'cut.json');
        } catch (e) {
          expect(e).toBeInstanceOf(NftlensError);
          const d = (e as NftlensError).diagnostics[0]!;
          expect(d.origin.file).toBe('cut.json');
          if (d.code === 'INPUT_PARSE') expect(d.origin.line).toBeGreaterThan(0);
          return;
        }
        throw new Error('a truncated document was accepted');
      }),
      { numRuns: 1_000 },
    );
  });
});
