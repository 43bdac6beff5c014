// Names from the input never reach the terminal raw: a rule named "ESC[2K CR ACCEPT" would erase
// the line it is printed on and paint a forged verdict. Every output is checked byte by byte for
// control characters; JSON output still parses to the original names.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src/cli/terminal.js';
import { cli } from '../support/cli.js';

const example = readFileSync(new URL('../../examples/provider-protect-single-consumer.yaml', import.meta.url), 'utf8');
const forged = '\u001b[2K\rACCEPT';
const c1 = 'x\u009b31m\u202eevil\u007f';
// The input built here: two rules renamed, with YAML escapes for the control characters.
const hostile = example
  .replace('name: allow-venice-to-10-42-1-15', `name: "${JSON.stringify(forged).slice(1, -1)}"`)
  .replace('name: allow-venice-to-10-42-2-7', `name: "${JSON.stringify(c1).slice(1, -1).replace('\u009b', '\\u009b').replace('\u202e', '\\u202e').replace('\u007f', '\\u007f')}"`)
  .replace('name: venice-provider-protection', 'name: "venice\\e]0;pwned\\a"');
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const accepted = 'tcp 10.0.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0';

describe('terminalSafe', () => {
  it('escapes C0 (but LF and TAB), DEL, C1 and bidi controls as \\uXXXX', () => {
    expect(terminalSafe('a\u001b[2K\rb\tc\nd\u007f\u0085\u202e\u2066')).toBe('a\\u001b[2K\\u000db\tc\nd\\u007f\\u0085\\u202e\\u2066');
    expect(terminalSafe('plain → text ✓')).toBe('plain → text ✓');
  });

  it('keeps JSON valid and its meaning', () => {
    const s = JSON.stringify({ n: c1 });
    expect(JSON.parse(terminalSafe(s))).toEqual({ n: c1 });
  });
});

describe('hostile names in every output', () => {
  it('the input does hold raw control characters in its names', async () => {
    const r = await cli(['validate', '-o', 'json', '-f', '-'], hostile);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { resources: { resource: string }[] };
    expect(doc.resources[0]!.resource).toBe('liqo-tenant-venice/venice\u001b]0;pwned\u0007');
    expect(r.stdout).not.toMatch(RAW);
  });

  it.each([
    ['validate', []],
    ['render', []],
    ['render', ['-o', 'json']],
    ['import', ['-o', 'yaml']],
    ['check', []],
    ['analyze', []],
    ['analyze', ['-o', 'json']],
    ['eval', ['-p', accepted]],
    ['eval', ['-p', accepted, '--trace']],
    ['eval', ['-p', accepted, '-o', 'json']],
  ])('%s %j', async (command, args) => {
    const r = await cli([command, '-f', '-', ...args], hostile);
    expect(r.code, r.stderr).toBeLessThan(2);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stdout.length).toBeGreaterThan(0);
  });

  it('eval shows the forged name escaped, and JSON gives it back intact', async () => {
    const text = await cli(['eval', '-f', '-', '-p', accepted], hostile);
    expect(text.stdout).toContain('ACCEPT by ip provider-protection-venice offloaded-pods-only rule \\u001b[2K\\u000dACCEPT (');
    const json = await cli(['eval', '-f', '-', '-p', accepted, '-o', 'json'], hostile);
    const [res] = JSON.parse(json.stdout) as { rule: { label: string } }[];
    expect(res!.rule.label).toBe(`ip provider-protection-venice offloaded-pods-only rule ${forged}`);
  });

  it('error lines on stderr are escaped too', async () => {
    const bad = hostile.replace('value: 10.42.1.15', 'value: 10.42.1.300');
    const r = await cli(['validate', '-f', '-'], bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rule \\u001b[2K\\u000dACCEPT');
    expect(r.stderr).not.toMatch(RAW);
    const usage = await cli(['validate', '--\u001b[2Kx']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).not.toMatch(RAW);
  });
});
