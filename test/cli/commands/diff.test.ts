// `nftlens diff OLD NEW` end to end: no change (exit 0), a change as cubes with a witness (exit 1),
// --by-rule, JSON.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nftlens-diff-'));
const multi = 'examples/provider-protect-multi-consumer.yaml';
const changed = join(dir, 'changed.yaml');
writeFileSync(changed, readFileSync(multi, 'utf8').replace('value: 10.42.3.21\n', 'value: 10.42.3.0/24\n'));

describe('nftlens diff', () => {
  it('the same policy: nothing changes (exit 0)', async () => {
    const r = await cli(['diff', multi, multi]);
    expect(r.stdout).toContain('no packet changes verdict');
    expect(r.code).toBe(0);
  });

  it('a widened destination: drop → accept for naples to 10.42.3.0/24, with a witness', async () => {
    const r = await cli(['diff', multi, changed]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('drop → accept');
    expect(r.stdout).toMatch(/10\.113\.0\.0\/16 -> .*10\.42\.3\.0.*: drop → accept/);
    expect(r.stdout).toMatch(/witness  tcp 10\.113\.0\.1:1024 -> 10\.42\.3\.\d+:80 iif liqo-tunnel/);
    const j = JSON.parse((await cli(['diff', multi, changed, '-o', 'json', '--by-rule'])).stdout);
    expect(j.changed).toBe(true);
    expect(j.changes[0].before.decidedBy).toBe('ip provider-protection offloaded-pods-only policy drop');
    expect(j.changes[0].after.decidedBy).toBe('ip provider-protection offloaded-pods-only rule allow-naples-to-10-42-3-21');
  });
});
