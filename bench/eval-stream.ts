// `npm run bench:eval`: `nftlens eval --packets` on a million packets, -o text and -o json, as a
// user runs it (the real bin, a child process, its output into /dev/null) and in-process (run()
// from dist/, so that workers load as they do when installed), each on every core (--workers N, N the cores)
// and in one thread (--workers 1), measured in the same run. Prints wall and CPU time (user +
// system, all threads), packets per second, the ratio one thread / pool, and the load average
// before and after (the machine may be shared).
// Usage: npm run bench:eval [-- N]   (default 1,000,000)

import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';

const N = Number(process.argv[2] ?? 1_000_000);
const root = new URL('..', import.meta.url).pathname;
const policy = join(root, 'examples/provider-protect-multi-consumer.yaml');
const bin = join(root, 'bin/nftlens.js');
const dir = mkdtempSync(join(tmpdir(), 'nftlens-bench-eval-'));
// A string, not a literal: dist/ is what an installed nftlens runs (workers as .js files).
const mainJs = join(root, 'dist/cli/main.js');
const { run } = (await import(mainJs)) as typeof import('../src/cli/main.js');

function packets(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = `10.${112 + (i % 3)}.${(i >> 8) & 255}.${i & 255}`;
    const d = ['10.42.1.15', '10.42.3.21', `10.42.${i % 5}.${i % 250}`][i % 3];
    out.push(`${i % 5 ? 'tcp' : 'udp'} ${s}:${1024 + (i % 60000)} -> ${d}:${i % 2 ? 80 : 53} iif liqo-tunnel oif liqo.abcdefghij`);
  }
  return out.join('\n') + '\n';
}

interface Run {
  ms: number;
  cpuMs: number;
}

/** The bin in a child process, stdout to /dev/null; its CPU time reported by the child as it exits. */
async function cli(args: string[]): Promise<Run> {
  const report = `import{writeSync}from'node:fs';process.on('exit',()=>{const u=process.cpuUsage();writeSync(2,'\\ncpu '+(u.user+u.system)+'\\n')})`;
  const out = openSync('/dev/null', 'w');
  const t = performance.now();
  const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(report)}`, bin, ...args], { stdio: ['ignore', out, 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const [code] = (await once(child, 'close')) as [number];
  const ms = performance.now() - t;
  closeSync(out);
  if (code !== 0) throw new Error(`nftlens exited ${code}: ${err}`);
  const cpu = /cpu (\d+)/.exec(err);
  return { ms, cpuMs: Number(cpu![1]) / 1000 };
}

/** run() in this process, stdout to /dev/null (a file descriptor, as stdout is); CPU of every thread. */
async function inProcess(args: string[]): Promise<Run> {
  const sink = createWriteStream('/dev/null');
  await once(sink, 'open');
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const cpu = process.cpuUsage();
  const t = performance.now();
  const code = await run(['node', 'nftlens', ...args], { stdout: sink, stderr: quiet, stdin: Readable.from(['']) });
  const used = process.cpuUsage(cpu);
  const ms = performance.now() - t;
  sink.end();
  await once(sink, 'close');
  if (code !== 0) throw new Error(`eval exited ${code}`);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

const big = join(dir, 'packets.txt');
writeFileSync(big, packets(N));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const fmt = (r: Run) => `${(r.ms / 1000).toFixed(2)} s wall, ${(r.cpuMs / 1000).toFixed(2)} s CPU, ${Math.round(N / (r.ms / 1000)).toLocaleString('en')} packets/s`;
console.log(`eval --packets: ${N.toLocaleString('en')} packets, ${availableParallelism()} cores; load average before ${load()}`);
for (const format of ['text', 'json']) {
  const args = ['eval', '-f', policy, '--packets', big, '-o', format];
  for (const [how, go] of [['CLI (bin)', cli], ['in-process', inProcess]] as const) {
    const pool = await go([...args, '--workers', String(availableParallelism())]);
    const one = await go([...args, '--workers', '1']);
    console.log(`-o ${format}, ${how}: every core ${fmt(pool)}; one thread ${fmt(one)}; one thread / every core: ${(one.ms / pool.ms).toFixed(2)}× wall, ${(one.cpuMs / pool.cpuMs).toFixed(2)}× CPU`);
  }
}
console.log(`load average after: ${load()}`);
