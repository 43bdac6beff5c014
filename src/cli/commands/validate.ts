// `nftlens validate`: load and check inputs as Liqo's webhooks (and nft) would, print warnings,
// and say what was found. Exit 2 with one located line per error when anything is invalid.

import { Command } from 'commander';
import { tableId } from '../../model/ruleset.js';
import { formatSummary, summarize } from '../../model/plain.js';
import { loadInput, withInput, withOutput, writeData, type InputOptions } from '../options.js';
import { ExitCode, type OutputFormat } from '../context.js';
import type { Register } from './index.js';

export const registerValidate: Register = (program, ctx) => {
  const cmd = new Command('validate')
    .description('check FirewallConfigurations and nft JSON rulesets; errors name file, resource, chain, rule and field')
    .option('--strict', 'treat warnings as errors (exit 1 when there are any)');
  withOutput(withInput(cmd), ['text', 'json', 'yaml'], 'text').action(
    async (opts: InputOptions & { output: OutputFormat; strict?: boolean }) => {
      const loaded = await loadInput(opts, ctx);
      const warnings = loaded.diagnostics.filter((d) => d.severity === 'warning');
      const summary = summarize(loaded.ruleset);
      const data = {
        valid: true,
        files: loaded.files,
        resources: loaded.resources.map((r) => ({
          resource: r.namespace ? `${r.namespace}/${r.name}` : r.name,
          table: tableId(r.table),
          file: r.origin.file,
        })),
        summary,
        diagnostics: loaded.diagnostics,
      };
      writeData(ctx, opts.output, data, () => {
        const lines = data.resources.map((r) => `${r.file}: FirewallConfiguration ${r.resource} → table ${r.table}`);
        lines.push(`valid: ${loaded.files.length} file(s), ${formatSummary(summary)}, ${warnings.length} warning(s)`);
        return lines.join('\n') + '\n';
      });
      if (opts.strict && warnings.length) throw new ExitCode(1);
    },
  );
  program.addCommand(cmd);
};
