// Two FirewallConfigurations naming one table with different labels, end to end through run():
// validate, analyze, eval and render all speak of the one table Liqo's gateway leaves (the later
// resource reconciled over the earlier), and validate denies identical labels as Liqo's webhook.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';
import { doc, SHARED_TABLE_TEXT } from '../../support/liqo-doc.js';

const dir = mkdtempSync(join(tmpdir(), 'nftlens-shared-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'shared.yaml');
writeFileSync(file, SHARED_TABLE_TEXT);
const packet = (daddr: string) => `tcp 10.0.0.1:1000 -> ${daddr}:80 iif eth0 oif eth1`;

describe('one table named by two resources', () => {
  it('validate: valid, one table with one rule, the warning names both resources', async () => {
    const r = await cli(['validate', '-f', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid: 1 file(s), 1 table, 1 chain (1 base), 1 rule, 1 warning(s)');
    expect(r.stdout + r.stderr).toMatch(/warning\[LIQO_SHARED_TABLE\] .*shared\.yaml:43:11 resource liqo\/naples.*also named by resource liqo\/venice/);
  });

  it('eval: naples’s rule decides, venice’s drop is gone', async () => {
    const r = await cli(['eval', '-f', file, '-p', packet('10.42.0.5'), '-p', packet('10.42.0.6'), '-o', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { verdict: string; by: string }[];
    expect(out.map((x) => [x.verdict, x.by])).toEqual([['drop', 'rule'], ['accept', 'policy']]);
    expect(r.stdout).toContain('liqo/naples');
    expect(r.stdout).not.toContain('liqo/venice');
  });

  it('analyze: the table-clash error (exit 1) says the table analysed is naples’s', async () => {
    const r = await cli(['analyze', '-f', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('the table analysed is the one liqo/naples, applied last, leaves');
  });

  it('render: one table, replaced once, with the one rule', async () => {
    const text = await cli(['render', '-f', file]);
    expect(text.stdout.match(/^table /gm)).toHaveLength(1);
    expect(text.stdout).toContain('ip daddr 10.42.0.5 counter drop comment "block"');
    expect(text.stdout).not.toContain('10.42.0.6');
    const json = await cli(['render', '-f', file, '-o', 'json']);
    const cmds = JSON.parse(json.stdout).nftables as Record<string, Record<string, unknown>>[];
    expect(cmds.filter((c) => c.delete?.table)).toHaveLength(1);
  });

  it('validate denies the second of two resources with the same table name and labels (exit 2, located)', async () => {
    const same = join(dir, 'same.yaml');
    writeFileSync(same, doc({ name: 'a', labels: { x: 'y' }, chains: { filt: [] } }) + doc({ name: 'b', labels: { x: 'y' }, chains: { filt: [] } }));
    const r = await cli(['validate', '-f', same]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[LIQO_TABLE_NAME\] .*same\.yaml:\d+:11 resource b, table ip shared, field spec\.table\.name: table name shared with labels map\[x:y\] already used/);
  });
});
