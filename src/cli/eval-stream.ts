// `nftlens eval`'s packets in, results out, in constant memory: the packets file is read a block
// at a time (the file or standard input), cut into lines, and handed on in chunks of the
// classifier's batch capacity; each chunk is scanned into the batch columns and classified in one
// call into WebAssembly (eval-batch.ts; per packet with --trace, which needs each packet's
// events), and its results are written as one string before the next chunk is read, waiting for
// the output to drain. `-o json` is one JSON array, written a chunk of elements at a time, byte for
// byte what JSON.stringify(results, null, 2) gives; `-o text` the blocks separated by blank lines.

import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { Classifier, Packet, PathHook } from '../engine/index.js';
import { formatPacket, formatResult, parsePacketLine } from '../engine/index.js';
import { NftlensError } from '../model/diagnostics.js';
import { EXIT, ExitCode, type CliContext, type OutputFormat } from './context.js';
import { ByteOut } from './byte-out.js';
import { LineBatch, type LineChunk } from './eval-batch.js';
import { resultJson } from './eval-format.js';
import { print } from './options.js';

export { resultJson };

/** Line breaks as readline takes them: \n, \r\n and a lone \r. */
const BREAK = /\r\n|\n|\r/;

/** Packet lines of a packets file (text form or JSON, one a line; blank lines and # comments skipped), in chunks. */
export async function* packetChunks(input: Readable, file: string, size: number): AsyncGenerator<LineChunk> {
  let chunk: LineChunk = { file, lines: [], numbers: [] };
  let line = 0;
  let rest = '';
  const decoder = new StringDecoder('utf8');
  const blocks = input[Symbol.asyncIterator]();
  for (let done = false; !done; ) {
    let block: IteratorResult<string | Buffer>;
    try {
      block = await blocks.next();
    } catch (e) {
      throw NftlensError.of('INPUT_READ', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
    }
    done = block.done === true;
    let text = rest + (done ? decoder.end() : typeof block.value === 'string' ? block.value : decoder.write(block.value));
    // A \r at the end may be half of a \r\n: keep it with its line for the next block.
    const held = !done && text.endsWith('\r');
    if (held) text = text.slice(0, -1);
    const lines = splitLines(text);
    rest = done ? '' : lines.pop()! + (held ? '\r' : '');
    for (const l of lines) {
      line++;
      const t = l.trim();
      if (!t || t.charCodeAt(0) === 35) continue;
      chunk.lines.push(t);
      chunk.numbers.push(line);
      if (chunk.lines.length === size) {
        yield chunk;
        chunk = { file, lines: [], numbers: [] };
      }
    }
  }
  if (chunk.lines.length) yield chunk;
}

/** The lines of a text (the last one unended); without a \r in it, by indexOf rather than a regular expression. */
export function splitLines(text: string): string[] {
  if (text.includes('\r')) return text.split(BREAK);
  const lines: string[] = [];
  let at = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
    lines.push(text.slice(at, nl));
    at = nl + 1;
  }
  lines.push(text.slice(at));
  return lines;
}

export interface StreamOptions {
  format: OutputFormat;
  trace?: boolean;
  hook?: PathHook;
}

/** Classifies every chunk (given packets, or lines of a file) and writes its results; returns how many packets there were. */
export async function evaluateStream(classifier: Classifier, chunks: AsyncIterable<Packet[] | LineChunk>, opts: StreamOptions, ctx: CliContext): Promise<number> {
  const json = opts.format === 'json';
  const batch = new LineBatch(classifier, opts.hook);
  const out = new ByteOut();
  let count = 0;
  for await (const chunk of chunks) {
    const n = Array.isArray(chunk) ? chunk.length : chunk.lines.length;
    if (!n) continue;
    const sep = json ? (count ? ',\n' : '[\n') : count ? '\n' : '';
    if (Array.isArray(chunk) || opts.trace) {
      const packets = Array.isArray(chunk) ? chunk : chunk.lines.map((l, i) => parsePacketLine(l, { file: chunk.file, line: chunk.numbers[i]! }));
      await write(ctx, sep + perPacket(classifier, packets, opts));
    } else {
      batch.run(chunk);
      out.text(sep);
      if (json) batch.json(out);
      else batch.text(out);
      await write(ctx, out.take(), out);
    }
    count += n;
  }
  if (json && count) await write(ctx, '\n]\n');
  return count;
}

/** Given packets, or any with --trace: evaluated through Packet objects and the per-packet formatters. */
function perPacket(classifier: Classifier, packets: Packet[], opts: StreamOptions): string {
  const results = opts.trace
    ? packets.map((p) => classifier.evaluate(p, { trace: true, hook: opts.hook }))
    : classifier.evaluateBatch(packets, { hook: opts.hook });
  if (opts.format !== 'json') return packets.map((p, i) => `packet: ${formatPacket(p)}\n${formatResult(classifier.plan, results[i]!)}`).join('\n');
  // The chunk as an array, without its brackets: its elements, indented as in the whole array.
  return JSON.stringify(packets.map((p, i) => resultJson(classifier.plan, p, results[i]!)), null, 2).slice(2, -2);
}

/**
 * Writes (a string made terminal-safe, bytes as they are), then waits until the output takes more;
 * a closed output ends the run quietly. Bytes go back to `from` for reuse when the output is a file
 * descriptor's stream (a file, pipe or terminal), which is done with them when it calls back; other
 * streams (a PassThrough, say) may hand the very buffer on, so theirs are left alone.
 */
function write(ctx: CliContext, data: string | Buffer, from?: ByteOut): Promise<void> {
  const out = ctx.stdout;
  if (out.destroyed || out.writableEnded) return Promise.reject(new ExitCode(EXIT.ok));
  // Buffers come terminal-safe already (eval-format.ts).
  const fd = typeof (out as { fd?: unknown }).fd === 'number';
  const ok = typeof data === 'string' ? print(ctx, data) : out.write(data, fd && from ? (e) => e || from.recycle(data) : undefined);
  if (ok) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (e?: unknown) => {
      out.off('drain', drained).off('close', closed).off('error', closed);
      if (e === undefined) resolve();
      else reject(e);
    };
    const drained = () => done();
    const closed = () => done(new ExitCode(EXIT.ok));
    out.on('drain', drained).on('close', closed).on('error', closed);
  });
}

/** A file's stream, opened now so that an unreadable file is reported before anything is done. */
export async function openPackets(file: string, ctx: CliContext): Promise<Readable> {
  if (file === '-') return ctx.stdin;
  try {
    return (await open(file)).createReadStream({ encoding: 'utf8' });
  } catch (e) {
    throw NftlensError.of('INPUT_READ', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
  }
}
