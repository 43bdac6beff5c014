// The `nftlens` command line: builds the commander program from the command modules, runs it,
// and turns every failure into a one-line located message and a non-zero exit code.
// Library code never exits the process; this returns the exit code to bin/nftlens.js.

import { Command, CommanderError } from 'commander';
import { NftlensError, formatDiagnostic } from '../model/diagnostics.js';
import { commands } from './commands/index.js';
import { ExitCode, type CliContext } from './context.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('nftlens')
    .description('Know what a gateway firewall does: Liqo FirewallConfigurations and nftables rulesets')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)');
  for (const register of commands) register(program, ctx);
  for (const c of program.commands) c.copyInheritedSettings(program);
  return program;
}

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof NftlensError) {
      for (const d of e.diagnostics) ctx.stderr.write(formatDiagnostic(d) + '\n');
      return 2;
    }
    ctx.stderr.write(`nftlens: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

export function main(argv: string[]): Promise<number> {
  return run(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
}
