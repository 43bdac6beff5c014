// `nftlens apply -f POLICY [--netns NAME] [--dry-run] [--prune] [--adopt]`: every table of the
// input in one nft transaction, read back and verified, rolled back when the kernel does not hold
// it. Exit 0: applied (or already in place); 1: --dry-run found a change; 2: bad input, a table
// nftlens does not own, or nft refused the input (the failing rule is named); 3: the environment
// (nft missing/old, lock, verification failed and was rolled back).

import { Command } from 'commander';
import type { GatewayOptions } from '../../backends/gateway/index.js';
import { collect, loadInput, print, withNameRules, withOutput, type InputOptions } from '../options.js';
import { ExitCode, type CliContext, type OutputFormat } from '../context.js';
import type { Register } from './index.js';

export interface GatewayCliOptions extends InputOptions {
  netns?: string;
  owner?: string;
  output: OutputFormat;
}

/** -f (required), --netns, --owner and -o: what apply and verify share. */
export function withGateway(cmd: Command): Command {
  const c = withNameRules(cmd.requiredOption('-f, --filename <path>', 'file, folder or - (stdin); repeatable', collect))
    .option('--netns <name>', 'work on nftables of this named network namespace (ip netns)')
    .option('--owner <name>', 'owner written in (and looked for in) the ownership marker', 'nftlens');
  return withOutput(c, ['text', 'json'], 'text');
}

interface ApplyCliOptions extends GatewayCliOptions {
  dryRun?: boolean;
  prune?: boolean;
  adopt?: boolean;
}

export const registerApply: Register = (program, ctx) => {
  const cmd = withGateway(
    new Command('apply')
      .description('apply the policies to nftables in one transaction, verify the kernel holds them, roll back if not (root)')
      .option('--dry-run', 'print what would change, per rule; write nothing (exit 1 when something would change)')
      .option('--prune', 'delete tables nftlens owns that the input no longer has')
      .option('--adopt', 'take over tables of the input that exist but nftlens does not own'),
  );
  cmd.action(async (opts: ApplyCliOptions) => {
    // The gateway back end (and with it the engine and analyses) loads on use: --help starts without it.
    const { apply, applyJson, defaultHost, formatApply, intentFrom, startNftCheck, statusRecords } = await import('../../backends/gateway/index.js');
    const nftChecked = startNftCheck({ netns: opts.netns }); // nft runs while the input parses
    const intent = intentFrom(await loadInput(opts, ctx));
    const g: GatewayOptions = { netns: opts.netns, owner: opts.owner, dryRun: opts.dryRun, prune: opts.prune, adopt: opts.adopt, nftChecked };
    const result = await apply(intent, g);
    const status = statusRecords(intent, { apply: result }, defaultHost(opts.netns));
    if (opts.output === 'json') print(ctx, JSON.stringify(applyJson(result, status), null, 2) + '\n');
    else print(ctx, formatApply(result));
    const f = result.failure;
    if (f?.reason === 'DryRun') {
      if (result.plan.changed) throw new ExitCode(1);
    } else if (f?.reason === 'NftError') throw new ExitCode(2);
    else if (f) throw new ExitCode(3);
  });
  program.addCommand(cmd);
};
