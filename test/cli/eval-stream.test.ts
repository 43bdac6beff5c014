// `nftlens eval --packets` streams: results across chunk boundaries are the per-packet path's,
// byte for byte; -o json is the array JSON.stringify would give; memory does not grow with the
// number of packets; a bad line deep in the file is located.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { compileRuleset, formatPacket, formatResult, parsePacketLine } from '../../src/engine/index.js';
import { loadRuleset } from '../../src/frontends/load.js';
import { run } from '../../src/cli/main.js';
import { resultJson } from '../../src/cli/eval-stream.js';
import { cli } from '../support/cli.js';

const multi = new URL('../../examples/provider-protect-multi-consumer.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nftlens-stream-'));
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** n packets lines of every kind the examples tell apart, with comments, blanks, JSON and IPv6. */
function packetLines(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = `10.${112 + (i % 3)}.${(i >> 8) & 255}.${i & 255}`;
    const d = ['10.42.1.15', '10.42.3.21', `10.42.${i % 5}.${i % 250}`][i % 3]!;
    if (i % 97 === 0) out.push('# a comment', '');
    if (i % 11 === 0) out.push(JSON.stringify({ saddr: s, daddr: d, l4proto: 'udp', dport: 53, iifname: 'liqo-tunnel', oifname: 'liqo.abcdefghij' }));
    else if (i % 13 === 0) out.push(`tcp [fd00::${(i % 65535).toString(16)}]:1000 -> [fd00::1]:80 iif liqo-tunnel`);
    else out.push(`tcp ${s}:${1024 + (i % 60000)} -> ${d}:${i % 2 ? 80 : 443} iif liqo-tunnel oif liqo.abcdefghij ct ${i % 4 ? 'new' : 'established'}`);
  }
  return out;
}

describe('nftlens eval --packets (streamed)', () => {
  const lines = packetLines(2 * 2048 + 3 * 4096 + 7); // crosses the CLI's and the classifier's chunk sizes
  const file = join(dir, 'packets.txt');
  writeFileSync(file, lines.join('\n') + '\n');

  it('gives, across chunk boundaries, what the per-packet path gives', async () => {
    const { ruleset } = await loadRuleset([multi]);
    const c = compileRuleset(ruleset);
    const packets = lines.filter((l) => l.trim() && !l.startsWith('#')).map((l) => parsePacketLine(l));
    const expected = packets.map((p) => ({ p, r: c.evaluate(p) }));

    const json = await cli(['eval', '-f', multi, '--packets', file, '-o', 'json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toBe(JSON.stringify(expected.map(({ p, r }) => resultJson(c.plan, p, r)), null, 2) + '\n');

    const text = await cli(['eval', '-f', multi, '--packets', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(expected.map(({ p, r }) => `packet: ${formatPacket(p)}\n${formatResult(c.plan, r)}`).join('\n'));
    expect(new Set(expected.map(({ r }) => r.verdict))).toEqual(new Set(['accept', 'drop']));
  });

  it('streams --trace too, and reads the packets from stdin', async () => {
    const some = lines.slice(0, 300).join('\n');
    const r = await cli(['eval', '-f', multi, '--packets', '-', '--trace'], some);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^packet: /gm)).toHaveLength(some.split('\n').filter((l) => l.trim() && !l.startsWith('#')).length);
    expect(r.stdout).toContain('  trace:\n    hook prerouting');
  });

  it('locates a bad line deep in the file (exit 2)', async () => {
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, [...lines.slice(0, 5000), 'tcp 10.0.0.1 -> 10.0.0.999', ...lines.slice(0, 10)].join('\n'));
    const r = await cli(['eval', '-f', multi, '--packets', bad, '-o', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[INPUT_PARSE\] .*bad\.txt:5001: .*"10\.0\.0\.999" is not an IP address/m);
  });

  it('a folder as the packets file is bad input, said in one line', async () => {
    const r = await cli(['eval', '-f', multi, '--packets', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[INPUT_READ\] .*: cannot read: EISDIR\n$/);
  });

  it('keeps memory flat: 5× the packets, about the same peak heap', { timeout: 120_000 }, async () => {
    const peak = async (n: number) => {
      const f = join(dir, `many-${n}.txt`);
      writeFileSync(f, packetLines(n).join('\n'));
      let max = 0;
      let bytes = 0;
      let writes = 0;
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          // What is live, not what garbage has piled up: collect, then measure, every 8 chunks.
          if (writes++ % 8 === 0) {
            gc();
            max = Math.max(max, process.memoryUsage().heapUsed);
          }
          done();
        },
      });
      const code = await run(['node', 'nftlens', 'eval', '-f', multi, '--packets', f], { stdout: sink, stderr: new Writable({ write: (_c, _e, d) => d() }), stdin: Readable.from(['']) });
      expect(code).toBe(0);
      return { max, bytes };
    };
    const small = await peak(20_000);
    const large = await peak(100_000);
    expect(large.bytes).toBeGreaterThan(4.5 * small.bytes);
    // Holding every result (the old way) grows the live heap by well over 100 MB for 80,000 more
    // packets; streamed, only the engine's bounded address caches (65,536 entries) fill further.
    console.log(`eval --packets, live heap at peak: 20,000 packets ${(small.max / 2 ** 20).toFixed(1)} MiB, 100,000 packets ${(large.max / 2 ** 20).toFixed(1)} MiB`);
    expect(large.max - small.max).toBeLessThan(30 * 2 ** 20);
  });
});
