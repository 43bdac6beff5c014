// Resources Liqo's webhook accepts but nft 1.0.6 or the kernel refuses (limits measured in
// namespaces: see src/model/nft-text.ts): each file in nft-refused/ names the code and location
// of the error nftlens must give at validation, before anything reaches nft.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/model/diagnostics.js';
import { errorsOf } from './fixtures.js';

const DIR = fileURLToPath(new URL('./nft-refused/', import.meta.url));

function header(text: string, key: string): string {
  const m = new RegExp(`^# ${key}: (.*)$`, 'm').exec(text);
  if (!m) throw new Error(`fixture has no "# ${key}:" header`);
  return m[1]!.trim();
}

describe('valid for Liqo, refused by nft: an error at validation, located', () => {
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    it(name, () => {
      const path = join(DIR, name);
      const text = readFileSync(path, 'utf8');
      const code = header(text, 'code');
      const where = Object.fromEntries(header(text, 'location').split(', ').map((p) => [p.slice(0, p.indexOf(' ')), p.slice(p.indexOf(' ') + 1)]));
      const errors = errorsOf(text, path);
      const hit = errors.find((d) => d.code === code && d.origin.field === where.field);
      expect(hit, `${code} at ${where.field}; got ${errors.map((d) => `${d.code} ${d.origin.field}`).join('; ')}`).toBeDefined();
      expect(hit!.severity).toBe('error');
      expect(hit!.origin).toMatchObject({ file: path, resource: `liqo-tenant-venice/${name.replace(/\.yaml$/, '')}` });
      expect(hit!.origin.line).toBeGreaterThan(4);
      if (where.chain) expect(hit!.origin.chain).toBe(where.chain);
      if (where.rule) expect(hit!.origin.rule).toBe(where.rule);
      // One line per error: nothing from the input breaks the diagnostic's line.
      expect(formatDiagnostic(hit!)).not.toMatch(/\n/);
    });
  }
});
