// The webhook's decisions as functions: every Liqo fixture (valid → allowed; invalid → denied with
// the fixture's reason located at its resource, chain, rule and field), the checks across resources
// (a table name reused with the same labels, an immutable table name), the analyses by the policy
// (a shadowed rule denied with its witness; warn and off), isolation against declared tenants,
// the mutating patch, and the policy file's errors.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import jsonpatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import { decide, nameNamelessRules, type Obj } from '../../../src/services/webhook/decide.js';
import { defaultPolicy, parsePolicy } from '../../../src/services/webhook/policy.js';
import { sharedCorpus } from '../../support/corpus.js';
import { doc } from '../../support/liqo-doc.js';
import { fixtureLocation, objectsOf } from '../../support/liqo-fixtures.js';

const FIXTURES = sharedCorpus('fixtures/liqo/');

const create = (object: Obj, others: Obj[] = [], policy = defaultPolicy()) => decide({ operation: 'CREATE', object, others }, policy);
const fc = (text: string) => parse(text) as Obj;
const labels = (tenant: string) => ({ 'networking.liqo.io/firewall-category': 'gateway', 'networking.liqo.io/firewall-unique': tenant });

describe.skipIf(!FIXTURES)('webhook decisions on the Liqo fixtures', () => {
  const dir = (kind: string) => join(FIXTURES!, kind);
  it('admits every valid fixture (with the other resources of its file in the cluster)', () => {
    let n = 0;
    for (const f of readdirSync(dir('valid')).sort()) {
      const objects = objectsOf(join(dir('valid'), f));
      for (const o of objects) {
        const v = create(o, objects);
        expect(v.denials, `${f} ${o.metadata.name}`).toEqual([]);
        expect(v.allowed).toBe(true);
        n++;
      }
    }
    expect(n).toBeGreaterThan(10);
  });

  it('denies every invalid fixture with its reason at the fixture\'s location', () => {
    const files = readdirSync(dir('invalid')).sort();
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const path = join(dir('invalid'), f);
      const [o] = objectsOf(path);
      const v = create(o!);
      expect(v.allowed, f).toBe(false);
      const where = fixtureLocation(path);
      const text = v.denials.join('\n');
      expect(text, f).toContain(`resource ${o!.metadata.namespace}/${where.resource}`);
      const first = (x: string) => x.split(' (')[0];
      if (where.chain) expect(text, f).toContain(`chain ${first(where.chain)}`);
      if (where.rule) expect(text, f).toContain(`rule ${first(where.rule)}`);
      expect(text, f).toMatch(/^error\[(LIQO_[A-Z_]+)\]/);
    }
  });
});

