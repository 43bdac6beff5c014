// `nftlens analyze` end to end: findings grouped by severity with origins and witnesses, exit
// code 1 on an error-level finding (0 otherwise), JSON output, nft JSON input on stdin.
import { describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';

const nft = (rules: unknown[]) => JSON.stringify({ nftables: [
  { table: { family: 'ip', name: 'f', handle: 1 } },
  { chain: { family: 'ip', table: 'f', name: 'fwd', handle: 1, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
  ...rules.map((expr, i) => ({ rule: { family: 'ip', table: 'f', chain: 'fwd', handle: i + 2, expr } })),
] });
const saddr = (net: string, len: number) => ({ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: net, len } } } });

describe('nftlens analyze', () => {
  it('the embedded examples: shadowed rules are errors (exit 1), grouped before warnings', async () => {
    const r = await cli(['analyze']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^nftlens analyze: 2 file\(s\)/);
    expect(r.stdout.indexOf('ERRORS')).toBeLessThan(r.stdout.indexOf('WARNINGS'));
    // Equal priorities: the table created last (venice's) runs first, and its drop policy takes
    // the naples traffic the multi-consumer table would accept.
    expect(r.stdout).toContain('✗ shadowed       ip provider-protection offloaded-pods-only rule allow-naples-to-10-42-3-21');
    expect(r.stdout).toContain('examples/provider-protect-multi-consumer.yaml:104:15');
    expect(r.stdout).toMatch(/witness  tcp 10\.113\.0\.1:1024 -> 10\.42\.3\.21:80 iif liqo-tunnel/);
  });

  it('the multi-consumer example alone has no finding (exit 0)', async () => {
    const r = await cli(['analyze', '-f', 'examples/provider-protect-multi-consumer.yaml']);
    expect(r.stdout).toContain('0 error(s), 0 warning(s), 0 info');
    expect(r.code).toBe(0);
  });

  it('nft JSON on stdin, JSON out', async () => {
    const r = await cli(['analyze', '-f', '-', '-o', 'json'], nft([
      [saddr('10.0.0.0', 8), { drop: null }],
      [saddr('10.1.0.0', 16), { accept: null }],
    ]));
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.summary).toMatchObject({ error: 1, rules: 2 });
    expect(out.findings[0]).toMatchObject({ kind: 'shadowed', severity: 'error', rule: 'ip f fwd rule handle 3', related: [{ label: 'ip f fwd rule handle 2' }] });
    expect(out.findings[0].witnessPacket.saddr).toMatch(/^10\.1\./);
  });
});
