// The encoder against values.ts semantics: for random matches of every field and value form
// (single, prefix with and without host bits, range, set, !=, masks, interface wildcards, ct
// states, families) and random packets, a packet is in the match's space exactly when the
// concrete match holds; runs of matches are their conjunction; witnesses satisfy every match.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HeaderSpace, matchSpace, matchesSpace, ruleMatchSpace } from '../../../src/analyses/headerspace/index.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import type { Match, Rule } from '../../../src/model/ruleset.js';
import { FIELD_LIST, IFPATTERNS, anyMatch, anyPacket, concreteMatch, matchOf } from './arbitraries.js';

const hs = new HeaderSpace({ ifnames: IFPATTERNS, maxNodes: 1 << 20, cacheLog2: 16 });
const m = (field: Match['field'], value: Match['value'], extra: Partial<Match> = {}): Match => ({
  kind: 'match', field, op: '==', value, origin: { rule: 't' }, ...extra,
});

describe('matchSpace', () => {
  for (const field of FIELD_LIST) {
    it(`${field}: a packet is in the space iff the match holds`, () => {
      fc.assert(
        fc.property(matchOf(field), fc.array(anyPacket, { minLength: 20, maxLength: 20 }), (match, packets) => {
          const s = matchSpace(hs, match);
          for (const p of packets) expect(hs.member(s, p), JSON.stringify({ match, p })).toBe(concreteMatch(match, p));
          hs.release(s);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('a run of matches is their conjunction, and its witness satisfies each of them', () => {
    fc.assert(
      fc.property(fc.array(anyMatch, { minLength: 1, maxLength: 4 }), fc.array(anyPacket, { minLength: 20, maxLength: 20 }), (run, packets) => {
        const s = matchesSpace(hs, run);
        for (const p of packets) expect(hs.member(s, p)).toBe(run.every((x) => concreteMatch(x, p)));
        const w = hs.witness(s);
        expect(w === undefined).toBe(hs.isEmpty(s));
        if (w) {
          expect(hs.member(s, w)).toBe(true);
          for (const x of run) expect(concreteMatch(x, w), JSON.stringify({ x, w })).toBe(true);
        }
        hs.release(s);
      }),
      { numRuns: 300 },
    );
  });

  it('a prefix with host bits set matches nothing, and its != everything of the family', () => {
    const s = matchSpace(hs, m('ip saddr', { prefix: '10.0.0.1', len: 24 }));
    expect(hs.isEmpty(s)).toBe(true);
    const n = matchSpace(hs, m('ip saddr', { prefix: '10.0.0.1', len: 24 }, { op: '!=' }));
    const v4 = hs.ofFamily(4);
    expect(hs.equals(n, v4)).toBe(true);
    hs.release(n, v4);
  });

  it('ip fields imply IPv4, ip6 fields IPv6, tcp flags TCP, ct mark a conntrack entry — also under !=', () => {
    const v4 = hs.ofFamily(4);
    const v6 = hs.ofFamily(6);
    const a = matchSpace(hs, m('ip daddr', '10.0.0.1', { op: '!=' }));
    expect(hs.subsetOf(a, v4)).toBe(true);
    const b = matchSpace(hs, m('ip6 daddr', 'fd00::1', { op: '!=' }));
    expect(hs.subsetOf(b, v6)).toBe(true);
    const tcp = hs.tcpHeaders();
    const c = matchSpace(hs, m('tcp flags', 'syn', { op: '!=', mask: 0x12 }));
    expect(hs.subsetOf(c, tcp)).toBe(true);
    const ct = hs.withConntrack();
    const d = matchSpace(hs, m('ct mark', 5, { op: '!=' }));
    expect(hs.subsetOf(d, ct)).toBe(true);
    // `ip protocol` is the same field as `meta l4proto`, restricted to IPv4.
    const e = matchSpace(hs, m('ip protocol', 'tcp'));
    const f = matchesSpace(hs, [m('meta l4proto', 6), m('meta nfproto', 'ipv4')]);
    expect(hs.equals(e, f)).toBe(true);
    hs.release(v4, v6, a, b, tcp, c, ct, d, e, f);
  });

  it('a range is O(bits) nodes, not enumerated', () => {
    const s = matchSpace(hs, m('ip6 saddr', { range: ['fd00::1', 'fd00::ffff:ffff:ffff:1234'] }));
    expect(hs.size(s)).toBeLessThan(4 * 128 + 64);
    expect(hs.count(s)).toBeGreaterThan(2 ** 100);
    hs.release(s);
  });

  it('counts headers exactly, free bits excluded', () => {
    // ip saddr 10.0.0.0/8 and tcp dport 80: 2^24 sources, any IPv4 destination, TCP with any
    // flags, any source port, ports 80, any mark, any interfaces, ct: 3 states × 2^32 ct marks + 2.
    const s = matchesSpace(hs, [m('ip saddr', { prefix: '10.0.0.0', len: 8 }), m('meta l4proto', 'tcp'), m('th dport', 80)]);
    const ifs = hs.ifnames.classes.length;
    const want = 2 ** 24 * 2 ** 32 * 2 ** 8 * 2 ** 16 * 2 ** 32 * ifs * ifs * (3 * 2 ** 32 + 2);
    expect(hs.count(s) / want).toBeCloseTo(1, 12);
    hs.release(s);
    const one = matchesSpace(hs, [
      m('ip saddr', '10.0.0.1'), m('ip daddr', '10.0.0.2'), m('meta l4proto', 'udp'), m('th sport', 1), m('th dport', 2),
      m('meta mark', 0), m('meta iifname', 'eth0'), m('meta oifname', 'lo'), m('ct state', 'untracked'),
    ]);
    expect(hs.count(one)).toBe(1);
    hs.release(one);
  });

  it('interface patterns that no kernel name can carry match nothing; unknown patterns are refused', () => {
    const s = matchSpace(hs, m('meta iifname', 'averyveryverylongname*'));
    expect(hs.isEmpty(s)).toBe(true);
    expect(() => matchSpace(hs, m('meta iifname', 'wlan0'))).toThrow(NftlensError);
    expect(() => matchSpace(hs, m('th dport', 70000))).toThrow(/MODEL_INVALID/);
    expect(() => matchSpace(hs, m('ip saddr', '10.0.0.0', { mask: 0xff }))).toThrow(/MODEL_INVALID/);
  });
});

describe('ruleMatchSpace', () => {
  it('stops at the first statement that changes a field later matches read', () => {
    const origin = { rule: 'r' };
    const rule: Rule = {
      exprs: [
        m('meta l4proto', 'tcp'),
        { kind: 'counter', origin },
        m('th dport', 22),
        { kind: 'set-mark', key: 'meta mark', value: 1, origin },
        m('meta mark', 1),
      ],
      origin,
    };
    const r = ruleMatchSpace(hs, rule);
    expect(r.end).toBe(3);
    expect(r.complete).toBe(false);
    const want = matchesSpace(hs, [m('meta l4proto', 'tcp'), m('th dport', 22)]);
    expect(hs.equals(r.space, want)).toBe(true);
    const whole = ruleMatchSpace(hs, { exprs: rule.exprs.slice(0, 3), origin });
    expect(whole.complete).toBe(true);
    expect(whole.end).toBe(3);
    hs.release(r.space, want, whole.space);
  });
});
