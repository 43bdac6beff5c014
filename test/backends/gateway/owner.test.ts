// The ownership marker and the plan, without a kernel: the marker comment round trip, digests
// equal exactly for the same canonical intent, the reserved chain name, and plans per table.
import { describe, expect, it } from 'vitest';
import {
  intentDigest, ownerComment, parseOwnerComment, planApply, formatPlan, OWNER_CHAIN, type KernelState,
} from '../../../src/backends/gateway/index.js';
import { apply } from '../../../src/backends/gateway/index.js';
import { fc, intentOf } from './support.js';

const one = (dst: string) => fc('gw-o', [{ name: 'r', action: 'accept', dst }]);

describe('ownership marker', () => {
  it('round-trips owner and digest; anything else is not a mark', () => {
    const m = { owner: 'team.a-1', digest: 'abcdef0123456789abcdef01' };
    expect(parseOwnerComment(ownerComment(m))).toEqual(m);
    expect(ownerComment(m).length).toBeLessThanOrEqual(128); // nft's comment limit
    for (const s of [undefined, '', 'nftlens/v1 owner=x', 'nftlens/v1 owner=a b digest=abcdef0123456789abcdef01', `${ownerComment(m)}\n`]) {
      expect(parseOwnerComment(s)).toBeUndefined();
    }
  });

  it('digests agree exactly when the rendered intent does', async () => {
    const [a, b, c] = await Promise.all([intentOf(one('10.0.0.1')), intentOf(one('10.0.0.1') + '\n# a comment\n'), intentOf(one('10.0.0.2'))]);
    const d = (i: typeof a) => intentDigest(i.ruleset.tables[0]!);
    expect(d(a)).toBe(d(b));
    expect(d(a)).not.toBe(d(c));
  });

  it('refuses an input chain named like the marker chain, and a bad owner name, before touching nft', async () => {
    const intent = await intentOf(one('10.0.0.1').replace('- name: gate', `- name: ${OWNER_CHAIN}`));
    await expect(apply(intent, { netns: 'never-used' })).rejects.toMatchObject({ code: 'GATEWAY_RESERVED' });
    await expect(apply(intent, { owner: 'a b' })).rejects.toMatchObject({ code: 'GATEWAY_OWNER' });
  });
});

describe('planApply', () => {
  it('unchanged, replace (per rule), create and delete', async () => {
    const now = await intentOf(one('10.0.0.1'));
    const next = await intentOf(one('10.0.0.2') + '---\n' + fc('gw-new', [{ name: 'deny-new', action: 'drop', dst: '10.1.0.0/16' }]));
    const owner = 'nftlens';
    const mark = { owner, digest: intentDigest(now.ruleset.tables[0]!) };
    const state: KernelState = { owned: new Map([['ip gw-o', { id: 'ip gw-o', table: now.ruleset.tables[0], mark, raw: [], fingerprint: '' }]]), foreign: [] };
    expect(planApply(now, state, { owner }).changed).toBe(false);
    const p = planApply(next, state, { owner });
    expect(p.tables.map((t) => [t.id, t.action])).toEqual([['ip gw-o', 'replace'], ['ip gw-new', 'create']]);
    expect(p.tables[0]!.lines).toEqual([
      '- chain "gate" rule #1: ip daddr == 10.0.0.1 counter accept comment "r"',
      '+ chain "gate" rule #1: ip daddr == 10.0.0.2 counter accept comment "r"',
    ]);
    expect(formatPlan(p)).toContain('2 table(s) to change');
    const pruned = planApply({ ...next, ruleset: { tables: [next.ruleset.tables[1]!] } }, state, { owner, prune: true });
    expect(pruned.tables.find((t) => t.id === 'ip gw-o')?.action).toBe('delete');
    // another owner's mark is not ours: the table is rewritten even when it holds the intent
    const theirs: KernelState = { owned: new Map([['ip gw-o', { ...state.owned.get('ip gw-o')!, mark: { ...mark, owner: 'other' } }]]), foreign: [] };
    expect(planApply(now, theirs, { owner }).tables[0]!.action).toBe('replace');
  });
});
