// The fast packet scanner against parsePacket: on random lines, valid and broken, given as UTF-8
// bytes amid other lines' bytes and untrimmed, whatever the scanner accepts parsePacket accepts
// too (the line trimmed) and gives the same packet; whatever parsePacket rejects the scanner
// declines (so the caller's parsePacket reports it); and it accepts the usual lines.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketScanner } from '../../src/engine/packet-scan.js';
import { parsePacket, type Packet } from '../../src/engine/packet.js';

const octet = fc.oneof({ weight: 40, arbitrary: fc.integer({ min: 0, max: 255 }).map(String) }, { weight: 1, arbitrary: fc.constantFrom('00', '01', '256', '999', '1a', '') });
const ip4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const address = fc.oneof({ weight: 6, arbitrary: ip4 }, { weight: 1, arbitrary: fc.constantFrom('[fd00::1]', 'fd00::2', '1.2.3', '1.2.3.4.5', '::ffff:1.2.3.4', '[1.2.3.4]') });
const number = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 70000 }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffffffff }).map((n) => '0x' + n.toString(16)) },
  fc.constantFrom('0X1F', '0x', '007', '-1', '1e3', '4294967296', '99999999999999999999', ''),
);
const port = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 65535 }).map(String) }, { weight: 1, arbitrary: number });
const endpoint = fc.tuple(address, fc.option(port)).map(([a, p]) => (p === null ? a : `${a}:${p}`));
const proto = fc.constantFrom('tcp', 'tcp', 'tcp', 'udp', 'udp', 'icmp', 'icmp6', 'icmpv6', 'ipv6-icmp', 'sctp', 'gre', 'TCP', 'Udp', '6', '17', '1', '58', '255', '256', '0x6', 'foo', 'constructor');
const value = fc.oneof(number, fc.constantFrom('eth0', 'liqo-tunnel', 'liqo.abcdefghij', 'x'.repeat(15), 'x'.repeat(16), 'new', 'established', 'related', 'invalid', 'untracked', 'NEW', 'syn', 'syn,ack', 'fin|psh', 'syn,', 'bogus', 'constructor', 'local', 'a"b\\c'));
const option = fc.oneof(
  { weight: 1, arbitrary: fc.constant(['local']) },
  { weight: 8, arbitrary: fc.constantFrom(['iif', 'eth0'], ['oif', 'liqo.abcdefghij'], ['ct', 'established'], ['ct', 'related'], ['mark', '0x10'], ['ctmark', '7'], ['len', '1500'], ['flags', 'syn,ack'], ['flags', '0x12'], ['csum', '0xbeef']) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('iif', 'oif', 'ct', 'mark', 'ctmark', 'len', 'flags', 'type', 'code', 'csum', 'bogus', 'IIF'), value).map((kv) => [...kv]) },
  { weight: 1, arbitrary: fc.constantFrom(['iif'], ['mark']) },
);
const space = fc.oneof({ weight: 30, arbitrary: fc.constantFrom(' ', '  ', '\t') }, { weight: 1, arbitrary: fc.constantFrom('\u00a0', '\u2028', '\r', '\v', '\f', '\ufeff', 'é', '\u0000') });
const line = fc
  .tuple(proto, endpoint, fc.constantFrom('->', '->', '->', '=>'), endpoint, fc.array(option, { maxLength: 4 }), fc.array(space, { minLength: 12, maxLength: 12 }))
  .map(([p, s, arrow, d, opts, sp]) => {
    const words = [p, s, arrow, d, ...opts.flat()];
    return words.map((w, i) => (i ? sp[i % sp.length] : '') + w).join('');
  });
/** A line with white space around it, or none. */
const padded = fc.tuple(fc.option(space), line, fc.option(space)).map(([a, l, b]) => (a ?? '') + l + (b ?? ''));

/** Scans `text` as the streamed eval does: its UTF-8 bytes between a previous and a next line's. */
function scan(scanner: PacketScanner, text: string): boolean {
  const bytes = Buffer.from(`# before\n${text}\n2nd line`);
  return scanner.scan(bytes, 9, 9 + Buffer.byteLength(text));
}

