// Checks across resources (cross.ts): Liqo's webhook denies a second resource with the same table
// name and labels (checkUniqueTableName) and an update that renames the table
// (checkImmutableTableName); resources with different labels share one kernel table, built as
// Liqo's gateway reconciles the later over the earlier (cleanTable, addChains).
import { describe, expect, it } from 'vitest';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { admitAcrossInputs, goMap } from '../../../src/frontends/liqo/cross.js';
import type { Table } from '../../../src/model/ruleset.js';
import type { Diagnostic } from '../../../src/model/diagnostics.js';
import { errorsOf } from './fixtures.js';
import { doc } from '../../support/liqo-doc.js';

const codes = (ds: Diagnostic[]) => ds.map((d) => d.code);
const rulesOf = (t: { chains: { name: string; rules: { comment?: string; origin: { resource?: string } }[] }[] }) =>
  t.chains.map((c) => [c.name, c.rules.map((r) => `${r.comment}@${r.origin.resource}`)]);

const A = { name: 'a', namespace: 'liqo', labels: { 'networking.liqo.io/firewall-category': 'gateway', tenant: 'venice' } };

describe('checkUniqueTableName', () => {
  it('denies the second resource with the same table name and labels, located at its table name', () => {
    const text = doc({ ...A, chains: { filt: ['r1:10.0.0.1:accept'] } }) + doc({ ...A, name: 'b', chains: { filt: ['r1:10.0.0.2:drop'] } });
    const errors = errorsOf(text, 'two.yaml');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'LIQO_TABLE_NAME', severity: 'error',
      origin: { file: 'two.yaml', resource: 'liqo/b', field: 'spec.table.name', line: 38, column: 11 },
    });
    expect(errors[0]!.message).toMatch(/^table name shared with labels map\[networking\.liqo\.io\/firewall-category:gateway tenant:venice\] already used \(by resource liqo\/a \(two\.yaml\), table ip shared\)/);
  });

  it('compares the name only, not the family, across namespaces; no labels equal no labels', () => {
    const inet = doc({ ...A, chains: { filt: [] } }) + doc({ ...A, name: 'b', namespace: 'other', family: 'INET', chains: { filt: [] } });
    expect(codes(errorsOf(inet))).toEqual(['LIQO_TABLE_NAME']);
    const bare = doc({ name: 'a', chains: { filt: [] } }) + doc({ name: 'b', chains: { filt: [] } });
    expect(errorsOf(bare)[0]!.message).toMatch(/^table name shared with labels map\[\] already used/);
  });

  it('admits different labels, a different table name, and objects the webhook skips', () => {
    const other = doc({ ...A, chains: { filt: [] } }) + doc({ ...A, name: 'b', labels: { ...A.labels, tenant: 'naples' }, chains: { filt: [] } });
    expect(parseFirewallConfigurations(other, 'x.yaml').resources.map((r) => r.name)).toEqual(['a', 'b']);
    const renamed = doc({ ...A, chains: { filt: [] } }) + doc({ ...A, name: 'b', table: 'mine', chains: { filt: [] } });
    expect(parseFirewallConfigurations(renamed, 'x.yaml').ruleset.tables.map((t) => t.name)).toEqual(['shared', 'mine']);
    const skip = { ...A.labels, 'liqo.io/webhook-skip': 'true' };
    const skipped = doc({ ...A, labels: skip, chains: { filt: [] } }) + doc({ ...A, name: 'b', labels: skip, chains: { filt: [] } });
    const r = parseFirewallConfigurations(skipped, 'x.yaml');
    expect(r.resources).toHaveLength(2);
    expect(codes(r.diagnostics)).toEqual(['LIQO_SHARED_TABLE']);
  });

  it('prints labels as Go prints a map: keys sorted', () => {
    expect(goMap({ z: '1', a: 'x y' })).toBe('map[a:x y z:1]');
    expect(goMap({})).toBe('map[]');
  });
});

