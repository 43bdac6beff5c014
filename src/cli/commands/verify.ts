// `nftlens verify -f POLICY [--netns NAME]`: read the owned tables back from the kernel and compare
// them with the policies, structurally and exactly (each behaviour difference with a witness
// packet). Exit 0 in sync, 1 drift or difference, 2 bad input, 3 environment (nft missing/old).

import { Command } from 'commander';
import { loadInput } from '../options.js';
import { ExitCode } from '../context.js';
import { gatewayRun, withGateway, type GatewayCliOptions } from './apply.js';
import type { Register } from './index.js';

export const registerVerify: Register = (program, ctx) => {
  const cmd = withGateway(new Command('verify').description('check that the kernel holds the policies exactly: structure and behaviour (exit 1 on drift)'));
  cmd.action((opts: GatewayCliOptions) =>
    gatewayRun(ctx, async () => {
      const { defaultHost, formatVerify, intentFrom, statusRecords, verify, verifyJson } = await import('../../backends/gateway/index.js');
      const intent = intentFrom(await loadInput(opts, ctx));
      const result = await verify(intent, { netns: opts.netns, owner: opts.owner });
      const status = statusRecords(intent, { verify: result }, defaultHost(opts.netns));
      if (opts.output === 'json') ctx.stdout.write(JSON.stringify({ ...(verifyJson(result) as object), status }, null, 2) + '\n');
      else ctx.stdout.write(formatVerify(result));
      if (!result.inSync) throw new ExitCode(1);
    }),
  );
  program.addCommand(cmd);
};
