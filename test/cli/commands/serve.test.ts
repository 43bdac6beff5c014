// `nftlens serve` as a process: it prints its URL, serves the embedded examples (or -f NAME=PATH
// policies), requires the token of --token-file for PUT, and ends with exit 0 on SIGTERM and on
// SIGINT; bad options and invalid policies end with exit 2 and a located line, before listening.
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnCli } from './spawn.js';

const examples = fileURLToPath(new URL('../../../examples', import.meta.url));
const mss = fileURLToPath(new URL('../../../docs/examples/mss-clamp-without-proto.yaml', import.meta.url));

/** Starts `nftlens serve ARGS` on a free loopback port; resolves with its URL and the process. */
async function start(args: string[]) {
  const p = spawnCli(['serve', '--listen', '127.0.0.1:0', '--log-level', 'warn', ...args]);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    p.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${out}`)));
  });
  return { p, url, out: () => out };
}

async function finish(p: ReturnType<typeof spawnCli>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  p.stderr!.on('data', (d: Buffer) => (stderr += d));
  const [code] = (await once(p, 'exit')) as [number | null];
  return { code, stderr };
}

describe('nftlens serve', () => {
  it('serves the embedded examples and closes on SIGTERM with exit 0', async () => {
    const { p, url, out } = await start([]);
    expect(out()).toContain('(1 policy: examples)');
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    const r = await fetch(`${url}/v1/policies/examples/evaluate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ packet: 'tcp 10.112.0.5:1 -> 10.42.1.15:80 iif liqo-tunnel oif eth0' }) });
    expect((await r.json()).verdict).toBe('accept');
    const done = finish(p);
    p.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });

  it('loads -f NAME=PATH policies, requires the token of --token-file, and closes on SIGINT with exit 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nftlens-serve-'));
    const token = join(dir, 'token');
    await writeFile(token, 'tok-123\n');
    const { p, url, out } = await start(['-f', `provider=${examples}`, '-f', join(examples, 'provider-protect-single-consumer.yaml'), '--token-file', token]);
    expect(out()).toContain('(2 policies: provider, provider-protect-single-consumer)');
    const put = (auth?: string) => fetch(`${url}/v1/policies/x`, { method: 'PUT', headers: { 'content-type': 'text/yaml', ...(auth ? { authorization: auth } : {}) }, body: 'apiVersion: v1\n' });
    expect((await put()).status).toBe(401);
    expect((await put('Bearer tok-123')).status).toBe(422);
    const done = finish(p);
    p.kill('SIGINT');
    expect((await done).code).toBe(0);
  });

  it('refuses bad options and invalid policies with exit 2 and a located line', async () => {
    const cases: [string[], string][] = [
      [['--listen', 'localhost'], '--listen "localhost": expected HOST:PORT'],
      [['--listen', '127.0.0.1:70000'], 'expected HOST:PORT'],
      [['--max-batch', '0'], '--max-batch "0" is not a positive integer'],
      [['-f', mss], 'error[LIQO_MSS_CLAMP] ' + mss + ':27:13'],
      [['-f', 'bad name=x'], 'the policy name'],
      [['--token-file', '/nonexistent/token'], 'cannot read the token file'],
    ];
    const runs = await Promise.all(cases.map(([args]) => finish(spawnCli(['serve', '--listen', '127.0.0.1:0', ...args]))));
    runs.forEach((r, i) => {
      const [args, text] = cases[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(text);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
