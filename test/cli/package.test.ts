// The package as users get it: `npm pack` (the suite has built dist/ and build/ already, so the
// pack skips prepack here; package.json's prepack builds them for a real release), then
// `npm install --omit=dev` of the tarball into an empty folder, from npm's cache when it has the
// packages, and every run-time file and dependency must be there: validate, eval and --help run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NETWORK = /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|network/;

describe('the npm package', () => {
  it('declares what it needs: run-time dependencies, files, prepack', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; files: string[]; scripts: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toContain('cli-progress');
    expect(pkg.files).toEqual(expect.arrayContaining(['bin/', 'dist/', 'build/*.wasm', 'examples/']));
    expect(pkg.scripts.prepack).toMatch(/npm run -s build/);
  });

  it('installs with --omit=dev into an empty folder and runs', { timeout: 300_000 }, (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'nftlens-pack-'));
    const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const [packed] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    const paths = packed!.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['bin/nftlens.js', 'dist/cli/main.js', 'build/engine.wasm', 'build/analyzer.wasm', 'build/geometric.wasm', 'examples/tenants', 'dist/services/web/page/index.html', 'dist/services/web/page/app.js', 'dist/services/web/page/app.css']));
    expect(paths.filter((p) => p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);

    const app = join(dir, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), '{"name":"app","private":true}\n');
    const install = spawnSync(npm, ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed!.filename)], { cwd: app, encoding: 'utf8' });
    if (install.status !== 0 && NETWORK.test(install.stderr)) {
      ctx.skip(`npm could not install the package's dependencies offline (not in npm's cache, no network): ${install.stderr.split('\n')[0]}`);
    }
    expect(install.status, install.stderr).toBe(0);
    // None of our own dependencies may refuse this Node. Deeper ones may warn: fastify 5's
    // light-my-request takes cookie 2 (declared for Node >= 22), which runs on Node 20 as the
    // service's tests show; npm resolves versions without regard to engines, so no pin helps users.
    const ours = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    const refused = [...install.stderr.matchAll(/EBADENGINE\s+package: '((?:@[^/']+\/)?[^@']+)@/g)].map((m) => m[1]);
    expect(refused.filter((name) => ours.includes(name!))).toEqual([]);

    const nftlens = (...args: string[]) => spawnSync(join(app, 'node_modules', '.bin', 'nftlens'), args, { cwd: app, encoding: 'utf8' });
    const valid = nftlens('validate');
    expect(valid.stderr).toBe('');
    expect(valid.stdout).toMatch(/^valid: 2 file\(s\), 2 tables, 2 chains \(2 base\), 14 rules, 0 warning\(s\)$/m);
    expect(valid.status).toBe(0);
    const ev = nftlens('eval', '-f', 'node_modules/nftlens/examples/provider-protect-single-consumer.yaml', '-p', 'tcp 10.0.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0', '-o', 'json');
    expect(ev.status, ev.stderr).toBe(0);
    expect((JSON.parse(ev.stdout) as { verdict: string }[])[0]!.verdict).toBe('accept');
    const bad = nftlens('eval', '-p', 'tcp nowhere -> 10.0.0.1');
    expect(bad.status).toBe(2);
    expect(nftlens('--help').stdout).toContain('Exit codes:');
    expect(nftlens('analyze').status).toBe(1);
  });
});
