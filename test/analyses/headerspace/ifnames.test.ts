// The interface-name alphabet: classes, representatives, impossible names left out.

import { describe, expect, it } from 'vitest';
import { IfnameAlphabet } from '../../../src/analyses/headerspace/ifnames.js';
import { ifnameMatches } from '../../../src/model/values.js';

describe('IfnameAlphabet', () => {
  const a = new IfnameAlphabet(['eth0', 'eth*', 'liqo*', '*', 'veth\\*', 'averyveryverylongname*', 'averyveryverylongname']);

  it('splits names into classes no pattern tells apart, each with a fitting name', () => {
    expect(a.classes.map((c) => a.label(a.classes.indexOf(c)))).toEqual(['other', 'eth0', 'veth*', 'eth*', 'liqo*']);
    expect(a.bits).toBe(3);
    for (const [id, c] of a.classes.entries()) {
      expect(a.classOf(c.name)).toBe(id);
      expect(Buffer.byteLength(c.name)).toBeLessThanOrEqual(15);
    }
    expect(a.classes[0]!.name).toBe('ens3');
    expect(a.classes[3]!.name).toBe('eth1');
    expect(a.classOf('')).toBe(0);
    expect(a.classOf('eth7')).toBe(3);
    expect(a.classOf('veth*')).toBe(2);
  });

  it('matches a known pattern exactly as the kernel compares names', () => {
    const names = ['', 'eth0', 'eth1', 'eth', 'liqo', 'liqo-x', 'veth*', 'vethA', 'lo'];
    for (const p of ['eth0', 'eth*', 'liqo*', '*', 'veth\\*']) {
      const ids = a.matching(p);
      for (const n of names) expect(ids.includes(a.classOf(n)), `${p} ${n}`).toBe(ifnameMatches(p, n));
    }
    expect(a.matching('averyveryverylongname*')).toEqual([]);
    expect(a.matching('averyveryverylongname')).toEqual([]);
  });

  it('leaves out a class no kernel name can be in', () => {
    const b = new IfnameAlphabet(['abcdefghijklmno*', 'abcdefghijklmno']);
    expect(b.classes.map((c) => c.text)).toEqual(['', 'abcdefghijklmno']);
    expect(b.matching('abcdefghijklmno*')).toEqual([1]);
  });
});
