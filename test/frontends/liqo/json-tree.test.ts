import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { readJsonTree } from '../../../src/frontends/liqo/json-tree.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import { fixtureNames, noLiqoFixtures, readFixture } from './fixtures.js';

/** Every `line` in a value moved by `delta`. */
function shiftLines<T>(v: T, delta: number): T {
  if (Array.isArray(v)) return v.map((x) => shiftLines(x, delta)) as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'line' ? (x as number) + delta : shiftLines(x, delta)])) as T;
  }
  return v;
}

describe.skipIf(noLiqoFixtures)('the JSON fast path', () => {
  it('has fixtures', () => expect(fixtureNames('valid').length).toBeGreaterThan(0));
  for (const name of fixtureNames('valid')) {
    it(`${name} as JSON: the same resources, IR, warnings and positions as through the YAML reader`, () => {
      const docs = parseAllDocuments(readFixture('valid', name).text).map((d) => d.toJS());
      const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs.flatMap((d) => (d.kind === 'List' ? d.items : [d])) }, null, 2);
      const fast = parseFirewallConfigurations(json, 'x.json', { nameRules: true });
      // A leading comment is not JSON: the same text then goes through the YAML reader, one line down.
      const slow = parseFirewallConfigurations(`# yaml\n${json}`, 'x.json', { nameRules: true });
      expect(shiftLines(fast, 1)).toEqual(slow);
    });
  }

  it('reads scalars, nesting and positions', () => {
    const tree = readJsonTree('{\n  "a": [1, -2.5e3, true, null, "x\\u0041"],\n\t"b": {}\n}', 10)!;
    expect(tree).toEqual({
      kind: 'map',
      pos: { line: 1, column: 1 },
      entries: new Map([
        ['a', {
          key: 'a', keyPos: { line: 2, column: 3 },
          value: {
            kind: 'seq', pos: { line: 2, column: 8 },
            items: [
              { kind: 'scalar', value: 1, pos: { line: 2, column: 9 } },
              { kind: 'scalar', value: -2500, pos: { line: 2, column: 12 } },
              { kind: 'scalar', value: true, pos: { line: 2, column: 20 } },
              { kind: 'scalar', value: null, pos: { line: 2, column: 26 } },
              { kind: 'scalar', value: 'xA', pos: { line: 2, column: 32 } },
            ],
          },
        }],
        ['b', { key: 'b', keyPos: { line: 3, column: 2 }, value: { kind: 'map', entries: new Map(), pos: { line: 3, column: 7 } } }],
      ]),
    });
  });

  it('leaves everything that is not strict JSON to the YAML reader', () => {
    for (const text of ['{a: 1}', '{"a": 1,}', '{"a": 01}', "{'a': 1}", '[1] [2]', '{"a": 1} # c', '{"a": .5}', '']) {
      expect(readJsonTree(text, 10), text).toBeUndefined();
    }
    const flow = '{apiVersion: networking.liqo.io/v1beta1, kind: FirewallConfiguration, metadata: {name: f}, spec: {table: {name: t, family: IPV4}}}';
    expect(parseFirewallConfigurations(flow, 'f.yaml').resources.map((r) => r.name)).toEqual(['f']);
  });

  it('rejects repeated keys and deep nesting with their position', () => {
    const err = (text: string) => {
      try {
        parseFirewallConfigurations(text, 'e.json');
      } catch (e) {
        return (e as NftlensError).diagnostics.map((d) => [d.code, d.origin.line, d.origin.column, d.message]);
      }
      return [];
    };
    expect(err('{\n "kind": "List",\n "kind": "List"}')).toEqual([['INPUT_PARSE', 3, 2, 'map key "kind" is repeated']]);
    expect(err(`${'['.repeat(300)}${']'.repeat(300)}`)).toEqual([['INPUT_PARSE', 1, 201, 'JSON nested deeper than 200 levels']]);
  });
});
