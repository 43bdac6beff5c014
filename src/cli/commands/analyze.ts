// `nftlens analyze`: what is wrong with a ruleset, exactly — rules that can never fire (shadowed,
// unreachable), rules that change nothing (redundant), overlaps (correlated, generalization), and
// conflicts between the resources one gateway applies together. Findings grouped by severity,
// each with a witness packet; exit code 1 when there is an error-level finding.

import { Command, Option } from 'commander';
import { NftlensError } from '../../model/diagnostics.js';
import type { PathHook } from '../../engine/plan.js';
import { HOOK_CHOICES, collect, loadInput, withInput, withLocal, withOutput, writeData, type InputOptions, hostEnvironment, type HostOptions } from '../options.js';
import { ExitCode, type OutputFormat } from '../context.js';
import type { Register } from './index.js';

interface AnalyzeOpts extends InputOptions, HostOptions {
  output: OutputFormat;
  hook?: PathHook[];
  maxNodes?: string;
}

export const registerAnalyze: Register = (program, ctx) => {
  const cmd = new Command('analyze')
    .description('find shadowed, unreachable, redundant and overlapping rules and cross-resource conflicts, each with a witness packet (exit 1 on an error)')
    .addOption(new Option('--hook <hook>', 'analyse this hook only; repeatable').choices(HOOK_CHOICES).argParser(collect))
    .option('--max-nodes <n>', 'BDD node limit (default 8388608)');
  withOutput(withLocal(withInput(cmd)), ['text', 'json'], 'text').action(async (opts: AnalyzeOpts) => {
    // The analyses load on use, so that other commands (and --help) start without them.
    const [{ progress }, { findAnomalies }, { findConflicts }, { bySeverity }, { findingsJson, formatFindings, countBySeverity }, { symbolicAnalysis }] = await Promise.all([
      import('../progress.js'),
      import('../../analyses/anomalies.js'),
      import('../../analyses/conflicts.js'),
      import('../../analyses/findings.js'),
      import('../../analyses/report.js'),
      import('../../analyses/symbolic/index.js'),
    ]);
    const loaded = await loadInput(opts, ctx);
    const maxNodes = opts.maxNodes === undefined ? undefined : Number(opts.maxNodes);
    if (maxNodes !== undefined && !(Number.isInteger(maxNodes) && maxNodes > 0)) {
      throw NftlensError.of('INPUT_PARSE', `--max-nodes "${opts.maxNodes}" is not a positive integer`, {});
    }
    const a = symbolicAnalysis(loaded.ruleset, { ...hostEnvironment(opts), maxNodes });
    const bar = progress(ctx, 'analyzing {bar} {value}/{total} rules', 200);
    const anomalies = findAnomalies(a, { hooks: opts.hook, onProgress: (done, total) => bar.update(done, total) });
    bar.stop();
    const findings = [...findConflicts(a, loaded.resources), ...anomalies.findings].sort(bySeverity);
    const c = countBySeverity(findings);
    const title = `nftlens analyze: ${loaded.files.length} file(s), ${anomalies.rules} rule(s) at their hooks`;
    writeData(ctx, opts.output, {
      summary: { files: loaded.files.length, rules: anomalies.rules, notClassified: anomalies.skipped.length, ...c },
      findings: findingsJson(findings),
    }, () => formatFindings(findings, title) + (anomalies.skipped.length
      ? `\n(${anomalies.skipped.length} rule(s) read rewritten headers or have matches after statements: checked for reachability only)\n` : ''));
    if (c.error > 0) throw new ExitCode(1);
  });
  program.addCommand(cmd);
};
