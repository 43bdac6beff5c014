import { describe, expect, it } from 'vitest';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { allowedTableFamilyChainTypeHook } from '../../../src/frontends/liqo/validate.js';
import { NftlensError, type Code, type Diagnostic } from '../../../src/model/diagnostics.js';
import { CHAIN_HOOKS, CHAIN_TYPES, TABLE_FAMILIES } from '../../../src/frontends/liqo/types.js';
import { errorsOf, fixtureNames, invalidHeader, noLiqoFixtures, readFixture } from './fixtures.js';

/** The code each check named by a fixture's `# rejected-by:` header must give. */
const CHECK_CODES: Record<string, Code> = {
  checkUniqueChainName: 'LIQO_CHAIN_NAME',
  allowedTableFamilyChainTypeHook: 'LIQO_FAMILY_HOOK',
  checkTotalDefinedRulesSets: 'LIQO_RULESETS',
  allowedChainType: 'LIQO_RULESETS',
  checkVoidRuleName: 'LIQO_RULE_NAME',
  checkUniqueRuleNames: 'LIQO_RULE_NAME',
  checkNatRuleChainHook: 'LIQO_NAT_HOOK',
  checkNatRuleTo: 'LIQO_NAT_TO',
  checkFilterRuleIPValue: 'LIQO_IP',
  checkGranularRangeIP: 'LIQO_IP',
  checkFilterRuleTCPMssClamp: 'LIQO_MSS_CLAMP',
};

function expectedCode(rejectedBy: string): Code {
  const first = rejectedBy.split(';')[0]!;
  if (first.startsWith('CRD schema')) return 'LIQO_SCHEMA';
  // `webhook … checkChain -> checkAllowedTableFamilyChainTypeHook (allowedTableFamilyChainTypeHook)`:
  // the innermost check is the last identifier named.
  const names = [...first.matchAll(/[A-Za-z]+/g)].map((m) => m[0]).filter((n) => n in CHECK_CODES);
  if (names.length === 0) throw new Error(`no known check in "${rejectedBy}"`);
  return CHECK_CODES[names[names.length - 1]!]!;
}


describe.skipIf(noLiqoFixtures)('invalid fixtures: the code of the check that rejects them, at the location the header names', () => {
  for (const name of fixtureNames('invalid')) {
    it(name, () => {
      const { path, text } = readFixture('invalid', name);
      const header = invalidHeader(text);
      const errors = errorsOf(text, path);
      expect(errors.length).toBeGreaterThan(0);
      for (const d of errors) {
        expect(d.severity).toBe('error');
        expect(d.origin.file).toBe(path);
        expect(d.origin.line).toBeGreaterThan(0);
      }
      const code = expectedCode(header.rejectedBy);
      const loc = header.location;
      const hit = errors.find(
        (d) =>
          d.code === code &&
          (loc.resource === undefined || d.origin.resource === loc.resource || d.origin.resource!.endsWith(`/${loc.resource}`)) &&
          (loc.chain === undefined || d.origin.chain === loc.chain) &&
          (loc.chainIndex === undefined || d.origin.field!.startsWith(`spec.table.chains[${loc.chainIndex}]`)) &&
          (loc.rule === undefined || d.origin.rule === loc.rule) &&
          (loc.field === undefined || d.origin.field === loc.field || d.origin.field!.endsWith(`.${loc.field}`)),
      );
      expect(hit, `${code} at ${JSON.stringify(loc)}; got ${JSON.stringify(errors, null, 1)}`).toBeDefined();
      // One problem per fixture: nothing else is reported.
      expect(errors).toHaveLength(1);
    });
  }
});

