// verify against the real kernel: in sync after apply; a rule replaced by hand keeping its
// comment, a deleted rule and a flushed chain are each found — structurally, and as behaviour
// differences with witness packets the engine confirms.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Netns } from '../../../src/backends/netns/netns.js';
import { apply, verify, type Intent } from '../../../src/backends/gateway/index.js';
import { ReferenceEngine } from '../../../src/engine/index.js';
import { noKernel } from '../../support/kernel.js';
import { fc, intentOf } from './support.js';

const POLICY = fc('gw-v', [
  { name: 'allow-web', action: 'accept', dst: '10.42.1.15' },
  { name: 'allow-db', action: 'accept', dst: '10.42.2.0/24' },
]);

describe.skipIf(noKernel)('verify (kernel)', () => {
  let ns: Netns;
  let intent: Intent;
  beforeAll(async () => {
    ns = await Netns.create('gwverify');
    intent = await intentOf(POLICY);
  });
  afterAll(async () => {
    await ns?.dispose();
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
});
