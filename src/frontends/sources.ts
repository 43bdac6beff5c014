// Reading the inputs named by `-f`, safely: files, folders (their *.yaml, *.yml and *.json,
// recursively, in name order, following symbolic links once) and `-` (standard input, once).
// Only regular files are read: a device, FIFO or socket is refused — named on the command line or
// found in a folder — instead of hanging on it or reading forever. One input holds at most
// MAX_INPUT_BYTES; bytes must be UTF-8 text (a UTF-8 BOM is dropped). Every refusal is a located
// INPUT_READ / INPUT_ENCODING / INPUT_EMPTY diagnostic; what was read is returned as text.

import { open, readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { NftlensError, type Diagnostic, diag } from '../model/diagnostics.js';

/** The most one input may hold (64 MiB): far above any real ruleset, far below what exhausts memory. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

const DOCUMENT_EXT = /\.(ya?ml|json)$/i;

export interface Source {
  /** The path as given (or `-`); `display` maps it for messages. */
  file: string;
  text: string;
}

/** Reads every input, collecting every refusal; throws them together. */
export async function readSources(paths: readonly string[], stdin: Readable | undefined, display: (p: string) => string): Promise<Source[]> {
  if (paths.filter((p) => p === '-').length > 1) {
    throw NftlensError.of('INPUT_READ', 'standard input (-) is named more than once; it can be read once', { file: '-' });
  }
  const out: Source[] = [];
  const errors: Diagnostic[] = [];
  const fail = (file: string, code: 'INPUT_READ' | 'INPUT_ENCODING', message: string, at?: { line: number; column: number }) =>
    errors.push(diag(code, 'error', message, { file, ...at }));
  const take = (file: string, bytes: Buffer | string) => {
    const text = decode(bytes);
    if (typeof text === 'string') out.push({ file, text });
    else fail(file, 'INPUT_ENCODING', text.message, text.at);
  };
  for (const p of paths) {
    if (p === '-') {
      if (!stdin) fail('-', 'INPUT_READ', 'standard input is not available here');
      else if (stdin.readableEnded || stdin.readableDidRead) fail('-', 'INPUT_READ', 'standard input was read already; it can be read once');
      else {
        const bytes = await readStream(stdin);
        if (bytes) take('-', bytes);
        else fail('-', 'INPUT_READ', tooLarge());
      }
      continue;
    }
    let st: Stats;
    try {
      st = await stat(p);
    } catch (e) {
      fail(display(p), 'INPUT_READ', `cannot read: ${reason(e)}`);
      continue;
    }
    if (st.isDirectory()) {
      const files = await listDocuments(p, new Set([inode(st)]), display, (f, m) => fail(f, 'INPUT_READ', m));
      if (files.length === 0 && errors.length === 0) fail(display(p), 'INPUT_READ', 'folder holds no .yaml, .yml or .json file');
      for (const f of files) await readOne(f, display(f));
    } else {
      await readOne(p, display(p), st);
    }
  }
  if (errors.length) throw new NftlensError(errors);
  return out;

  async function readOne(path: string, file: string, known?: Stats): Promise<void> {
    try {
      const st = known ?? (await stat(path));
      if (!st.isFile()) return void fail(file, 'INPUT_READ', `not a regular file (${fileType(st)}); only regular files are read`);
      const bytes = st.size > MAX_INPUT_BYTES ? undefined : await readFileLimited(path);
      if (bytes) take(file, bytes);
      else fail(file, 'INPUT_READ', tooLarge());
    } catch (e) {
      fail(file, 'INPUT_READ', `cannot read: ${reason(e)}`);
    }
  }
}

function tooLarge(): string {
  return `larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB, the limit for one input`;
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ELOOP') return 'ELOOP (a loop of symbolic links)';
  return err.code ?? String(e);
}

function inode(st: Stats): string {
  return `${st.dev}:${st.ino}`;
}

function fileType(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a folder';
  return 'not a file';
}

/**
 * The document files of a folder, recursively, in name order. Symbolic links are followed; a
 * folder already on the way down (a link back up) is not entered twice. Entries that cannot be
 * examined, and document-named entries that are not regular files, are reported.
 */
async function listDocuments(dir: string, seen: Set<string>, display: (p: string) => string, fail: (file: string, m: string) => void): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    fail(display(dir), `cannot read folder: ${reason(e)}`);
    return [];
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    const isDoc = DOCUMENT_EXT.test(e.name);
    if (!e.isDirectory() && !e.isSymbolicLink() && !isDoc) continue;
    let st: Stats;
    try {
      st = await stat(p);
    } catch (err) {
      if (isDoc || (err as NodeJS.ErrnoException).code === 'ELOOP') fail(display(p), `cannot read: ${reason(err)}`);
      continue; // a dangling link that does not look like a document is not one
    }
    if (st.isDirectory()) {
      if (seen.has(inode(st))) continue;
      seen.add(inode(st));
      out.push(...(await listDocuments(p, seen, display, fail)));
      seen.delete(inode(st));
    } else if (isDoc) {
      if (st.isFile()) out.push(p);
      else fail(display(p), `not a regular file (${fileType(st)}); only regular files are read`);
    }
  }
  return out;
}

/** The file's bytes, or undefined past MAX_INPUT_BYTES (a file may grow, or lie about its size). */
async function readFileLimited(path: string): Promise<Buffer | undefined> {
  const fh = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, MAX_INPUT_BYTES + 1 - total));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      chunks.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_INPUT_BYTES) return undefined;
    }
  } finally {
    await fh.close();
  }
}

/** Standard input's bytes, or undefined past MAX_INPUT_BYTES (the rest is not read). */
async function readStream(s: Readable): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of s) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    chunks.push(b);
    total += b.length;
    if (total > MAX_INPUT_BYTES) {
      s.destroy();
      return undefined;
    }
  }
  return Buffer.concat(chunks, total);
}

/** UTF-8 text without its BOM, or where the first byte that is not text sits. */
export function decode(bytes: Buffer | string): string | { message: string; at: { line: number; column: number } } {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const nul = buf.indexOf(0);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(nul >= 0 ? buf.subarray(0, nul) : buf);
  } catch {
    const lossy = buf.toString('utf8');
    return { message: 'not UTF-8 text: invalid UTF-8 bytes (binary data, or another encoding)', at: lineCol(lossy, lossy.indexOf('\uFFFD')) };
  }
  if (nul >= 0) {
    const at = lineCol(text, text.length);
    return { message: 'not text: a NUL byte (binary data, or UTF-16)', at };
  }
  return text;
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}
