// The engine on the real-world rulesets it imports (../shared/fixtures/nftables/real-world): the
// packets that fixture README says are worth testing get the outcomes it gives — the verdict, the
// rule (by its comment, or its chain) and what NAT did. Docker dispatches through interface verdict
// maps to per-bridge chains, so these also check map lookups end to end. The host's own address
// is 203.0.113.1 (IPv6 2001:db8::1) on eth0; the bridge br-dummy holds 192.168.0.1 / fd49:efd7:54aa::ffff.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileRuleset, parsePacket, ReferenceEngine, type EvalResult, type Plan } from '../../src/engine/index.js';
import { importNftJson } from '../../src/frontends/nft-json/index.js';
import { sharedCorpus } from '../support/corpus.js';

const DIR = sharedCorpus('fixtures/nftables/real-world/');
const ENV = { interfaceAddresses: { eth0: ['203.0.113.1', '2001:db8::1'], 'br-dummy': ['192.168.0.1', 'fd49:efd7:54aa::ffff'] } };

interface Want {
  verdict: EvalResult['verdict'];
  /** A rule that ended a chain with the verdict, by its comment (or position and chain); `policy` when none did. */
  by: string;
  /** The packet after NAT: destination and source as `addr[:port]`. */
  to?: string;
  from?: string;
}

function outcomes(name: string, cases: Record<string, Want>): void {
  describe.skipIf(!DIR)(name, () => {
    const { ruleset } = importNftJson(readFileSync(`${DIR}${name}.json`, 'utf8'), `${name}.json`);
    const engine = compileRuleset(ruleset, ENV);
    const ref = new ReferenceEngine(ruleset, ENV);
    it.each(Object.entries(cases))('%s', (packet, want) => {
      const p = parsePacket(packet);
      const r = engine.evaluate(p, { trace: true });
      expect(r).toEqual(ref.evaluate(p, { trace: true }));
      const rules = deciders(engine.plan, r);
      const got: Want = { verdict: r.verdict, by: rules.includes(want.by) ? want.by : rules.join(', ') || 'policy' };
      const port = (a: string, n: number | undefined) => (n === undefined || p.l4proto === 1 ? a : a.includes(':') ? `[${a}]:${n}` : `${a}:${n}`);
      if (want.to) got.to = port(r.packet.daddr, r.packet.dport);
      if (want.from) got.from = port(r.packet.saddr, r.packet.sport);
      expect(got).toEqual(want);
    });
  });
}

/** The rules that ended a chain with accept, drop or reject, in the order the packet met them. */
function deciders(plan: Plan, r: EvalResult): string[] {
  return r.trace!.flatMap((e) => {
    if (e.kind !== 'verdict' || (e.verdict !== 'accept' && e.verdict !== 'drop' && e.verdict !== 'reject')) return [];
    const info = plan.rules[e.rule]!;
    return [info.rule.comment ?? `rule #${info.index + 1} of ${plan.chains[info.chain]!.chain.name}`];
  });
}

outcomes('docker-bridge-nat-dualstack', {
  'tcp 198.51.100.7:40000 -> 203.0.113.1:8080 iif eth0 oif br-dummy': { verdict: 'accept', by: 'rule #3 of filter-forward-in__br-dummy', to: '192.168.0.2:80' },
  'tcp 198.51.100.7:40000 -> 192.168.0.2:80 iif eth0 oif br-dummy': { verdict: 'drop', by: 'DROP DIRECT ACCESS' },
  'tcp 198.51.100.7:40000 -> 192.168.0.3:80 iif eth0 oif br-dummy': { verdict: 'drop', by: 'UNPUBLISHED PORT DROP' },
  'tcp 192.168.0.2:40000 -> 8.8.8.8:443 iif br-dummy oif eth0': { verdict: 'accept', by: 'OUTGOING', from: '203.0.113.1:40000' },
  'tcp 192.168.0.2:40000 -> 8.8.8.8:443 iif br-dummy oif eth0 ': { verdict: 'accept', by: 'MASQUERADE' },
  'tcp 192.168.0.3:40000 -> 192.168.0.2:80 iif br-dummy oif br-dummy': { verdict: 'accept', by: 'ICC' },
  'tcp 192.168.0.2:80 -> 198.51.100.7:40000 iif br-dummy oif eth0 ct established': { verdict: 'accept', by: 'rule #1 of filter-forward-out__br-dummy' },
  'tcp [2001:db8::7]:40000 -> [2001:db8::1]:8080 iif eth0 oif br-dummy': { verdict: 'accept', by: 'rule #3 of filter-forward-in__br-dummy', to: '[fd49:efd7:54aa::1]:80' },
  'tcp [fe80::7]:40000 -> [2001:db8::1]:8080 iif eth0 dst-local': { verdict: 'accept', by: 'policy', to: '[2001:db8::1]:8080' },
  'udp 198.51.100.7:40000 -> 203.0.113.1:53 iif eth1 dst-local': { verdict: 'accept', by: 'policy', to: '203.0.113.1:53' },
});

outcomes('docker-bridge-routed-icc-off', {
  'tcp 198.51.100.7:40000 -> 192.168.0.2:80 iif eth0 oif br-dummy': { verdict: 'accept', by: 'rule #4 of filter-forward-in__br-dummy', to: '192.168.0.2:80' },
  'tcp 198.51.100.7:40000 -> 192.168.0.2:22 iif eth0 oif br-dummy': { verdict: 'drop', by: 'UNPUBLISHED PORT DROP' },
  'icmp 198.51.100.7 -> 192.168.0.2 type 8 code 0 iif eth0 oif br-dummy': { verdict: 'accept', by: 'ICMP' },
  'tcp 192.168.0.2:40000 -> 8.8.8.8:443 iif br-dummy oif eth0': { verdict: 'accept', by: 'OUTGOING', from: '192.168.0.2:40000' },
  'tcp 192.168.0.3:40000 -> 192.168.0.2:80 iif br-dummy oif br-dummy': { verdict: 'drop', by: 'ICC' },
});