describe('the same resource given twice: an update, not a clash', () => {
  it('keeps one resource and the later spec, with a warning', () => {
    const text = doc({ ...A, chains: { filt: ['r1:10.0.0.1:accept', 'r2:10.0.0.2:accept'] } }) + doc({ ...A, chains: { filt: ['r3:10.0.0.3:drop'] } });
    const r = parseFirewallConfigurations(text, 'x.yaml');
    expect(r.resources).toHaveLength(1);
    expect(r.ruleset.tables).toHaveLength(1);
    expect(rulesOf(r.ruleset.tables[0]!)).toEqual([['filt', ['r3@liqo/a']]]);
    expect(r.diagnostics).toMatchObject([{ code: 'LIQO_SHARED_TABLE', severity: 'warning', origin: { resource: 'liqo/a', line: 33 } }]);
    expect(r.diagnostics[0]!.message).toContain('resource liqo/a is given twice: this document updates the one given before in x.yaml');
  });

  it('denies an update that renames the table (checkImmutableTableName)', () => {
    const text = doc({ ...A, chains: { filt: [] } }) + doc({ ...A, table: 'renamed', chains: { filt: [] } });
    const errors = errorsOf(text);
    expect(errors).toMatchObject([{ code: 'LIQO_TABLE_NAME', origin: { resource: 'liqo/a', field: 'spec.table.name' } }]);
    expect(errors[0]!.message).toMatch(/^table name is immutable: resource liqo\/a was given before with table name shared/);
  });

  it('with the webhook skipped, a renamed table leaves the old one in the kernel', () => {
    const skip = { 'liqo.io/webhook-skip': 'true' };
    const text = doc({ ...A, labels: skip, chains: { filt: ['r1:10.0.0.1:accept'] } }) + doc({ ...A, labels: skip, table: 'renamed', chains: { filt: [] } });
    const r = parseFirewallConfigurations(text, 'x.yaml');
    expect(r.ruleset.tables.map((t) => t.name)).toEqual(['shared', 'renamed']);
    expect(r.diagnostics[0]!.message).toContain('table ip shared, which the earlier one named, stays in the kernel');
  });
});

describe('one kernel table for two resources (different labels): as the gateway reconciles the later over the earlier', () => {
  const B = { ...A, name: 'b', labels: { ...A.labels, tenant: 'naples' } };

  it('deletes chains the later lacks or changed, keeps same-named equal rules in place, appends the rest', () => {
    const text = doc({ ...A, chains: { 'filt:forward': ['r1:10.0.0.1:accept', 'r2:10.0.0.2:accept', 'r3:10.0.0.3:accept'], 'in:input': ['i1:10.0.0.9:drop'], 'out:output:0': ['o1:10.0.0.8:drop'] } }) +
      doc({ ...B, chains: { 'filt:forward': ['r4:10.0.0.4:drop', 'r2:10.0.0.2:accept', 'r3:10.0.0.33:accept'], 'out:output:10': ['o1:10.0.0.8:drop'], 'new:prerouting': [] } });
    const r = parseFirewallConfigurations(text, 'x.yaml');
    expect(r.resources.map((x) => x.name)).toEqual(['a', 'b']);
    expect(r.ruleset.tables).toHaveLength(1);
    const t = r.ruleset.tables[0]!;
    // r2 is equal in both: it stays first; r3 changed: deleted and re-added; `in` gone; `out` changed priority: recreated.
    expect(rulesOf(t)).toEqual([
      ['filt', ['r2@liqo/a', 'r4@liqo/b', 'r3@liqo/b']],
      ['out', ['o1@liqo/b']],
      ['new', []],
    ]);
    expect(t.chains[1]!.base!.priority).toBe(10);
    expect(t.labels).toEqual(B.labels);
    expect(r.diagnostics).toMatchObject([{ code: 'LIQO_SHARED_TABLE', severity: 'warning', origin: { resource: 'liqo/b', field: 'spec.table.name' } }]);
    expect(r.diagnostics[0]!.message).toMatch(/^table ip shared is also named by resource liqo\/a \(x\.yaml\); their labels differ/);
    // Each resource still has its own table, as it says.
    expect(rulesOf(r.resources[0]!.table)[0]).toEqual(['filt', ['r1@liqo/a', 'r2@liqo/a', 'r3@liqo/a']]);
  });

  it('keeps the earlier ctmark rule of the same name whatever its value (Liqo’s Equal says ctmark rules are equal)', () => {
    const text = doc({ ...A, chains: { filt: ['m:10.0.0.1:ctmark:1'] } }) + doc({ ...B, chains: { filt: ['m:10.0.0.1:ctmark:2'] } });
    const t = parseFirewallConfigurations(text, 'x.yaml').ruleset.tables[0]!;
    expect(t.chains[0]!.rules).toHaveLength(1);
    expect(t.chains[0]!.rules[0]!.exprs.at(-1)).toMatchObject({ kind: 'set-mark', key: 'ct mark', value: 1 });
    expect(t.chains[0]!.rules[0]!.origin.resource).toBe('liqo/a');
  });

  it('tables of another family with the same name stay apart', () => {
    const text = doc({ ...A, chains: { filt: ['r1:10.0.0.1:accept'] } }) + doc({ ...B, family: 'INET', chains: { filt: ['r2:10.0.0.2:accept'] } });
    const r = parseFirewallConfigurations(text, 'x.yaml');
    expect(r.ruleset.tables.map((t) => `${t.family} ${t.name}`)).toEqual(['ip shared', 'inet shared']);
    expect(codes(r.diagnostics)).not.toContain('LIQO_SHARED_TABLE');
  });
});

