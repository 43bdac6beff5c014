// Helpers of the gateway tests: intents from policy text, kernel listings of a namespace, fake
// `nft` programs first on PATH (fault injection), and small policies to apply.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadRuleset } from '../../../src/frontends/load.js';
import { intentFrom, type Intent } from '../../../src/backends/gateway/index.js';
import type { Netns } from '../../../src/backends/netns/netns.js';

export const scratch = mkdtempSync(join(tmpdir(), 'nftlens-gw-test-'));
let n = 0;

/** Writes text to a fresh file of the scratch folder and returns its path. */
export function policyFile(text: string, ext = 'yaml'): string {
  const file = join(scratch, `policy-${++n}.${ext}`);
  writeFileSync(file, text);
  return file;
}

export async function intentOf(text: string, ext = 'yaml'): Promise<Intent> {
  return intentFrom(await loadRuleset([policyFile(text, ext)]));
}

/** A FirewallConfiguration: one ip table, one forward chain, rules given as YAML lines. */
export function fc(table: string, rules: { name: string; action: string; dst: string }[], opts: { name?: string; generation?: number; policy?: string } = {}): string {
  const body = rules
    .map((r) => `          - name: ${r.name}\n            action: ${r.action}\n            counter: true\n            match:\n              - op: eq\n                ip: {position: dst, value: ${r.dst}}`)
    .join('\n');
  return `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata:
  name: ${opts.name ?? table}
  namespace: tenant
${opts.generation !== undefined ? `  generation: ${opts.generation}\n` : ''}spec:
  table:
    name: ${table}
    family: IPV4
    chains:
      - name: gate
        type: filter
        hook: forward
        priority: 0
        policy: ${opts.policy ?? 'drop'}
        rules:
          filterRules:
${body}
`;
}

/** The kernel's JSON listing of one table (through a JSON list command), or undefined. */
export async function listing(ns: Netns, family: string, name: string): Promise<string | undefined> {
  const file = policyFile(JSON.stringify({ nftables: [{ list: { table: { family, name } } }] }), 'json');
  try {
    return await ns.run('nft', ['-j', '-f', file]);
  } catch {
    return undefined;
  }
}

export async function tableNames(ns: Netns): Promise<string[]> {
  const doc = JSON.parse(await ns.nft(['-j', 'list', 'tables'])) as { nftables: { table?: { family: string; name: string } }[] };
  return doc.nftables.filter((o) => o.table).map((o) => `${o.table!.family} ${o.table!.name}`).sort();
}

/** A folder holding an executable `nft` with this shell script body. */
export function fakeNft(body: string): string {
  const dir = mkdtempSync(join(scratch, 'bin-'));
  const file = join(dir, 'nft');
  writeFileSync(file, `#!/bin/bash\n${body}\n`);
  chmodSync(file, 0o755);
  return dir;
}

export const realNft = execFileSync('bash', ['-c', 'command -v nft']).toString().trim();

/** Runs fn with dir first on PATH (spawned programs, `ip netns exec` included, see it). */
export async function withPath<T>(dir: string, fn: () => Promise<T>, replace = false): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = replace ? dir : `${dir}:${saved}`;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}
