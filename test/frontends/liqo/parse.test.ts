import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { readObjects } from '../../../src/frontends/liqo/parse.js';
import { NftlensError, type Diagnostic } from '../../../src/model/diagnostics.js';
import { errorsOf, noLiqoFixtures, readFixture } from './fixtures.js';

function strip<T>(v: T): T {
  if (Array.isArray(v)) return v.map(strip) as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'origin').map(([k, x]) => [k, strip(x)])) as T;
  }
  return v;
}


const minimal = (name: string) => `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata:
  name: ${name}
spec:
  table:
    name: t-${name}
    family: IPV4
`;

describe('documents', () => {
  it.skipIf(noLiqoFixtures)('reads several documents, Helm `# Source:` comments and empty documents, with their lines', () => {
    const { path, text } = readFixture('valid', 'liqo-notrack.yaml');
    const { resources } = parseFirewallConfigurations(text, path);
    expect(resources.map((r) => [r.name, r.origin.line])).toEqual([
      ['fabric-notrack', 14],
      ['gw-notrack', 83],
    ]);
    expect(resources[1]!.table.chains[1]!.rules[0]!.origin).toMatchObject({ resource: 'gw-notrack', chain: 'output', rule: 'notrack-geneve-dport', line: 130, column: 15 });
    const more = `---\n# only a comment\n---\n${minimal('a')}---\n${minimal('b')}...\n`;
    expect(parseFirewallConfigurations(more, 'm.yaml').resources.map((r) => r.name)).toEqual(['a', 'b']);
    expect(() => parseFirewallConfigurations('', 'empty.yaml')).toThrow(/INPUT_EMPTY/);
  });

  it('reads a kind: List and a FirewallConfigurationList', () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n- ${minimal('a').replace(/\n/g, '\n  ')}`;
    expect(parseFirewallConfigurations(list, 'l.yaml').resources.map((r) => r.name)).toEqual(['a']);
    const typed = JSON.stringify({ apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfigurationList', items: [parseYaml(minimal('b'))] });
    expect(parseFirewallConfigurations(typed, 'l.json').resources.map((r) => r.name)).toEqual(['b']);
  });

  it.skipIf(noLiqoFixtures)('reads JSON (kubectl -o json, tab-indented) to the same IR as the YAML, with lines', () => {
    const { path, text } = readFixture('valid', 'remap-ipmapping-kubernetes-api.yaml');
    const fromYaml = parseFirewallConfigurations(text, path);
    const json = JSON.stringify(parseYaml(text), null, '\t');
    const fromJson = parseFirewallConfigurations(json, 'api.json');
    expect(strip(fromJson.ruleset)).toEqual(strip(fromYaml.ruleset));
    const r = fromJson.resources[1]!.table.chains[1]!.rules[0]!;
    expect(r.origin).toMatchObject({ file: 'api.json', rule: 'kubernetes-172-18-0-2' });
    expect(json.split('\n')[r.origin.line! - 1]).toContain('{');
  });

  it('reads YAML 1.1 scalars as kubectl does (yes/on are booleans, 0x10 a number)', () => {
    const text = minimal('a').replace('    family: IPV4\n', `    family: IPV4
    chains:
    - {name: c, type: filter, hook: input, priority: 0x10, policy: accept, rules: {filterRules: [{name: r, counter: yes, action: accept, match: []}]}}
`);
    const t = parseFirewallConfigurations(text, 'a.yaml').ruleset.tables[0]!;
    expect(t.chains[0]!.base!.priority).toBe(16);
    expect(t.chains[0]!.rules[0]!.exprs.map((e) => e.kind)).toEqual(['counter']);
  });
});

describe('malformed input', () => {
  it('reports YAML syntax errors with their line', () => {
    const errors = errorsOf(`${minimal('a')}    chains: [\n      {name: c\n`, 'bad.yaml');
    expect(errors.length).toBeGreaterThan(0);
    for (const d of errors) expect(d).toMatchObject({ code: 'INPUT_PARSE', severity: 'error', origin: { file: 'bad.yaml' } });
    expect(errors[0]!.origin.line).toBeGreaterThanOrEqual(9);
  });

  it('reports repeated keys', () => {
    const errors = errorsOf(minimal('a').replace('    family: IPV4', '    family: IPV4\n    family: IPV6'));
    expect(errors.map((d) => [d.code, d.origin.line])).toEqual([['INPUT_PARSE', 9]]);
  });

  it('stops alias bombs', () => {
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    const text = minimal('a').replace('metadata:', `metadata:\n  annotations:\n    ${bomb.replace(/\n(?=.)/g, '\n    ')}`);
    const errors = errorsOf(text);
    expect(errors.map((d) => d.code)).toContain('INPUT_PARSE');
  });

  it('reports other kinds as INPUT_KIND and keeps going', () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n- a\n---\n${minimal('ok')}---\napiVersion: v1\nkind: List\nitems: [{kind: Pod}]\n`;
    const errors = errorsOf(text, 'mixed.yaml');
    expect(errors.map((d) => [d.code, d.origin.line, d.origin.field ?? null])).toEqual([
      ['INPUT_KIND', 1, null],
      ['INPUT_KIND', 5, null],
      ['INPUT_KIND', 18, 'items[0]'],
    ]);
    expect(errors[0]!.message).toContain('kind "ConfigMap"');
  });

  it('locates every object by line', () => {
    const { objects } = readObjects(`${minimal('a')}---\n${minimal('b')}`, 'x.yaml');
    expect(objects.map((o) => o.node.pos.line)).toEqual([1, 10]);
  });
});

describe('YAML 1.1 merge keys', () => {
  it('merges anchored maps as kubectl does, explicit keys winning', () => {
    const text = minimal('a').replace('    family: IPV4\n', `    family: IPV4
    chains:
    - &base {name: c, type: filter, hook: input, priority: 5, policy: accept, rules: {}}
    - <<: *base
      name: d
      priority: 7
`);
    const t = parseFirewallConfigurations(text, 'a.yaml').ruleset.tables[0]!;
    expect(t.chains.map((c) => [c.name, c.base!.hook, c.base!.priority])).toEqual([['c', 'input', 5], ['d', 'input', 7]]);
  });
});

describe('scalars as go-yaml v2 reads them', () => {
  it('keeps base-60 lookalikes and timestamps as strings, reads n/off as booleans', () => {
    const text = minimal('a').replace('metadata:\n', 'metadata:\n  creationTimestamp: 2025-03-11T09:42:17Z\n').replace('    family: IPV4\n', `    family: IPV6
    chains:
    - name: c
      type: filter
      hook: input
      policy: accept
      rules:
        filterRules:
        - {name: r, action: accept, match: [{op: eq, ip: {position: src, value: 2001:0:0:0:0:0:0:1}}]}
`);
    const r = parseFirewallConfigurations(text, 'a.yaml');
    expect(r.ruleset.tables[0]!.chains[0]!.rules[0]!.exprs[0]).toMatchObject({ field: 'ip6 saddr', value: '2001::1' });
    const errors = (() => {
      try {
        parseFirewallConfigurations(text.replace('name: r,', 'name: off,'), 'a.yaml');
      } catch (e) {
        return (e as NftlensError).diagnostics;
      }
      return [];
    })();
    expect(errors.map((d) => d.message)).toEqual(['filterRules[0].name must be a string, got boolean false (quote it: "false")']);
  });
});
