// verify against the real kernel: in sync after apply; a rule replaced by hand keeping its
// comment, a deleted rule and a flushed chain are each found — structurally, and as behaviour
// differences with witness packets the engine confirms.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apply, intentDigest, readOwned, renderedTable, statusRecords, verify, type Intent } from '../../../src/backends/gateway/index.js';
import { ReferenceEngine } from '../../../src/engine/index.js';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeNft, fc, intentOf, realNft, scratch, withPath } from './support.js';

const POLICY = fc('gw-v', [
  { name: 'allow-web', action: 'accept', dst: '10.42.1.15' },
  { name: 'allow-db', action: 'accept', dst: '10.42.2.0/24' },
]);

describe.skipIf(noKernel)('verify (kernel)', () => {
  const ns = suiteNetns('gwverify');
  let intent: Intent;
  beforeAll(async () => {
    intent = await intentOf(POLICY);
  });
  beforeEach(async () => {
    const r = await apply(intent, { netns: ns.name });
    expect(r.verify?.inSync).toBe(true);
  });

  async function handleOf(comment: string): Promise<string> {
    const text = await ns.nft(['-a', 'list', 'table', 'ip', 'gw-v']);
    return /handle (\d+)\s*$/m.exec(text.split('\n').find((l) => l.includes(`comment "${comment}"`))!)![1]!;
  }

  it('is in sync right after apply, and names no difference', async () => {
    const v = await verify(intent, { netns: ns.name });
    expect(v.inSync).toBe(true);
    expect(v.tables).toEqual([{ id: 'ip gw-v', inSync: true, missing: false, structural: [], semantic: [] }]);
  });

  it('neither parses nor imports the listing a verified write saw; a listing as rendered is not imported; any other is', async () => {
    const want = renderedTable(intent.ruleset.tables[0]!).form;
    const read = (form = want) => readOwned(['ip gw-v'], { netns: ns.name, owner: 'nftlens', expect: () => form });
    const k = (await read()).owned.get('ip gw-v')!;
    expect(k.print).toMatch(/^[0-9a-f]{24}$/);
    expect(k.mark).toEqual({ owner: 'nftlens', digest: intentDigest(intent.ruleset.tables[0]!), seen: k.print }); // recorded by apply
    expect(k.holdsIntent).toBe('seen');
    expect(k.table).toBeUndefined(); // not imported
    // a counter that moved changes nothing
    await ns.nft(['replace', 'rule', 'ip', 'gw-v', 'gate', 'handle', await handleOf('allow-db'), 'ip', 'daddr', '10.42.2.0/24', 'counter', 'packets', '5', 'bytes', '500', 'accept', 'comment', '"allow-db"']);
    expect((await read()).owned.get('ip gw-v')!.holdsIntent).toBe('seen');
    // a mark without seen=: the listing's form is the rendered intent's
    const marker = /handle (\d+)\s*$/m.exec((await ns.nft(['-a', 'list', 'chain', 'ip', 'gw-v', 'nftlens-owner'])).split('\n').find((l) => l.includes('nftlens/v1'))!)![1]!;
    await ns.nft(['replace', 'rule', 'ip', 'gw-v', 'nftlens-owner', 'handle', marker, 'accept', 'comment', `"nftlens/v1 owner=nftlens digest=${k.mark!.digest}"`]);
    const asRendered = (await read()).owned.get('ip gw-v')!;
    expect(asRendered.holdsIntent).toBe('rendered');
    expect(asRendered.table).toBeUndefined();
    // a rule edited by hand is imported
    await ns.nft(['replace', 'rule', 'ip', 'gw-v', 'gate', 'handle', await handleOf('allow-db'), 'ip', 'daddr', '10.42.2.0/25', 'counter', 'accept', 'comment', '"allow-db"']);
    const edited = (await read()).owned.get('ip gw-v')!;
    expect(edited.holdsIntent).toBeUndefined();
    expect(edited.table).toBeDefined();
    // and a different intent never takes it
    const other = (await read({ text: 'x', fingerprint: '0'.repeat(24) })).owned.get('ip gw-v')!;
    expect(other.holdsIntent).toBeUndefined();
  });

  it("takes the seen= path only for the listing a verified write saw, when the kernel rewrote the rendered table", async () => {
    const rewritten = await intentOf(fc('gw-v', [{ name: 'allow-web', action: 'accept', dst: '10.42.1.15/32' }]));
    const t = rewritten.ruleset.tables[0]!;
    expect((await apply(rewritten, { netns: ns.name })).verify?.inSync).toBe(true);
    expect(await ns.nft(['list', 'table', 'ip', 'gw-v'])).toContain('ip daddr 10.42.1.15 counter'); // the kernel dropped the /32
    const read = (form = renderedTable(t).form) => readOwned(['ip gw-v'], { netns: ns.name, owner: 'nftlens', expect: () => form });
    const k = (await read()).owned.get('ip gw-v')!;
    expect(k.mark).toEqual({ owner: 'nftlens', digest: intentDigest(t), seen: k.print });
    expect(k.holdsIntent).toBe('seen');
    expect(k.table).toBeUndefined();
    await ns.nft(['replace', 'rule', 'ip', 'gw-v', 'gate', 'handle', await handleOf('allow-web'), 'ip', 'daddr', '10.42.1.16', 'counter', 'accept', 'comment', '"allow-web"']);
    expect((await read()).owned.get('ip gw-v')!.holdsIntent).toBeUndefined();
    expect((await verify(rewritten, { netns: ns.name })).inSync).toBe(false);
  });

  it('finds a rule replaced by hand that kept its comment, with a witness the engine confirms', async () => {
    const h = await handleOf('allow-web');
    await ns.nft(['replace', 'rule', 'ip', 'gw-v', 'gate', 'handle', h, 'ip', 'daddr', '10.42.1.0/24', 'counter', 'accept', 'comment', '"allow-web"']);
    const v = await verify(intent, { netns: ns.name });
    expect(v.inSync).toBe(false);
    const t = v.tables[0]!;
    expect(t.structural.join('\n')).toContain('rule #1');
    expect(t.semantic.length).toBeGreaterThan(0);
    const change = t.semantic[0]!;
    expect([change.before.verdict, change.after.verdict]).toEqual(['drop', 'accept']);
    expect(new ReferenceEngine(intent.ruleset).evaluate(change.witness).verdict).toBe('drop');
  });

  it('finds a deleted rule', async () => {
    await ns.nft(['delete', 'rule', 'ip', 'gw-v', 'gate', 'handle', await handleOf('allow-db')]);
    const v = await verify(intent, { netns: ns.name });
    expect(v.inSync).toBe(false);
    expect(v.tables[0]!.structural.join('\n')).toMatch(/rule #2: .*allow-db.*\(no rule\)/);
    expect(v.tables[0]!.semantic[0]!.after.verdict).toBe('drop');
  });

  it('finds a flushed chain, and a deleted table', async () => {
    await ns.nft(['flush', 'chain', 'ip', 'gw-v', 'gate']);
    const v = await verify(intent, { netns: ns.name });
    expect(v.inSync).toBe(false);
    expect(v.tables[0]!.structural).toHaveLength(2);
    await ns.nft(['delete', 'table', 'ip', 'gw-v']);
    const gone = await verify(intent, { netns: ns.name });
    expect(gone.tables[0]).toMatchObject({ inSync: false, missing: true });
  });

  it('lists each table of the intent by one nft run, and nothing else than the start check', async () => {
    const two = await intentOf(`${POLICY}---\n${fc('gw-v2', [{ name: 'allow-dns', action: 'accept', dst: '10.42.9.53' }], { name: 'second' })}`);
    expect((await apply(two, { netns: ns.name })).verify?.inSync).toBe(true);
    const log = join(scratch, `${ns.name}-nft-runs`);
    const logging = fakeNft(`echo "$*" >> '${log}'\nexec "${realNft}" "$@"`);
    const runs = async () => {
      writeFileSync(log, '');
      const v = await withPath(logging, () => verify(two, { netns: ns.name }));
      return { v, args: readFileSync(log, 'utf8').trim().split('\n') };
    };
    const converged = await runs();
    expect(converged.v.inSync).toBe(true);
    // the start check (version, JSON) and one listing per table: no \`list tables\`
    expect(converged.args.map((a) => a.replace(/ \S*batch\.json$/, ' BATCH')).sort()).toEqual(['--version', '-j -f BATCH', '-j -f BATCH', '-j list flowtables']);
    await ns.nft(['delete', 'table', 'ip', 'gw-v2']);
    const missing = await runs();
    expect(missing.v.tables.map((t) => [t.id, t.inSync, t.missing])).toEqual([['ip gw-v', true, false], ['ip gw-v2', false, true]]);
  });

  it('many tables: one listing of the ruleset, split by table, with a foreign table beside them', async () => {
    const names = ['gw-m0', 'gw-m1', 'gw-m2', 'gw-m3', 'gw-m4'];
    const many = await intentOf(names.map((t, i) => fc(t, [{ name: 'allow', action: 'accept', dst: `10.43.${i}.1` }], { name: t })).join('---\n'));
    await ns.nft(['add', 'table', 'ip', 'foreign']);
    await ns.nft(['add', 'chain', 'ip', 'foreign', 'c']);
    await ns.nft(['add', 'rule', 'ip', 'foreign', 'c', 'tcp', 'dport', '22', 'limit', 'rate', '5/second', 'accept']);
    expect((await apply(many, { netns: ns.name })).verify?.inSync).toBe(true);
    const log = join(scratch, `${ns.name}-nft-runs-many`);
    writeFileSync(log, '');
    const logging = fakeNft(`echo "$*" >> '${log}'\nexec "${realNft}" "$@"`);
    const v = await withPath(logging, () => verify(many, { netns: ns.name }));
    expect(v.inSync).toBe(true);
    expect(readFileSync(log, 'utf8').trim().split('\n').filter((a) => a.endsWith('batch.json'))).toHaveLength(1);
    await ns.nft(['flush', 'chain', 'ip', 'gw-m3', 'gate']);
    await ns.nft(['delete', 'table', 'ip', 'gw-m4']);
    const drift = await verify(many, { netns: ns.name });
    expect(drift.tables.map((t) => [t.id, t.inSync, t.missing])).toEqual(names.map((t) => [`ip ${t}`, t !== 'gw-m3' && t !== 'gw-m4', t === 'gw-m4']));
    const healed = await apply(many, { netns: ns.name });
    expect(healed.verify?.inSync).toBe(true);
    expect(await ns.nft(['list', 'table', 'ip', 'foreign'])).toMatch(/limit rate 5\/second/);
    await ns.nft(['delete', 'table', 'ip', 'foreign']);
  });

  it('a construct nftlens does not model, added by hand to an owned table: NftUnsupported in verify, replaced by apply', async () => {
    await ns.nft(['add', 'rule', 'ip', 'gw-v', 'gate', 'tcp', 'dport', '22', 'ip', 'dscp', 'cs1', 'accept']);
    const v = await verify(intent, { netns: ns.name });
    expect(v.inSync).toBe(false);
    expect(v.tables[0]!.structural.join('\n')).toMatch(/cannot be read back[\s\S]*NFT_UNSUPPORTED/);
    const records = statusRecords(intent, { verify: v }, 'gw');
    expect(records[0]!.conditions[0]).toMatchObject({ type: 'InSync', status: 'False', reason: 'NftUnsupported' });
    const r = await apply(intent, { netns: ns.name });
    expect(r.plan.tables[0]!.action).toBe('replace');
    expect(r.verify?.inSync).toBe(true);
  });
});
