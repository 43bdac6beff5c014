// The probe's namespaces: built with the interfaces the ruleset names, linked only to each other,
// and always removed — after use and when setup fails half-way.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { noKernel } from '../support/kernel.js';
import { Topology } from '../../src/probe/topology.js';

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

  it('refuses names the kernel cannot give an interface, before making anything', async () => {
    await expect(Topology.create({ interfaces: ['a-name-far-too-long'], prefix: 'topoc' })).rejects.toThrow(/interface name/);
    expect(namespaces('topoc')).toEqual([]);
  });
});
