import { describe, expect, it } from 'vitest';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import type { Diagnostic } from '../../../src/model/diagnostics.js';
import { errorsOf } from './fixtures.js';

/** A resource whose one chain has the given YAML lines (indented 6) and one filter rule `rule` (indented 8). */
const doc = (chain: string, rule = '{name: r, action: accept, match: []}', extra = '') => `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata:
  name: fw
  namespace: ns
spec:
  table:
    name: t
    family: IPV4
    chains:
    - name: c
${chain}
      rules:
        filterRules:
        - ${rule}
${extra}`;

const chain = '      type: filter\n      hook: input\n      policy: accept';
const at = (d: Diagnostic) => [d.code, d.origin.field, d.origin.line];

describe('defaults', () => {
  it('priority defaults to 0 and counter to true', () => {
    const t = parseFirewallConfigurations(doc(chain), 'd.yaml').ruleset.tables[0]!;
    expect(t.chains[0]!.base).toEqual({ type: 'filter', hook: 'input', priority: 0, policy: 'accept' });
    expect(t.chains[0]!.rules[0]!.exprs.map((e) => e.kind)).toEqual(['counter']);
    const off = parseFirewallConfigurations(doc(chain, '{name: r, counter: false, action: accept, match: []}'), 'd.yaml');
    expect(off.ruleset.tables[0]!.chains[0]!.rules[0]!.exprs).toEqual([]);
  });

  it('null fields count as absent, as the API server prunes them', () => {
    const t = parseFirewallConfigurations(doc(`${chain}\n      priority: null`, '{name: r, counter: ~, value: null, action: accept, match: []}'), 'd.yaml');
    expect(t.ruleset.tables[0]!.chains[0]!.base!.priority).toBe(0);
    expect(t.ruleset.tables[0]!.chains[0]!.rules[0]!.exprs.map((e) => e.kind)).toEqual(['counter']);
  });
});

describe('schema errors', () => {
  it('priority is an int32, not a name nor a fraction', () => {
    expect(errorsOf(doc(`${chain}\n      priority: srcnat`)).map(at)).toEqual([['LIQO_SCHEMA', 'spec.table.chains[0].priority', 15]]);
    expect(errorsOf(doc(`${chain}\n      priority: 2147483648`))[0]!.message).toContain('out of the int32 range');
    const min = parseFirewallConfigurations(doc(`${chain}\n      priority: -2147483648`), 'p.yaml');
    expect(min.ruleset.tables[0]!.chains[0]!.base!.priority).toBe(-2147483648);
  });

  it('enums are exact, with a hint for the wrong case', () => {
    const errors = errorsOf(doc(chain).replace('family: IPV4', 'family: ipv4'));
    expect(errors.map(at)).toEqual([['LIQO_SCHEMA', 'spec.table.family', 9]]);
    expect(errors[0]!.message).toBe('table.family "ipv4" is not one of INET, IPV4, IPV6, ARP, NETDEV, BRIDGE (did you mean IPV4?)');
  });

  it('strings must be strings: an unquoted port says to quote it', () => {
    const errors = errorsOf(doc(chain, '{name: r, action: accept, match: [{op: eq, port: {position: dst, value: 6091}}]}'));
    expect(errors.map(at)).toEqual([['LIQO_SCHEMA', 'spec.table.chains[0].rules.filterRules[0].match[0].port.value', 17]]);
    expect(errors[0]!.message).toContain('quote it: "6091"');
    expect(errors[0]!.origin).toMatchObject({ resource: 'ns/fw', table: 'ip t', chain: 'c', rule: 'r' });
  });

  it('unknown fields are errors at the key', () => {
    const errors = errorsOf(doc(`${chain}\n      polcy: drop`));
    expect(errors.map(at)).toEqual([['LIQO_SCHEMA', 'spec.table.chains[0].polcy', 15]]);
  });

  it('types of lists, objects and booleans', () => {
    const errors = errorsOf(doc(chain, '{name: r, counter: "true", action: accept, match: {op: eq}}'));
    expect(errors.map((d) => [d.origin.field, d.message])).toEqual([
      ['spec.table.chains[0].rules.filterRules[0].counter', 'filterRules[0].counter must be a boolean (true or false), got string "true"'],
      ['spec.table.chains[0].rules.filterRules[0].match', 'filterRules[0].match must be a list, got an object'],
    ]);
  });

  it('apiVersion and metadata.name are required as the API server requires them', () => {
    const errors = errorsOf(doc(chain).replace('v1beta1', 'v1alpha1').replace('  name: fw\n', ''));
    expect(errors.map((d) => d.origin.field)).toEqual(['apiVersion', 'metadata.name']);
  });

  it('collects all schema errors of all documents', () => {
    const bad = doc(chain.replace('hook: input', 'hook: INPUT'), '{name: r, action: log, match: [{ip: {position: src}}]}');
    const errors = errorsOf(`${bad}---\n${bad.replace('name: fw', 'name: fw2')}`);
    const fields = errors.map((d) => `${d.origin.resource} ${d.origin.field}`);
    expect(fields).toEqual([
      'ns/fw spec.table.chains[0].hook',
      'ns/fw spec.table.chains[0].rules.filterRules[0].action',
      'ns/fw spec.table.chains[0].rules.filterRules[0].match[0].op',
      'ns/fw spec.table.chains[0].rules.filterRules[0].match[0].ip.value',
      'ns/fw2 spec.table.chains[0].hook',
      'ns/fw2 spec.table.chains[0].rules.filterRules[0].action',
      'ns/fw2 spec.table.chains[0].rules.filterRules[0].match[0].op',
      'ns/fw2 spec.table.chains[0].rules.filterRules[0].match[0].ip.value',
    ]);
  });
});
