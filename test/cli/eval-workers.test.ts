// The streamed eval on a big input, in a pool of worker threads, against the same run in one
// thread: the same bytes in text and json (JSON and IPv6 lines, comments, \r\n mixed in); a bad
// line in a late chunk stops both at the same byte, and the first bad line wins though a later
// chunk (with its own bad line) finishes first; the real bin (workers from dist/) gives the same
// bytes from a file and from stdin, and ends quietly (exit 0) when its output pipe closes. Hostile
// packets files: endless bytes without a line break, binary junk, a bad --workers.
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateStream, POOL_BYTES } from '../../src/cli/eval-stream.js';
import { openPackets } from '../../src/engine/stream/lines.js';
import { compileRuleset, type Classifier } from '../../src/engine/index.js';
import { loadRuleset } from '../../src/frontends/load.js';
import { NftlensError } from '../../src/model/diagnostics.js';
import { cli } from '../support/cli.js';

const multi = new URL('../../examples/provider-protect-multi-consumer.yaml', import.meta.url).pathname;
const bin = new URL('../../bin/nftlens.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nftlens-workers-'));

/** Packet lines of every kind, `n` of them, with comments and blanks; a stretch of slow (JSON) lines from `slowFrom` on. */
function packetLines(n: number, slowFrom = Infinity): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = `10.${112 + (i % 3)}.${(i >> 8) & 255}.${i & 255}`;
    const d = ['10.42.1.15', '10.42.3.21', `10.42.${i % 5}.${i % 250}`][i % 3]!;
    if (i % 997 === 0) out.push('# a comment', '  ');
    if (i >= slowFrom && i < slowFrom + 12_000) out.push(JSON.stringify({ saddr: s, daddr: d, l4proto: 'udp', dport: 53, iifname: 'liqo-tunnel' }));
    else if (i % 101 === 0) out.push(JSON.stringify({ saddr: s, daddr: d, l4proto: 'tcp', dport: 80, iifname: 'liqo-tunnel', oifname: 'liqo.abcdefghij' }));
    else if (i % 103 === 0) out.push(`tcp [fd00::${(i % 65535).toString(16)}]:1000 -> [fd00::1]:80 iif liqo-tunnel`);
    else out.push(`${i % 5 ? 'tcp' : 'udp'} ${s}:${1024 + (i % 60000)} -> ${d}:${i % 2 ? 80 : 53} iif liqo-tunnel oif liqo.abcdefghij${i % 7 ? '' : ' ct established'}`);
  }
  return out;
}

/** One run of the streamed eval in-process: its output, error and how many workers it used. */
async function evaluate(classifier: Classifier, file: string, format: 'text' | 'json', workers: number) {
  const stdout = new PassThrough();
  const parts: Buffer[] = [];
  stdout.on('data', (d: Buffer) => parts.push(Buffer.from(d)));
  let error: unknown;
  let used = -1;
  try {
    used = (await evaluateStream(classifier, [], await openPackets(file, Readable.from([])), { format, workers }, { stdout, stderr: new PassThrough(), stdin: Readable.from([]) })).workers;
  } catch (e) {
    error = e;
  }
  return { out: Buffer.concat(parts).toString(), error, used };
}

function runBin(args: string[], stdinFile?: string, closeAfter?: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let got = 0;
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      got += d.length;
      if (closeAfter !== undefined && got >= closeAfter) child.stdout.destroy();
    });
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() }));
    if (stdinFile) createReadStream(stdinFile).pipe(child.stdin);
    else child.stdin.end();
  });
}

