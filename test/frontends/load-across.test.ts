// Loading several inputs: Liqo resources in different files are admitted together (as Liqo's webhook
// and gateway see them), and a table given twice by nft JSON inputs is refused rather than guessed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRuleset } from '../../src/frontends/load.js';
import { NftlensError } from '../../src/model/diagnostics.js';
import { doc } from '../support/liqo-doc.js';

const dir = mkdtempSync(join(tmpdir(), 'nftlens-across-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const nftTable = (chain: string) => JSON.stringify({
  nftables: [
    { table: { family: 'ip', name: 'gw', handle: 1 } },
    { chain: { family: 'ip', table: 'gw', name: chain, handle: 2, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
  ],
});

describe('loading several inputs', () => {
  it('two files naming one table with other labels become one table, with a warning', async () => {
    const a = file('a.yaml', doc({ name: 'a', namespace: 'x', labels: { k: 'a' }, chains: { c: ['r1:10.0.0.1:accept'] } }));
    const b = file('b.yaml', doc({ name: 'b', namespace: 'x', labels: { k: 'b' }, chains: { c: ['r2:10.0.0.2:drop'] } }));
    const loaded = await loadRuleset([a, b]);
    expect(loaded.ruleset.tables).toHaveLength(1);
    expect(loaded.diagnostics.map((d) => d.code)).toContain('LIQO_SHARED_TABLE');
    expect(loaded.ruleset.tables[0]!.chains[0]!.rules.map((r) => r.comment)).toContain('r2');
  });

  it('two files naming one table with the same labels: the second is denied, located at its table name', async () => {
    const a = file('c.yaml', doc({ name: 'a', namespace: 'x', labels: { k: 'v' }, chains: { c: [] } }));
    const b = file('d.yaml', doc({ name: 'b', namespace: 'x', labels: { k: 'v' }, chains: { c: [] } }));
    const err = await loadRuleset([a, b]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NftlensError);
    const d = (err as NftlensError).diagnostics;
    expect(d.map((x) => x.code)).toEqual(['LIQO_TABLE_NAME']);
    expect(d[0]!.origin.file).toBe(b);
  });

  it('one table in two nft JSON inputs is refused, naming both files', async () => {
    const a = file('one.json', nftTable('c1'));
    const b = file('two.json', nftTable('c2'));
    const err = await loadRuleset([a, b]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NftlensError);
    const d = (err as NftlensError).diagnostics;
    expect(d.map((x) => x.code)).toEqual(['INPUT_TABLE_TWICE']);
    expect(d[0]!.origin.file).toBe(b);
    expect(d[0]!.message).toContain(a);
  });

  it('a Liqo table and an nft JSON table of the same name are refused too', async () => {
    const a = file('e.yaml', doc({ name: 'a', namespace: 'x', table: 'gw', chains: { c: [] } }));
    const err = await loadRuleset([a, file('three.json', nftTable('c3'))]).catch((e: unknown) => e);
    expect((err as NftlensError).diagnostics.map((x) => x.code)).toEqual(['INPUT_TABLE_TWICE']);
  });
});
