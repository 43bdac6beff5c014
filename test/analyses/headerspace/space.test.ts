// HeaderSpace: the layout read back from the core, the algebra inside the valid headers,
// projection, readable witnesses and descriptions, and the node limit as ANALYSIS_LIMIT.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FIELD_NAMES, HeaderSpace, matchSpace, matchesSpace } from '../../../src/analyses/headerspace/index.js';
import { instantiate } from '../../../src/analyses/headerspace/wasm.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import type { Match } from '../../../src/model/ruleset.js';
import { IFPATTERNS, anyMatch, anyPacket } from './arbitraries.js';
import { readClassBench } from './classbench.js';

const hs = new HeaderSpace({ ifnames: IFPATTERNS, maxNodes: 1 << 20, cacheLog2: 16 });
const m = (field: Match['field'], value: Match['value'], extra: Partial<Match> = {}): Match => ({
  kind: 'match', field, op: '==', value, origin: { rule: 't' }, ...extra,
});
const run = (...ms: Match[]) => matchesSpace(hs, ms);

describe('layout', () => {
  it('names exactly the fields the core declares, which tile the variables in order', () => {
    const ex = instantiate();
    const declared = Object.keys(ex).filter((k) => k.startsWith('FIELD_') && k !== 'FIELD_COUNT');
    expect(declared.map((k) => k.slice(6).toLowerCase()).sort()).toEqual([...FIELD_NAMES].sort());
    let next = 0;
    for (const f of hs.layout.ordered()) {
      expect(hs.layout.field(f).first).toBe(next);
      next += hs.layout.field(f).width;
    }
    expect(next).toBe(hs.layout.variables);
    expect(hs.layout.field('iifname').width).toBe(hs.ifnames.bits);
  });
});

describe('algebra inside the valid headers', () => {
  it('not, diff, or, and agree with membership; counts add up', () => {
    fc.assert(
      fc.property(anyMatch, anyMatch, fc.array(anyPacket, { minLength: 10, maxLength: 10 }), (x, y, packets) => {
        const a = matchSpace(hs, x);
        const b = matchSpace(hs, y);
        const na = hs.not(a);
        const u = hs.or(a, b);
        const i = hs.and(a, b);
        const d = hs.diff(a, b);
        const sym = hs.xor(a, b);
        for (const p of packets) {
          const [pa, pb] = [hs.member(a, p), hs.member(b, p)];
          expect(hs.member(na, p)).toBe(!pa);
          expect(hs.member(u, p)).toBe(pa || pb);
          expect(hs.member(i, p)).toBe(pa && pb);
          expect(hs.member(d, p)).toBe(pa && !pb);
          expect(hs.member(sym, p)).toBe(pa !== pb);
        }
        const nna = hs.not(na);
        expect(hs.equals(nna, a)).toBe(true);
        const all = hs.count(hs.all);
        expect((hs.count(a) + hs.count(na)) / all).toBeCloseTo(1, 9);
        expect((hs.count(u) + hs.count(i)) / (hs.count(a) + hs.count(b) || 1)).toBeCloseTo(hs.count(a) + hs.count(b) ? 1 : 0, 9);
        expect(hs.subsetOf(i, a) && hs.subsetOf(d, a)).toBe(true);
        expect(hs.overlaps(d, b)).toBe(false);
        hs.release(a, b, na, u, i, d, sym, nna);
      }),
      { numRuns: 200 },
    );
  });

  it('projects fields out, keeping free bits free', () => {
    const a = run(m('ip saddr', { prefix: '10.0.0.0', len: 8 }), m('th dport', 80));
    const pa = hs.exists(a, ['saddr']);
    const want = run(m('meta nfproto', 'ipv4'), m('th dport', 80));
    expect(hs.equals(pa, want)).toBe(true);
    // Forgetting the family of an IPv6 source: IPv4 headers whose low 32 source bits agree.
    const b = run(m('ip6 saddr', 'fd00::1'), m('th dport', 80));
    const pb = hs.exists(b, ['nfproto']);
    const both = hs.or(b, run(m('ip saddr', '0.0.0.1'), m('th dport', 80)));
    expect(hs.equals(pb, both)).toBe(true);
    // Forgetting the protocol frees tcp flags for the other protocols.
    const c = run(m('tcp flags', 'syn'));
    const pc = hs.exists(c, ['l4proto']);
    expect(hs.equals(pc, hs.all)).toBe(false);
    expect(hs.count(pc)).toBeGreaterThan(hs.count(c));
    const ct = run(m('ct mark', 7));
    expect(hs.equals(hs.exists(ct, ['ctstate', 'ctmark']), hs.all)).toBe(true);
  });
});

describe('witness', () => {
  it('prefers readable values inside the constraints', () => {
    const w = hs.witness(run(m('meta l4proto', 'tcp'), m('ip saddr', { prefix: '10.0.0.0', len: 24 }), m('ip daddr', '10.42.1.7'), m('th dport', { range: [80, 88] })))!;
    expect(w).toMatchObject({ family: 4, saddr: '10.0.0.1', daddr: '10.42.1.7', l4proto: 6, dport: 80, tcpFlags: 2, ctState: 'new', mark: 0 });
    const v = hs.witness(run(m('ip saddr', { prefix: '192.168.0.0', len: 16 }), m('meta l4proto', 'udp'), m('th dport', { range: [1000, 2000] })))!;
    expect(v).toMatchObject({ saddr: '192.168.0.1', l4proto: 17, dport: 1000, tcpFlags: 0 });
    const x = hs.witness(run(m('ip6 daddr', { prefix: 'fd00::', len: 8 }), m('meta iifname', 'liqo*'), m('ct state', 'established')))!;
    expect(x).toMatchObject({ family: 6, daddr: 'fd00::2', iifname: 'liqo-tun', ctState: 'established' });
    expect(hs.witness(hs.none)).toBeUndefined();
  });
});

