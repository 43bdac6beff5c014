// The one-packet answer as JSON text (AnswerText): byte for byte what JSON.stringify makes of
// resultJson (what `nftlens eval -o json` writes), the first time a rule or chain decides and the
// times after (its part reused), for packets that end by a rule, by a policy and by no chain, IPv4
// and IPv6, with a trace and for one hook.
import { describe, expect, it } from 'vitest';
import { parsePacketLine } from '../../../src/engine/index.js';
import { resultJson } from '../../../src/engine/stream/format.js';
import { PolicyStore } from '../../../src/services/api/store.js';
import { PACKETS as SAMPLE_PACKETS } from './support.js';

// The service's sample packets, plus one no chain sees and a second of the first flow's kind.
const PACKETS = [
  ...SAMPLE_PACKETS,
  'udp 192.0.2.1:1 -> 198.51.100.2:2 iif eth9 oif eth8',
  'tcp 10.112.0.5:40001 -> 10.42.1.15:80 iif liqo-tunnel oif eth0',
];

describe('AnswerText', () => {
  it('writes what JSON.stringify writes of resultJson, first and later times, with and without trace and hook', async () => {
    const store = new PolicyStore();
    await store.load('examples', []);
    const { classifier: c, answers } = store.get('examples')!;
    const seen = new Set<string>();
    for (const opts of [{}, { trace: true }, { hook: 'forward' as const }]) {
      for (const line of [...PACKETS, ...PACKETS]) {
        const packet = parsePacketLine(line);
        const r = c.evaluate(packet, opts);
        const want = JSON.stringify(resultJson(c.plan, packet, r));
        expect(answers.write(packet, r)).toBe(want);
        seen.add(`${r.by}${r.trace ? ' trace' : ''}`);
      }
    }
    // The packets cover a rule's verdict and a policy's or no chain's, with and without a trace.
    expect(seen).toContain('rule');
    expect(seen).toContain('rule trace');
    expect([...seen].some((k) => k.startsWith('policy') || k.startsWith('none'))).toBe(true);
  });
});