/** A one-chain resource; `chain` and `rules` are YAML fragments indented for their place. */
function resource(opts: { family?: string; type?: string; hook?: string; priority?: number; labels?: string; rules: string }): string {
  return `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata:
  name: fw
  namespace: ns
  labels:
    a: b
${opts.labels ?? ''}
spec:
  table:
    name: t
    family: ${opts.family ?? 'IPV4'}
    chains:
    - name: c
      type: ${opts.type ?? 'filter'}
      hook: ${opts.hook ?? 'forward'}
      priority: ${opts.priority ?? 0}
      policy: accept
      rules:
${opts.rules}
`;
}

describe("Liqo's webhook table of family, chain type and hook", () => {
  it('matches chain.go allowedTableFamilyChainTypeHook for every combination', () => {
    const allowed: string[] = [];
    for (const f of TABLE_FAMILIES) for (const t of CHAIN_TYPES) for (const h of CHAIN_HOOKS) {
      if (allowedTableFamilyChainTypeHook(f, t, h)) allowed.push(`${f} ${t} ${h}`);
    }
    const ipish = (f: string) => [
      ...['prerouting', 'input', 'forward', 'output', 'postrouting', ...(f === 'INET' ? ['ingress'] : [])].map((h) => `${f} filter ${h}`),
      ...['prerouting', 'input', 'output', 'postrouting'].map((h) => `${f} nat ${h}`),
      `${f} route output`,
    ];
    expect(allowed.sort()).toEqual(
      [
        ...ipish('INET'), ...ipish('IPV4'), ...ipish('IPV6'),
        'ARP filter input', 'ARP filter output',
        ...['prerouting', 'input', 'forward', 'output', 'postrouting'].map((h) => `BRIDGE filter ${h}`),
        'NETDEV filter ingress',
      ].sort(),
    );
  });

  it('rejects an ARP nat chain at its hook', () => {
    const errors = errorsOf(resource({ family: 'ARP', type: 'nat', hook: 'input', rules: '        natRules: []' }), 'f.yaml');
    expect(errors.map((d) => [d.code, d.origin.field])).toEqual([['LIQO_FAMILY_HOOK', 'spec.table.chains[0].hook']]);
    expect(errors[0]!.message).toContain('ARP tables cannot have nat chains');
  });
});

