// The streaming eval's fast path (lines scanned into batch columns, results written as bytes from
// strings made once) against the per-packet path: NAT-rewritten packets, ICMP, marks, local
// packets, one hook alone, names JSON and terminals must escape, IPv6 and JSON lines mixed in;
// and the line splitter against readline on any split of \n, \r\n and lone \r.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRuleset, formatPacket, formatResult, parsePacketLine, type PathHook } from '../../src/engine/index.js';
import { loadRuleset } from '../../src/frontends/load.js';
import { resultJson } from '../../src/cli/eval-stream.js';
import { LineCursor, rawChunks, streamSource } from '../../src/engine/stream/lines.js';
import { terminalSafe } from '../../src/model/terminal.js';
import { cli } from '../support/cli.js';

const nat = new URL('../../../shared/fixtures/liqo/valid/test-nat-rules.yaml', import.meta.url).pathname;
const multi = new URL('../../examples/provider-protect-multi-consumer.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nftlens-fast-'));

function lines(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = `10.0.0.${i % 256}`;
    const d = ['10.70.0.80', '10.42.1.15', `192.0.2.${i % 7}`][i % 3];
    switch (i % 9) {
      case 0: out.push(`icmp ${s} -> ${d} type ${i % 20} code ${i % 3} mark 0x${(i * 7919).toString(16)}`); break;
      case 1: out.push(`tcp ${s}:${i % 65536} -> ${d}:80 iif eth0 oif eth1 ct established flags ack,psh ctmark ${i}`); break;
      case 2: out.push(`udp ${s}:53 -> ${d}:53 oif liqo.abcdefghij local len 512`); break;
      case 3: out.push(JSON.stringify({ saddr: s, daddr: d, l4proto: 'tcp', dport: 80, iifname: `e\u001b[2K"\\${i % 3}` })); break;
      case 4: out.push(`tcp [fd00::${i.toString(16)}]:1 -> [fd00::1]:80`); break;
      case 5: out.push(`TCP ${s}:1 -> ${d}:0x50 iif\teth0`); break;
      case 6: out.push(`47 ${s} -> ${d} mark 4294967295 ct related`); break;
      default: out.push(`tcp ${s}:${1024 + i} -> ${d}:80 iif eth0 oif eth1`);
    }
  }
  return out;
}

async function expected(file: string, packets: string[], hook?: PathHook) {
  const { ruleset } = await loadRuleset([file]);
  const c = compileRuleset(ruleset);
  const evaluated = packets.map((l) => parsePacketLine(l)).map((p) => ({ p, r: c.evaluate(p, { hook }) }));
  return {
    text: terminalSafe(evaluated.map(({ p, r }) => `packet: ${formatPacket(p)}\n${formatResult(c.plan, r)}`).join('\n')),
    json: terminalSafe(JSON.stringify(evaluated.map(({ p, r }) => resultJson(c.plan, p, r)), null, 2) + '\n'),
    rewritten: evaluated.filter(({ p, r }) => r.packet.daddr !== p.daddr || r.packet.saddr !== p.saddr).length,
  };
}

const bin = new URL('../../bin/nftlens.js', import.meta.url).pathname;

/** The real bin's stdout, into a pipe read slowly or into a file: streams with a file descriptor, whose buffers it recycles. */
function binOutput(args: string[], to: 'pipe' | 'file'): Promise<string> {
  const path = join(dir, `out-${Math.random()}`);
  const fd = to === 'file' ? openSync(path, 'w') : undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', fd ?? 'pipe', 'inherit'] });
    const parts: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => {
      parts.push(d);
      child.stdout!.pause();
      setTimeout(() => child.stdout!.resume(), 1);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (fd !== undefined) closeSync(fd);
      if (code !== 0) reject(new Error(`exit ${code}`));
      else resolve(fd === undefined ? Buffer.concat(parts).toString() : readFileSync(path, 'utf8'));
    });
  });
}

describe('eval --packets fast path', () => {
  const packets = lines(5000);
  const file = join(dir, 'packets.txt');
  writeFileSync(file, packets.join('\r\n'));

  for (const [policy, hook] of [[nat, undefined], [multi, undefined], [nat, 'prerouting'], [multi, 'forward']] as const) {
    it(`gives the per-packet path's bytes: ${policy.split('/').pop()}${hook ? ` --hook ${hook}` : ''}`, async () => {
      const want = await expected(policy, packets, hook);
      if (policy === nat && !hook) expect(want.rewritten).toBeGreaterThan(100);
      const args = ['eval', '-f', policy, '--packets', file, ...(hook ? ['--hook', hook] : [])];
      const text = await cli(args);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toBe(want.text);
      const json = await cli([...args, '-o', 'json']);
      expect(json.code, json.stderr).toBe(0);
      expect(json.stdout).toBe(want.json);
    });
  }

  it('the real bin into a slow pipe and into a file (output buffers recycled): the same bytes', { timeout: 120_000 }, async () => {
    const many = join(dir, 'many.txt');
    writeFileSync(many, [...packets, ...packets, ...packets].join('\n'));
    const want = await expected(nat, [...packets, ...packets, ...packets]);
    for (const format of ['text', 'json']) {
      const args = ['eval', '-f', nat, '--packets', many, '-o', format];
      const w = format === 'json' ? want.json : want.text;
      expect(await binOutput(args, 'pipe')).toBe(w);
      expect(await binOutput(args, 'file')).toBe(w);
    }
  });

  it('cuts lines as readline does, however the blocks and chunks split them', async () => {
    const text = fc.array(fc.constantFrom('a', 'b c', ' ', '\t', '#x', '\n', '\r', '\r\n', '', 'é', '\u00a0', '\v', '\ufeff', '€#'), { maxLength: 40 }).map((p) => p.join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 1, max: 8 }), async (t, cuts, size) => {
        // Blocks cut anywhere, even inside a character's UTF-8 bytes.
        const all = Buffer.from(t);
        const at = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        const blocks = [0, ...at].map((s, i) => all.subarray(s, at[i] ?? all.length)).filter((b) => b.length);
        const want: [string, number][] = [];
        let n = 0;
        for await (const l of createInterface({ input: Readable.from([t]), crlfDelay: Infinity })) {
          n++;
          if (l.trim() && !l.trim().startsWith('#')) want.push([l.trim(), n]);
        }
        const got: [string, number][] = [];
        const cursor = new LineCursor();
        let before = 0;
        for await (const chunk of rawChunks(streamSource(Readable.from(blocks), 'f'), size)) {
          expect(chunk.byteOffset).toBe(0); // each chunk its own memory, to be handed to a worker
          cursor.reset(chunk, 'f');
          while (cursor.next()) {
            const p = cursor.packet();
            if (p !== undefined) got.push([p, before + cursor.line]);
          }
          before += cursor.line;
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});
