// Byte ranges of a text flow file, as the replay pool's workers read them: whatever the ranges'
// size, their lines are the file's, each once and in order (a line crossing a range's end belongs
// to the range it starts in, CRLF endings, blank lines, no final line break), a range inside a
// line holds none, and a line longer than MAX_LINE is still located at its line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_LINE } from '../../../src/frontends/flows/fields.js';
import { LineCursor } from '../../../src/frontends/flows/lines.js';
import { RangeReader, readRanges } from '../../../src/frontends/flows/ranges.js';
import { ConntrackLine, readConntrack } from '../../../src/frontends/flows/conntrack.js';
import { formatPacket } from '../../../src/engine/packet.js';
import type { FlowBatch } from '../../../src/frontends/flows/batch.js';
import { tempFile } from '../../support/flows.js';

/** Every range's lines (as text, numbered in the file by adding the lines of the ranges before). */
function rangeLines(file: string, range: number): string[] {
  const size = readFileSync(file).length;
  const reader = new RangeReader(file, file, size);
  const cur = new LineCursor(file);
  const out: string[] = [];
  let base = 0;
  for (let start = 0; start < size; start += range) {
    const b = reader.read(start, Math.min(size, start + range));
    if (!b) continue;
    cur.reset(b);
    while (cur.next()) out.push(`${base + cur.line}:${b.buf.toString('latin1', cur.s, cur.e)}`);
    base += cur.line;
  }
  return out;
}

function fileLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l, i) => `${i + 1}:${l.endsWith('\r') ? l.slice(0, -1) : l}`);
}

describe('RangeReader', () => {
  const texts = {
    plain: Array.from({ length: 40 }, (_, i) => `line ${i} ${'x'.repeat((i * 7) % 23)}`).join('\n') + '\n',
    crlf: Array.from({ length: 40 }, (_, i) => `line ${i} ${'y'.repeat((i * 5) % 17)}`).join('\r\n') + '\r\n',
    'blank lines, a long line, no final break': `a\n\n\nb ${'z'.repeat(300)}\n\r\nc\nd`,
    'one line': 'only',
  };
  for (const [name, text] of Object.entries(texts)) {
    it(`gives the file's lines once each, in order, whatever the ranges' size: ${name}`, () => {
      const file = tempFile(text);
      const want = fileLines(text);
      for (const range of [1, 2, 3, 5, 8, 13, 64, 101, 4096]) expect(rangeLines(file, range), `ranges of ${range}`).toEqual(want);
    });
  }

  it('gives no lines for a range inside a line, and the whole line to the range it starts in', () => {
    const text = `short\n${'w'.repeat(100)}\nlast\n`;
    const file = tempFile(text);
    const reader = new RangeReader(file, file, text.length);
    expect(reader.read(20, 40)).toBeUndefined();
    const b = reader.read(0, 8)!;
    expect(b.buf.toString()).toBe(`short\n${'w'.repeat(100)}\n`);
    expect(reader.read(8, text.length)!.buf.toString()).toBe('last\n');
  });

  it('reads a line longer than MAX_LINE far enough for the cursor to locate it', () => {
    const text = `ok\n${'n'.repeat(MAX_LINE + 10)}\nafter\n`;
    const file = tempFile(text);
    const reader = new RangeReader(file, file, text.length);
    const b = reader.read(0, 10)!;
    const cur = new LineCursor(file);
    cur.reset(b);
    expect(cur.next()).toBe(true);
    expect(() => cur.next()).toThrow(new RegExp(`:2: line longer than ${MAX_LINE} bytes`));
  });

  it('reads a conntrack file in one thread, range after range, as the stream reader does (flows and their lines; the first error)', async () => {
    const fixture = new URL('../../fixtures/flows/conntrack-plain.txt', import.meta.url).pathname;
    const sample = readFileSync(fixture, 'utf8').split('\n').filter((l) => l.includes('src=')).slice(0, 4);
    const body = Array.from({ length: 50 }, (_, i) => (i % 7 === 3 ? '' : sample[i % sample.length]!)).join('\r\n');
    const all = async (batches: AsyncIterable<FlowBatch>) => {
      const out: string[] = [];
      try {
        for await (const b of batches) for (let i = 0; i < b.n; i++) out.push(`${b.at[i]} ${formatPacket(b.packet(i, false))} ${b.packets[i]}`);
      } catch (e) {
        out.push((e as Error).message);
      }
      return out;
    };
    for (const [k, text] of [body, body + '\nicmp 1 src=1.2.3.4 dst=x\n' + body].entries()) {
      const file = tempFile(text);
      const want = await all(readConntrack((async function* () { yield Buffer.from(text); })(), file));
      if (k === 0) expect(want.length, want[0]).toBeGreaterThan(40);
      else expect(want.at(-1)).toMatch(/:51:24 field dst: dst=x is not an IPv4 address$/);
      for (const range of [1, 50, 333, 4096]) {
        expect(await all(readRanges(new RangeReader(file, file, text.length), text.length, file, new ConntrackLine(file), { bytes: 0 }, range)), `ranges of ${range}`).toEqual(want);
      }
    }
  });

  it('says a file it cannot open is INPUT_READ', () => {
    expect(() => new RangeReader('/nonexistent/flows', 'flows', 10).read(0, 10)).toThrow(/INPUT_READ.*flows: cannot read: ENOENT/);
  });
});
