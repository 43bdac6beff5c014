// Exit codes, one meaning each, for every command: 0 success, 1 the answer is "no", 2 bad input or
// usage, 3 the environment failed, 4 nftlens failed (one line; the stack with NFTLENS_DEBUG=1).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { cli } from '../support/cli.js';

const fixtures = new URL('../../../shared/fixtures/', import.meta.url).pathname;
const bin = new URL('../../bin/nftlens.js', import.meta.url).pathname;
const multi = 'examples/provider-protect-multi-consumer.yaml';
const single = 'examples/provider-protect-single-consumer.yaml';
const missing = '/nonexistent/x.yaml';
const dir = mkdtempSync(join(tmpdir(), 'nftlens-exit-'));
const breach = join(dir, 'tenants.yaml');
writeFileSync(breach, 'tenants:\n  venice: { sources: [10.112.0.0/16], destinations: [10.42.1.15], interfaces: [liqo-tunnel] }\n  naples: { sources: [10.113.0.0/16], destinations: [10.42.1.15], interfaces: [liqo-tunnel] }\n');
const pkt = 'tcp 10.0.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0';
const quirk = fixtures + 'liqo/valid/schema-inet-input-and-route.yaml';

// [command line, expected exit code]
const cases: [string[], number][] = [
  [['--help'], 0],
  [['--version'], 0],
  [[], 2],
  [['frobnicate'], 2],
  [['validate', '--no-such-option'], 2],
  [['validate'], 0],
  [['validate', '--strict', '-f', quirk], 1],
  [['validate', '-f', missing], 2],
  [['validate', '-o', 'xml'], 2],
  [['render'], 0],
  [['render', '-f', fixtures + 'liqo/invalid/invalid-ip.yaml'], 2],
  [['import', '-f', fixtures + 'nftables/basic/sets-0053echo_0.json'], 0],
  [['import', '-f', fixtures + 'nftables/advanced/optimizations-merge_vmap_raw.json'], 2],
  [['check'], 0],
  [['check', '-f', missing], 2],
  [['probe', '--random', 'many', '-f', single], 2],
  [['eval', '-f', single, '-p', pkt], 0],
  [['eval', '-f', single, '-p', 'tcp 10.0.0.5 -> nowhere'], 2],
  [['eval', '-f', single, '--packets', missing], 2],
  [['eval', '-f', single], 2],
  [['analyze', '-f', single], 0],
  [['analyze'], 1],
  [['analyze', '--max-nodes', 'lots'], 2],
  [['isolation'], 0],
  [['isolation', '-f', multi, '--tenants', breach], 1],
  [['isolation', '--tenants', missing], 2],
  [['isolation', '--svg', '/nonexistent/dir/m.svg'], 3],
  [['diff', multi, multi], 0],
  [['diff', multi, single], 1],
  [['diff', multi], 2],
  [['diff', multi, missing], 2],
];

describe('exit codes', () => {
  it.each(cases)('nftlens %j exits %i', async (args, code) => {
    const r = await cli(args);
    expect(r.code, r.stderr).toBe(code);
    if (code >= 2) expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace for what a user did
  });

  it('--help lists the exit codes after the commands', async () => {
    const r = await cli(['--help']);
    expect(r.stdout).toMatch(/Commands:[\s\S]*Exit codes:\n  0 .*\n  1 .*\n  2 .*\n  3 .*\n  4 /);
  });

  it('a failure of nftlens itself: one line and exit 4; the stack with NFTLENS_DEBUG=1', async () => {
    const broken = () => new Writable({ write: () => { throw new TypeError('boom'); } });
    const go = async (env: NodeJS.ProcessEnv) => {
      const err = new PassThrough();
      const text: Buffer[] = [];
      err.on('data', (d: Buffer) => text.push(d));
      const code = await run(['node', 'nftlens', 'render'], { stdout: broken(), stderr: err, stdin: Readable.from(['']) }, env);
      return { code, stderr: Buffer.concat(text).toString() };
    };
    const plain = await go({});
    expect(plain.code).toBe(4);
    expect(plain.stderr).toBe('nftlens: internal error: boom (NFTLENS_DEBUG=1 shows the stack)\n');
    const debug = await go({ NFTLENS_DEBUG: '1' });
    expect(debug.code).toBe(4);
    expect(debug.stderr).toMatch(/^nftlens: internal error: boom\nTypeError: boom\n\s+at /);
  });

  it('probe without root: the environment (exit 3), said in one line', () => {
    if (process.getuid?.() !== 0) {
      const r = spawnSync(process.execPath, [bin, 'probe', '--random', '1'], { encoding: 'utf8' });
      expect(r.status).toBe(3);
      expect(r.stderr).toContain('probe needs the kernel: not running as root');
      return;
    }
    // As root, run the real bin as nobody.
    const r = spawnSync(process.execPath, [bin, 'probe', '--random', '1'], { encoding: 'utf8', uid: 65534, gid: 65534, cwd: tmpdir() });
    expect(r.stderr).toBe('nftlens: probe needs the kernel: not running as root\n');
    expect(r.status).toBe(3);
  });
});
