// Names from the input never reach the terminal raw: a rule named "ESC[2K CR ACCEPT" would erase
// the line it is printed on and paint a forged verdict. Every output is checked byte by byte for
// control characters; JSON output still parses to the original names.
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src/model/terminal.js';
import { cli } from '../support/cli.js';

const forged = '\u001b[2K\rACCEPT';
const c1 = 'x\u009b31m\u202eevil\u007f';
// Liqo's front end refuses control characters in names (nft text could not carry them), but a
// kernel listing can hold any bytes in a rule comment or a chain name: nft JSON input is how such
// names reach nftlens, so that is the hostile input built here.
const match = (field: 'saddr' | 'daddr', value: string) => ({ match: { op: '==', left: { payload: { protocol: 'ip', field } }, right: value } });
const iif = { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'liqo-tunnel' } };
const chain = `gate${c1}`;
const hostile = JSON.stringify({
  nftables: [
    { metainfo: { json_schema_version: 1 } },
    { table: { family: 'ip', name: 'provider-protection-venice', handle: 1 } },
    { chain: { family: 'ip', table: 'provider-protection-venice', name: chain, handle: 1, type: 'filter', hook: 'forward', prio: 0, policy: 'drop' } },
    { rule: { family: 'ip', table: 'provider-protection-venice', chain, handle: 2, comment: forged, expr: [iif, match('daddr', '10.42.1.15'), { accept: null }] } },
    { rule: { family: 'ip', table: 'provider-protection-venice', chain, handle: 3, comment: c1, expr: [match('saddr', '10.42.1.15'), { drop: null }] } },
  ],
});
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
    const r = await cli(['import', '-o', 'json', '-f', '-'], hostile);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { tables: { chains: { name: string; rules: { comment: string }[] }[] }[] };
    expect(doc.tables[0]!.chains[0]!.name).toBe(chain);
    expect(doc.tables[0]!.chains[0]!.rules[0]!.comment).toBe(forged);
    expect(r.stdout).not.toMatch(RAW);
  });

  it.each([
    ['validate', []],
    ['render', [], 2], // nft text cannot carry these names: NFT_TEXT, located, escaped
    ['render', ['-o', 'json']],
    ['import', ['-o', 'yaml']],
    ['check', [], 2], // check renders nft text too
    ['analyze', []],
    ['analyze', ['-o', 'json']],
    ['eval', ['-p', accepted]],
    ['eval', ['-p', accepted, '--trace']],
    ['eval', ['-p', accepted, '-o', 'json']],
  ] as [string, string[], number?][])('%s %j', async (command, args, code) => {
    const r = await cli([command, '-f', '-', ...args], hostile);
    if (code === undefined) expect(r.code, r.stderr).toBeLessThan(2);
    else expect(r.code, r.stderr).toBe(code);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stdout.length + (code ? r.stderr.length : 0)).toBeGreaterThan(0);
  });

  it('eval shows the hostile chain name escaped, and JSON gives it back intact', async () => {
    const text = await cli(['eval', '-f', '-', '-p', accepted], hostile);
    expect(text.stdout).toContain('ACCEPT by ip provider-protection-venice gatex\\u009b31m\\u202eevil\\u007f rule handle 2');
    const json = await cli(['eval', '-f', '-', '-p', accepted, '-o', 'json'], hostile);
    const [res] = JSON.parse(json.stdout) as { rule: { label: string } }[];
    expect(res!.rule.label).toBe(`ip provider-protection-venice ${chain} rule handle 2`);
  });

  it('error lines on stderr are escaped too', async () => {
    const bad = hostile.replace('"10.42.1.15"', '"10.42.1.300"');
    const r = await cli(['validate', '-f', '-'], bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('chain "gatex\\u009b31m\\u202eevil\\u007f", rule handle 2');
    expect(r.stderr).not.toMatch(RAW);
    const usage = await cli(['validate', '--\u001b[2Kx']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).not.toMatch(RAW);
  });
});
