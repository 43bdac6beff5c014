// Evaluation for the what-if service: one packet (its result, with the trace on request), or many
// — text lines (a packets file's bytes, or JSON items) through the streamed eval's batch path
// (engine/stream/batch.ts), each line scanned straight into the classifier's batch columns; or
// binary records (engine/stream/records.ts) copied into them — one call into WebAssembly per batch
// of the classifier's capacity. Results come back in full (each as `nftlens eval -o json` gives
// it, the array written as bytes by the batch formatter) or compact (columns.ts: verdict, deciding
// rule and chain per packet as JSON with the label and origin of each rule and chain that decided
// once, or the columns as bytes). All of a request runs synchronously on the policy it started with.

import { parsePacketLine, type Packet, type PathHook } from '../../engine/index.js';
import type { Classifier } from '../../engine/classifier.js';
import { NftlensError } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import { ByteOut } from '../../engine/stream/byte-out.js';
import { LineBatch } from '../../engine/stream/batch.js';
import { resultJson } from '../../engine/stream/format.js';
import { withOutcomes } from '../../engine/outcomes.js';
import { RECORD_BYTES, RecordBatch } from '../../engine/stream/records.js';
import type { AnswerText } from './answer-text.js';
import { collect, lineChunks } from './body.js';
import { CompactResults, RESULTS_TYPE } from './columns.js';
import { ApiError } from './errors.js';

/** Where packet i of a request is: a line of a text body, an item of a JSON one. */
export type Where = (i: number) => Origin;

export type View = 'full' | 'compact';

export interface EvalRequest {
  hook?: PathHook;
  trace?: boolean;
  view?: View;
}

export interface Limits {
  /** Packets one request may hold. */
  maxBatch: number;
  /** Packets one request may ask a trace for. */
  maxTrace: number;
}

/** One packet's result, as `nftlens eval -o json` gives it. */
export function evaluateOne(c: Classifier, packet: Packet, req: EvalRequest) {
  return resultJson(c.plan, packet, evaluateWithOutcomes(c, packet, req));
}

/** The result, with every outcome when it depends on state (engine/outcomes.ts). */
function evaluateWithOutcomes(c: Classifier, packet: Packet, req: EvalRequest) {
  const opts = { trace: req.trace, hook: req.hook };
  return withOutcomes(c.evaluate(packet, opts), () => c.outcomes(packet, opts));
}

/** The same as JSON text, by the policy's AnswerText (the deciding rule's and chain's part written once). */
export function evaluateOneText(c: Classifier, answers: AnswerText, packet: Packet, req: EvalRequest): string {
  return answers.write(packet, evaluateWithOutcomes(c, packet, req));
}

/** A batch's answer: its bytes, their content type, and the packets it holds. */
export interface BatchAnswer {
  type: string;
  body: Buffer;
  count: number;
}

/** How a batch is answered: JSON in full or compact, or the compact columns as bytes. */
export interface BatchOptions extends EvalRequest {
  binary?: boolean;
}

/**
 * A packets file (text/plain: one packet a line, text or JSON form, # comments) scanned from its
 * bytes, located errors naming the body's line. A trace takes the per-packet path.
 */
export function evaluateText(c: Classifier, body: Buffer, req: BatchOptions, limits: Limits): BatchAnswer {
  if (req.trace) {
    const { lines, numbers } = packetLines(body.toString('utf8'));
    return evaluateMany(c, lines, req, limits, (i) => ({ file: 'body', line: numbers[i] }));
  }
  return runLines(c, body, req, limits, Math.min(lineBound(body), limits.maxBatch));
}

/**
 * Many packets (lines: the text form or JSON, one each; `where` names them in errors) into one
 * JSON document: `{ count, results }` (full) or `{ count, verdict, rule, chain, rules, chains }`
 * (compact), or the compact columns as bytes. A bad packet throws its located diagnostic.
 */
export function evaluateMany(c: Classifier, lines: readonly string[], req: BatchOptions, limits: Limits, where: Where): BatchAnswer {
  if (lines.length > limits.maxBatch) throw tooMany(lines.length, limits);
  if (req.trace) {
    if (req.binary) throw new ApiError('BAD_REQUEST', `a trace is answered as JSON, not ${RESULTS_TYPE}`);
    if (lines.length > limits.maxTrace) throw new ApiError('TOO_LARGE', `a trace for ${lines.length} packets; the limit is ${limits.maxTrace} a request`);
    const results = lines.map((l, i) => evaluateOne(c, parsePacketLine(l, where(i)), req));
    return { type: JSON_TYPE, body: Buffer.from(JSON.stringify({ count: lines.length, results })), count: lines.length };
  }
  // Each line (of no line break) is line i + 1 of the joined bytes.
  return runLines(c, Buffer.from(lines.join('\n')), req, limits, lines.length, (line) => where(line - 1));
}

/**
 * A packets file as it arrives, in chunks of whole lines: answered compact (JSON or columns), each
 * chunk scanned and classified before the next is read. The full view and a trace take the whole
 * body first (evaluateText).
 */
