// `nftlens replay`: recorded traffic against a proposed policy — conntrack -L output, pcap or
// pcapng captures, JSON-lines or CSV flow logs — each flow's first packet classified in batches,
// flows and packets counted per deciding rule; with --baseline (the policy in force), the flows
// whose fate changes, grouped by the rule responsible, the top ones with a witness packet. Streams
// in constant memory, with a progress bar on a terminal. Exit 1 when a flow changes fate.

import { Command, Option } from 'commander';
import { NftlensError } from '../../model/diagnostics.js';
import { collect, loadInput, printDiagnostics, withInput, withLocal, withOutput, writeData, type InputOptions, hostEnvironment, type HostOptions } from '../options.js';
import { ExitCode, type OutputFormat } from '../context.js';
import type { Register } from './index.js';

interface ReplayOpts extends InputOptions, HostOptions {
  flows: string;
  baseline?: string[];
  format: string;
  output: OutputFormat;
  top: string;
  iif?: string;
  oif?: string;
  workers?: string;
}

/** Files above this size are read by every core unless --workers says otherwise. */
const BIG = 16 << 20;

export const registerReplay: Register = (program, ctx) => {
  const cmd = new Command('replay')
    .description('replay recorded flows (conntrack -L, pcap, pcapng, JSON lines, CSV) against the policy; with --baseline, the flows whose fate changes (exit 1)')
    .requiredOption('--flows <file>', 'the flows: conntrack -L output (plain or -o extended), pcap, pcapng, JSON lines or CSV; - for stdin')
    .option('--baseline <path>', 'the policy in force to compare with (file or folder); repeatable', collect)
    .addOption(new Option('--format <format>', 'the flows file format').choices(['auto', 'conntrack', 'pcap', 'pcapng', 'jsonl', 'csv']).default('auto'))
    .option('--top <n>', 'changed-flow groups listed, each with a witness', '10')
    .option('--iif <name>', 'input interface of flows that name none (conntrack, pcap)')
    .option('--oif <name>', 'output interface of flows that name none')
    .option('--workers <n>', 'threads that read and classify conntrack and JSON-lines files (default: every core for files over 16 MiB, else 1)');
  withOutput(withLocal(withInput(cmd)), ['text', 'json'], 'text').action(async (opts: ReplayOpts) => {
    const [{ compileRuleset }, { openFlows }, { runReplay, sourceFacts }, { replayReport, formatReplay }, { progress }, { loadRuleset }, { addressOf }, { availableParallelism }] = await Promise.all([
      import('../../engine/index.js'),
      import('../../frontends/flows/index.js'),
      import('../../analyses/replay/run.js'),
      import('../../analyses/replay/report.js'),
      import('../progress.js'),
      import('../../frontends/load.js'),
      import('../../engine/addr.js'),
      import('node:os'),
    ]);
    const top = Number(opts.top);
    if (!Number.isInteger(top) || top < 0) throw NftlensError.of('INPUT_PARSE', `--top "${opts.top}" is not a whole number`, { field: '--top' });
    for (const [k, v] of [['--iif', opts.iif], ['--oif', opts.oif]] as const) {
      if (v !== undefined && (Buffer.byteLength(v) > 15 || /\s/.test(v))) throw NftlensError.of('INPUT_PARSE', `${k} "${v}" is not an interface name (1–15 bytes, no blank)`, { field: k });
    }
    const local4 = new Set<number>();
    const local6 = new Set<string>();
    for (const a of opts.local ?? []) {
      const v = addressOf(a);
      if (!v) throw NftlensError.of('INPUT_PARSE', `--local "${a}" is not an IP address`, { field: '--local' });
      if (v.version === 4) local4.add(Number(v.value));
      else local6.add([96n, 64n, 32n, 0n].map((s) => Number((v.value >> s) & 0xffffffffn)).join(':'));
    }
    const source = await openFlows(opts.flows, opts.format as never, ctx.stdin);
    try {
      const loaded = await loadInput(opts, ctx);
      const engineOpts = { ...hostEnvironment(opts) };
      const proposal = compileRuleset(loaded.ruleset, engineOpts);
      printDiagnostics(proposal.diagnostics, ctx);
      let baseline;
      if (opts.baseline) {
        const old = await loadRuleset(opts.baseline, { nameRules: opts.nameRules, stdin: ctx.stdin });
        printDiagnostics(old.diagnostics, ctx);
        baseline = compileRuleset(old.ruleset, engineOpts);
        printDiagnostics(baseline.diagnostics, ctx);
      }
      const defaults = { iif: opts.iif ?? '', oif: opts.oif ?? '', local4, local6 };
      const bar = progress(ctx, 'replay [{bar}] {percentage}% of the flows file', 1 << 20);
      const workers = opts.workers !== undefined ? Number(opts.workers) : (source.read.size ?? 0) > BIG ? availableParallelism() : 1;
      if (!Number.isInteger(workers) || workers < 1) throw NftlensError.of('INPUT_PARSE', `--workers "${opts.workers}" is not a positive whole number`, { field: '--workers' });
      const replay = await runReplay(source, proposal, baseline, defaults, { workers, progress: () => source.read.size && bar.update(source.read.bytes, source.read.size) });
      bar.stop();
      const report = replayReport(replay, { proposal: proposal.plan, baseline: baseline?.plan }, { top, ...sourceFacts(source) });
      writeData(ctx, opts.output, report, () => formatReplay(report));
      if (report.changes && report.changes.flows > 0) throw new ExitCode(1);
    } finally {
      source.close(); // also when the run stops at a bad flow or option
    }
  });
  program.addCommand(cmd);
};
