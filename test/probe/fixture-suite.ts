// Test helper: probes fixture files one after another in one shared topology (namespaces are the
// costly part), each with a packet built from every rule's match values plus random ones. The
// engine and the kernel must agree on every packet and every counter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { noKernel } from '../support/kernel.js';
import { sharedCorpus } from '../support/corpus.js';
import { loadRuleset } from '../../src/frontends/load.js';
import { probe } from '../../src/probe/probe.js';

/**
 * The least share of each case's packets that must be compared. Generated packets include replies
 * (ct established) of flows the policy drops: no real packet can be in that state, so they are
 * skipped, and a drop-policy ruleset can lose more than a tenth to that. Below 80% a case fails.
 */
const SUITE_MIN_COMPARED = 0.8;
import { generatePackets } from '../../src/probe/generate.js';
import { formatReport } from '../../src/probe/report.js';
import { realise } from '../../src/probe/realise.js';
import { Topology } from '../../src/probe/topology.js';

export const FIXTURES = sharedCorpus('fixtures');

/** The fixture files of a folder of the shared corpus; none without it. */
export function fixtureFiles(dir: string, ext: RegExp): string[] {
  if (!FIXTURES) return [];
  return readdirSync(join(FIXTURES, dir)).filter((f) => ext.test(f)).sort().map((f) => join(FIXTURES, dir, f));
}

export async function fixtureSuite(title: string, files: string[], random = 60): Promise<void> {
  const cases = await Promise.all(files.map(async (file, i) => {
    const { ruleset } = await loadRuleset([file]);
    return { file, ruleset, packets: generatePackets(ruleset, { random, seed: 1000 + i }) };
  }));
  const interfaces = new Set<string>();
  for (const c of cases) {
    for (const p of c.packets) if (realise(p).ok) interfaces.add(p.iifname).add(p.oifname);
  }
  describe.skipIf(noKernel || !FIXTURES)(title, () => {
    let topology: Topology;
    beforeAll(async () => {
      topology = await Topology.create({ interfaces: [...interfaces], prefix: 'fix' });
    });
    afterAll(async () => {
      await topology?.dispose();
    });
    it('has fixtures', () => expect(cases.length).toBeGreaterThan(0));
    for (const c of cases) {
      it(c.file.slice(FIXTURES!.length + 1), async () => {
        expect(c.packets.length).toBeGreaterThanOrEqual(random);
        const report = await probe(c.ruleset, c.packets, { topology, minCompared: SUITE_MIN_COMPARED });
        expect(report.ok, formatReport(report)).toBe(true);
        expect(report.compared / c.packets.length, formatReport(report)).toBeGreaterThanOrEqual(SUITE_MIN_COMPARED);
      });
    }
  });
}