export async function evaluateTextBody(c: Classifier, blocks: AsyncIterable<Buffer>, req: BatchOptions, limits: Limits, declared?: number): Promise<BatchAnswer> {
  if (req.trace || (req.view !== 'compact' && !req.binary)) return evaluateText(c, await collect(blocks, declared), req, limits);
  const results = new CompactResults(c, Math.min(limits.maxBatch, declared ? Math.ceil(declared / 48) : 4096));
  let packets = 0;
  let lines = 0;
  const batch = new LineBatch(c, false, req.hook, (start, n) => {
    if (packets + start + n > limits.maxBatch) throw tooMany(`more than ${limits.maxBatch}`, limits);
    results.take(packets + start, n);
  });
  for await (const chunk of lineChunks(blocks, TEXT_CHUNK)) {
    const r = batch.chunk(chunk, 'body');
    if (r.error) throw new NftlensError(r.error.map((d) => ({ ...d, origin: { ...d.origin, line: lines + (d.origin.line ?? 1) } })));
    packets += r.packets;
    lines += r.lines;
  }
  if (!packets) throw noPacket();
  return answer(results, req);
}

/**
 * Records (application/vnd.nftlens.packets, engine/stream/records.ts) as they arrive, cut
 * anywhere, classified a batch at a time; answered compact, as JSON or columns.
 */
export async function evaluateRecords(c: Classifier, blocks: AsyncIterable<Buffer>, req: BatchOptions, limits: Limits, declared?: number): Promise<BatchAnswer> {
  if (req.trace || req.view === 'full') throw new ApiError('BAD_REQUEST', 'records are answered compact (view compact, the default) or as columns: no full view, no trace');
  if (declared !== undefined) {
    if (declared % RECORD_BYTES) throw new ApiError('BAD_REQUEST', `the body is ${declared} bytes: not a whole number of ${RECORD_BYTES}-byte records (${Math.floor(declared / RECORD_BYTES)} and ${declared % RECORD_BYTES} bytes)`);
    if (declared / RECORD_BYTES > limits.maxBatch) throw tooMany(declared / RECORD_BYTES, limits);
  }
  const results = new CompactResults(c, declared ? declared / RECORD_BYTES : 4096);
  const batch = new RecordBatch(c, req.hook, 'body', (start, k) => {
    if (start + k > limits.maxBatch) throw tooMany(`more than ${limits.maxBatch}`, limits);
    results.take(start, k);
  });
  for await (const b of blocks) batch.push(b);
  if (!batch.end()) throw noPacket();
  return answer(results, req);
}

/** Packet lines through the byte-scanning batch path; `line` relocates an error of line k of `bytes`. */
function runLines(c: Classifier, bytes: Buffer, req: BatchOptions, limits: Limits, max: number, line?: (k: number) => Origin): BatchAnswer {
  const full = req.view !== 'compact' && !req.binary;
  const results = full ? undefined : new CompactResults(c, max);
  const batch = new LineBatch(c, full, req.hook, (start, n) => {
    if (start + n > limits.maxBatch) throw tooMany(`more than ${limits.maxBatch}`, limits);
    results?.take(start, n);
  });
  const o = full ? new ByteOut(Math.max(1 << 16, 320 * max)) : undefined;
  const r = batch.chunk(bytes, 'body', o);
  if (r.error) throw new NftlensError(line ? r.error.map((d) => ({ ...d, origin: line(d.origin.line ?? 1) })) : r.error);
  if (!r.packets) throw noPacket();
  if (results) return answer(results, req);
  const body = Buffer.concat([Buffer.from(`{"count":${r.packets},"results":[\n`), o!.finish(), Buffer.from('\n]}')]);
  return { type: JSON_TYPE, body, count: r.packets };
}

function answer(results: CompactResults, req: BatchOptions): BatchAnswer {
  return req.binary ? { type: RESULTS_TYPE, body: results.binary(), count: results.count } : { type: JSON_TYPE, body: results.json(), count: results.count };
}

/** Packet lines of a text body (blank lines and # comments skipped) and their 1-based line numbers. */
function packetLines(text: string): { lines: string[]; numbers: number[] } {
  const lines: string[] = [];
  const numbers: number[] = [];
  let n = 0;
  for (const raw of text.split(/\r\n|\n|\r/)) {
    n++;
    const t = raw.trim();
    if (!t || t.charCodeAt(0) === 35) continue;
    lines.push(t);
    numbers.push(n);
  }
  if (!lines.length) throw noPacket();
  return { lines, numbers };
}

/** At least as many as the lines of `b` (its line breaks, \r and \n each counted, plus one). */
function lineBound(b: Buffer): number {
  let n = 1;
  for (const ch of [10, 13]) for (let at = b.indexOf(ch); at >= 0; at = b.indexOf(ch, at + 1)) n++;
  return n;
}

const JSON_TYPE = 'application/json';
/** Bytes of a packets file scanned at a time: about a batch of the classifier's capacity. */
const TEXT_CHUNK = 1 << 18;
const tooMany = (n: number | string, limits: Limits) => new ApiError('TOO_LARGE', `${n} packets; the limit is ${limits.maxBatch} a request`);
const noPacket = () => new ApiError('BAD_REQUEST', 'the body holds no packet: one a line, text or JSON form');
