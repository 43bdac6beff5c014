// A progress bar on stderr for long commands (analyze, probe): shown only on a terminal, started on
// the first report of work that is long enough, cleared at the end. Off a terminal it does nothing.

import { Presets, SingleBar } from 'cli-progress';
import type { CliContext } from './context.js';

export interface Progress {
  /** Reports `done` of `total` units. */
  update(done: number, total: number): void;
  /** Ends the bar, if it was shown. */
  stop(): void;
}

/** `format` names the units, e.g. 'probe [{bar}] {value}/{total} packets'; smaller jobs than `minTotal` show none. */
export function progress(ctx: CliContext, format: string, minTotal = 0): Progress {
  const stream = ctx.stderr as NodeJS.WriteStream;
  const bar = stream.isTTY === true ? new SingleBar({ stream, format, clearOnComplete: true, hideCursor: true }, Presets.shades_classic) : undefined;
  let started = false;
  return {
    update(done, total) {
      if (!bar || total < minTotal) return;
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop() {
      if (started) bar!.stop();
    },
  };
}