describe('webhook checks collect every error of a file, in the webhook order', () => {
  it('reports chain names, family/hook, rule sets, rule names, NAT and filter problems together', () => {
    const text = `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata: {name: fw, namespace: ns}
spec:
  table:
    name: t
    family: IPV4
    chains:
    - name: a
      type: nat
      hook: prerouting
      policy: accept
      rules:
        natRules:
        - {name: r, natType: snat, to: 10.0.0.1, match: []}
        - {name: r, natType: masquerade, to: "", match: []}
    - name: a
      type: route
      hook: forward
      policy: accept
      rules:
        filterRules: []
    - name: b
      type: filter
      hook: input
      policy: accept
      rules:
        filterRules:
        - {action: accept, match: [{op: eq, ip: {position: src, value: 10.0.0.9-10.0.0.1}}]}
        - {name: m, action: tcpmssclamp, match: [{op: eq, proto: {value: udp}}]}
`;
    const errors = errorsOf(text, 'all.yaml');
    expect(errors.map((d) => [d.code, d.origin.chain, d.origin.rule ?? null, d.origin.field])).toEqual([
      ['LIQO_CHAIN_NAME', 'a', null, 'spec.table.chains[1].name'],
      ['LIQO_RULE_NAME', 'a', 'natRules[1]', 'spec.table.chains[0].rules.natRules[1].name'],
      ['LIQO_NAT_HOOK', 'a', 'natRules[0]', 'spec.table.chains[0].rules.natRules[0].natType'],
      ['LIQO_NAT_HOOK', 'a', 'natRules[1]', 'spec.table.chains[0].rules.natRules[1].natType'],
      ['LIQO_NAT_TO', 'a', 'natRules[1]', 'spec.table.chains[0].rules.natRules[1].to'],
      ['LIQO_FAMILY_HOOK', 'a', null, 'spec.table.chains[1].hook'],
      ['LIQO_RULESETS', 'a', null, 'spec.table.chains[1].rules.filterRules'],
      ['LIQO_RULE_NAME', 'b', 'filterRules[0]', 'spec.table.chains[2].rules.filterRules[0].name'],
      ['LIQO_IP', 'b', 'filterRules[0]', 'spec.table.chains[2].rules.filterRules[0].match[0].ip.value'],
      ['LIQO_MSS_CLAMP', 'b', 'm', 'spec.table.chains[2].rules.filterRules[1].match'],
      // Then what Liqo never checks: `rt mtu` clamping is refused by the kernel in input.
      ['LIQO_VALUE', 'b', 'm', 'spec.table.chains[2].rules.filterRules[1].action'],
    ]);
    expect(errors[6]!.message).toContain('an empty list counts as defined');
    for (const d of errors) expect(d.origin).toMatchObject({ file: 'all.yaml', resource: 'ns/fw', table: 'ip t' });
  });

  it('gives a located error where Liqo panics: a proto-less entry before the tcp match', () => {
    const errors = errorsOf(
      resource({
        rules: `        filterRules:
        - name: clamp
          action: tcpmssclamp
          match:
          - {op: eq, dev: {position: out, value: liqo-tunnel}}
          - {op: eq, proto: {value: tcp}}`,
      }),
      'mss.yaml',
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'LIQO_MSS_CLAMP', origin: { rule: 'clamp', field: 'spec.table.chains[0].rules.filterRules[0].match[0].proto', line: 24, column: 13 } });
    expect(errors[0]!.message).toContain('put the tcp proto match first');
  });

  it('accepts a tcpmssclamp whose tcp match comes first, and IPv4-IPv6 mixed ranges only until LIQO_VALUE', () => {
    const ok = resource({
      rules: `        filterRules:
        - name: clamp
          action: tcpmssclamp
          match:
          - {op: eq, proto: {value: tcp}}
          - {op: eq, dev: {position: out, value: liqo-tunnel}}`,
    });
    expect(() => parseFirewallConfigurations(ok, 'ok.yaml')).not.toThrow();
    const mixed = errorsOf(resource({ rules: `        filterRules:
        - {name: r, action: drop, match: [{op: eq, ip: {position: src, value: 10.0.0.1-fd00::1}}]}` }), 'mixed.yaml');
    expect(mixed.map((d) => d.code)).toEqual(['LIQO_VALUE']);
    expect(mixed[0]!.message).toContain("Liqo's webhook accepts it");
    // fd00::1 before 10.0.0.1 in Go's 16-byte order: the webhook's own range check fires.
    const reversed = errorsOf(resource({ rules: `        filterRules:
        - {name: r, action: drop, match: [{op: eq, ip: {position: src, value: fd00::1-10.0.0.1}}]}` }), 'rev.yaml');
    // …and the IPv6 start in this IPV4 table is one nft refuses.
    expect(reversed.map((d) => d.code)).toEqual(['LIQO_IP', 'LIQO_VALUE']);
  });

  it('notes when liqo.io/webhook-skip would let the resource through', () => {
    const errors = errorsOf(
      resource({ labels: '    liqo.io/webhook-skip: "true"', rules: `        filterRules:
        - {action: accept, match: []}` }),
      'skip.yaml',
      { nameRules: true },
    );
    expect(errors.map((d) => d.code)).toEqual(['LIQO_RULE_NAME']);
    expect(errors[0]!.message).toContain('mutating webhook, which names such rules, skips this resource');
    expect(errors[0]!.message).toContain('liqo.io/webhook-skip: "true"');
  });
});

