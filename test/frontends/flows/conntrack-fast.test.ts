// The conntrack reader's fast path (one pass over a common line's bytes) against its full token
// reader: for the sample lines and thousands of mutations of them (values made hex, too large,
// empty or not numbers, addresses made IPv6 or wrong, keys and tokens dropped, doubled or
// misspelt, spaces and tabs moved), a line read with both gives the same flow or the same located
// error as with the full reader alone — and most sample-like lines do take the fast path.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConntrackLine } from '../../../src/frontends/flows/conntrack.js';
import { prng } from '../../../src/model/prng.js';

const fixture = (name: string) => new URL(`../../fixtures/flows/${name}`, import.meta.url).pathname;
const samples = ['conntrack-plain.txt', 'conntrack-extended.txt', 'conntrack-ipv6.txt']
  .flatMap((f) => readFileSync(fixture(f), 'utf8').split('\n'))
  .filter((l) => l.trim() && !l.startsWith('conntrack v'));

/** What a reader makes of a line: its row's fields, false for a skipped line, or the error. */
function outcome(p: ConntrackLine, line: string): unknown {
  const buf = Buffer.from(`xx\n${line}\n`);
  try {
    if (!p.parse(buf, 3, buf.length - 1, 7)) return false;
    const r = p.row;
    return { ...r, saddr: [...r.saddr], daddr: [...r.daddr] };
  } catch (e) {
    return (e as Error).message;
  }
}

function mutate(line: string, r: () => number): string {
  const tokens = line.split(' ');
  const pick = () => Math.floor(r() * tokens.length);
  const edits: (() => void)[] = [
    () => { const i = pick(); tokens[i] = tokens[i]!.replace(/=(\d+)$/, (_, d: string) => `=0x${Number(d).toString(16)}`); },
    () => { const i = pick(); tokens[i] = tokens[i]!.replace(/=(\d+)$/, '=99999999999'); },
    () => { const i = pick(); tokens[i] = tokens[i]!.replace(/=.*$/, '='); },
    () => { const i = pick(); tokens[i] = tokens[i]!.replace(/=.*$/, '=1x'); },
    () => { const i = pick(); tokens[i] = tokens[i]!.replace(/=[\d.]+$/, '=fd00::7'); },
    () => { const i = pick(); tokens[i] = tokens[i]!.replace(/=[\d.]+$/, '=10.0.0.256'); },
    () => { const i = pick(); tokens[i] = tokens[i]!.replace(/=[\d.]+$/, '=10.0..1'); },
    () => { tokens.splice(pick(), 1); },
    () => { const i = pick(); tokens.splice(i, 0, tokens[i]!); },
    () => { const i = pick(); tokens[i] = tokens[i]!.slice(1); },
    () => { const i = pick(); tokens[i] = tokens[i]! + '\t'; },
    () => { const i = pick(); tokens[i] = ''; },
    () => { const i = pick(); tokens[i] = tokens[i]!.toUpperCase(); },
    () => { const i = pick(); tokens[i] = tokens[i]!.replace(/^\d+$/, (d) => String(Number(d) + 1)); },
    () => { const i = pick(); tokens[i] = tokens[i]!.replace(/^\d+$/, '0x6'); },
    () => { const i = pick(); tokens[i] = `${tokens[i]}=1`; },
    () => { const i = pick(); tokens[i] = tokens[i]!.replace('=', 'x='); },
    () => { tokens.push(['src', 'sport=', 'packets', 'id=', 'zone=70000', 'mark=4294967296', 'bytes=', 'dst='][Math.floor(r() * 8)]!); },
  ];
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) edits[Math.floor(r() * edits.length)]!();
  return tokens.join(' ');
}

describe('conntrack fast path', () => {
  it('reads every sample line and mutation as the full reader does', () => {
    const both = new ConntrackLine('f.txt');
    const full = new ConntrackLine('f.txt');
    (full as unknown as { fast: () => boolean }).fast = () => false;
    const r = prng(99);
    let lines = 0;
    let flows = 0;
    for (const s of samples) {
      for (let i = 0; i < 600; i++) {
        const line = i === 0 ? s : mutate(s, r);
        const want = outcome(full, line);
        expect(outcome(both, line), line).toEqual(want);
        lines++;
        if (typeof want === 'object') flows++;
      }
    }
    expect(lines).toBeGreaterThan(5000);
    // Enough mutations still read as flows (the fast path's own results are compared, not only its refusals).
    expect(flows).toBeGreaterThan(lines / 5);
  });

  it('takes the fast path for the common IPv4 tcp and udp lines', () => {
    const p = new ConntrackLine('f.txt');
    let fast = 0;
    const real = (p as unknown as { fast: (...a: unknown[]) => boolean }).fast.bind(p);
    (p as unknown as { fast: (...a: unknown[]) => boolean }).fast = (...a) => (real(...a) ? (fast++, true) : false);
    const common = samples.filter((l) => / (tcp|udp) /.test(l) && !/src=[0-9a-f]*:/.test(l));
    expect(common.length).toBeGreaterThan(2);
    for (const l of [...common, ...common]) outcome(p, l);
    // The first line of each protocol name goes the full way (it learns the name); the rest are fast.
    expect(fast).toBeGreaterThanOrEqual(common.length);
  });
});
