// What a CLI command may touch: its streams, and where `-` reads from. Commands write only through
// this, so tests run them in-process and read what they printed. Also the exit codes, one meaning
// each, and the errors that carry them.

import type { Readable, Writable } from 'node:stream';

export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
}

/** Output formats every command that prints data accepts with `-o`. */
export type OutputFormat = 'text' | 'json' | 'yaml';

/** Exit codes of every command (README "Exit codes", `nftlens --help`). */
export const EXIT = {
  /** Done, and the answer is "yes" (valid, no error-level finding, isolated, no change, kernel agrees). */
  ok: 0,
  /** The answer is "no": findings at error level, a breach, a change, a mismatch (or warnings with --strict). */
  no: 1,
  /** Bad input or usage: an unknown option, an unreadable or invalid file, a malformed packet. */
  usage: 2,
  /** The environment failed: no kernel support or not root for probe, a file could not be written. */
  environment: 3,
  /** nftlens itself failed (a bug): one line, the stack with NFTLENS_DEBUG=1. */
  internal: 4,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  success: valid, no error-level finding, isolated, nothing changed, kernel and model agree
  1  the answer is "no": findings at error level, a breach, a change, a mismatch (warnings with --strict)
  2  bad input or usage: unknown option, unreadable or invalid file, malformed packet
  3  the environment failed: probe without root or kernel support, an output file not writable
  4  nftlens itself failed (a bug): one line; NFTLENS_DEBUG=1 prints the stack
Output to a closed pipe (nftlens ... | head) ends quietly with 0.`;

/** Thrown by a command to end with a given exit code after it has printed its findings. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Thrown when the machine cannot do what was asked (exit 3); the message says what is missing. */
export class EnvironmentError extends Error {}
