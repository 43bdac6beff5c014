// `nftlens render`: the model as nft would take it — `-o text` for people (`nft list ruleset`
// style), `-o json` for `nft -j -f -` (one atomic transaction that replaces each table).

import { Command } from 'commander';
import { loadInput, print, withInput, withOutput, type InputOptions } from '../options.js';
import type { OutputFormat } from '../context.js';
import type { Register } from './index.js';

export const registerRender: Register = (program, ctx) => {
  const cmd = new Command('render').description('render the model as nft text (for people) or nft JSON (for `nft -j -f`)');
  withOutput(withInput(cmd), ['text', 'json'], 'text').action(async (opts: InputOptions & { output: OutputFormat }) => {
    const { ruleset } = await loadInput(opts, ctx);
    if (opts.output === 'json') print(ctx, JSON.stringify((await import('../../backends/nft/render-json.js')).renderNftJson(ruleset), null, 2) + '\n');
    else print(ctx, (await import('../../backends/nft/render-text.js')).renderNftText(ruleset));
  });
  program.addCommand(cmd);
};
