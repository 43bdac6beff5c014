// `nftlens apply` end to end, in throwaway namespaces: exit codes (dry run 1/0, bad input 2,
// environment 3), JSON status records, --prune with a truncated input, the process killed
// mid-apply (the kernel holds old or new, never half; a re-apply converges), two applies at once,
// and hostile strings in every string field of a FirewallConfiguration.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../../../src/backends/gateway/index.js';
import { cli } from '../../support/cli.js';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { fakeNft, fc, intentOf, listing, policyFile, realNft, scratch, tableNames, withPath } from '../../backends/gateway/support.js';

const OLD = fc('gw-cli', [{ name: 'allow-web', action: 'accept', dst: '10.42.1.15' }], { generation: 7 });
const NEW = fc('gw-cli', [
  { name: 'allow-web', action: 'accept', dst: '10.42.1.16' },
  { name: 'allow-db', action: 'accept', dst: '10.42.2.0/24' },
], { generation: 8 });
const STACK = /\n\s+at .+:\d+:\d+\)?\n/;

/** The CLI as a separate process (bin/nftlens.js runs dist/, which `npm test` builds first). */
function spawnCli(args: string[], path?: string): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; out: string }> } {
  const child = spawn(process.execPath, ['bin/nftlens.js', ...args], {
    env: { ...process.env, ...(path ? { PATH: `${path}:${process.env.PATH}` } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; out: string }>((r) => child.once('close', (code, signal) => r({ code, signal, out })));
  return { child, done };
}

async function waitFor(file: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!existsSync(file)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${file}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(noKernel)('nftlens apply (kernel)', () => {
  const ns = suiteNetns('gwcli');
  const inSync = async (text: string) => (await verify(await intentOf(text), { netns: ns.name })).inSync;

  it('applies (0), then a dry run with nothing to change (0), a dry run with a change (1, per rule), status as JSON', async () => {
    const old = policyFile(OLD);
    const neu = policyFile(NEW);
    expect((await cli(['apply', '-f', old, '--netns', ns.name])).code).toBe(0);
    const same = await cli(['apply', '--dry-run', '-f', old, '--netns', ns.name]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('no change');
    const dry = await cli(['apply', '--dry-run', '-f', neu, '--netns', ns.name]);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain('+ chain "gate" rule #2: ip daddr == 10.42.2.0-10.42.2.255 counter accept comment "allow-db"');
    expect(await inSync(OLD)).toBe(true); // the dry run wrote nothing
    const r = await cli(['apply', '-f', neu, '--netns', ns.name, '-o', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.written).toBe(true);
    expect(j.status).toHaveLength(1);
    expect(j.status[0]).toMatchObject({ resource: 'tenant/gw-cli', kind: 'FirewallConfiguration', host: expect.stringContaining(ns.name) });
    expect(j.status[0].conditions).toEqual([
      expect.objectContaining({ type: 'Applied', status: 'True', reason: 'Applied', observedGeneration: 8, lastTransitionTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) }),
      expect.objectContaining({ type: 'InSync', status: 'True', reason: 'InSync', observedGeneration: 8 }),
    ]);
  });

  it('--prune with a truncated input deletes nothing (exit 2); with the whole input it prunes', async () => {
    const other = fc('gw-other', [{ name: 'deny', action: 'drop', dst: '10.9.9.9' }]);
    expect((await cli(['apply', '-f', policyFile(NEW + '---\n' + other), '--netns', ns.name])).code).toBe(0);
    const truncated = policyFile(NEW.slice(0, NEW.indexOf('rules:') + 20));
    const r = await cli(['apply', '--prune', '-f', policyFile(other), '-f', truncated, '--netns', ns.name]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[LIQO_SCHEMA\] .*policy-\d+\.yaml/);
    expect(await tableNames(ns)).toEqual(['ip gw-cli', 'ip gw-other']);
    expect((await cli(['apply', '--prune', '-f', policyFile(other), '--netns', ns.name])).code).toBe(0);
    expect(await tableNames(ns)).toEqual(['ip gw-other']);
  });

  it('nft missing: one NFT_ENV line, exit 3, nothing written', async () => {
    const empty = join(fakeNft('exit 0'), 'none');
    const r = await withPath(empty, () => cli(['apply', '-f', policyFile(OLD), '--netns', ns.name]), true);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error\[NFT_ENV\] nft: nft is not installed/);
    expect(r.stderr).not.toMatch(STACK);
    expect(await tableNames(ns)).toEqual(['ip gw-other']);
  });

  it('killed mid-apply, the kernel holds the old or the new policy whole; a re-apply converges', async () => {
    expect((await cli(['apply', '-f', policyFile(OLD), '--netns', ns.name])).code).toBe(0);
    for (const killWholeGroup of [true, false]) {
      const started = join(scratch, `${ns.name}-started-${killWholeGroup}`);
      const slow = fakeNft(`if [ "$1" = -j ] && [ "$2" = -f ] && grep -q '"add"' "$3"; then touch '${started}'; sleep 2; fi
exec "${realNft}" "$@"`);
      const { child, done } = spawnCli(['apply', '-f', policyFile(NEW), '--netns', ns.name], slow);
      await waitFor(started);
      // the whole group: nft never runs (old); only nftlens: its nft child still commits (new)
      process.kill(killWholeGroup ? -child.pid! : child.pid!, 'SIGKILL');
      expect((await done).signal).toBe('SIGKILL');
      await new Promise((r) => setTimeout(r, killWholeGroup ? 200 : 3000)); // an orphaned nft finishes
      const [old, neu] = [await inSync(OLD), await inSync(NEW)];
      expect(old !== neu).toBe(true); // exactly one of them, whole
      expect(neu).toBe(!killWholeGroup);
      const again = await cli(['apply', '-f', policyFile(OLD), '--netns', ns.name]);
      expect(again.code).toBe(0);
      expect(await inSync(OLD)).toBe(true);
    }
  });

  it('two applies at once: the lock serialises them; both succeed and the kernel holds one whole', async () => {
    const a = spawnCli(['apply', '-f', policyFile(OLD), '--netns', ns.name]);
    const b = spawnCli(['apply', '-f', policyFile(NEW), '--netns', ns.name]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(ra.out + rb.out).not.toContain('FAILED');
    const [old, neu] = [await inSync(OLD), await inSync(NEW)];
    expect(old !== neu).toBe(true);
  });
});

const HOSTILE = ['a"b; flush ruleset #', 'x\ny', 'z'.repeat(256), 'ünï€ode ✓', "' } delete table ip keep {"];
const FIELDS: [string, (doc: Record<string, any>, v: string) => void][] = [
  ['metadata.name', (d, v) => (d.metadata.name = v)],
  ['metadata.namespace', (d, v) => (d.metadata.namespace = v)],
  ['metadata.labels', (d, v) => (d.metadata.labels = { [v.slice(0, 60)]: v })],
  ['spec.table.name', (d, v) => (d.spec.table.name = v)],
  ['chain name', (d, v) => (d.spec.table.chains[0].name = v)],
  ['rule name', (d, v) => (d.spec.table.chains[0].rules.filterRules[0].name = v)],
  ['dev value', (d, v) => (d.spec.table.chains[0].rules.filterRules[0].match[0].dev.value = v)],
  ['ip value', (d, v) => (d.spec.table.chains[0].rules.filterRules[0].match[0] = { op: 'eq', ip: { position: 'dst', value: v } })],
];

function hostileDoc(set: (doc: Record<string, any>, v: string) => void, v: string): string {
  const doc = {
    apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration',
    metadata: { name: 'h', namespace: 'ns', labels: { a: 'b' } },
    spec: { table: { name: 'hostile', family: 'IPV4', chains: [{ name: 'c', type: 'filter', hook: 'forward', priority: 0, policy: 'accept',
      rules: { filterRules: [{ name: 'r1', action: 'drop', counter: true, match: [{ op: 'eq', dev: { position: 'in', value: 'eth0' } }] }] } }] } },
  };
  set(doc, v);
  return JSON.stringify(doc);
}

describe.skipIf(noKernel)('nftlens apply with hostile strings (kernel)', () => {
  const ns = suiteNetns('gwhostile');
  let keep: string | undefined;
  beforeAll(async () => {
    expect((await cli(['apply', '-f', policyFile(OLD.replaceAll('gw-cli', 'keep')), '--netns', ns.name])).code).toBe(0);
    keep = await listing(ns, 'ip', 'keep');
  });

  for (const [field, set] of FIELDS) {
    it(`in ${field}: no injection, a clear message or a verified apply, the previous state intact`, { timeout: 120_000 }, async () => {
      for (const v of HOSTILE) {
        const file = policyFile(hostileDoc(set, v), 'json');
        const r = await cli(['apply', '-f', file, '--netns', ns.name]);
        const said = r.stdout + r.stderr;
        expect(said).not.toMatch(STACK);
        expect([0, 2], `${field}=${JSON.stringify(v)}: ${said}`).toContain(r.code);
        if (r.code === 2) expect(said).toMatch(/error\[[A-Z_]+\] .*(resource|field)|FAILED \(NftError\)[\s\S]*at .*resource/);
        else expect((await cli(['verify', '-f', file, '--netns', ns.name])).code).toBe(0);
        expect(await listing(ns, 'ip', 'keep')).toBe(keep);
        const others = (await tableNames(ns)).filter((t) => t !== 'ip keep');
        expect(others.length).toBeLessThanOrEqual(1);
        // clean up through JSON, whatever the name
        const del = policyFile(JSON.stringify({ nftables: others.map((id) => ({ delete: { table: { family: id.split(' ')[0], name: id.slice(id.indexOf(' ') + 1) } } })) }), 'json');
        if (others.length) await ns.run('nft', ['-j', '-f', del]);
      }
    });
  }
});
