// The `ctstate` match of a FirewallConfiguration: schema (enum values, a non-empty list, located
// errors), conversion to the IR's `ct state` set match (eq: one of the states; neq: none of them),
// and the meaning the reference engine gives it packet by packet.
import { describe, expect, it } from 'vitest';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { ReferenceEngine } from '../../../src/engine/index.js';
import { parsePacket } from '../../../src/engine/packet.js';
import type { Diagnostic } from '../../../src/model/diagnostics.js';
import { filterDoc } from '../../support/liqo-doc.js';
import { errorsOf } from './fixtures.js';

/** A resource whose one rule (`r`, accept, on line 17) has the match list `match` (YAML flow text). */
const ctDoc = (match: string) => filterDoc([`{name: r, action: accept, match: ${match}}`]);

const at = (d: Diagnostic) => [d.code, d.origin.field, d.origin.line];
const exprsOf = (text: string) => parseFirewallConfigurations(text, 'c.yaml').ruleset.tables[0]!.chains[0]!.rules[0]!.exprs;
const strip = (e: object) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'origin'));

describe('ctstate: schema', () => {
  it('an unknown state is a located LIQO_SCHEMA error, with a hint for the wrong case', () => {
    const errs = errorsOf(ctDoc('[{op: eq, ctstate: {value: [new, ESTABLISHED, closing]}}]'));
    expect(errs.map(at)).toEqual([
      ['LIQO_SCHEMA', 'spec.table.chains[0].rules.filterRules[0].match[0].ctstate.value[1]', 17],
      ['LIQO_SCHEMA', 'spec.table.chains[0].rules.filterRules[0].match[0].ctstate.value[2]', 17],
    ]);
    expect(errs[0]!.message).toContain('did you mean established?');
    expect(errs[1]!.message).toContain('"closing" is not one of new, established, related, untracked, invalid');
  });

  it('an empty list, a missing value, a value that is not a list, an unknown key: each located', () => {
    const one = (match: string) => errorsOf(ctDoc(match)).map((d) => [d.origin.field, d.message]);
    const base = 'spec.table.chains[0].rules.filterRules[0].match[0].ctstate';
    expect(one('[{op: eq, ctstate: {value: []}}]')).toEqual([[`${base}.value`, expect.stringContaining('at least one connection tracking state')]]);
    expect(one('[{op: eq, ctstate: {}}]')).toEqual([[`${base}.value`, 'required field value is missing']]);
    expect(one('[{op: eq, ctstate: {value: established}}]')).toEqual([[`${base}.value`, expect.stringContaining('must be a list')]]);
    expect(one('[{op: eq, ctstate: [established]}]')).toEqual([[base, expect.stringContaining('must be an object')]]);
    expect(one('[{op: eq, ctstate: {value: [new], mask: 1}}]')).toEqual([[`${base}.mask`, expect.stringContaining('unknown field "mask"')]]);
    expect(one('[{op: eq, ctstate: {value: [7]}}]')).toEqual([[`${base}.value[0]`, expect.stringContaining('must be a string')]]);
  });

  it('in an ARP or NETDEV table: LIQO_VALUE at the ctstate field (the kernel has no conntrack there); BRIDGE and INET are read', () => {
    const rule = ['{name: r, action: accept, match: [{op: eq, ctstate: {value: [established]}}]}'];
    for (const [family, hook] of [['ARP', 'input'], ['NETDEV', 'ingress']]) {
      // (a NETDEV ingress chain is refused as well: the CRD cannot name its device)
      const errs = errorsOf(filterDoc(rule, { family, hook })).filter((d) => d.origin.field!.endsWith('ctstate'));
      expect(errs.map(at)).toEqual([['LIQO_VALUE', 'spec.table.chains[0].rules.filterRules[0].match[0].ctstate', 17]]);
      expect(errs[0]!.message).toContain(`ct state match in a table of family ${family}`);
    }
    for (const family of ['BRIDGE', 'INET']) {
      expect(parseFirewallConfigurations(filterDoc(rule, { family }), 'c.yaml').ruleset.tables[0]!.chains[0]!.rules[0]!.exprs[0]).toMatchObject({ field: 'ct state' });
    }
  });

  it('the same errors from a JSON document', () => {
    const json = JSON.stringify({
      apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration', metadata: { name: 'fw', namespace: 'ns' },
      spec: { table: { name: 't', family: 'IPV4', chains: [{ name: 'c', type: 'filter', hook: 'forward', policy: 'drop', rules: { filterRules: [{ name: 'r', action: 'accept', match: [{ op: 'eq', ctstate: { value: [] } }] }] } }] } },
    });
    expect(errorsOf(json, 'c.json').map((d) => d.origin.field)).toEqual(['spec.table.chains[0].rules.filterRules[0].match[0].ctstate.value']);
  });
});

describe('ctstate: conversion and meaning', () => {
  it('eq: ct state in the listed set; neq: not in it; after the entry\'s other fields', () => {
    expect(exprsOf(ctDoc('[{op: eq, ctstate: {value: [established, related]}}]')).map(strip)).toEqual([
      { kind: 'match', field: 'ct state', op: '==', value: { set: ['established', 'related'] } },
      { kind: 'counter' },
    ]);
    expect(exprsOf(ctDoc('[{op: neq, ctstate: {value: [invalid]}, ip: {position: src, value: 10.0.0.0/8}}]')).map(strip)).toEqual([
      { kind: 'match', field: 'ip saddr', op: '!=', value: { prefix: '10.0.0.0', len: 8 } },
      { kind: 'match', field: 'ct state', op: '!=', value: { set: ['invalid'] } },
      { kind: 'counter' },
    ]);
  });

  it('the origin of the ct state match is the ctstate field', () => {
    const e = exprsOf(ctDoc('[{op: eq, ctstate: {value: [new]}}]'))[0]!;
    expect(e.origin).toMatchObject({ field: 'spec.table.chains[0].rules.filterRules[0].match[0].ctstate', line: 17 });
  });

  it('neq with other fields in the entry warns field by field, naming ctstate', () => {
    const r = parseFirewallConfigurations(ctDoc('[{op: neq, ctstate: {value: [new]}, dev: {position: in, value: eth0}}]'), 'c.yaml');
    expect(r.diagnostics.map((d) => d.message).join('\n')).toContain('dev != AND ctstate !=');
  });

  it('the engine: eq admits only the listed states, neq every other', () => {
    const verdict = (match: string, ct: string) => new ReferenceEngine(parseFirewallConfigurations(ctDoc(match), 'c.yaml').ruleset)
      .evaluate(parsePacket(`tcp 10.1.0.5:4000 -> 10.42.0.5:80 iif eth0 oif eth1 ct ${ct}`)).verdict;
    const eq = '[{op: eq, ctstate: {value: [established, related]}}]';
    expect(['new', 'established', 'related', 'invalid', 'untracked'].map((s) => verdict(eq, s))).toEqual(['drop', 'accept', 'accept', 'drop', 'drop']);
    const neq = '[{op: neq, ctstate: {value: [new, invalid]}}]';
    expect(['new', 'established', 'related', 'invalid', 'untracked'].map((s) => verdict(neq, s))).toEqual(['drop', 'accept', 'accept', 'drop', 'accept']);
  });
});
