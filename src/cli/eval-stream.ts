// `nftlens eval`'s packets in, results out, in constant memory: the packets file is read as bytes
// in chunks of whole lines (engine/stream/lines.ts); each chunk is scanned into the batch columns,
// classified a batch per call into WebAssembly and formatted into bytes (engine/stream/batch.ts) — in this
// thread for a small input, and for a big one in a pool of worker threads (eval-worker.ts,
// engine/pool.ts), a bounded number of chunks in flight, the results written strictly in input
// order. With --trace, which needs each packet's events, packets go one by one through the
// per-packet formatters. A bad line stops the output right after the packets before it, whichever
// path ran. `-o json` is one JSON array, byte for byte what JSON.stringify(results, null, 2) gives;
// `-o text` the blocks separated by blank lines.

import { availableParallelism } from 'node:os';
import type { Classifier, Packet, PathHook } from '../engine/index.js';
import { formatPacket, formatResult, parsePacketLine } from '../engine/index.js';
import { orderedMap, WorkerPool } from '../engine/pool.js';
import { engineModule } from '../engine/wasm.js';
import { NftlensError, type Diagnostic } from '../model/diagnostics.js';
import { EXIT, ExitCode, type CliContext, type OutputFormat } from './context.js';
import { ByteOut } from '../engine/stream/byte-out.js';
import { LineBatch, type ChunkResult } from '../engine/stream/batch.js';
import { LineCursor, rawChunks, Spares, type PacketSource } from '../engine/stream/lines.js';
import type { EvalInit, EvalJob, EvalReply } from './eval-worker.js';
import { resultJson } from '../engine/stream/format.js';
import { withOutcomes } from '../engine/outcomes.js';
import { print } from './options.js';

export { resultJson };
export { openPackets } from '../engine/stream/lines.js';

/**
 * Bytes of packet lines per chunk, by format: some 3,000 lines of the usual length for text, some
 * 800 for JSON (whose results are some 20 times their lines, text's some 6), so that a chunk's
 * output (1-2 MB) is written while it is still in the processor's cache. 1M packets, one thread:
 * 1 MiB chunks for both (40 MB of JSON per chunk) took a third more time formatting JSON.
 */
const CHUNK_BYTES = { text: 1 << 18, json: 1 << 16 };
/** An input shorter than this (some 50,000 lines) is evaluated in this thread: no worker start cost. */
export const POOL_BYTES = 4 << 20;
/** Packets per write with --trace. */
const TRACE_BATCH = 512;
/** Workers at most, and chunks' memory kept for reuse (two chunks in flight per worker). */
const MAX_WORKERS = 16;
const SPARES = 2 * MAX_WORKERS + 2;

export interface StreamOptions {
  format: OutputFormat;
  trace?: boolean;
  hook?: PathHook;
  /** Worker threads for a big input (default: the machine's parallelism; 1: none). */
  workers?: number;
}

/** Evaluates the given packets, then those of the file, and writes the results; says how many packets there were, and how many worker threads took them. */
export async function evaluateStream(classifier: Classifier, given: Packet[], source: PacketSource | undefined, opts: StreamOptions, ctx: CliContext): Promise<{ packets: number; workers: number }> {
  const out = new Results(ctx, opts.format === 'json');
  let workers = 0;
  try {
    if (given.length) await out.write(given.length, perPacket(classifier, given, opts));
    if (source) {
      const spares = new Spares(SPARES);
      const chunks = rawChunks(source, opts.format === 'json' ? CHUNK_BYTES.json : CHUNK_BYTES.text, spares);
      if (opts.trace) await traced(classifier, chunks, source.file, opts, out);
      else workers = await batched(classifier, chunks, spares, source.file, opts, out);
    }
  } finally {
    await source?.close();
  }
  await out.end();
  return { packets: out.count, workers };
}

/** Takes back bytes once written, for reuse. */
interface Recycler {
  recycle(bytes: Buffer): void;
}

/** A chunk's results as bytes, and where to give them back to once written (if anywhere). */
type Done = ChunkResult & { bytes: Buffer; from?: Recycler };

