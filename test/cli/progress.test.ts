import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progress } from '../../src/cli/progress.js';

function ctx(tty: boolean) {
  const stderr = Object.assign(new PassThrough(), { isTTY: tty, columns: 80, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  let text = '';
  stderr.on('data', (c: Buffer) => (text += c.toString()));
  return { c: { stdout: new PassThrough(), stderr, stdin: Readable.from([]) }, text: () => text };
}

describe('progress', () => {
  it('draws on a terminal once the job is long enough', () => {
    const t = ctx(true);
    const bar = progress(t.c, 'work {value}/{total} units', 10);
    bar.update(1, 5); // too small a job: nothing
    expect(t.text()).toBe('');
    bar.update(3, 20);
    bar.stop();
    expect(t.text()).toContain('work 3/20 units');
  });

  it('writes nothing off a terminal', () => {
    const t = ctx(false);
    const bar = progress(t.c, 'work {value}/{total} units');
    bar.update(3, 20);
    bar.stop();
    expect(t.text()).toBe('');
  });
});
