// Base chains of equal priority at one hook: the kernel runs the one registered last first
// (nf_hook_entries_grow inserts a new hook before the entries of equal priority). Pinned on both
// engines and on the kernel itself: two tables at output priority 0, the first created drops,
// the second accepts; a local UDP packet is counted by both and dropped.
import { describe, expect, it } from 'vitest';
import { withNetns } from '../../src/backends/netns/netns.js';
import { loadRuleset, listRuleset } from '../../src/backends/nft/nft.js';
import { renderNftJson } from '../../src/backends/nft/render-json.js';
import { compileRuleset, parsePacket, ReferenceEngine } from '../../src/engine/index.js';
import type { Ruleset } from '../../src/model/ruleset.js';
import { noKernel } from '../support/kernel.js';
import { base, counter, rule, table, v } from './ir.js';

const out = (verdict: 'accept' | 'drop') => base('c', { hook: 'output', priority: 0 }, [rule([counter], v(verdict))]);
const rs: Ruleset = { tables: [table('ip', 'first', [out('drop')]), table('ip', 'second', [out('accept')])] };
const PACKET = 'udp 127.0.0.1:40000 -> 127.0.0.1:9 oif lo local';

describe('equal priorities', () => {
  it('run the chain created last first, on both engines', () => {
    const c = compileRuleset(rs, { localAddresses: ['127.0.0.1'] });
    const ref = new ReferenceEngine(rs, { localAddresses: ['127.0.0.1'] });
    const a = c.evaluate(parsePacket(PACKET));
    expect(a).toEqual(ref.evaluate(parsePacket(PACKET)));
    expect(a.verdict).toBe('drop');
    expect(Array.from(c.counterArray()).filter((_, i) => i % 2 === 0)).toEqual([1, 1]); // both chains saw it
    expect(c.diagnostics.map((d) => d.code)).toEqual(['ENGINE_ORDER']);
  });

  it('are reported once per group, naming the chains in run order', () => {
    const fwd = (name: string, priority: number) => base(name, { hook: 'forward', priority }, [rule([counter], v('accept'))]);
    const tables = ['t0', 't1', 't2', 't3'].map((t, i) => table('ip', t, [fwd('f', i === 3 ? 5 : 0)]));
    const c = compileRuleset({ tables: [...tables, table('ip6', 'six', [fwd('f', 0)]), table('inet', 'both', [fwd('f', 0)])] });
    const warnings = c.diagnostics.filter((d) => d.code === 'ENGINE_ORDER').map((d) => d.message);
    // IPv4: the three ip chains and the inet one at 0 (t3 is alone at 5); IPv6: the ip6 and the inet chain.
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^4 base chains run at forward priority 0, in this order: "inet both f", "ip t2 f", "ip t1 f", "ip t0 f";/);
    expect(warnings[1]).toMatch(/^2 base chains run at forward priority 0, in this order: "inet both f", "ip6 six f";/);
  });

  it.skipIf(noKernel)('as the kernel does', async () => {
    const counts = await withNetns('order', async (ns) => {
      await ns.run('ip', ['link', 'set', 'lo', 'up']);
      await loadRuleset(renderNftJson(rs), { netns: ns.name });
      const send = "require('dgram').createSocket('udp4').send('x', 9, '127.0.0.1', (e) => process.exit(e ? 3 : 0))";
      await ns.run(process.execPath, ['-e', send]).catch(() => undefined); // EPERM: dropped on output
      const back = await listRuleset({ netns: ns.name });
      return back.tables.map((t) => {
        const e = t.chains[0]!.rules[0]!.exprs[0]!;
        return [t.name, e.kind === 'counter' ? e.packets : undefined];
      });
    });
    expect(Object.fromEntries(counts)).toEqual({ first: 1, second: 1 });
  });
});