describe('describe', () => {
  it('merges paths back into prefixes, ranges, names and complements', () => {
    expect(hs.describe(run(m('meta l4proto', 'tcp'), m('ip saddr', { prefix: '10.0.0.0', len: 24 }), m('ip daddr', '10.42.1.7'), m('th dport', { range: [80, 88] }))))
      .toEqual(['tcp 10.0.0.0/24 -> 10.42.1.7 dport 80-88']);
    expect(hs.describe(hs.all)).toEqual(['any']);
    expect(hs.describe(hs.none)).toEqual([]);
    expect(hs.describe(run(m('th dport', 22, { op: '!=' })))).toEqual(['dport != 22']);
    expect(hs.describe(run(m('ct state', { set: ['established', 'related'] }), m('meta mark', 0x10, { mask: 0xff }))))
      .toEqual(['ct state {established, related} mark & 0xff == 0x10']);
    expect(hs.describe(run(m('ip6 saddr', { prefix: 'fd00::', len: 8 }), m('meta iifname', 'eth0'))))
      .toEqual(['ip6 fd00::/8 -> * iif eth0']);
    expect(hs.describe(run(m('meta nfproto', 'ipv4'), m('meta l4proto', { set: ['tcp', 'udp'] }), m('th sport', { range: [1024, 65535] }))))
      .toEqual(['ip l4proto {tcp, udp} sport 1024-65535']);
  });

  it('says when it shows only part of a set', () => {
    const odd = run(m('th dport', { set: [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21] }));
    expect(hs.describe(odd)).toEqual(['dport & 0xfff1 == 0x1', 'dport {17, 19, 21}']);
    expect(hs.describe(odd, { max: 1 })).toEqual(['dport & 0xfff1 == 0x1', '… and 1 more']);
    expect(hs.describe(run(m('meta l4proto', 'tcp'), m('th dport', 22, { op: '!=' }), m('ip saddr', '10.0.0.1', { op: '!=' }))))
      .toEqual(['tcp != 10.0.0.1 -> * dport != 22']);
    const huge = run(...(['th sport', 'th dport'] as const).map((f) => m(f, 22, { op: '!=' })), ...(['ip saddr', 'ip daddr'] as const).map((f) => m(f, '10.0.0.1', { op: '!=' })));
    expect(hs.describe(huge).at(-1)).toBe('… and more');
  });
});

describe('garbage collection', () => {
  it('keeps every held set intact through collections forced by churn', () => {
    const small = new HeaderSpace({ ifnames: IFPATTERNS, maxNodes: 1 << 13, cacheLog2: 10 });
    const sample = fc.sample(fc.tuple(fc.array(anyMatch, { minLength: 1, maxLength: 3 }), fc.array(anyPacket, { minLength: 8, maxLength: 8 })), { numRuns: 40, seed: 7 });
    const held = sample.map(([ms, packets]) => {
      const s = matchesSpace(small, ms);
      return { ms, s, packets, inside: packets.map((p) => small.member(s, p)) };
    });
    const before = small.stats().capacity;
    // 300 throw-away sets of some hundred nodes each: far more than the 8192-node limit, so the
    // table must have been collected (or the loop would end in ANALYSIS_LIMIT).
    for (let i = 0; i < 300; i++) {
      const ms = fc.sample(fc.array(anyMatch, { minLength: 2, maxLength: 4 }), { numRuns: 1, seed: 1000 + i })[0]!;
      const s = matchesSpace(small, ms);
      const n = small.not(s);
      small.release(s, n);
    }
    small.collect();
    for (const h of held) {
      expect(h.packets.map((p) => small.member(h.s, p))).toEqual(h.inside);
      const again = matchesSpace(small, h.ms);
      expect(again).toBe(h.s); // same node: the unique table survived the collections
      small.release(again);
    }
    expect(small.stats().capacity).toBeGreaterThanOrEqual(before);
  });
});

describe('node limit', () => {
  it('turns a blow-up into ANALYSIS_LIMIT at the rule, and the space stays usable', () => {
    const small = new HeaderSpace({ maxNodes: 4096, cacheLog2: 12 });
    const rules = readClassBench('acl1_1k.rules');
    let error: unknown;
    try {
      const spaces = rules.map((r) => matchesSpace(small, r));
      small.union(spaces);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NftlensError);
    expect((error as NftlensError).code).toBe('ANALYSIS_LIMIT');
    expect((error as NftlensError).diagnostics[0]!.origin.file).toBe('classbench');
    expect(small.stats().capacity).toBe(4096);
    const s = matchesSpace(small, [m('th dport', 80)]);
    expect(small.describe(s)).toEqual(['dport 80']);
  });
});
