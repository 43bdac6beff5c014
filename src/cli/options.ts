// Options shared by commands, with kubectl's habits: `-f` (repeatable; files, folders, `-`),
// `-o text|json|yaml`, and the printing of front-end warnings to stderr.

import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { formatDiagnostic, type Diagnostic } from '../model/diagnostics.js';
import { loadRuleset, type Loaded } from '../frontends/load.js';
import type { CliContext, OutputFormat } from './context.js';

export interface InputOptions {
  filename?: string[];
  nameRules?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function withInput(cmd: Command, what = 'the embedded example policies'): Command {
  return cmd
    .option('-f, --filename <path>', `file, folder or - (stdin); repeatable (default: ${what})`, collect)
    .option('--name-rules', "name nameless Liqo rules deterministically, as Liqo's mutating webhook does");
}

export function withOutput(cmd: Command, formats: OutputFormat[], fallback: OutputFormat): Command {
  return cmd.addOption(new Option('-o, --output <format>', 'output format').choices(formats).default(fallback));
}

export async function loadInput(opts: InputOptions, ctx: CliContext, defaultPaths: string[] = []): Promise<Loaded> {
  const loaded = await loadRuleset(opts.filename ?? defaultPaths, { nameRules: opts.nameRules, stdin: ctx.stdin });
  printDiagnostics(loaded.diagnostics, ctx);
  return loaded;
}

/** Warnings go to stderr so that stdout stays machine-readable. */
export function printDiagnostics(list: readonly Diagnostic[], ctx: CliContext): void {
  for (const d of list) if (d.severity !== 'info') ctx.stderr.write(formatDiagnostic(d) + '\n');
}

export function writeData(ctx: CliContext, format: OutputFormat, data: unknown, text: () => string): void {
  if (format === 'json') ctx.stdout.write(JSON.stringify(data, null, 2) + '\n');
  else if (format === 'yaml') ctx.stdout.write(stringify(data));
  else ctx.stdout.write(text());
}
