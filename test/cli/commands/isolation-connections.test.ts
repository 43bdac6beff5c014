// `nftlens isolation --connections`: the connection relation next to the packet relation, in text
// and JSON; without the flag the output is the packet relation's alone.
import { describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';

describe('nftlens isolation --connections', () => {
  it('adds the connection relation to text and JSON, and only with the flag', async () => {
    const plain = await cli(['isolation']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('connections');
    const text = await cli(['isolation', '--connections']);
    expect(text.code).toBe(0);
    expect(text.stdout.startsWith(plain.stdout.trimEnd())).toBe(true);
    expect(text.stdout).toContain('connections (first packet and reply accepted):');
    expect(text.stdout).toMatch(/✓ venice → naples: cannot open a connection/);
    const json = await cli(['isolation', '--connections', '-o', 'json']);
    const doc = JSON.parse(json.stdout) as { connections: { from: string; to: string; opens: boolean; exact: boolean }[] };
    expect(doc.connections.map((c) => [c.from, c.to, c.opens, c.exact])).toEqual([['venice', 'naples', false, true], ['naples', 'venice', false, true]]);
  });
});
