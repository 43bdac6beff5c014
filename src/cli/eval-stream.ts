// `nftlens eval`'s packets in, results out, in constant memory: packets are read line by line
// (readline over the file or standard input), parsed in chunks of the classifier's batch capacity,
// classified a chunk per call into WebAssembly (per packet with --trace, which needs each packet's
// events), and each chunk's results are written before the next chunk is read, waiting for the
// output to drain. `-o json` is one JSON array, written element by element, byte for byte what
// JSON.stringify(results, null, 2) gives; `-o text` the blocks separated by blank lines.

import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Classifier, EvalResult, Packet, PathHook } from '../engine/index.js';
import { formatPacket, formatResult, parsePacketLine } from '../engine/index.js';
import { chainLabel, ruleLabel } from '../engine/result.js';
import type { Plan } from '../engine/plan.js';
import { NftlensError } from '../model/diagnostics.js';
import { EXIT, ExitCode, type CliContext, type OutputFormat } from './context.js';
import { print } from './options.js';

/** Packets of a packets file (text form or JSON, one a line; blank lines and # comments skipped), in chunks. */
export async function* packetChunks(input: Readable, file: string, size: number): AsyncGenerator<Packet[]> {
  let chunk: Packet[] = [];
  let line = 0;
  const lines = createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<string>;
    try {
      next = await lines.next();
    } catch (e) {
      throw NftlensError.of('INPUT_READ', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
    }
    if (next.done) break;
    line++;
    const t = next.value.trim();
    if (!t || t.startsWith('#')) continue;
    chunk.push(parsePacketLine(t, { file, line }));
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

export interface StreamOptions {
  format: OutputFormat;
  trace?: boolean;
  hook?: PathHook;
}

/** Classifies every chunk and writes its results; returns how many packets there were. */
export async function evaluateStream(classifier: Classifier, chunks: AsyncIterable<Packet[]>, opts: StreamOptions, ctx: CliContext): Promise<number> {
  const json = opts.format === 'json';
  let count = 0;
  for await (const packets of chunks) {
    const results = opts.trace
      ? packets.map((p) => classifier.evaluate(p, { trace: true, hook: opts.hook }))
      : classifier.evaluateBatch(packets, { hook: opts.hook });
    let out: string;
    if (json) {
      // The chunk as an array, without its brackets: its elements, indented as in the whole array.
      const array = JSON.stringify(packets.map((p, i) => resultJson(classifier.plan, p, results[i]!)), null, 2);
      out = (count ? ',\n' : '[\n') + array.slice(2, -2);
    } else {
      out = packets.map((p, i) => `packet: ${formatPacket(p)}\n${formatResult(classifier.plan, results[i]!)}`).join('\n');
      if (count) out = '\n' + out;
    }
    count += packets.length;
    await write(ctx, out);
  }
  if (json && count) await write(ctx, '\n]\n');
  return count;
}

/** One result as `-o json` gives it: the packet, the verdict, the deciding rule and chain with their origins. */
export function resultJson(plan: Plan, packet: Packet, r: EvalResult) {
  const rule = r.rule === undefined ? undefined : { id: r.rule, label: ruleLabel(plan, r.rule), origin: plan.rules[r.rule]!.rule.origin };
  const chain = r.chain === undefined ? undefined : { id: r.chain, label: chainLabel(plan, r.chain), origin: plan.chains[r.chain]!.chain.origin };
  return { packet, verdict: r.verdict, by: r.by, rule, chain, hooks: r.hooks, after: r.packet, trace: r.trace };
}

/** Writes, then waits until the output takes more; a closed output ends the run quietly. */
function write(ctx: CliContext, text: string): Promise<void> {
  const out = ctx.stdout;
  if (out.destroyed || out.writableEnded) return Promise.reject(new ExitCode(EXIT.ok));
  if (print(ctx, text)) return Promise.resolve();
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
