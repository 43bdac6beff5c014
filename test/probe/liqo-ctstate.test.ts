// The kernel as judge of a Liqo ctstate match: a FirewallConfiguration that admits replies
// (op neq: neither new, invalid nor untracked) and new connections to port 80 only (op eq), probed
// with packets whose conntrack state is new or established. The probe must agree with the engine,
// and both must give the expected delivery.
import { describe, expect, it } from 'vitest';
import { noKernel } from '../support/kernel.js';
import { filterDoc } from '../support/liqo-doc.js';
import { probe } from '../../src/probe/probe.js';
import { formatReport } from '../../src/probe/report.js';
import { parsePacket } from '../../src/engine/packet.js';
import { parseFirewallConfigurations } from '../../src/frontends/liqo/index.js';

const RULES = [
  '{name: replies, action: accept, match: [{op: neq, ctstate: {value: [new, invalid, untracked]}}]}',
  '{name: web, action: accept, match: [{op: eq, proto: {value: tcp}, port: {position: dst, value: "80"}, ctstate: {value: [new]}}]}',
];

describe.skipIf(noKernel)('probe: Liqo ctstate, engine against kernel', () => {
  it('new connections only to port 80; replies (established) both ways', async () => {
    const ruleset = parseFirewallConfigurations(filterDoc(RULES), 'ctstate.yaml').ruleset;
    const cases: [string, boolean][] = [
      ['tcp 10.1.0.5:4000 -> 10.42.0.5:80 iif eth0 oif eth1 ct new flags syn', true],
      ['tcp 10.1.0.5:4001 -> 10.42.0.5:22 iif eth0 oif eth1 ct new flags syn', false],
      ['tcp 10.42.0.5:80 -> 10.1.0.5:4002 iif eth1 oif eth0 ct established flags syn,ack', true],
      ['tcp 10.42.0.5:22 -> 10.1.0.5:4003 iif eth1 oif eth0 ct new flags syn', false],
      ['udp 10.42.0.5:5353 -> 10.1.0.5:4004 iif eth1 oif eth0 ct new', false],
    ];
    const report = await probe(ruleset, cases.map(([t]) => parsePacket(t)), { prefix: 'lct' });
    const text = formatReport(report);
    expect(report, text).toMatchObject({ skipped: 0, compared: cases.length });
    expect(report.ok, text).toBe(true);
    cases.forEach(([t, delivered], i) => {
      const o = report.packets.find((x) => x.index === i && x.role === 'probe')!;
      expect(o.kernel?.delivered, `${t}\n${text}`).toBe(delivered);
    });
  });
});
