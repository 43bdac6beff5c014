import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRuleset, type Loaded } from '../../src/frontends/load.js';
import { NftlensError, type Diagnostic } from '../../src/model/diagnostics.js';

const dir = mkdtempSync(join(tmpdir(), 'nftlens-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function errorsOf(paths: string[], stdin?: Readable): Promise<Diagnostic[]> {
  try {
    await loadRuleset(paths, { stdin });
  } catch (e) {
    if (e instanceof NftlensError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected errors');
}

const HEAD = `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata:
  name: x
  namespace: ns
spec:
  table:
    name: t
    family: IPV4
    chains:
      - name: c
        type: filter
        hook: forward
        priority: 0
        policy: drop
        rules:
          filterRules:
`;
const rule = (i: number, match: string) => `            - name: r${i}\n              action: accept\n              match: ${match}\n`;
const FIRST_MATCH = `&m\n                - op: eq\n                  ip:\n                    position: src\n                    value: 10.0.0.1\n`;

describe('nothing to read', () => {
  it.each([
    ['an empty file', ''],
    ['`---` alone', '---\n'],
    ['only comments', '# nothing here\n# still nothing\n'],
    ['only whitespace and a BOM', '\ufeff\n  \n'],
  ])('%s is INPUT_EMPTY, located at the file', async (_, text) => {
    const p = file('empty.yaml', text);
    expect((await errorsOf([p])).map((d) => [d.code, d.origin.file])).toEqual([['INPUT_EMPTY', p]]);
  });

  it('closed standard input is INPUT_EMPTY at -', async () => {
    expect((await errorsOf(['-'], Readable.from([]))).map((d) => [d.code, d.origin.file])).toEqual([['INPUT_EMPTY', '-']]);
  });

  it('an empty List is no error: kubectl prints one when there is nothing to list', async () => {
    const loaded = await loadRuleset([file('list.yaml', 'apiVersion: v1\nkind: List\nitems: []\n')]);
    expect(loaded.ruleset.tables).toEqual([]);
  });
});

describe('YAML aliases', () => {
  it('loads a realistic file whose 102 rules reuse one anchor', async () => {
    const text = HEAD + rule(0, FIRST_MATCH) + Array.from({ length: 101 }, (_, i) => rule(i + 1, '*m')).join('');
    const loaded = await loadRuleset([file('alias.yaml', text)]);
    const rules = loaded.ruleset.tables[0]!.chains[0]!.rules;
    expect(rules).toHaveLength(102);
    const bare = (i: number) => rules[i]!.exprs.map(({ origin: _, ...e }) => e);
    expect(bare(101)).toEqual(bare(0));
    expect(rules[0]!.exprs.length).toBeGreaterThan(0);
  });

  it('refuses a billion-laughs bomb with a located INPUT_PARSE, quickly', async () => {
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 10; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    const t0 = performance.now();
    const ds = await errorsOf([file('bomb.yaml', bomb)]);
    expect(performance.now() - t0).toBeLessThan(5000); // 10^10 nodes if expanded
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ code: 'INPUT_PARSE', origin: { line: expect.any(Number), column: expect.any(Number) } });
    expect(ds[0]!.message).toContain('aliases expand');
  });
});

describe('malformed and odd YAML', () => {
  it('an unknown tag is an error with its line and column', async () => {
    const ds = await errorsOf([file('tag.yaml', HEAD.replace('name: t\n', 'name: !foo t\n'))]);
    expect(ds.map((d) => [d.code, d.origin.line, d.origin.column])).toEqual([['INPUT_PARSE', 8, 11]]);
    expect(ds[0]!.message).toContain('!foo');
  });

  it.each([
    ['flow sequences', 'a: ' + '['.repeat(100_000)],
    ['flow maps', 'a: ' + '{b: '.repeat(100_000)],
    ['compact block sequences', '- '.repeat(100_000) + 'x\n'],
    ['indented block maps', Array.from({ length: 3000 }, (_, i) => ' '.repeat(i) + 'a:\n').join('')],
  ])('deep nesting (%s) is one located INPUT_PARSE, not a stack overflow', async (_, text) => {
    const t0 = performance.now();
    const ds = await errorsOf([file('deep.yaml', text)]);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(ds.map((d) => d.code)).toEqual(['INPUT_PARSE']);
    expect(ds[0]!.message).toMatch(/nested deeper than 200/);
    expect(ds[0]!.origin.line).toBeGreaterThan(0);
  });

  it.each(['[', '{"a":['])('deep JSON (%s × 100k) is one located INPUT_PARSE', async (open) => {
    const ds = await errorsOf([file('deep.json', open.repeat(100_000))]);
    expect(ds.map((d) => [d.code, d.origin.line])).toEqual([['INPUT_PARSE', 1]]);
    expect(ds[0]!.message).toMatch(/nested deeper/);
  });

  it.each([
    ['.inf', 'number Infinity'],
    ['-.inf', 'number -Infinity'],
    ['.nan', 'number NaN'],
    ['1e400', 'number Infinity'],
  ])('a number %s says what it is, located', async (value, said) => {
    const ds = await errorsOf([file('num.yaml', HEAD.replace('priority: 0', `priority: ${value}`))]);
    expect(ds.map((d) => [d.code, d.origin.line])).toEqual([['LIQO_SCHEMA', 14]]);
    expect(ds[0]!.message).toContain(said);
    expect(ds[0]!.message).not.toContain('null');
  });

  it('reads CRLF line ends and a BOM with the same lines as plain text', async () => {
    const text = HEAD + rule(0, FIRST_MATCH);
    const plain = await loadRuleset([file('plain.yaml', text)]);
    const crlf = await loadRuleset([file('crlf.yaml', '\ufeff' + text.replace(/\n/g, '\r\n'))]);
    const strip = (l: Loaded) =>
      l.ruleset.tables[0]!.chains[0]!.rules.flatMap((r) => [r.origin, ...r.exprs.map((e) => e.origin)].map(({ file: _, ...o }) => o));
    expect(strip(crlf)).toEqual(strip(plain));
  });

  it('a repeated key is located', async () => {
    const ds = await errorsOf([file('dup.yaml', HEAD.replace('    family: IPV4\n', '    family: IPV4\n    family: IPV6\n'))]);
    expect(ds.map((d) => [d.code, d.origin.line])).toEqual([['INPUT_PARSE', 10]]);
  });

  it('a huge single line (one 8 MB scalar) is read and refused by the schema, located', async () => {
    const ds = await errorsOf([file('long.yaml', HEAD.replace('name: t\n', `name: ${'a'.repeat(8_000_000)}\n`))]);
    expect(ds.length).toBeGreaterThan(0);
    expect(ds.every((d) => d.origin.file?.endsWith('long.yaml'))).toBe(true);
  });

  it('nft JSON as a YAML document beside a FirewallConfiguration is INPUT_KIND, located; the Liqo one still read', async () => {
    const text = `${HEAD}---\n{"nftables": [{"table": {"family": "ip", "name": "f"}}]}\n`;
    const ds = await errorsOf([file('mixed.yaml', text)]);
    expect(ds.map((d) => [d.code, d.origin.line])).toEqual([['INPUT_KIND', 19]]);
    expect(ds[0]!.message).toContain('nft JSON');
  });

  it('reads a kind: List of 10k FirewallConfigurations', async () => {
    const item = (i: number) => ({
      apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration', metadata: { name: `fc${i}`, namespace: 'ns' },
      spec: { table: { name: `t${i}`, family: 'IPV4', chains: [{ name: 'c', type: 'filter', hook: 'forward', priority: 0, policy: 'accept', rules: { filterRules: [{ name: 'r', action: 'drop', match: [{ op: 'eq', ip: { position: 'src', value: `10.0.${i >> 8}.${i & 255}` } }] }] } }] } },
    });
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: Array.from({ length: 10_000 }, (_, i) => item(i)) });
    const loaded = await loadRuleset([file('list.json', text)]);
    expect(loaded.resources).toHaveLength(10_000);
    expect(loaded.resources[9_999]!.origin.line).toBe(1);
  });
});
