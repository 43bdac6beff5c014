// The probe's namespaces: built with the interfaces the ruleset names, linked only to each other,
// and always removed — after use and when setup fails half-way.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { noKernel } from '../support/kernel.js';
import { batchSafe, interfaceNameProblem, Topology } from '../../src/probe/topology.js';
import { parsePacket } from '../../src/engine/packet.js';
import { probe } from '../../src/probe/probe.js';
import { formatReport } from '../../src/probe/report.js';
import type { Ruleset } from '../../src/model/ruleset.js';

/** Names the kernel accepts that `ip -batch` text would misread (comment, quotes, continuation). */
const HOSTILE = ['e#0', "it's", 'q"x', 'b\\', '-dash', 'é1'];

describe('interface names as the kernel checks them (dev_valid_name)', () => {
  it.each([
    ['', /empty/], ['a-name-far-too-long', /19 bytes/], ['ééééééééx', /17 bytes/], ['.', /\. or \.\./], ['..', /\. or \.\./],
    ['a/b', /0x2f \(\/\)/], ['a:b', /0x3a/], ['a b', /space/], ['a\nb', /line feed/], ['a\tb', /tab/], ['a\vb', /0x0b/],
    ['a\rb', /0x0d/], ['voilà', /0xa0/], ['a\u0000b', /NUL/],
  ])('refuses %j', (name, why) => {
    expect(interfaceNameProblem(name)).toMatch(why);
  });

  it.each([...HOSTILE, 'liqo.abcdefghij', 'x\u2003y', '...'])('accepts %j', (name) => {
    expect(interfaceNameProblem(name)).toBeUndefined();
  });

  it('sends only plain words through ip -batch text', () => {
    expect(['eth0', 'liqo.abcdefghij', '10.0.0.1/24', 'fd00::1'].every(batchSafe)).toBe(true);
    for (const w of [...HOSTILE.slice(0, 4), 'a b', '']) expect(batchSafe(w), w).toBe(false);
  });
});

const namespaces = (prefix: string): string[] =>
  execFileSync('ip', ['netns', 'list']).toString().split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`nftlens-${prefix}`));

describe.skipIf(noKernel)('Topology', () => {
  it('makes a gateway with the named interfaces, each linked to the outside, and removes it all', async () => {
    const topo = await Topology.create({ interfaces: ['liqo-tunnel', 'eth0', 'liqo.abcdefghij'], prefix: 'topoa' });
    try {
      expect(namespaces('topoa')).toHaveLength(2);
      const links = JSON.parse(await topo.gateway.run('ip', ['-j', 'link', 'show'])) as { ifname: string }[];
      expect(links.map((l) => l.ifname).sort()).toEqual(['eth0', 'liqo-tunnel', 'liqo.abcdefghij', 'lo']);
      expect((await topo.gateway.run('sysctl', ['-n', 'net.ipv4.ip_forward'])).trim()).toBe('1');
      expect((await topo.gateway.run('sysctl', ['-n', 'net.ipv4.conf.all.rp_filter'])).trim()).toBe('0');
      const hostLinks = execFileSync('ip', ['-j', 'link', 'show']).toString();
      expect(hostLinks).not.toContain('liqo.abcdefghij');
      await topo.setRoutes([{ iif: 'liqo-tunnel', oif: 'eth0', version: 4, daddr: '10.42.0.7' }]);
      const routes = await topo.gateway.run('ip', ['route', 'show', 'table', String(topo.port('liqo-tunnel').table)]);
      expect(routes).toContain('10.42.0.7 via');
    } finally {
      await topo.dispose();
    }
    expect(namespaces('topoa')).toEqual([]);
  });

  it('leaves no namespace behind when setup fails half-way', async () => {
    // `lo` passes the name check but already exists in the gateway: `ip link add` fails after both
    // namespaces and the first veth exist.
    await expect(Topology.create({ interfaces: ['eth0', 'lo'], prefix: 'topob' })).rejects.toThrow(/File exists/);
    expect(namespaces('topob')).toEqual([]);
  });

  it('builds interfaces whose names ip -batch would misread, and routes through them', async () => {
    const topo = await Topology.create({ interfaces: HOSTILE, prefix: 'topod' });
    try {
      const links = JSON.parse(await topo.gateway.run('ip', ['-j', 'link', 'show'])) as { ifname: string }[];
      expect(links.map((l) => l.ifname).sort()).toEqual([...HOSTILE, 'lo'].sort());
      const addrs = JSON.parse(await topo.gateway.run('ip', ['-j', 'address', 'show', 'dev', "it's"])) as { addr_info: { local: string }[] }[];
      expect(addrs[0]!.addr_info.map((a) => a.local)).toContain(topo.port("it's").v4.address);
      await topo.setRoutes([{ iif: 'e#0', oif: 'b\\', version: 4, daddr: '10.42.0.7' }, { iif: 'q"x', oif: "it's", version: 6, daddr: 'fd00::7' }]);
      expect(await topo.gateway.run('ip', ['route', 'show', 'table', String(topo.port('e#0').table)])).toMatch(/10\.42\.0\.7 via \S+ dev b\\/);
      expect(await topo.gateway.run('ip', ['-6', 'route', 'show', 'table', String(topo.port('q"x').table)])).toMatch(/fd00::7 via \S+ dev it's/);
      expect(await topo.gateway.run('ip', ['rule', 'show'])).toContain('iif e#0 lookup');
    } finally {
      await topo.dispose();
    }
    expect(namespaces('topod')).toEqual([]);
  }, 60_000);

  it('probes packets through such interfaces: the kernel matches the names as the engine does', async () => {
    const O = {};
    const ruleset: Ruleset = {
      tables: [{
        family: 'ip', name: 'f', origin: O, chains: [{
          name: 'fw', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'drop' }, origin: O, rules: [
            { exprs: [{ kind: 'match', field: 'meta iifname', op: '==', value: 'e#0', origin: O }, { kind: 'counter', origin: O }], verdict: { kind: 'accept', origin: O }, origin: O },
          ],
        }],
      }],
    };
    const packets = ['e#0', "it's"].map((iif) => ({ ...parsePacket('udp 10.1.0.5:4000 -> 10.42.0.5:53 oif b\\'), iifname: iif }));
    const report = await probe(ruleset, packets, { prefix: 'topoe' });
    expect(report, formatReport(report)).toMatchObject({ ok: true, compared: 2 });
    expect(report.packets.map((o) => o.kernel?.delivered)).toEqual([true, false]);
  }, 60_000);

  it('refuses names the kernel cannot give an interface, before making anything', async () => {
    await expect(Topology.create({ interfaces: ['a-name-far-too-long'], prefix: 'topoc' })).rejects.toThrow(/interface name/);
    expect(namespaces('topoc')).toEqual([]);
  });
});
