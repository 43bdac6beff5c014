// Test helper: probes the seeded random rulesets `from`…`to` one after another in one shared
// topology (namespaces are the costly part), each with at least PACKETS packets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noKernel } from '../support/kernel.js';
import { probe } from '../../src/probe/probe.js';

/**
 * The least share of each case's packets that must be compared. Generated packets include replies
 * (ct established) of flows the policy drops: no real packet can be in that state, so they are
 * skipped, and a drop-policy ruleset can lose more than a tenth to that. Below 80% a case fails.
 */
const SUITE_MIN_COMPARED = 0.8;
import { generatePackets } from '../../src/probe/generate.js';
import { formatReport } from '../../src/probe/report.js';
import { Topology } from '../../src/probe/topology.js';
import { randomRuleset, RANDOM_INTERFACES } from './random-ruleset.js';

const PACKETS = 500;

export function randomSuite(from: number, to: number): void {
  describe.skipIf(noKernel)(`probe: random rulesets #${from}–#${to}, engine against kernel`, () => {
    let topology: Topology;
    beforeAll(async () => {
      topology = await Topology.create({ interfaces: RANDOM_INTERFACES, prefix: 'rnd' });
    });
    afterAll(async () => {
      await topology?.dispose();
    });
    for (let seed = from; seed <= to; seed++) {
      it(`random ruleset #${seed}`, async () => {
        const ruleset = randomRuleset(seed);
        const packets = generatePackets(ruleset, { random: PACKETS, seed });
        expect(packets.length).toBeGreaterThanOrEqual(PACKETS);
        const report = await probe(ruleset, packets, { topology, minCompared: SUITE_MIN_COMPARED });
        const shown = JSON.stringify(ruleset, (k, v: unknown) => (k === 'origin' ? undefined : v));
        expect(report.ok, `${shown}\n${formatReport(report)}`).toBe(true);
        expect(report.sent).toBeGreaterThanOrEqual(PACKETS * 0.9);
        expect(report.compared / packets.length, formatReport(report)).toBeGreaterThanOrEqual(SUITE_MIN_COMPARED);
      });
    }
  });
}
