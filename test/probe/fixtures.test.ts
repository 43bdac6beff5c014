// Every valid Liqo fixture and every basic nftables fixture, probed with a packet built from each
// rule's match values plus random ones: the engine and the kernel must agree on every packet and
// every counter. Fixtures are read from the shared folder by path.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { noKernel } from '../support/kernel.js';
import { loadRuleset } from '../../src/frontends/load.js';
import { probe } from '../../src/probe/probe.js';
import { generatePackets } from '../../src/probe/generate.js';
import { formatReport } from '../../src/probe/report.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures');
const list = (dir: string, ext: RegExp): string[] => readdirSync(join(FIXTURES, dir)).filter((f) => ext.test(f)).sort().map((f) => join(FIXTURES, dir, f));

const files = [...list('liqo/valid', /\.ya?ml$/), ...list('nftables/basic', /\.json$/)];

describe.skipIf(noKernel).concurrent('probe: fixtures, engine against kernel', () => {
  for (const [i, file] of files.entries()) {
    it(file.slice(FIXTURES.length + 1), async () => {
      const { ruleset } = await loadRuleset([file]);
      const packets = generatePackets(ruleset, { random: 60, seed: 1000 + i });
      expect(packets.length).toBeGreaterThanOrEqual(60);
      const report = await probe(ruleset, packets, { prefix: 'fix' });
      expect(report.ok, formatReport(report)).toBe(true);
      expect(report.sent).toBeGreaterThan(0);
    });
  }
});
