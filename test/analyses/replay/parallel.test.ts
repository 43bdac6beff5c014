// The replay pool reading a regular file in byte ranges (the workers read and scan their own
// ranges, lines numbered from 1 and shifted when merged): with ranges a few lines long, so most
// lines cross a range's end, the counts, groups and witnesses — their line numbers included —
// are one thread's reading the file as a stream, for conntrack and JSON lines, LF and CRLF; and a
// bad line in the second range, or in a later one, is the same first located error as one
// thread's. One thread reading the file in ranges (openFlows on a regular file) gives the same too.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { replayParallel } from '../../../src/analyses/replay/parallel.js';
import { Replay } from '../../../src/analyses/replay/replay.js';
import { compileRuleset } from '../../../src/engine/index.js';
import { flowsFrom, openFlows } from '../../../src/frontends/flows/index.js';
import { loadRuleset } from '../../../src/frontends/load.js';
import { prng } from '../../../src/model/prng.js';
import { tempFile } from '../../support/flows.js';

const multi = new URL('../../../examples/provider-protect-multi-consumer.yaml', import.meta.url).pathname;
const single = new URL('../../../examples/provider-protect-single-consumer.yaml', import.meta.url).pathname;
const defaults = { iif: 'liqo-tunnel', oif: 'liqo.abcdefghij', local4: new Set<number>(), local6: new Set<string>() };

interface F { s: string; d: string; udp: boolean; sport: number; dport: number; packets: number }
function flows(n: number, seed: number): F[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => {
    const udp = r() < 0.2;
    return {
      s: `10.${112 + Math.floor(r() * 3)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`,
      d: r() < 0.5 ? ['10.42.1.15', '10.42.3.21', '10.42.2.7'][Math.floor(r() * 3)]! : `10.42.${Math.floor(r() * 8)}.${1 + Math.floor(r() * 254)}`,
      udp, sport: 1024 + Math.floor(r() * 60000), dport: udp ? 53 : r() < 0.5 ? 80 : 443, packets: 1 + Math.floor(r() * 30),
    };
  });
}
const conntrack = (f: F) => `ipv4     2 ${f.udp ? 'udp      17 29' : 'tcp      6 431999 ESTABLISHED'} src=${f.s} dst=${f.d} sport=${f.sport} dport=${f.dport} packets=${f.packets} bytes=${f.packets * 80} src=${f.d} dst=${f.s} sport=${f.dport} dport=${f.sport} packets=${f.packets} bytes=${f.packets * 90} mark=0 use=1`;
const jsonl = (f: F) => JSON.stringify({ src: f.s, dst: f.d, proto: f.udp ? 'udp' : 'tcp', sport: f.sport, dport: f.dport, packets: f.packets });

async function classifiers() {
  const [p, b] = await Promise.all([loadRuleset([multi]), loadRuleset([single])]);
  return { proposal: compileRuleset(p.ruleset), baseline: compileRuleset(b.ruleset) };
}

/** One thread's replay of the file read as a stream (in blocks of 1000 bytes), or its error message. */
async function oneThread(file: string) {
  const { proposal, baseline } = await classifiers();
  const src = await flowsFrom(createReadStream(file, { highWaterMark: 1000 }), file, 'auto');
  const replay = new Replay(proposal, baseline, defaults);
  try {
    for await (const b of src.batches()) replay.add(b);
  } catch (e) {
    return (e as Error).message;
  }
  return replay.snapshot();
}

/** One thread's replay of the file opened as a regular file (read in byte ranges). */
async function rangesOneThread(file: string) {
  const { proposal, baseline } = await classifiers();
  const src = await openFlows(file, 'auto', Readable.from([]));
  const replay = new Replay(proposal, baseline, defaults);
  for await (const b of src.batches()) replay.add(b);
  return replay.snapshot();
}

/** The pool's replay of the file in byte ranges of `range` bytes, or its error message. */
async function pool(file: string, range: number) {
  const { proposal, baseline } = await classifiers();
  const src = await openFlows(file, 'auto', Readable.from([]));
  src.close();
  try {
    const r = await replayParallel({ path: file, size: src.read.size! }, file, src.format as 'conntrack' | 'jsonl', proposal, baseline, defaults, 2, undefined, range);
    return r.snapshot();
  } catch (e) {
    return (e as Error).message;
  }
}

describe('replay pool over byte ranges', () => {
  const list = flows(3000, 7);
  const cases = {
    'conntrack, LF': list.map(conntrack).join('\n') + '\n',
    'conntrack, CRLF, no final line break': list.map(conntrack).join('\r\n'),
    'JSON lines': list.map(jsonl).join('\n') + '\n',
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`gives one thread's counts, groups and witnesses: ${name}`, async () => {
      const file = tempFile(text);
      const one = await oneThread(file);
      expect(typeof one).toBe('object');
      // Witnesses far into the file: the pool's line numbers are shifted by the ranges before.
      const lines = Object.values((one as Exclude<typeof one, string>).changes).map(([, c]) => c.witnessAt.line!);
      expect(Math.max(...lines)).toBeGreaterThan(100);
      for (const range of [997, 64 << 10]) expect(await pool(file, range), `ranges of ${range}`).toEqual(one);
      expect(await rangesOneThread(file)).toEqual(one);
    });
  }

  it('stops at the same first located error as one thread, a bad line in the second range or a later one', async () => {
    const lines = list.slice(0, 600).map(conntrack);
    const bad = (at: number, ls: string[]) => ls.map((l, i) => (i === at ? l.replace('sport=', 'sport=x') : l)).join('\n') + '\n';
    const range = 4096;
    const second = Math.floor(range / lines[0]!.length) + 3; // a line of the second range
    for (const text of [bad(second, lines), bad(400, lines), bad(599, lines), bad(second, lines).replace(/\n/g, '\r\n')]) {
      const file = tempFile(text);
      const one = await oneThread(file);
      expect(one).toMatch(/^error\[FLOW_RECORD\] .*:\d+:\d+ field sport: sport=x\d+ is not a number up to 65535$/);
      expect(await pool(file, range)).toBe(one);
    }
  });
});
