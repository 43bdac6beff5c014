import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { decode, MAX_INPUT_BYTES, readSources } from '../../src/frontends/sources.js';
import { NftlensError, type Diagnostic } from '../../src/model/diagnostics.js';

const dir = mkdtempSync(join(tmpdir(), 'nftlens-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const id = (p: string) => p;

async function refusals(paths: string[], stdin?: Readable): Promise<Diagnostic[]> {
  try {
    await readSources(paths, stdin, id);
  } catch (e) {
    if (e instanceof NftlensError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('only regular files are read', () => {
  it('refuses a character device named on the command line instead of reading forever', async () => {
    const [d] = await refusals(['/dev/zero']);
    expect(d).toMatchObject({ code: 'INPUT_READ', origin: { file: '/dev/zero' } });
    expect(d!.message).toContain('character device');
  });

  it('refuses a FIFO named *.yaml, on the command line and in a folder, without opening it', async () => {
    const sub = join(dir, 'fifo');
    mkdirSync(sub);
    execFileSync('mkfifo', [join(sub, 'pipe.yaml')]);
    writeFileSync(join(sub, 'ok.yaml'), 'a: 1\n');
    const direct = await refusals([join(sub, 'pipe.yaml')]);
    expect(direct.map((d) => [d.code, d.origin.file])).toEqual([['INPUT_READ', join(sub, 'pipe.yaml')]]);
    expect(direct[0]!.message).toContain('FIFO');
    const inFolder = await refusals([sub]);
    expect(inFolder.map((d) => [d.code, d.origin.file])).toEqual([['INPUT_READ', join(sub, 'pipe.yaml')]]);
  });

  it('refuses a socket named *.json in a folder', async () => {
    const sub = join(dir, 'sock');
    mkdirSync(sub);
    const server = createServer();
    await new Promise<void>((ok) => server.listen(join(sub, 's.json'), ok));
    try {
      const ds = await refusals([sub]);
      expect(ds.map((d) => d.code)).toEqual(['INPUT_READ']);
      expect(ds[0]!.message).toContain('socket');
    } finally {
      server.close();
    }
  });
});

describe('folders', () => {
  it('reports a symbolic link loop as a located INPUT_READ and reads the rest', async () => {
    const sub = join(dir, 'loop');
    mkdirSync(sub);
    symlinkSync('b.yaml', join(sub, 'a.yaml'));
    symlinkSync('a.yaml', join(sub, 'b.yaml'));
    writeFileSync(join(sub, 'c.yaml'), 'a: 1\n');
    const ds = await refusals([sub]);
    expect(ds.map((d) => [d.code, d.origin.file])).toEqual([
      ['INPUT_READ', join(sub, 'a.yaml')],
      ['INPUT_READ', join(sub, 'b.yaml')],
    ]);
    expect(ds[0]!.message).toContain('ELOOP');
  });

  it('follows a linked folder once, not round a link back to an ancestor', async () => {
    const sub = join(dir, 'cycle');
    mkdirSync(join(sub, 'inner'), { recursive: true });
    writeFileSync(join(sub, 'inner', 'x.yaml'), 'a: 1\n');
    symlinkSync('..', join(sub, 'inner', 'up'));
    const read = await readSources([sub], undefined, id);
    expect(read.map((s) => s.file)).toEqual([join(sub, 'inner', 'x.yaml')]);
  });
});

describe('limits and encodings', () => {
  it(`refuses one input over ${MAX_INPUT_BYTES} bytes without reading it all`, async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, '');
    truncateSync(big, MAX_INPUT_BYTES + 10); // sparse: no disk used
    const ds = await refusals([big]);
    expect(ds.map((d) => [d.code, d.origin.file])).toEqual([['INPUT_READ', big]]);
    expect(ds[0]!.message).toContain('64 MiB');
  });

  it('says where binary input starts: a NUL byte, invalid UTF-8, UTF-16', () => {
    expect(decode(Buffer.from('a: 1\nb: x\0y\n'))).toEqual({ message: expect.stringContaining('NUL'), at: { line: 2, column: 5 } });
    expect(decode(Buffer.from([0x61, 0x3a, 0x0a, 0x62, 0xff, 0xfe]))).toMatchObject({ message: expect.stringContaining('UTF-8'), at: { line: 2, column: 2 } });
    expect(decode(Buffer.from('\ufeffa: 1', 'utf16le'))).toMatchObject({ message: expect.stringMatching(/NUL|UTF-8/) });
  });

  it('drops a UTF-8 byte order mark and keeps CRLF text as it is', () => {
    expect(decode(Buffer.from('\ufeffa: 1\r\n'))).toBe('a: 1\r\n');
  });
});

describe('standard input', () => {
  it('is read once: `-` twice is refused before reading', async () => {
    const ds = await refusals(['-', '-'], Readable.from([Buffer.from('a: 1\n')]));
    expect(ds.map((d) => [d.code, d.origin.file])).toEqual([['INPUT_READ', '-']]);
    expect(ds[0]!.message).toContain('read once');
  });

  it('refuses a stream that another load already read (diff - -)', async () => {
    const stdin = Readable.from([Buffer.from('a: 1\n')]);
    expect((await readSources(['-'], stdin, id))[0]!.text).toBe('a: 1\n');
    const ds = await refusals(['-'], stdin);
    expect(ds[0]!.message).toContain('read already');
  });

  it('refuses more than the limit on standard input', async () => {
    const chunk = Buffer.alloc(8 << 20, 0x20);
    const stdin = Readable.from((function* () {
      for (let i = 0; i < 9; i++) yield chunk;
    })());
    const ds = await refusals(['-'], stdin);
    expect(ds.map((d) => d.code)).toEqual(['INPUT_READ']);
    expect(ds[0]!.message).toContain('64 MiB');
  });
});
