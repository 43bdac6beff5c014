// `npm run bench:eval`: `nftlens eval --packets` on many packets, streamed (read a chunk, classify
// it in one WASM batch call, write it), against the old way measured in the same run on a smaller
// count: every packet parsed, evaluated one by one and the output joined into one string.
// Prints packets per second, wall and CPU time (user + system) for N packets, peak heap, and the
// ratio per packet (the machine may be shared: the load average is printed with the figures).
// Usage: npm run bench:eval [-- N [OLD_N]]   (default 1,000,000 and 50,000)

import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { run } from '../src/cli/main.js';
import { resultJson } from '../src/cli/eval-stream.js';
import { compileRuleset, formatPacket, formatResult, parsePacketLine } from '../src/engine/index.js';
import { loadRuleset } from '../src/frontends/load.js';

const N = Number(process.argv[2] ?? 1_000_000);
const OLD_N = Number(process.argv[3] ?? 50_000);
const policy = new URL('../examples/provider-protect-multi-consumer.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nftlens-bench-eval-'));

function packets(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = `10.${112 + (i % 3)}.${(i >> 8) & 255}.${i & 255}`;
    const d = ['10.42.1.15', '10.42.3.21', `10.42.${i % 5}.${i % 250}`][i % 3];
    out.push(`${i % 5 ? 'tcp' : 'udp'} ${s}:${1024 + (i % 60000)} -> ${d}:${i % 2 ? 80 : 53} iif liqo-tunnel oif liqo.abcdefghij`);
  }
  return out.join('\n') + '\n';
}

/** The streamed CLI, in-process, its output written to /dev/null (a file descriptor, as stdout is). */
async function streamed(file: string, format: string): Promise<{ ms: number; cpuMs: number; bytes: number; heapMB: number }> {
  const sink = createWriteStream('/dev/null');
  await once(sink, 'open');
  let heap = 0;
  const sample = setInterval(() => (heap = Math.max(heap, process.memoryUsage().heapUsed)), 50);
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const cpu = process.cpuUsage();
  const t = performance.now();
  const code = await run(['node', 'nftlens', 'eval', '-f', policy, '--packets', file, '-o', format], { stdout: sink, stderr: quiet, stdin: Readable.from(['']) });
  const used = process.cpuUsage(cpu);
  const ms = performance.now() - t;
  clearInterval(sample);
  if (code !== 0) throw new Error(`eval exited ${code}`);
  sink.end();
  await once(sink, 'close');
  return { ms, cpuMs: (used.user + used.system) / 1000, bytes: sink.bytesWritten, heapMB: heap / 2 ** 20 };
}

/** The old way: all lines parsed, evaluated one by one, the output built as one string. */
async function old(file: string, format: string): Promise<{ ms: number; bytes: number }> {
  const t = performance.now();
  const { ruleset } = await loadRuleset([policy]);
  const c = compileRuleset(ruleset);
  const pkts = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => parsePacketLine(l, { file, line: i + 1 }));
  const results = pkts.map((p) => c.evaluate(p));
  const text = format === 'json'
    ? JSON.stringify(results.map((r, i) => resultJson(c.plan, pkts[i]!, r)), null, 2)
    : results.map((r, i) => `packet: ${formatPacket(pkts[i]!)}\n${formatResult(c.plan, r)}`).join('\n');
  return { ms: performance.now() - t, bytes: text.length };
}

const big = join(dir, 'big.txt');
const small = join(dir, 'small.txt');
writeFileSync(big, packets(N));
writeFileSync(small, packets(OLD_N));
console.log(`eval --packets: ${N.toLocaleString('en')} packets streamed vs ${OLD_N.toLocaleString('en')} the old way; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const format of ['text', 'json']) {
  const o = await old(small, format);
  const s = await streamed(big, format);
  const usPerOld = (o.ms * 1000) / OLD_N;
  const usPerNew = (s.ms * 1000) / N;
  console.log(
    `-o ${format}: ${N.toLocaleString('en')} packets streamed in ${(s.ms / 1000).toFixed(2)} s wall, ${(s.cpuMs / 1000).toFixed(2)} s CPU ` +
      `(${Math.round(N / (s.ms / 1000)).toLocaleString('en')} packets/s, ${usPerNew.toFixed(2)} µs each; ${(s.bytes / 2 ** 20).toFixed(0)} MiB out, heap used at most ${s.heapMB.toFixed(0)} MiB, garbage included); ` +
      `old per-packet path ${usPerOld.toFixed(1)} µs each; old/streamed per packet ${(usPerOld / usPerNew).toFixed(1)}×`,
  );
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
