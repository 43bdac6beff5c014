// Request bodies read as they arrive, for the batch routes that take bytes (a packets file, binary
// records): the parser hands the request stream over untouched, and the route reads it here —
// block by block, or regrouped into chunks of whole lines — so that packets are classified while
// the rest of the body is still on its way, and no buffer of the whole body is made. The size
// limit is the app's (fastify keeps it only for the bodies it collects itself), the declared
// length checked before anything is read; a body that breaks off is a bad request.

import type { IncomingMessage } from 'node:http';
import { MAX_LINE, lastBreak } from '../../engine/stream/lines.js';
import { ApiError } from './errors.js';

/** The body's length as its Content-Length says, undefined when it has none (chunked). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const h = req.headers['content-length'];
  return h === undefined ? undefined : Number(h);
}

/**
 * The body's blocks as they arrive; TOO_LARGE beyond `limit` bytes (at once, when its declared
 * length is). The stream is paused while a block is worked on. Left early, the stream is left
 * without listeners: the route drops the rest of the body (`resume`).
 */
export async function* bodyBlocks(req: IncomingMessage, limit: number): AsyncGenerator<Buffer> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) throw tooLarge(declared, limit);
  const queue: Buffer[] = [];
  let ended = false;
  let failed: unknown;
  let wake: (() => void) | undefined;
  const onData = (b: Buffer) => {
    queue.push(b);
    req.pause();
    wake?.();
  };
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  const onError = (e: unknown) => {
    failed ??= e;
    wake?.();
  };
  const onClose = () => onError(new Error('closed'));
  req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  try {
    let seen = 0;
    for (;;) {
      const b = queue.shift();
      if (b) {
        seen += b.length;
        if (seen > limit) throw tooLarge(seen, limit);
        yield b;
        continue;
      }
      if (ended) return;
      if (failed) throw new ApiError('BAD_REQUEST', `the body broke off: ${(failed as NodeJS.ErrnoException).code ?? String(failed)}`);
      const next = new Promise<void>((r) => (wake = r));
      req.resume();
      await next;
      wake = undefined;
    }
  } finally {
    req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
  }
}

/** The whole body, in one buffer sized by its declared length when it has one. */
export async function collect(blocks: AsyncIterable<Buffer>, declared?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const b of blocks) {
    parts.push(b);
    length += b.length;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, declared === length ? declared : length);
}

/**
 * The blocks regrouped into chunks of whole lines (at least `size` bytes but the last), in one
 * buffer of this reader's, reused: a chunk is to be done with before the next is asked for.
 */
export async function* lineChunks(blocks: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let buf = Buffer.allocUnsafeSlow(2 * size);
  let fill = 0;
  for await (const b of blocks) {
    if (fill + b.length > buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(2 * buf.length, fill + b.length));
      buf.copy(bigger, 0, 0, fill);
      buf = bigger;
    }
    fill += b.copy(buf, fill);
    if (fill < size) continue;
    let cut = lastBreak(buf.subarray(0, fill));
    // One line of MAX_LINE bytes or more: handed on whole, for the cursor to refuse.
    if (cut === 0 && fill >= MAX_LINE) cut = fill;
    if (cut === 0) continue;
    yield buf.subarray(0, cut);
    buf.copyWithin(0, cut, fill);
    fill -= cut;
  }
  if (fill) yield buf.subarray(0, fill);
}

const tooLarge = (n: number, limit: number) => new ApiError('TOO_LARGE', `a body of ${n} bytes or more; the limit is ${limit}`);
