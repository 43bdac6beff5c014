// The host environment: local and interface addresses, routes declared as `PREFIX dev NAME` and
// from prefixed interface addresses (the connected routes), longest prefix first; bad input named.
// routeIntervals, the analyses' view of the routes, gives each address to its longest route.
import { describe, expect, it } from 'vitest';
import { firstAddress, makeEnvironment, parseRoute } from '../../src/engine/environment.js';
import { routeIntervals } from '../../src/engine/fib.js';
import { NftlensError } from '../../src/model/diagnostics.js';

const ip4 = (s: string) => s.split('.').reduce((x, p) => x * 256n + BigInt(p), 0n);

describe('environment', () => {
  it('reads routes, the connected ones from prefixed interface addresses, longest first', () => {
    const env = makeEnvironment({ interfaceAddresses: { eth1: ['10.1.0.1/16', 'fd00::1/64'] }, routes: ['default dev eth0', '10.1.2.0/24 dev wg0', '192.0.2.7 dev eth0'] });
    expect(env.routes!.map((r) => `${r.version} ${r.net} /${r.len} ${r.dev}`)).toEqual([
      `6 ${0xfd00n << 112n} /64 eth1`, `4 ${ip4('192.0.2.7')} /32 eth0`, `4 ${ip4('10.1.2.0')} /24 wg0`, `4 ${ip4('10.1.0.0')} /16 eth1`, '4 0 /0 eth0',
    ]);
    expect(env.local[4].has(ip4('10.1.0.1'))).toBe(true);
    expect(firstAddress(env, 'eth1', 4)).toBe(ip4('10.1.0.1'));
    expect(makeEnvironment({ interfaceAddresses: { eth1: ['10.1.0.1'] } }).routes).toBeUndefined();
  });

  it('keeps the network part of a route written with host bits', () => {
    expect(parseRoute('10.1.2.3/8 dev eth0')).toEqual({ version: 4, net: ip4('10.0.0.0'), len: 8, dev: 'eth0' });
    expect(parseRoute('::/0 dev eth0')).toEqual({ version: 6, net: 0n, len: 0, dev: 'eth0' });
  });

  it.each([
    ['10.0.0.0/8 via eth0', /is not "PREFIX dev INTERFACE"/],
    ['10.0.0.0/33 dev eth0', /an IPv4 prefix is at most \/32/],
    ['10.0.0.0/x dev eth0', /no valid prefix length/],
    ['ten dev eth0', /"ten" is not an IP address/],
  ])('refuses %s', (text, message) => {
    expect(() => parseRoute(text)).toThrow(NftlensError);
    expect(() => parseRoute(text)).toThrow(message);
  });

  it("gives every address to its longest route (the analyses' partition)", () => {
    const env = makeEnvironment({ routes: ['10.0.0.0/8 dev a', '10.1.0.0/16 dev b', '10.1.2.0/24 dev a', 'default dev c'] });
    const parts = routeIntervals(env.routes!, 4);
    const show = (dev: string) => parts.get(dev)!.map((iv) => `${iv.lo}-${iv.hi}`);
    expect(show('b')).toEqual([`${ip4('10.1.0.0')}-${ip4('10.1.1.255')}`, `${ip4('10.1.3.0')}-${ip4('10.1.255.255')}`]);
    expect(show('a')).toEqual([`${ip4('10.0.0.0')}-${ip4('10.0.255.255')}`, `${ip4('10.1.2.0')}-${ip4('10.1.2.255')}`, `${ip4('10.2.0.0')}-${ip4('10.255.255.255')}`]);
    expect(show('c')).toEqual([`0-${ip4('9.255.255.255')}`, `${ip4('11.0.0.0')}-${ip4('255.255.255.255')}`]);
  });
});
