// A probe that compares nothing is not a pass: probe() fails (ok false, exit 1 in the CLI) when
// fewer than the least compared share of the given packets could be sent and judged, and says
// how many were compared and skipped, and why.
import { describe, expect, it } from 'vitest';
import { noKernel } from '../support/kernel.js';
import { parsePacket } from '../../src/engine/packet.js';
import { MIN_COMPARED, probe } from '../../src/probe/probe.js';
import { formatReport, reportJson } from '../../src/probe/report.js';
import type { Ruleset } from '../../src/model/ruleset.js';

const O = {};
const ruleset: Ruleset = {
  tables: [{
    family: 'ip', name: 'f', origin: O, chains: [{
      name: 'fw', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'accept' }, origin: O, rules: [
        { exprs: [{ kind: 'match', field: 'th dport', op: '==', value: 22, origin: O }, { kind: 'counter', origin: O }], verdict: { kind: 'drop', origin: O }, origin: O },
      ],
    }],
  }],
};
const sendable = (n: number) => Array.from({ length: n }, (_, i) => parsePacket(`tcp 10.1.0.${i + 1}:4000 -> 10.42.0.5:${i % 2 ? 22 : 80} iif eth0 oif eth1`));
/** Locally generated packets: the probe sends from outside, so it skips them. */
const unsendable = (n: number) => Array.from({ length: n }, (_, i) => parsePacket(`tcp 10.1.1.${i + 1}:4000 -> 10.42.0.5:80 local`));

describe('probe: the least compared share', () => {
  it('defaults to 90%', () => expect(MIN_COMPARED).toBe(0.9));

  it('fails when no packet could be compared, and says why', async () => {
    const report = await probe(ruleset, unsendable(3));
    expect(report).toMatchObject({ ok: false, compared: 0, skipped: 3, enoughCompared: false, mismatches: 0, sent: 0 });
    const text = formatReport(report);
    expect(text).toMatch(/^TOO FEW COMPARED: 0 packet\(s\) probed/m);
    expect(text).toMatch(/compared 0 of 3 given packet\(s\) \(0%\), skipped 3; at least 90% must be compared — not reached/);
    expect(text).toMatch(/SKIPPED #0: .*\n {2}not sent: the probe sends packets from outside the gateway/);
    expect(reportJson(report)).toMatchObject({ ok: false, summary: { compared: 0, skipped: 3, minCompared: 0.9, enoughCompared: false } });
  });

  it('fails on no packets at all, even with a share of 0', async () => {
    expect((await probe(ruleset, [], { minCompared: 0 })).ok).toBe(false);
  });

  it('refuses a share outside 0–1', async () => {
    await expect(probe(ruleset, sendable(1), { minCompared: 1.5 })).rejects.toThrow(/between 0 and 1/);
  });
});

describe.skipIf(noKernel)('probe: the least compared share, against the kernel', () => {
  it('fails under the share although every compared packet matched, and passes with a lower one', async () => {
    const packets = [...sendable(4), ...unsendable(2)];
    const strict = await probe(ruleset, packets, { prefix: 'share' });
    expect(strict.mismatches, formatReport(strict)).toBe(0);
    expect(strict).toMatchObject({ ok: false, compared: 4, skipped: 2, enoughCompared: false });
    expect(formatReport(strict)).toMatch(/compared 4 of 6 given packet\(s\) \(67%\), skipped 2/);
    const lenient = await probe(ruleset, packets, { prefix: 'share', minCompared: 0.6 });
    expect(lenient).toMatchObject({ ok: true, compared: 4, skipped: 2, enoughCompared: true });
    expect(formatReport(lenient)).toMatch(/^OK: 4 packet\(s\) probed/m);
  }, 60_000);

  it('passes when every packet is compared', async () => {
    const report = await probe(ruleset, sendable(4), { prefix: 'share' });
    expect(report, formatReport(report)).toMatchObject({ ok: true, compared: 4, skipped: 0, enoughCompared: true });
  }, 60_000);
});
