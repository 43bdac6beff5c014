// src/model/values.ts: the hand-read dotted quad accepts exactly what ipaddr.js's strict check
// does, with the same value; IPv4 prefixes computed in numbers give the intervals (and errors)
// of the general bigint computation; one-item values skip the merge but give the same list; an
// IPv4 address is written as ipaddr.js writes it.

import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { formatAddress, formatIpv4, itemInterval, parseAddress, prefixMask, valueIntervals } from '../../src/model/values.js';

/** Text near a dotted quad: digits, dots, leading zeros, big parts, stray characters. */
const nearQuad = fc.oneof(
  fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('0', '00', '01', '255', '256', '999', '')), { minLength: 1, maxLength: 6 })
    .map((parts) => parts.join('.')),
  fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', '.', 'x', ':', ' ', '-'), maxLength: 18 }),
);

describe('parseAddress (IPv4)', () => {
  it('accepts what ipaddr.js accepts as a four-part decimal, with its value', () => {
    fc.assert(
      fc.property(nearQuad, (text) => {
        const a = parseAddress(text);
        if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
          const want = ipaddr.IPv4.parse(text).toByteArray().reduce((v, b) => (v << 8n) | BigInt(b), 0n);
          expect(a).toEqual({ version: 4, value: want });
        } else if (!text.includes(':')) {
          expect(a).toBeUndefined();
        }
      }),
      { numRuns: 5000 },
    );
    for (const t of ['0.0.0.0', '255.255.255.255', '10.42.1.7']) expect(parseAddress(t)?.version).toBe(4);
    for (const t of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..2.3', '.1.2.3', '1.2.3.4.', ' 1.2.3.4', '0x1.2.3.4', '1.2.3.4/8']) {
      expect(parseAddress(t)).toBeUndefined();
    }
  });
});

describe('formatAddress and formatIpv4', () => {
  it('writes what ipaddr.js writes, and parseAddress reads it back', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat({ max: 0xffffffff }), fc.constantFrom(0, 0xffffffff, 0x7fffffff, 0x80000000)), (n) => {
        const text = formatAddress(BigInt(n), 4);
        expect(text).toBe(ipaddr.fromByteArray([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]).toString());
        expect(parseAddress(text)).toEqual({ version: 4, value: BigInt(n) });
        expect(formatIpv4(n)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('itemInterval (IPv4 prefixes)', () => {
  it('gives the bigint computation\'s interval, null for host bits, and its errors', () => {
    const reference = (base: bigint, len: number) => {
      const mask = prefixMask(len, 32);
      return (base & mask) !== base ? null : { lo: base, hi: base | (~mask & 0xffffffffn) };
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), fc.boolean(), (n, len, aligned) => {
        const v = aligned && len < 32 ? n - (n % 2 ** (32 - len)) : n;
        const text = formatIpv4(v);
        expect(itemInterval('ip saddr', { prefix: text, len })).toEqual(reference(BigInt(v), len));
      }),
      { numRuns: 5000 },
    );
    expect(itemInterval('ip saddr', { prefix: '10.0.0.0', len: 33 })).toBe('prefix length 33 is out of 0..32');
    expect(itemInterval('ip saddr', { prefix: '10.0.0.0', len: 1.5 })).toBe('prefix length 1.5 is out of 0..32');
    expect(itemInterval('ip saddr', { prefix: '10.0.0.256', len: 8 })).toBe('"10.0.0.256" is not a valid IPv4 address');
    expect(itemInterval('ip saddr', { prefix: '::1', len: 8 })).toBe('"::1" is not a valid IPv4 address');
    expect(itemInterval('ip daddr', { prefix: 7 as unknown as string, len: 8 })).toBe('expected an IPv4 address, got 7');
    expect(itemInterval('th dport', { prefix: '10.0.0.0', len: 8 })).toBe('a prefix is not a value of th dport');
  });
});

describe('valueIntervals', () => {
  it('gives a one-item value the list a one-item set gets', () => {
    const items = [{ prefix: '10.1.0.0', len: 16 }, { prefix: '10.1.0.1', len: 16 }, '192.0.2.1', { range: ['10.0.0.9', '10.0.0.1'] as [string, string] }];
    for (const item of items) expect(valueIntervals('ip saddr', item)).toEqual(valueIntervals('ip saddr', { set: [item] }));
    expect(valueIntervals('th dport', 80)).toEqual([{ lo: 80n, hi: 80n }]);
    expect(valueIntervals('th dport', 70000)).toBe('70000 is not a 16-bit value for th dport');
  });
});
