// What `ct state` and `ct mark` read in the symbolic evaluator for headers conntrack never tracks
// (ICMP in IPv6, ICMPv6 in IPv4: ct state invalid after conntrack, whatever state they were
// given, and no entry): on seeded random rulesets each such packet lies in the outcome the
// reference interpreter gives it, and random ruleset #336's ICMP-in-IPv6 witness is delivered.

import { describe, expect, it } from 'vitest';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import { makePacket, ReferenceEngine, type Packet } from '../../../src/engine/index.js';
import { generatePackets } from '../../../src/probe/generate.js';
import type { CtState } from '../../../src/model/values.js';
import { randomRuleset } from '../../probe/random-ruleset.js';

const ENV = { localAddresses: ['10.0.0.2'], interfaceAddresses: { eth1: ['192.0.2.1'], 'liqo-tunnel': ['10.200.0.1'] } };
const STATES: CtState[] = ['new', 'established', 'related', 'invalid', 'untracked'];

/** The ruleset's ICMP/ICMPv6 probe packets moved to the other protocol number, in every ct state. */
function crossed(seed: number): Packet[] {
  return generatePackets(randomRuleset(seed, { sets: false }), { random: 400, seed })
    .filter((p) => p.l4proto === 1 || p.l4proto === 58)
    .flatMap((p, i) => makePacket({ ...p, l4proto: p.family === 6 ? 1 : 58, ctState: STATES[i % STATES.length]!, ctMark: i % 3 }));
}

describe('symbolic ct state of untrackable headers agrees with the reference interpreter', () => {
  for (let seed = 1; seed <= 30; seed++) {
    it(`random ruleset #${seed}`, () => {
      const ruleset = randomRuleset(seed, { sets: false });
      const a = symbolicAnalysis(ruleset, ENV);
      const ref = new ReferenceEngine(ruleset, ENV);
      const r = a.evaluator.run();
      const packets = crossed(seed);
      expect(packets.length).toBeGreaterThan(20);
      for (const p of packets) {
        const want = ref.evaluate(p);
        const o = r.outcomes.find((x) => a.hs.member(x.space, p))!;
        expect({ verdict: o.verdict, by: o.by, rule: o.rule, chain: o.chain }, JSON.stringify(p)).toEqual({
          verdict: want.verdict, by: want.by, rule: want.rule, chain: want.chain,
        });
      }
    });
  }

  it('random ruleset #336: ICMP in IPv6 given ct new is not rejected by `ct state != { established, invalid }`', () => {
    const ruleset = randomRuleset(336, { sets: false });
    const a = symbolicAnalysis(ruleset);
    const p = makePacket({ saddr: 'fd00::1', daddr: 'fd00::2', l4proto: 1, sport: 4 << 8, iifname: 'eth0', oifname: 'eth0' });
    const o = a.evaluator.run().outcomes.find((x) => a.hs.member(x.space, p))!;
    expect(o.verdict).toBe('accept');
    expect(o.verdict).toBe(new ReferenceEngine(ruleset).evaluate(p).verdict);
  });
});
