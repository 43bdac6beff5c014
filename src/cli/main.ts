// The `nftlens` command line: builds the commander program from the command modules, runs it,
// and turns every failure into one line on stderr and an exit code with one meaning (EXIT in
// context.ts): 2 for what the user gave, 3 for what the machine lacks, 4 for nftlens's own bugs.
// Library code never exits the process; this returns the exit code to bin/nftlens.js.

import { Command, CommanderError } from 'commander';
import { ENVIRONMENT_CODES, NftlensError, formatDiagnostic } from '../model/diagnostics.js';
import { commands } from './commands/index.js';
import { EXIT, EXIT_CODES_HELP, EnvironmentError, ExitCode, type CliContext } from './context.js';
import { terminalSafe } from '../model/terminal.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('nftlens')
    .description('Know what a gateway firewall does: Liqo FirewallConfigurations and nftables rulesets')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(terminalSafe(s)),
      writeErr: (s) => ctx.stderr.write(terminalSafe(s)),
    })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);
  for (const register of commands) register(program, ctx);
  for (const c of program.commands) c.copyInheritedSettings(program);
  return program;
}

export async function run(argv: string[], ctx: CliContext, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = buildProgram(ctx);
  const say = (line: string) => ctx.stderr.write(terminalSafe(line) + '\n');
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    // --help and --version end with 0; every other complaint of commander's is a usage error.
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (e instanceof NftlensError) {
      for (const d of e.diagnostics) say(formatDiagnostic(d));
      // nft missing or too old, a lock held too long, a failed restore: the environment, not the input.
      return e.diagnostics.some((d) => ENVIRONMENT_CODES.has(d.code)) ? EXIT.environment : EXIT.usage;
    }
    if (e instanceof EnvironmentError) {
      say(`nftlens: ${e.message}`);
      return EXIT.environment;
    }
    const sys = e as NodeJS.ErrnoException;
    if (sys instanceof Error && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
      // The operating system refused (a file not writable, a disk full): the environment.
      say(`nftlens: ${sys.message}`);
      return EXIT.environment;
    }
    const debug = env.NFTLENS_DEBUG === '1';
    say(`nftlens: internal error: ${e instanceof Error ? e.message : String(e)}${debug ? '' : ' (NFTLENS_DEBUG=1 shows the stack)'}`);
    if (debug && e instanceof Error && e.stack) ctx.stderr.write(e.stack + '\n');
    return EXIT.internal;
  }
}

export function main(argv: string[]): Promise<number> {
  return run(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
}