describe('eval --packets in worker threads', { timeout: 300_000 }, () => {
  let classifier: Classifier;
  const lines = packetLines(60_000);
  const file = join(dir, 'big.txt');
  writeFileSync(file, lines.map((l, i) => (i % 5 ? l : l + '\r')).join('\n') + '\n');

  beforeAll(async () => {
    classifier = compileRuleset((await loadRuleset([multi])).ruleset);
  });

  it('the input is big enough for the pool', () => {
    expect(Buffer.byteLength(lines.join('\n'))).toBeGreaterThan(1.1 * POOL_BYTES);
  });

  for (const format of ['text', 'json'] as const) {
    it(`-o ${format}: the pool's bytes are the one thread's`, async () => {
      const one = await evaluate(classifier, file, format, 1);
      const pool = await evaluate(classifier, file, format, 3);
      expect(one.error).toBeUndefined();
      expect(pool.error).toBeUndefined();
      expect(one.used).toBe(0);
      expect(pool.used).toBe(3);
      expect(pool.out.length).toBeGreaterThan(4 * POOL_BYTES);
      expect(pool.out).toBe(one.out);
      if (format === 'json') expect(JSON.parse(pool.out)).toHaveLength(lines.filter((l) => l.trim() && !l.startsWith('#')).length);
    });
  }

  it('a bad line in a late chunk: output stops right before it, the first bad line wins over a later chunk that failed first', async () => {
    // A stretch of slow (JSON) lines holds the first bad line; a later chunk, quick to scan, has another.
    const bad = packetLines(80_000, 55_000);
    const first = 61_000;
    const second = 75_000;
    bad[first] = 'tcp 10.0.0.1 -> 10.0.0.999';
    bad[second] = 'tcp 10.0.0.1 -> 10.0.0.998';
    const badFile = join(dir, 'bad.txt');
    writeFileSync(badFile, bad.join('\n'));
    const prefix = join(dir, 'prefix.txt');
    writeFileSync(prefix, bad.slice(0, first).join('\n'));
    for (const format of ['text', 'json'] as const) {
      const whole = await evaluate(classifier, prefix, format, 1);
      const one = await evaluate(classifier, badFile, format, 1);
      const pool = await evaluate(classifier, badFile, format, 3);
      for (const r of [one, pool]) {
        expect(r.error).toBeInstanceOf(NftlensError);
        expect((r.error as NftlensError).message).toMatch(new RegExp(`bad\\.txt:${first + 1}: .*"10\\.0\\.0\\.999" is not an IP address`));
      }
      // Everything before the bad line, and nothing after: the prefix's output without the closing bracket.
      expect(one.out).toBe(format === 'json' ? whole.out.slice(0, -3) : whole.out);
      expect(pool.out).toBe(one.out);
    }
  });

  it('the real bin (workers from dist/): the same bytes from a file and from stdin, exit 0', async () => {
    const want = await evaluate(classifier, file, 'json', 1);
    const fromFile = await runBin(['eval', '-f', multi, '--packets', file, '-o', 'json', '--workers', '2']);
    expect(fromFile.err).toBe('');
    expect(fromFile.code).toBe(0);
    expect(fromFile.out).toBe(want.out);
    const fromStdin = await runBin(['eval', '-f', multi, '--packets', '-', '-o', 'json', '--workers', '2'], file);
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.out).toBe(want.out);
  });

  it('the real bin, its output pipe closed early: quiet, exit 0', async () => {
    for (const format of ['text', 'json']) {
      const r = await runBin(['eval', '-f', multi, '--packets', file, '-o', format, '--workers', '2'], undefined, 100_000);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    }
  });

  it('the real bin, a bad line late in a big file: located, exit 2, output up to it', async () => {
    const bad = [...lines];
    bad[55_000] = 'udp 10.0.0.1:70000 -> 10.0.0.2:53';
    const badFile = join(dir, 'bad-bin.txt');
    writeFileSync(badFile, bad.join('\n'));
    const r = await runBin(['eval', '-f', multi, '--packets', badFile, '--workers', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error\[INPUT_PARSE\] .*bad-bin\.txt:55001: /);
    expect(r.out.match(/^packet: /gm)).toHaveLength(bad.slice(0, 55_000).filter((l) => l.trim() && !l.startsWith('#')).length);
  });

  it('endless bytes without a line break (/dev/zero), binary junk, a bad --workers: located, exit 2', async () => {
    const zero = await cli(['eval', '-f', multi, '--packets', '/dev/zero']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/^error\[INPUT_PARSE\] \/dev\/zero:1: a line of 1048576 bytes or more: not a packet\n$/);
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)));
    const j = await cli(['eval', '-f', multi, '--packets', junk]);
    expect(j.code).toBe(2);
    expect(j.stderr).toMatch(/^error\[INPUT_PARSE\] .*junk\.bin:\d+: /);
    expect(j.stdout).toBe('');
    for (const n of ['0', '-1', 'x', '100']) {
      const r = await cli(['eval', '-f', multi, '--packets', file, '--workers', n]);
      expect(r.code, n).toBe(2);
      expect(r.stderr).toMatch(/--workers <n>.*expected a number of threads from 1 to 99/);
    }
  });
});
