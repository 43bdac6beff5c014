// `nftlens diff OLD NEW`: the exact set of packets whose verdict changes between two policies
// (each a file or folder of FirewallConfigurations or nft JSON), as readable header-space cubes
// with a witness each; --by-rule also counts a change of deciding rule. Exit code 1 when
// something changes, 0 when nothing does (like diff(1)).

import { Command } from 'commander';
import { loadRuleset } from '../../frontends/load.js';
import { printDiagnostics, withLocal, withNameRules, withOutput, writeData, hostEnvironment, type HostOptions } from '../options.js';
import { ExitCode, type OutputFormat } from '../context.js';
import type { Register } from './index.js';

interface DiffOpts extends HostOptions {
  output: OutputFormat;
  byRule?: boolean;
  nameRules?: boolean;
}

export const registerDiff: Register = (program, ctx) => {
  const cmd = new Command('diff')
    .description('the packets whose verdict changes between two policies, as header-space cubes with witnesses (exit 1 if any)')
    .argument('<old>', 'file or folder (- for stdin)')
    .argument('<new>', 'file or folder')
    .option('--by-rule', 'a change of the deciding rule or policy counts too');
  withOutput(withLocal(withNameRules(cmd)), ['text', 'json'], 'text').action(async (before: string, after: string, opts: DiffOpts) => {
    const [{ diffRulesets }, { diffJson, formatDiff }] = await Promise.all([import('../../analyses/diff.js'), import('../../analyses/report.js')]); // on use
    const load = async (p: string) => {
      const l = await loadRuleset([p], { nameRules: opts.nameRules, stdin: ctx.stdin });
      printDiagnostics(l.diagnostics, ctx);
      return l.ruleset;
    };
    const d = diffRulesets(await load(before), await load(after), { byRule: opts.byRule, ...hostEnvironment(opts) });
    writeData(ctx, opts.output, diffJson(d), () => formatDiff(d, before, after));
    if (d.changes.length) throw new ExitCode(1);
  });
  program.addCommand(cmd);
};
