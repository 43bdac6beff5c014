// `nftlens isolation` end to end: the embedded examples with examples/tenants are isolated
// (exit 0); a tenants file that makes venice own naples' pod shows a breach (exit 1) in text,
// JSON and SVG.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nftlens-iso-'));
const tenants = join(dir, 'tenants.yaml');
writeFileSync(tenants, `tenants:
  venice: { sources: [10.112.0.0/16], destinations: [10.42.1.15], interfaces: [liqo-tunnel] }
  naples: { sources: [10.113.0.0/16], destinations: [10.42.1.15, 10.42.3.21], interfaces: [liqo-tunnel] }
`);

describe('nftlens isolation', () => {
  it('embedded examples and examples/tenants: isolated', async () => {
    const r = await cli(['isolation']);
    expect(r.stdout).toContain('ISOLATED');
    expect(r.code).toBe(0);
  });

  it('a breach: exit 1, witness and accepting rule; JSON; SVG file', async () => {
    const svg = join(dir, 'm.svg');
    const r = await cli(['isolation', '-f', 'examples/provider-protect-multi-consumer.yaml', '--tenants', tenants, '--svg', svg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ venice → naples: accepted, decided by ip provider-protection offloaded-pods-only rule allow-venice-to-10-42-1-15');
    expect(r.stdout).toMatch(/witness  tcp 10\.112\.0\.1:1024 -> 10\.42\.1\.15:80 iif liqo-tunnel/);
    expect(readFileSync(svg, 'utf8')).toContain('BREACH');
    const j = await cli(['isolation', '-f', 'examples/provider-protect-multi-consumer.yaml', '--tenants', tenants, '-o', 'json']);
    const out = JSON.parse(j.stdout);
    expect(out.isolated).toBe(false);
    expect(out.breaches.map((b: { from: string; to: string }) => `${b.from}>${b.to}`)).toEqual(['venice>naples']);
    const s = await cli(['isolation', '-f', 'examples/provider-protect-multi-consumer.yaml', '--tenants', tenants, '-o', 'svg']);
    expect(s.stdout).toMatch(/^<svg/);
  });

  it('a bad tenants file is a located error (exit 2)', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'tenants:\n  x: { sources: [10.0.0.0/40], destinations: [] }\n');
    const r = await cli(['isolation', '--tenants', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tenant x');
  });
});