/** Chunks classified in this thread, or (a big input) in a pool of workers: returns how many (0: none). */
async function batched(classifier: Classifier, chunks: AsyncGenerator<Buffer>, spares: Spares, file: string, opts: StreamOptions, out: Results): Promise<number> {
  const json = opts.format === 'json';
  const { head, big } = await lookahead(chunks, POOL_BYTES);
  // By default the pool starts only from 4 cores on, for text and JSON alike. On 2 cores the main
  // thread's reading and writing and one worker compete, and handing results between threads cost
  // more than the second core saved (1M packets, CLI at load 2: text 2.12 s on the pool against
  // 2.04 s in one thread; at load 15, JSON 7.18 s wall and 2.59 s CPU on the pool against 5.80 s
  // and 1.87 s in one thread, text 8.55 s / 2.52 s against 8.41 s / 1.94 s). `--workers N` chooses.
  const cores = availableParallelism();
  const workers = Math.min(opts.workers ?? (cores >= 4 ? cores : 1), MAX_WORKERS);
  const all = (async function* () {
    yield* head;
    if (big) yield* chunks;
  })();
  const pool = big && workers > 1;
  const results = pool ? pooled(classifier, all, spares, file, json, opts.hook, workers) : inThread(classifier, all, spares, file, json, opts.hook);
  let lines = 0;
  for await (const r of results) {
    await out.write(r.packets, r.bytes, r.from);
    if (r.error) throw located(r.error, lines);
    lines += r.lines;
  }
  return pool ? workers : 0;
}

/** The first chunks, up to `bytes` of them, and whether there is more. */
async function lookahead(chunks: AsyncGenerator<Buffer>, bytes: number): Promise<{ head: Buffer[]; big: boolean }> {
  const head: Buffer[] = [];
  let have = 0;
  while (have < bytes) {
    const c = await chunks.next();
    if (c.done) return { head, big: false };
    head.push(c.value);
    have += c.value.length;
  }
  return { head, big: true };
}

async function* inThread(classifier: Classifier, chunks: AsyncIterable<Buffer>, spares: Spares, file: string, json: boolean, hook?: PathHook): AsyncGenerator<Done> {
  const batch = new LineBatch(classifier, json, hook);
  const bytes = new ByteOut();
  for await (const chunk of chunks) {
    const r = batch.chunk(chunk, file, bytes);
    spares.give(chunk.buffer as ArrayBuffer);
    yield { ...r, bytes: bytes.take(), from: bytes };
  }
}

async function* pooled(classifier: Classifier, chunks: AsyncIterable<Buffer>, spares: Spares, file: string, json: boolean, hook: PathHook | undefined, size: number): AsyncGenerator<Done> {
  const init: EvalInit = { plan: classifier.plan, env: classifier.env, capacity: classifier.capacity, json, hook, file };
  const pool = await WorkerPool.start<EvalInit, EvalJob, EvalReply>({ worker: new URL('./eval-worker.js', import.meta.url), module: engineModule(), init, size });
  // Chunks' memory is handed over, not copied, and comes back with the results, to be read into
  // again; output buffers, once written, go back to the workers with the next jobs.
  const outputs: ArrayBuffer[] = [];
  const from: Recycler = { recycle: (b) => outputs.length < 2 * size && outputs.push(b.buffer as ArrayBuffer) };
  const jobs = (async function* () {
    for await (const b of chunks) {
      const spare = outputs.pop();
      const input = b.buffer as ArrayBuffer;
      yield { job: { bytes: input, offset: b.byteOffset, length: b.length, spare }, transfer: spare ? [input, spare] : [input] };
    }
  })();
  try {
    for await (const r of orderedMap(pool, jobs)) {
      spares.give(r.input);
      yield { ...r, bytes: Buffer.from(r.out, 0, r.length), from };
    }
  } finally {
    await pool.close();
  }
}

/** With --trace: packets parsed one by one, evaluated with their events, written a few hundred at a time. */
async function traced(classifier: Classifier, chunks: AsyncIterable<Buffer>, file: string, opts: StreamOptions, out: Results): Promise<void> {
  const cursor = new LineCursor();
  let lines = 0;
  for await (const chunk of chunks) {
    cursor.reset(chunk, file);
    const packets: Packet[] = [];
    let error: Diagnostic[] | undefined;
    try {
      while (cursor.next()) {
        const text = cursor.packet();
        if (text === undefined) continue;
        packets.push(parsePacketLine(text, { file, line: cursor.line }));
        if (packets.length === TRACE_BATCH) await out.write(packets.length, perPacket(classifier, packets.splice(0), opts));
      }
    } catch (e) {
      if (!(e instanceof NftlensError)) throw e;
      error = e.diagnostics;
    }
    if (packets.length) await out.write(packets.length, perPacket(classifier, packets, opts));
    if (error) throw located(error, lines);
    lines += cursor.line;
  }
}

