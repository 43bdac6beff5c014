import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES_DIR } from '../../../src/frontends/load.js';
import { readObjects, readYamlTrees, resolvePlain } from '../../../src/frontends/liqo/parse.js';
import { readBlockYaml } from '../../../src/frontends/liqo/yaml-block.js';
import type { Diagnostic } from '../../../src/model/diagnostics.js';
import { tenantYaml } from '../../../bench/bulk-input.js';
import { fixtureNames, readFixture } from './fixtures.js';

/** The fast path's trees, plain scalars resolved as readObjects resolves them. */
function fast(text: string) {
  return readBlockYaml(text, 200, resolvePlain);
}

function library(text: string) {
  const diags: Diagnostic[] = [];
  const roots = readYamlTrees(text, 'x', diags);
  return { roots, diags };
}

/** The fast path reads the text as the library does, or leaves it to the library. */
function sameOrLeft(text: string): void {
  const lib = library(text);
  const mine = fast(text);
  if (mine === undefined) return;
  expect(lib.diags).toEqual([]);
  expect(mine).toEqual(lib.roots);
}

const corpus: [string, string][] = [
  ...fixtureNames('valid').map((n) => [`valid/${n}`, readFixture('valid', n).text] as [string, string]),
  ...fixtureNames('invalid').map((n) => [`invalid/${n}`, readFixture('invalid', n).text] as [string, string]),
  ...readdirSync(EXAMPLES_DIR).filter((n) => n.endsWith('.yaml')).map((n) => [`examples/${n}`, readFileSync(join(EXAMPLES_DIR, n), 'utf8')] as [string, string]),
  ['bench tenant', tenantYaml(7, 30)],
];

describe('the block YAML fast path reads what the yaml library reads', () => {
  it.each(corpus)('%s: the same trees, values and positions (or it leaves the text to the library)', (_, text) => sameOrLeft(text));

  it('takes the usual Kubernetes shapes itself (no fallback) for most of the corpus', () => {
    const taken = corpus.filter(([, t]) => fast(t) !== undefined).map(([n]) => n);
    expect(taken).toContain('bench tenant');
    expect(taken.length).toBeGreaterThan(corpus.length / 2);
  });

  const snippets = [
    'a: 1\nb: yes\nc: off\nd: 0x10\ne: 010\nf: .inf\ng: ~\nh:\ni: 1_000\nj: 1:20\nk: 2001-01-01\nl: -1\nm: +5\nn: 1e3\n',
    "a: 'it''s'\nb: \"x\\ty\\u0041\"\nc: \"x\" # note\nd: plain # note\ne: a#b\nf: []\ng: {}\n'q': 1\n\"r s\": 2\n",
    'list:\n- a\n- b: 1\n  c: 2\n-   d: 3\nnext: x\n',
    'a:\n  - x\n  - y\nb:\n    c:\n        d: e\n',
    '# head\n---\n# only a comment\n---\na: 1\n...\n---\nb: 2\n',
    'a: 1\r\nb:\r\n  - 2\r\n',
    'key with spaces: v\nurl: http://x:80/y\nip: fd00::1\nneg: -x\ncolon: ":"\n',
    'a: b\n  continued\n', // multi-line plain scalar: the library's
    'a: &x 1\nb: *x\n', // anchors: the library's
    'a: !foo x\n', // tags: the library's
    'a: 1\na: 2\n', // repeated key: the library reports it
    'a: |\n  text\n', // block scalar: the library's
    '- - x\n', // compact nested sequence: the library's
    'a: [1, 2]\n', // flow collections: the library's
    'a:\n\tb: 1\n', // tabs: the library's
    '  a: 1\nb: 2\n', // bad indentation: the library's
    'a: 1\n b: 2\n', // bad indentation: the library's
    'a: "\\x41"\n', // a YAML-only escape: the library's
    '<<: {a: 1}\n',
    'a:   \nb: 1\n',
    'a: b: c\n',
    '- a\nb: 1\n',
  ];
  it.each(snippets)('snippet %#: equal to the library, or left to it', (text) => sameOrLeft(text));

  it('takes the plain shapes (snippets 0–6) itself', () => {
    for (const text of snippets.slice(0, 7)) expect(fast(text), text).toBeDefined();
  });

  it('readObjects gives the same objects either way', () => {
    const text = tenantYaml(3, 5);
    const viaLibrary = readObjects(`%YAML 1.1\n---\n${text}`, 'x'); // a directive: the library reads it
    const viaFast = readObjects(text, 'x');
    const shift = (o: unknown): unknown => JSON.parse(JSON.stringify(o, (k, v) => (k === 'line' ? v + 2 : v instanceof Map ? [...v] : v)));
    expect(JSON.parse(JSON.stringify(viaLibrary, (_, v) => (v instanceof Map ? [...v] : v)))).toEqual(shift(viaFast));
  });
});