describe('webhook decisions across resources and analyses', () => {
  const shadowing = fc(doc({ name: 'shadow', namespace: 'liqo', labels: labels('venice'), table: 'shadow', chains: { 'filt:forward': ['wide:10.42.0.0/16:accept', 'narrow:10.42.1.5:drop'] } }));

  it('denies a table name reused with the same labels, and names the other resource', () => {
    const a = fc(doc({ name: 'a', namespace: 'liqo', labels: labels('venice'), table: 'same', chains: { 'c:forward': ['r:10.0.0.1:accept'] } }));
    const b = fc(doc({ name: 'b', namespace: 'liqo', labels: labels('venice'), table: 'same', chains: { 'c:forward': ['r:10.0.0.2:accept'] } }));
    const v = create(b, [a]);
    expect(v.allowed).toBe(false);
    expect(v.denials.join()).toMatch(/LIQO_TABLE_NAME.*table name same with labels map\[.*\] already used \(by resource liqo\/a/);
    expect(create(b, [a, b]).allowed).toBe(false); // the object itself in the list is skipped, the other still counts
    const renamed = structuredClone(a);
    renamed.spec.table.name = 'other';
    const upd = decide({ operation: 'UPDATE', object: renamed, oldObject: a, others: [a] }, defaultPolicy());
    expect(upd.denials.join()).toContain('table name is immutable');
  });

  it('denies a shadowed rule with its witness packet; warn and off by the policy', () => {
    const v = create(shadowing);
    expect(v.allowed).toBe(false);
    const line = v.denials.find((d) => d.startsWith('shadowed:'));
    expect(line).toMatch(/narrow/);
    expect(line).toMatch(/witness: .*10\.42\.1\.5/);
    const warn = parsePolicy('checks:\n  shadowed: warn\n  unreachable: warn\n', 'cfg.yaml');
    const w = create(shadowing, [], warn);
    expect(w.allowed).toBe(true);
    expect(w.warnings.some((x) => x.startsWith('shadowed:'))).toBe(true);
    const off = parsePolicy('checks: { shadowed: off, unreachable: off }', 'cfg.yaml');
    expect(create(shadowing, [], off).warnings.some((x) => x.startsWith('shadowed:'))).toBe(false);
  });

  it('judges only findings that involve the object: an old problem of another resource does not block it', () => {
    const clean = fc(doc({ name: 'clean', namespace: 'liqo', labels: labels('naples'), table: 'clean', chains: { 'c:input': ['r:10.9.9.9:accept'] } }));
    const v = create(clean, [shadowing]);
    expect(v.denials).toEqual([]);
  });

  it('denies an isolation breach against the declared tenants, with the witness', () => {
    const policy = parsePolicy(
      'tenants:\n  venice: { sources: [10.112.0.0/16], destinations: [10.42.1.15] }\n  naples: { sources: [10.113.0.0/16], destinations: [10.42.2.7] }\n',
      'cfg.yaml',
    );
    const rule = (name: string, src: string, dst: string) => ({ name, action: 'accept', match: [{ op: 'eq', ip: { position: 'src', value: src } }, { op: 'eq', ip: { position: 'dst', value: dst } }] });
    const guard: Obj = {
      apiVersion: 'networking.liqo.io/v1beta1',
      kind: 'FirewallConfiguration',
      metadata: { name: 'guard', namespace: 'liqo', labels: labels('all') },
      spec: { table: { name: 'guard', family: 'IPV4', chains: [{ name: 'g', type: 'filter', hook: 'forward', priority: 0, policy: 'drop', rules: { filterRules: [rule('venice-own', '10.112.0.0/16', '10.42.1.15'), rule('naples-own', '10.113.0.0/16', '10.42.2.7')] } }] } },
    };
    expect(create(guard, [], policy).denials).toEqual([]);
    const opened = structuredClone(guard);
    opened.spec.table.chains[0].rules.filterRules.push(rule('venice-to-naples', '10.112.0.0/16', '10.42.2.7'));
    const v = decide({ operation: 'UPDATE', object: opened, oldObject: guard, others: [guard] }, policy);
    expect(v.allowed).toBe(false);
    expect(v.denials.some((d) => /^isolation: tenant venice reaches tenant naples, accepted by .*venice-to-naples.* — witness: .*10\.112\..*10\.42\.2\.7/.test(d)), v.denials.join('\n')).toBe(true);
    const warn = parsePolicy('checks: { isolation: warn }\ntenants:\n  venice: { sources: [10.112.0.0/16], destinations: [10.42.1.15] }\n  naples: { sources: [10.113.0.0/16], destinations: [10.42.2.7] }\n', 'cfg.yaml');
    const w = decide({ operation: 'UPDATE', object: opened, oldObject: guard, others: [guard] }, warn);
    expect(w.allowed).toBe(true);
    expect(w.warnings.some((x) => x.startsWith('isolation: tenant venice reaches tenant naples'))).toBe(true);
  });

  it('names nameless rules with a JSON patch, as `validate --name-rules` names them', () => {
    const o = fc(doc({ name: 'n', namespace: 'liqo-tenant-rome', table: 't', chains: { 'c:forward': ['x:10.0.0.1:accept', 'y:10.0.0.2:drop'] } }));
    delete o.spec.table.chains[0].rules.filterRules[0].name;
    o.spec.table.chains[0].rules.filterRules[1].name = '';
    const ops = nameNamelessRules(o);
    expect(ops.map((p) => [p.op, p.path])).toEqual([
      ['add', '/spec/table/chains/0/rules/filterRules/0/name'],
      ['replace', '/spec/table/chains/0/rules/filterRules/1/name'],
    ]);
    const named = jsonpatch.applyPatch(structuredClone(o), ops as jsonpatch.Operation[]).newDocument;
    const viaCli = parseFirewallConfigurations(JSON.stringify(o), 'x.json', { nameRules: true });
    expect(viaCli.ruleset.tables[0]!.chains[0]!.rules.map((r) => r.origin.rule)).toEqual(named.spec.table.chains[0].rules.filterRules.map((r: Obj) => r.name));
    expect(nameNamelessRules(named)).toEqual([]);
    expect(create(o).denials.join()).toContain('LIQO_'); // unnamed: denied when the mutating webhook did not run
    expect(create(named).allowed).toBe(true);
    o.metadata.labels = { 'liqo.io/webhook-skip': 'true' };
    expect(nameNamelessRules(o)).toEqual([]);
  });

  it('refuses a bad configuration file with the key located', () => {
    const bad = (text: string) => {
      try {
        parsePolicy(text, 'cfg.yaml');
      } catch (e) {
        return (e as NftlensError).diagnostics[0];
      }
      return undefined;
    };
    expect(bad('checks: { shadowd: deny }')).toMatchObject({ code: 'WEBHOOK_CONFIG', origin: { file: 'cfg.yaml', field: 'checks.shadowd' } });
    expect(bad('checks: { shadowed: maybe }')).toMatchObject({ code: 'WEBHOOK_CONFIG', origin: { field: 'checks.shadowed' } });
    expect(bad('budgetMs: 0')).toMatchObject({ code: 'WEBHOOK_CONFIG', origin: { field: 'budgetMs' } });
    expect(bad('timeout: 3')).toMatchObject({ code: 'WEBHOOK_CONFIG', origin: { field: 'timeout' } });
    expect(bad('[1, 2]')).toMatchObject({ code: 'WEBHOOK_CONFIG' });
    expect(bad('tenants: { a: { sources: [nope], destinations: [] } }')).toMatchObject({ code: 'INPUT_PARSE' });
    expect(bad('checks: { shadowed: warn }\nbudgetMs: 500')).toBeUndefined();
  });

  it('denies hostile objects with a reason, never a crash', () => {
    const hostile: unknown[] = [
      null,
      'a string',
      [],
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'liqo' } },
      { apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration', metadata: { name: 'x', namespace: 'liqo' } },
      { apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration', metadata: { name: 'x', namespace: 'liqo' }, spec: { table: { name: 'x'.repeat(300), family: 'IPV4' } } },
      { apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration', metadata: { name: 'x', namespace: 'liqo' }, spec: { table: { name: 't', family: 'IPV4', chains: [{ name: 'c', type: 'filter', hook: 'forward', policy: 'accept', priority: 0, rules: { filterRules: [{ name: 'r', action: 'accept', match: JSON.parse('['.repeat(5000) + ']'.repeat(5000)) }] } }] } } },
    ];
    for (const [i, object] of hostile.entries()) {
      const v = create(object as Obj);
      expect(v.allowed, `hostile[${i}]`).toBe(false);
      expect(v.denials.length).toBeGreaterThan(0);
      expect(v.denials.join()).toMatch(/^error\[[A-Z_]+\]/);
    }
  });
});
