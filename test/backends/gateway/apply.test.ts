// apply against the real kernel, in throwaway namespaces: one transaction, nothing written when
// the kernel holds the intent (handles and counters kept), foreign tables untouched, --adopt,
// --prune, nft refusing the batch (listing unchanged, culprit named by check-mode bisection),
// the kernel's own rewrites accepted, and rollback when the read-back differs.
import { describe, expect, it } from 'vitest';
import { apply, intentFrom, verify, OWNER_CHAIN } from '../../../src/backends/gateway/index.js';
import { loadRuleset } from '../../../src/frontends/load.js';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { join } from 'node:path';
import { fakeNft, fc, intentOf, listing, policyFile, realNft, scratch, tableNames, withPath } from './support.js';

const A = fc('gw-a', [
  { name: 'allow-web', action: 'accept', dst: '10.42.1.15' },
  { name: 'allow-db', action: 'accept', dst: '10.42.2.0/24' },
]);
const A2 = fc('gw-a', [
  { name: 'allow-web', action: 'accept', dst: '10.42.1.16' },
  { name: 'allow-db', action: 'accept', dst: '10.42.2.0/24' },
]);
const B = fc('gw-b', [{ name: 'deny-x', action: 'drop', dst: '10.9.9.9' }]);

describe.skipIf(noKernel)('apply (kernel)', () => {
  const ns = suiteNetns('gwapply');
  const opts = () => ({ netns: ns.name });

  it('writes every table with its marker, verifies, and writes nothing the second time (handles, counters kept)', async () => {
    // an output chain counts a UDP packet sent on loopback, so counters have something to keep
    const out = await intentOf(`{"nftables":[{"table":{"family":"ip","name":"gw-out"}},
      {"chain":{"family":"ip","table":"gw-out","name":"o","type":"filter","hook":"output","prio":0,"policy":"accept"}},
      {"rule":{"family":"ip","table":"gw-out","chain":"o","comment":"count-lo","expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":"127.0.0.1"}},{"counter":null},{"accept":null}]}}]}`, 'json');
    const first = await apply(out, opts());
    expect(first.written).toBe(true);
    expect(first.failure).toBeUndefined();
    expect(first.verify?.inSync).toBe(true);
    await ns.run('bash', ['-c', 'echo x > /dev/udp/127.0.0.1/9']);
    const before = await listing(ns, 'ip', 'gw-out');
    expect(before).toContain(OWNER_CHAIN);
    expect(before).toMatch(/"packets": [1-9]/);
    const second = await apply(out, opts());
    expect(second.written).toBe(false);
    expect(second.plan.tables.map((t) => t.action)).toEqual(['unchanged']);
    expect(second.verify?.inSync).toBe(true);
    expect(await listing(ns, 'ip', 'gw-out')).toBe(before); // same handles, same counter values
  });

  it('replaces a changed table; leaves foreign tables (even ones nftlens cannot model) alone', async () => {
    await ns.nft(['add', 'table', 'inet', 'foreign']);
    await ns.nft(['add', 'chain', 'inet', 'foreign', 'c', '{ type filter hook input priority 0; }']);
    await ns.nft(['add', 'rule', 'inet', 'foreign', 'c', 'tcp dport 22 limit rate 5/second accept']);
    const foreign = await listing(ns, 'inet', 'foreign');
    expect((await apply(await intentOf(A), opts())).verify?.inSync).toBe(true);
    const r = await apply(await intentOf(A2), opts());
    expect(r.plan.tables[0]).toMatchObject({ id: 'ip gw-a', action: 'replace' });
    expect(r.plan.tables[0]!.lines.join('\n')).toMatch(/- chain "gate" rule #1: ip daddr == 10\.42\.1\.15[\s\S]*\+ chain "gate" rule #1: ip daddr == 10\.42\.1\.16/);
    expect(r.verify?.inSync).toBe(true);
    expect(await listing(ns, 'inet', 'foreign')).toBe(foreign);
  });

  it('refuses a table it does not own, and takes it over with --adopt', async () => {
    await ns.nft(['add', 'table', 'ip', 'gw-b']);
    await ns.nft(['add', 'chain', 'ip', 'gw-b', 'mine', '{ type filter hook input priority 5; }']);
    const theirs = await listing(ns, 'ip', 'gw-b');
    const intent = await intentOf(B);
    await expect(apply(intent, opts())).rejects.toMatchObject({ code: 'GATEWAY_OWNER' });
    expect(await listing(ns, 'ip', 'gw-b')).toBe(theirs);
    const r = await apply(intent, { ...opts(), adopt: true });
    expect(r.verify?.inSync).toBe(true);
    const now = await listing(ns, 'ip', 'gw-b');
    expect(now).toContain(OWNER_CHAIN);
    expect(now).not.toContain('"mine"');
  });

  it('--prune deletes owned tables the input no longer has, never foreign ones', async () => {
    await apply(await intentOf(A + '---\n' + B), opts());
    const r = await apply(await intentOf(A), { ...opts(), prune: true });
    expect(r.plan.tables.find((t) => t.id === 'ip gw-b')?.action).toBe('delete');
    expect(r.failure).toBeUndefined();
    const names = await tableNames(ns);
    expect(names).toContain('ip gw-a');
    expect(names).not.toContain('ip gw-b');
    expect(names).toContain('inet foreign');
  });

  it('a batch nft refuses (its last rule invalid) changes nothing; the failing rule is named', async () => {
    await apply(await intentOf(A), opts());
    const before = await listing(ns, 'ip', 'gw-a');
    // Liqo's front end refuses an interface name nft cannot take; a listing given as nft JSON is
    // taken as the kernel would list it, so the refusal comes from nft itself.
    const iif = { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'interface-name-longer-than-16' } };
    const bad = JSON.stringify({ nftables: [
      { table: { family: 'ip', name: 'gw-c' } },
      { chain: { family: 'ip', table: 'gw-c', name: 'gate', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
      { rule: { family: 'ip', table: 'gw-c', chain: 'gate', handle: 7, comment: 'ok', expr: [iif, { accept: null }] } },
    ] });
    const r = await apply(intentFrom(await loadRuleset([policyFile(A2), policyFile(bad, 'json')])), opts());
    expect(r.written).toBe(false);
    expect(r.failure?.reason).toBe('NftError');
    expect(r.failure?.origin).toMatchObject({ table: 'ip gw-c', chain: 'gate', rule: 'handle 7' });
    expect(await listing(ns, 'ip', 'gw-a')).toBe(before);
    expect(await tableNames(ns)).not.toContain('ip gw-c');
  });

  it("accepts the kernel's rewrites: a /32, host bits of a prefix, meta l4proto tcp th dport, set order", async () => {
    const m = (left: object, right: unknown) => ({ match: { op: '==', left, right } });
    const saddr = { payload: { protocol: 'ip', field: 'saddr' } };
    const rules = [
      [m(saddr, { prefix: { addr: '10.0.0.1', len: 32 } }), { accept: null }],
      [m({ payload: { protocol: 'ip', field: 'daddr' } }, { prefix: { addr: '10.1.2.3', len: 16 } }), { drop: null }],
      [m({ meta: { key: 'l4proto' } }, 'tcp'), m({ payload: { protocol: 'th', field: 'dport' } }, 80), { accept: null }],
      [m(saddr, { set: ['10.9.0.3', '10.9.0.1', { prefix: { addr: '10.8.0.0', len: 16 } }] }), { drop: null }],
    ].map((expr, i) => ({ rule: { family: 'ip', table: 'norm', chain: 'c', comment: `r${i}`, expr } }));
    const doc = { nftables: [{ table: { family: 'ip', name: 'norm' } }, { chain: { family: 'ip', table: 'norm', name: 'c', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } }, ...rules] };
    const intent = await intentOf(JSON.stringify(doc), 'json');
    const r = await apply(intent, opts());
    expect(r.verify?.inSync).toBe(true);
    const text = await ns.nft(['list', 'table', 'ip', 'norm']);
    expect(text).toContain('ip saddr 10.0.0.1 accept'); // the kernel dropped the /32
    expect(text).toContain('tcp dport 80 accept'); // and lists l4proto + th as tcp dport
    expect(text).toContain('{ 10.8.0.0/16, 10.9.0.1, 10.9.0.3 }'); // sorted
    expect((await verify(intent, opts())).inSync).toBe(true);
  });

  it('restores the previous state in one transaction when the read-back differs (a writer interfering)', async () => {
    await apply(await intentOf(A), opts());
    const before = await listing(ns, 'ip', 'gw-a');
    // nft that, once, lets the batch through and then deletes the table's first rule behind nftlens's back
    const flag = join(scratch, `${ns.name}-sabotaged`);
    const dir = fakeNft(`
"${realNft}" "$@" || exit $?
if [ "$1" = -j ] && [ "$2" = -f ] && grep -q '"add"' "$3" && [ ! -e '${flag}' ]; then
  touch '${flag}'
  h=$("${realNft}" -a list chain ip gw-a gate | grep 'comment "allow-db"' | grep -o 'handle [0-9]*' | cut -d' ' -f2)
  "${realNft}" delete rule ip gw-a gate handle "$h"
fi`);
    const intent = await intentOf(A2);
    const r = await withPath(dir, () => apply(intent, opts()));
    expect(r.rolledBack).toBe(true);
    expect(r.failure?.reason).toBe('RolledBack');
    expect(r.verify?.inSync).toBe(false);
    const after = await listing(ns, 'ip', 'gw-a');
    const noHandles = (s?: string) => s?.replace(/"handle": \d+/g, '');
    expect(noHandles(after)).toBe(noHandles(before));
    expect((await verify(await intentOf(A), opts())).inSync).toBe(true);
  });
});