describe('order', () => {
  it('an update reconciles last: it shapes the shared table, and the analysis names it as the later', () => {
    const B = { ...A, name: 'b', labels: { ...A.labels, tenant: 'naples' } };
    const text = doc({ ...A, chains: { filt: ['r1:10.0.0.1:accept'] } }) + doc({ ...B, chains: { filt: ['r2:10.0.0.2:drop'] } }) +
      doc({ ...A, chains: { filt: ['r3:10.0.0.3:accept'] } });
    const r = parseFirewallConfigurations(text, 'x.yaml');
    expect(r.resources.map((x) => x.name)).toEqual(['b', 'a']);
    expect(rulesOf(r.ruleset.tables[0]!)).toEqual([['filt', ['r3@liqo/a']]]);
  });
});

describe('across inputs (several files: admitAcrossInputs)', () => {
  const B = { ...A, name: 'b', labels: { ...A.labels, tenant: 'naples' } };
  const a = doc({ ...A, chains: { filt: ['r1:10.0.0.1:accept'] } });
  const b = doc({ ...B, chains: { filt: ['r2:10.0.0.2:drop'] } });

  it('gives what one file with both documents gives, other tables left in place', () => {
    const one = parseFirewallConfigurations(a + b, 'x.yaml');
    const fa = parseFirewallConfigurations(a, 'a.yaml', { deferAdmission: true });
    const fb = parseFirewallConfigurations(b, 'b.yaml', { deferAdmission: true });
    expect(fa.ruleset.tables[0]).toBe(fa.resources[0]!.table);
    const nft: Table = { family: 'inet', name: 'other', chains: [], origin: {} };
    const across = admitAcrossInputs({ tables: [...fa.ruleset.tables, nft, ...fb.ruleset.tables] }, [...fa.resources, ...fb.resources]);
    expect(across.ruleset.tables.map((t) => `${t.family} ${t.name}`)).toEqual(['ip shared', 'inet other']);
    expect(rulesOf(across.ruleset.tables[0]!)).toEqual(rulesOf(one.ruleset.tables[0]!));
    expect(codes(across.warnings)).toEqual(['LIQO_SHARED_TABLE']);
    expect(across.warnings[0]!.message).toContain('also named by resource liqo/a (a.yaml)');
  });

  it('denies across files as within one', () => {
    const fa = parseFirewallConfigurations(a, 'a.yaml', { deferAdmission: true });
    const fb = parseFirewallConfigurations(doc({ ...A, name: 'b', chains: { filt: [] } }), 'b.yaml', { deferAdmission: true });
    const across = admitAcrossInputs({ tables: [...fa.ruleset.tables, ...fb.ruleset.tables] }, [...fa.resources, ...fb.resources]);
    expect(across.errors).toMatchObject([{ code: 'LIQO_TABLE_NAME', origin: { file: 'b.yaml', resource: 'liqo/b' } }]);
    expect(across.resources.map((r) => r.name)).toEqual(['a']);
    expect(rulesOf(across.ruleset.tables[0]!)).toEqual([['filt', ['r1@liqo/a']]]);
  });
});