describe('LIQO_VALUE: what Liqo never checks but cannot install', () => {
  const filter = (match: string, extra = '', action = 'accept', hook = 'forward') =>
    resource({ hook, rules: `        filterRules:
        - name: r
          action: ${action}
${extra}          match: ${match}` });
  const nat = (natType: string, to: string | undefined, match = '[]', hook = 'postrouting') =>
    resource({ type: 'nat', hook, rules: `        natRules:
        - name: nr
          natType: ${natType}
${to === undefined ? '' : `          to: ${JSON.stringify(to)}\n`}          match: ${match}` });

  const cases: [string, string, string][] = [
    ['an unparseable port', filter('[{op: eq, port: {position: dst, value: "http"}}]'), 'spec.table.chains[0].rules.filterRules[0].match[0].port.value'],
    ['a port list', filter('[{op: eq, port: {position: dst, value: "80,443"}}]'), 'spec.table.chains[0].rules.filterRules[0].match[0].port.value'],
    ['a port beyond int64', filter('[{op: eq, port: {position: dst, value: "99999999999999999999"}}]'), 'spec.table.chains[0].rules.filterRules[0].match[0].port.value'],
    ['an empty device', filter('[{op: eq, dev: {position: in, value: ""}}]'), 'spec.table.chains[0].rules.filterRules[0].match[0].dev.value'],
    ['a hex ctmark', filter('[]', '          value: "0x10"\n', 'ctmark'), 'spec.table.chains[0].rules.filterRules[0].value'],
    ['a ctmark without value', filter('[]', '', 'ctmark'), 'spec.table.chains[0].rules.filterRules[0].value'],
    ['a non-numeric MSS', filter('[{op: eq, proto: {value: tcp}}]', '          value: "auto"\n', 'tcpmssclamp'), 'spec.table.chains[0].rules.filterRules[0].value'],
    ['an MSS that wraps to 0', filter('[{op: eq, proto: {value: tcp}}]', '          value: "65536"\n', 'tcpmssclamp'), 'spec.table.chains[0].rules.filterRules[0].value'],
    ['rt mtu clamping in input', filter('[{op: eq, proto: {value: tcp}}]', '', 'tcpmssclamp', 'input'), 'spec.table.chains[0].rules.filterRules[0].action'],
    ['reject in postrouting', filter('[]', '', 'reject', 'postrouting'), 'spec.table.chains[0].rules.filterRules[0].action'],
    ['an invalid IP in a NAT match', nat('snat', '10.0.0.1', '[{op: eq, ip: {position: src, value: 10.0.0.256}}]'), 'spec.table.chains[0].rules.natRules[0].match[0].ip.value'],
    ['a reversed range in a NAT match', nat('snat', '10.0.0.1', '[{op: eq, ip: {position: src, value: 10.0.0.9-10.0.0.1}}]'), 'spec.table.chains[0].rules.natRules[0].match[0].ip.value'],
    ['a NAT target that is no address', nat('snat', 'gateway'), 'spec.table.chains[0].rules.natRules[0].to'],
    ['a reversed NAT pool', nat('snat', '10.0.0.9-10.0.0.1'), 'spec.table.chains[0].rules.natRules[0].to'],
    ['dnat to "" (masquerade in prerouting)', nat('dnat', '', '[]', 'prerouting'), 'spec.table.chains[0].rules.natRules[0].to'],
    ['masquerade in input', nat('masquerade', undefined, '[]', 'input'), 'spec.table.chains[0].rules.natRules[0].natType'],
  ];
  for (const [what, text, field] of cases) {
    it(what, () => {
      const errors = errorsOf(text, 'v.yaml');
      expect(errors.map((d) => [d.code, d.origin.field])).toEqual([['LIQO_VALUE', field]]);
      expect(errors[0]!.origin).toMatchObject({ resource: 'ns/fw', table: 'ip t', chain: 'c' });
    });
  }

  it('says where Liqo would still accept the resource', () => {
    const [d] = errorsOf(filter('[{op: eq, port: {position: dst, value: "http"}}]'), 'v.yaml');
    expect(d!.message).toMatch(/webhook does not check ports and accepts it/);
  });
});