function slow(text: string): Packet | undefined {
  try {
    return parsePacket(text);
  } catch {
    return undefined;
  }
}

describe('PacketScanner', () => {
  it('on random lines, accepts only what parsePacket accepts, and gives the same packet', () => {
    const scanner = new PacketScanner();
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(padded, (text) => {
        const t = text.trim();
        const expected = slow(t);
        if (expected === undefined) rejected++;
        // Untrimmed half the time: the scanner skips spaces and tabs, and declines other white space.
        if (!scan(scanner, text.length % 2 ? text : t)) return;
        accepted++;
        expect(expected, t).toBeDefined();
        expect(scanner.toPacket(), t).toEqual(expected);
      }),
      { numRuns: 20_000 },
    );
    // The generator reaches both sides, so the property can fail either way.
    console.log(`scanner accepted ${accepted}, parsePacket rejected ${rejected} of 20,000 random lines`);
    expect(accepted).toBeGreaterThan(2000);
    expect(rejected).toBeGreaterThan(2000);
  });

  it('accepts the usual IPv4 lines, giving what parsePacket gives', () => {
    const scanner = new PacketScanner();
    const usual = fc
      .tuple(
        fc.constantFrom('tcp', 'udp', 'icmp', 'sctp', '47'),
        fc.ipV4(), fc.integer({ min: 0, max: 65535 }), fc.ipV4(), fc.integer({ min: 0, max: 65535 }),
        fc.subarray(['iif eth0', 'oif liqo.abcdefghij', 'ct established', 'mark 0x10', 'ctmark 7', 'flags syn,ack', 'len 1500', 'local', 'csum 0xbeef']),
      )
      .map(([p, s, sp, d, dp, opts]) => [p, `${s}:${sp}`, '->', `${d}:${dp}`, ...opts].join(' '));
    fc.assert(
      fc.property(usual, (text) => {
        expect(scan(scanner, text), text).toBe(true);
        expect(scanner.toPacket()).toEqual(parsePacket(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('ICMP: type and code make the first word, the checksum the second, unless given', () => {
    const scanner = new PacketScanner();
    for (const text of ['icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0', 'icmp 10.0.0.1 -> 10.0.0.2:5 type 3', 'icmp6 10.0.0.1 -> 10.0.0.2 csum 0x1234 code 9']) {
      expect(scan(scanner, text), text).toBe(true);
      expect(scanner.toPacket()).toEqual(parsePacket(text));
    }
  });

  it('declines hostile lines, which parsePacket then rejects with its error', () => {
    const scanner = new PacketScanner();
    const hostile = [
      `tcp 1.2.3.4 -> 5.6.7.8 iif${'x'.repeat(256)} eth0`, // packs like "iif" by length and first characters
      'tcp 1.2.3.4 -> 5.6.7.8 __proto__ 1', 'tcp 1.2.3.4 -> 5.6.7.8 ct constructor', 'constructor 1.2.3.4 -> 5.6.7.8',
      'tcp 1.2.3.4\u0000 -> 5.6.7.8', 'tcp 1.2.3.4:99999999999999999999 -> 5.6.7.8', 'tcp 1.2.3.4 -> 5.6.7.8 mark 0x100000000',
      'tcp 1.2.3.4 -> 5.6.7.8 iif', 'tcp 1.2.3.4 -> 5.6.7.8 iif abcdefghijklmnop', 'udp 1.2.3.4 -> 5.6.7.8 type 8',
      'tcp 1.2.3.4 -> [::1]', 'tcp 1.2.3.4 5.6.7.8', `tcp ${'9'.repeat(10000)}.1.1.1 -> 5.6.7.8`,
    ];
    for (const text of hostile) {
      expect(scan(scanner, text), text).toBe(false);
      expect(() => parsePacket(text), text).toThrow(/INPUT_PARSE/);
    }
  });
});
