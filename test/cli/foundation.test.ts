import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/main.js';
import { cli } from '../support/cli.js';
import { sharedCorpus } from '../support/corpus.js';

const shared = sharedCorpus('fixtures/');
const fixtures = shared ?? '';

describe('nftlens validate', () => {
  it('accepts the embedded examples when no -f is given', async () => {
    const r = await cli(['validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('examples/provider-protect-multi-consumer.yaml: FirewallConfiguration liqo/provider-protection → table ip provider-protection');
    expect(r.stdout).toMatch(/valid: 2 file\(s\), 2 tables, 2 chains \(2 base\), 14 rules, 0 warning\(s\)/);
  });

  it.skipIf(!shared)('accepts every valid Liqo fixture, from a folder', async () => {
    const r = await cli(['validate', '-f', fixtures + 'liqo/valid', '-o', 'json']);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as { valid: boolean; files: string[]; resources: unknown[] };
    expect(data.valid).toBe(true);
    expect(data.files).toHaveLength(14);
  });

  it.skipIf(!shared)('rejects an invalid resource with one located line per error and exit 2', async () => {
    const r = await cli(['validate', '-f', fixtures + 'liqo/invalid/invalid-ip.yaml']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^error\[LIQO_IP\] .*invalid-ip\.yaml:\d+:\d+ resource liqo-tenant-venice\/venice-invalid-ip, table ip provider-protection-venice, chain offloaded-pods-only, rule allow-venice-to-10-42-300-15, field spec\.table\.chains\[0\]\.rules\.filterRules\[0\]\.match\[1\]\.ip\.value: /,
    );
  });

  it('names a missing file', async () => {
    const r = await cli(['validate', '-f', '/nonexistent/x.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error[INPUT_READ] /nonexistent/x.yaml: cannot read: ENOENT\n');
  });

  it('says what a document is not', async () => {
    const r = await cli(['validate', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[INPUT_KIND\] -:1:1: expected a FirewallConfiguration .*found kind "ConfigMap"/);
  });

  it.skipIf(!shared)('fails --strict on warnings', async () => {
    const yaml = readFileSync(fixtures + 'liqo/valid/schema-inet-input-and-route.yaml', 'utf8');
    const lax = await cli(['validate', '-f', '-'], yaml);
    const strict = await cli(['validate', '--strict', '-f', '-'], yaml);
    expect(lax.code).toBe(0);
    expect(lax.stderr).toMatch(/warning\[LIQO_QUIRK\]/);
    expect(strict.code).toBe(1);
  });
});

describe('nftlens render and import', () => {
  it('renders nft text and an atomic nft JSON transaction', async () => {
    const text = await cli(['render']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('table ip provider-protection {');
    expect(text.stdout).toContain('type filter hook forward priority 0; policy drop;');
    const json = await cli(['render', '-o', 'json']);
    const doc = JSON.parse(json.stdout) as { nftables: Record<string, unknown>[] };
    const verbs = doc.nftables.map((c) => Object.keys(c)[0]);
    expect(verbs.filter((v) => v === 'delete')).toHaveLength(2); // one replace per table
    expect(verbs.filter((v) => v === 'add').length).toBeGreaterThan(14);
  });

  it.skipIf(!shared)('imports nft JSON from stdin into the model', async () => {
    const json = readFileSync(fixtures + 'nftables/basic/sets-0053echo_0.json', 'utf8');
    const r = await cli(['import'], json);
    expect(r.code).toBe(0);
    const model = parse(r.stdout) as { tables: { family: string; chains: { rules: unknown[] }[] }[] };
    expect(model.tables[0]!.family).toBe('inet');
    expect(model.tables[0]!.chains[0]!.rules).toHaveLength(1);
    expect(r.stdout).not.toContain('origin');
    const withOrigins = await cli(['import', '--origins', '-o', 'json'], json);
    expect(withOrigins.stdout).toContain('"origin"');
  });

  it.skipIf(!shared)('names exactly what an advanced ruleset does not support', async () => {
    const r = await cli(['import', '-f', fixtures + 'nftables/advanced/optimizations-merge_vmap_raw.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[NFT_UNSUPPORTED\] .*optimizations-merge_vmap_raw\.json.*table inet x, chain nat_dns_acme, rule handle \d+.*udp length/);
  });
});

describe('every command', () => {
  const silent = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
  const names = buildProgram(silent).commands.map((c) => c.name());
  it.each(names)('%s has --help', async (name) => {
    const r = await cli([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: nftlens ${name} `));
  });
});

describe('nftlens check (the main job)', () => {
  it('validates, analyses, checks isolation and renders the embedded examples', async () => {
    const r = await cli(['check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# nftlens check: 2 file\(s\), 2 tables, 2 chains \(2 base\), 14 rules$/m);
    expect(r.stdout).toContain('## validation: valid, 0 warning(s)');
    expect(r.stdout).toMatch(/^## analysis: 4 error\(s\), \d+ warning\(s\)/m);
    expect(r.stdout).toContain('## isolation (examples/tenants)\nnftlens isolation: 2 tenant(s), ISOLATED');
    expect(r.stdout).toContain('## what nft would install\ntable ip provider-protection {');
  });

  it('skips isolation for other inputs unless --tenants is given', async () => {
    const r = await cli(['check', '-f', 'examples/provider-protect-multi-consumer.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('## analysis: 0 error(s), 0 warning(s), 0 info');
    expect(r.stdout).not.toContain('## isolation');
  });
});