/** A chunk's error, its line numbered from the file's first line (`before`: the lines of the chunks before). */
function located(error: Diagnostic[], before: number): NftlensError {
  return new NftlensError(error.map((d) => (d.origin.line === undefined ? d : { ...d, origin: { ...d.origin, line: d.origin.line + before } })));
}

/** The results written so far, and the separators and JSON brackets between them. */
class Results {
  count = 0;
  constructor(
    private readonly ctx: CliContext,
    private readonly json: boolean,
  ) {}

  /** The results of n packets, without a separator before the first. */
  async write(n: number, data: string | Buffer, from?: Recycler): Promise<void> {
    if (!n) return;
    const sep = this.json ? (this.count ? ',\n' : '[\n') : this.count ? '\n' : '';
    this.count += n;
    if (typeof data === 'string') return write(this.ctx, sep + data);
    if (sep) await write(this.ctx, sep);
    await write(this.ctx, data, from);
  }

  async end(): Promise<void> {
    if (this.json && this.count) await write(this.ctx, '\n]\n');
  }
}

/** Given packets, or any with --trace: evaluated through Packet objects and the per-packet formatters. */
function perPacket(classifier: Classifier, packets: Packet[], opts: StreamOptions): string {
  const evaluated = opts.trace
    ? packets.map((p) => classifier.evaluate(p, { trace: true, hook: opts.hook }))
    : classifier.evaluateBatch(packets, { hook: opts.hook });
  const results = evaluated.map((r, i) => withOutcomes(r, () => classifier.outcomes(packets[i]!, { trace: opts.trace, hook: opts.hook })));
  if (opts.format !== 'json') return packets.map((p, i) => `packet: ${formatPacket(p)}\n${formatResult(classifier.plan, results[i]!)}`).join('\n');
  // The chunk as an array, without its brackets: its elements, indented as in the whole array.
  return JSON.stringify(packets.map((p, i) => resultJson(classifier.plan, p, results[i]!)), null, 2).slice(2, -2);
}

/**
 * Writes (a string made terminal-safe, bytes as they are), then waits until the output takes more;
 * a closed output ends the run quietly. Bytes go back to `from` for reuse when the output is a file
 * descriptor's stream (a file, pipe or terminal), which is done with them when it calls back; other
 * streams (a PassThrough, say) may hand the very buffer on, so theirs are left alone. Bytes to
 * recycle are waited for until that callback too: a file's stream writes at once but calls back on
 * the next tick, which a run that never waits for the event loop (a file read in this thread)
 * would put off to its very end, every chunk then taking fresh memory.
 */
function write(ctx: CliContext, data: string | Buffer, from?: Recycler): Promise<void> {
  const out = ctx.stdout;
  if (out.destroyed || out.writableEnded) return Promise.reject(new ExitCode(EXIT.ok));
  // Buffers come terminal-safe already (engine/stream/format.ts).
  const recycle = typeof data !== 'string' && typeof (out as { fd?: unknown }).fd === 'number' && from;
  let called = !recycle;
  let wake: (() => void) | undefined;
  const ok = typeof data === 'string'
    ? print(ctx, data)
    : out.write(data, recycle ? (e) => {
      if (!e) recycle.recycle(data);
      called = true;
      wake?.();
    } : undefined);
  if (ok && called) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let drained = ok;
    const done = (e?: unknown) => {
      out.off('drain', drain).off('close', closed).off('error', closed);
      if (e === undefined) resolve();
      else reject(e);
    };
    wake = () => (out.destroyed ? closed() : drained && done());
    const drain = () => {
      drained = true;
      if (called) done();
    };
    const closed = () => done(new ExitCode(EXIT.ok));
    out.on('drain', drain).on('close', closed).on('error', closed);
  });
}
