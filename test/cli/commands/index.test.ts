// The command table loads each command's heavy modules on use: `validate` and `--help` start
// without the engine, the analyses, the back ends and the probe (fresh processes of the built CLI,
// with a module hook that lists what they load); `eval` does load the engine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../../bin/nftlens.js', import.meta.url));
const examples = fileURLToPath(new URL('../../../examples', import.meta.url));
const hook = "export async function load(url, context, next) { if (url.includes('/dist/')) process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); }";
const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hook))});`;

/** The package's modules (dist/…) a fresh `nftlens ARGS` loads, and its exit code. */
function loads(...args: string[]): { code: number | null; modules: string[] } {
  const r = spawnSync(process.execPath, ['--import', 'data:text/javascript,' + encodeURIComponent(register), bin, ...args], { encoding: 'utf8' });
  const modules = r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.replace(/^.*\/dist\//, ''));
  return { code: r.status, modules };
}

const HEAVY = /^(engine|analyses|backends|probe|services)\//;

describe('commands load their modules on use', () => {
  it('validate loads the front ends only', () => {
    const r = loads('validate', '-f', examples);
    expect(r.code).toBe(0);
    expect(r.modules).toContain('frontends/liqo/index.js');
    expect(r.modules.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it('--help lists every command without loading them', () => {
    const r = loads('--help');
    expect(r.code).toBe(0);
    expect(r.modules).toContain('cli/commands/eval.js');
    expect(r.modules.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it('eval loads the engine', () => {
    const r = loads('eval', '-f', examples, '-p', 'tcp 10.0.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0');
    expect(r.code).toBe(0);
    expect(r.modules).toContain('engine/index.js');
  });
});
