// `nftlens import`: read `nft -j list ruleset` output (or any input) into the model and print it —
// `-o yaml|json` as data (with `--origins` for source locations), `-o text` as nft text.

import { Command } from 'commander';
import { plainRuleset } from '../../model/plain.js';
import { loadInput, withInput, withOutput, writeData, type InputOptions } from '../options.js';
import type { OutputFormat } from '../context.js';
import type { Register } from './index.js';

export const registerImport: Register = (program, ctx) => {
  const cmd = new Command('import')
    .description('import nft JSON (`nft -j list ruleset | nftlens import`) into the nftlens model')
    .option('--origins', 'include the source location of every node');
  withOutput(withInput(cmd, 'standard input'), ['yaml', 'json', 'text'], 'yaml').action(
    async (opts: InputOptions & { output: OutputFormat; origins?: boolean }) => {
      const { ruleset } = await loadInput(opts, ctx, ['-']);
      const { renderNftText } = await import('../../backends/nft/render-text.js'); // on use: a back end
      writeData(ctx, opts.output, plainRuleset(ruleset, { origins: opts.origins }), () => renderNftText(ruleset));
    },
  );
  program.addCommand(cmd);
};
