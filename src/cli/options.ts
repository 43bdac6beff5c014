// Options shared by commands, with kubectl's habits: `-f` (repeatable; files, folders, `-`),
// `-o text|json|yaml`, and the printing of results to stdout and of front-end warnings to stderr
// (both through terminalSafe: no control character from the input reaches the terminal).

import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { formatDiagnostic, type Diagnostic } from '../model/diagnostics.js';
import { loadRuleset, type Loaded } from '../frontends/load.js';
import type { CliContext, OutputFormat } from './context.js';
import { terminalSafe } from '../model/terminal.js';

export interface InputOptions {
  filename?: string[];
  nameRules?: boolean;
}

/** Argument parser of a repeatable option: its values in order. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function withInput(cmd: Command, what = 'the embedded example policies'): Command {
  return withNameRules(cmd.option('-f, --filename <path>', `file, folder or - (stdin); repeatable (default: ${what})`, collect));
}

export function withNameRules(cmd: Command): Command {
  return cmd.option('--name-rules', "name nameless Liqo rules deterministically, as Liqo's mutating webhook does");
}

/**
 * `--local ADDR`, repeatable: the gateway's own addresses (routing sends packets to them to input);
 * `--route 'PREFIX dev NAME'`, repeatable: its main routing table, what `fib … oif` looks up.
 */
export function withLocal(cmd: Command): Command {
  return cmd
    .option('--local <address>', 'an address of this host (routing: packets to it go to input); repeatable', collect)
    .option('--route <route>', "a route of this host, e.g. '10.0.0.0/8 dev eth1', 'default dev eth0', '::/0 dev eth0' (what fib … oif looks up; none given: every lookup finds one); repeatable", collect);
}

export interface HostOptions {
  local?: string[];
  route?: string[];
}

/** What --local and --route declare, as engine options. */
export function hostEnvironment(opts: HostOptions): { localAddresses: string[]; routes?: string[] } {
  return { localAddresses: opts.local ?? [], ...(opts.route ? { routes: opts.route } : {}) };
}

/** The hooks a packet's path goes through, for `--hook`. */
export const HOOK_CHOICES = ['prerouting', 'input', 'forward', 'output', 'postrouting'];

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
  for (const d of list) if (d.severity !== 'info') ctx.stderr.write(terminalSafe(formatDiagnostic(d)) + '\n');
}

/** Writes command output to stdout; false when the stream wants a 'drain' before more. */
export function print(ctx: CliContext, text: string): boolean {
  return ctx.stdout.write(terminalSafe(text));
}

export function writeData(ctx: CliContext, format: OutputFormat, data: unknown, text: () => string): void {
  print(ctx, format === 'json' ? JSON.stringify(data, null, 2) + '\n' : format === 'yaml' ? stringify(data) : text());
}
