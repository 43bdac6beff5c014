// The print of a listing's text: handles, counter values and the mark's seen= do not change it;
// anything else does; the mark is read from the owner chain's one rule only.
import { describe, expect, it } from 'vitest';
import { listingPrint } from '../../../src/backends/gateway/print.js';

const MARK = 'nftlens/v1 owner=nftlens digest=0123456789abcdef01234567';
function listing(o: { h?: number; packets?: number; seen?: string; daddr?: string; comment?: string; markers?: number } = {}): string {
  const h = o.h ?? 1;
  const marker = (i: number) =>
    `{"rule": {"family": "ip", "table": "t", "chain": "nftlens-owner", "handle": ${h + 10 + i}, "comment": "${MARK}${o.seen ? ` seen=${o.seen}` : ''}", "expr": [{"accept": null}]}}`;
  return `{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, ` +
    `{"table": {"family": "ip", "name": "t", "handle": ${h}}}, {"chain": {"family": "ip", "table": "t", "name": "nftlens-owner", "handle": ${h + 1}}}, ` +
    `{"chain": {"family": "ip", "table": "t", "name": "f", "handle": ${h + 2}, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}}, ` +
    Array.from({ length: o.markers ?? 1 }, (_, i) => marker(i)).join(', ') + ', ' +
    `{"rule": {"family": "ip", "table": "t", "chain": "f", "handle": ${h + 20}, "comment": ${JSON.stringify(o.comment ?? 'x')}, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "${o.daddr ?? '10.0.0.1'}"}}, {"counter": {"packets": ${o.packets ?? 0}, "bytes": ${(o.packets ?? 0) * 60}}}, {"accept": null}]}}]}`;
}

describe('listingPrint', () => {
  const base = listingPrint(listing());

  it('ignores handles, counter values and the seen= of the mark', () => {
    expect(base.print).toMatch(/^[0-9a-f]{24}$/);
    expect(listingPrint(listing({ h: 40 })).print).toBe(base.print);
    expect(listingPrint(listing({ packets: 7 })).print).toBe(base.print);
    expect(listingPrint(listing({ seen: 'ffffffffffffffffffffffff' })).print).toBe(base.print);
  });

  it('changes with any rule, and with text that only looks like a key inside a string', () => {
    expect(listingPrint(listing({ daddr: '10.0.0.2' })).print).not.toBe(base.print);
    expect(listingPrint(listing({ comment: 'y' })).print).not.toBe(base.print);
    const a = listingPrint(listing({ comment: 'a, "handle": 1' })).print;
    const b = listingPrint(listing({ comment: 'a, "handle": 2' })).print;
    expect(a).not.toBe(b); // escaped quotes inside a string are never taken for a handle
    const seenA = listingPrint(listing({ comment: `x seen=${'a'.repeat(24)}` })).print;
    expect(listingPrint(listing({ comment: `x seen=${'b'.repeat(24)}` })).print).not.toBe(seenA); // only the mark's seen= is left out
  });

  it("reads the mark from the owner chain's only rule", () => {
    expect(base.markComment).toBe(MARK);
    expect(listingPrint(listing({ seen: 'ffffffffffffffffffffffff' })).markComment).toBe(`${MARK} seen=ffffffffffffffffffffffff`);
    expect(listingPrint(listing({ markers: 2 })).markComment).toBeUndefined();
    expect(listingPrint(listing({ markers: 0 })).markComment).toBeUndefined();
  });
});
