// First-match reachable spaces on ClassBench chains, checked against the data set's own
// first-match answers (trace + firstmatch_diff, see the README there): each trace header lies in
// the reachable space of exactly the rule that first matches it. Also measures (does not assert)
// how long encoding the 10k-rule acl1 chain and its union take.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HeaderSpace, firstMatchSpaces, matchesSpace } from '../../../src/analyses/headerspace/index.js';
import type { Packet } from '../../../src/engine/packet.js';
import { formatAddress } from '../../../src/model/values.js';
import { CLASSBENCH, readClassBench } from './classbench.js';

function trace(name: string, lines: number): { packet: Packet; first: number }[] {
  const exceptions = new Map<number, number>();
  for (const l of readFileSync(CLASSBENCH + `${name}.firstmatch_diff`, 'utf8').split('\n')) {
    const [line, first] = l.split('\t').map(Number);
    if (line !== undefined && first !== undefined && !Number.isNaN(first)) exceptions.set(line, first);
  }
  const out: { packet: Packet; first: number }[] = [];
  const text = readFileSync(CLASSBENCH + `${name}.trace`, 'utf8').split('\n');
  for (let i = 0; i < text.length && out.length < lines; i++) {
    const f = text[i]!.split('\t').map(Number);
    if (f.length < 7) continue;
    const [s, d, sport, dport, proto, , rule] = f as number[];
    out.push({
      packet: {
        family: 4, saddr: formatAddress(BigInt(s!), 4), daddr: formatAddress(BigInt(d!), 4), l4proto: proto!, sport: sport!, dport: dport!,
        iifname: '', oifname: '', ctState: 'new', mark: 0, ctMark: 0, tcpFlags: 0, length: 40, local: false,
      },
      first: exceptions.get(i + 1) ?? rule!,
    });
  }
  return out;
}

describe('first-match reachable spaces', () => {
  it.skipIf(!CLASSBENCH)('acl1_1k: every trace header is in the reachable space of its first-matching rule only', () => {
    const hs = new HeaderSpace();
    const rules = readClassBench('acl1_1k.rules');
    const spaces = rules.map((r) => matchesSpace(hs, r));
    const { reach, union } = firstMatchSpaces(hs, spaces);
    const headers = trace('acl1_1k', 3000);
    for (const [k, { packet, first }] of headers.entries()) {
      expect(hs.member(reach[first]!, packet), `trace line ${k + 1}`).toBe(true);
      if (first > 0) expect(hs.member(reach[(k * 7919) % first]!, packet)).toBe(false);
      expect(hs.member(union, packet)).toBe(true);
    }
    // A reachable space's witness is matched first by its own rule.
    for (let i = 0; i < reach.length; i += 37) {
      const w = hs.witness(reach[i]!);
      if (!w) continue;
      expect(spaces.findIndex((s) => hs.member(s, w))).toBe(i);
    }
  });

  it('acl1_10k: encoding and the reachable-space pass (timings reported, not asserted)', () => {
    const hs = new HeaderSpace();
    const rules = readClassBench('acl1_10k.rules');
    let t = performance.now();
    const spaces = rules.map((r) => matchesSpace(hs, r));
    const encode = performance.now() - t;
    t = performance.now();
    const union = hs.union(spaces);
    const unionMs = performance.now() - t;
    t = performance.now();
    const fm = firstMatchSpaces(hs, spaces);
    const reachMs = performance.now() - t;
    expect(hs.equals(fm.union, union)).toBe(true);
    const dead = fm.reach.filter((r) => hs.isEmpty(r)).length;
    console.log(
      `acl1_10k: ${rules.length} rules encoded in ${encode.toFixed(0)} ms, union in ${unionMs.toFixed(0)} ms, ` +
        `first-match pass in ${reachMs.toFixed(0)} ms (${dead} rules never reached); ${JSON.stringify(hs.stats())}`,
    );
  });
});
