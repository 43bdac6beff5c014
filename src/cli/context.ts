// What a CLI command may touch: its streams, and where `-` reads from. Commands write only through
// this, so tests run them in-process and read what they printed.

import type { Readable, Writable } from 'node:stream';

export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
}

/** Output formats every command that prints data accepts with `-o`. */
export type OutputFormat = 'text' | 'json' | 'yaml';

/** Thrown by a command to end with a given exit code after it has printed its findings. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
